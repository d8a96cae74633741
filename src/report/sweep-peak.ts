// Where a swept metric peaks per platform (MySQL: the client thread count with the most transactions/s), and how sure that is.
import type { MetricSummary } from '../types.ts';

export interface SweepPeak {
  platform: string;
  host?: string;
  /** the swept value with the best mean */
  at: number;
  mean: number;
  /** swept values whose interval overlaps the peak's: the peak is not told apart from them at 95 % */
  tiedWith: number[];
  /** how many swept values this platform has */
  points: number;
}

/** The best mean per platform over the values of `param`; ties are the values whose 95 % intervals overlap the best one's. */
export function sweepPeaks(summaries: MetricSummary[], workload: string, metric: string, param: string): SweepPeak[] {
  const rows = summaries.filter((s) => s.workload === workload && s.metric === metric && typeof s.params?.[param] === 'number');
  const groups = new Map<string, MetricSummary[]>();
  for (const s of rows) {
    const key = `${s.platform}\u0000${s.host ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  return [...groups.values()].map((g) => {
    const higher = g[0].better === 'higher';
    const best = g.reduce((a, b) => ((higher ? b.mean > a.mean : b.mean < a.mean) ? b : a));
    const overlaps = (s: MetricSummary) => !best.ci || !s.ci || (s.ci.high >= best.ci.low && s.ci.low <= best.ci.high);
    return {
      platform: best.platform,
      ...(best.host ? { host: best.host } : {}),
      at: best.params[param] as number,
      mean: best.mean,
      tiedWith: g.filter((s) => s !== best && overlaps(s)).map((s) => s.params[param] as number).sort((a, b) => a - b),
      points: g.length,
    };
  }).sort((a, b) => (a.platform < b.platform ? -1 : a.platform > b.platform ? 1 : 0));
}

/** One sentence for the report: 'native 110 (not told apart from 90, 130)'. */
export function sweepPeakText(peaks: SweepPeak[], param: string, metric: string): string {
  if (peaks.length === 0) return '';
  const one = (p: SweepPeak) => `${p.platform}${p.host ? ` (${p.host})` : ''} ${p.at}${p.points < 2 ? ' (one value only)' : p.tiedWith.length ? ` (not told apart at 95 % from ${p.tiedWith.join(', ')})` : ''}`;
  return `Peak ${metric} by ${param}: ${peaks.map(one).join('; ')}.`;
}
