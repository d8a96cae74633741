// summary.csv: one row per platform × workload × job × metric, full precision, for spreadsheets and re-checking.
import type { MetricSummary } from '../types.ts';

const COLUMNS = [
  'workload', 'job', 'metric', 'unit', 'better', 'platform', 'n', 'iterations', 'failed',
  'mean', 'median', 'sd', 'cv', 'ci_low', 'ci_high', 'ci_level',
  'ratio_to_native', 'ratio_ci_low', 'ratio_ci_high', 'ratio_method', 'instance_means', 'emulated', 'network',
] as const;

export function summaryCsv(summaries: MetricSummary[]): string {
  const lines = [COLUMNS.join(',')];
  for (const s of summaries) {
    const r = s.ratioToNative;
    const row: (string | number | boolean | null | undefined)[] = [
      s.workload, s.job, s.metric, s.unit, s.better, s.platform, s.n, s.iterations, s.failed,
      s.mean, s.median, s.sd, s.cv, s.ci?.low, s.ci?.high, s.ci?.level,
      r?.value, r?.ci?.low, r?.ci?.high, r?.method, s.instanceMeans.join(' '), s.emulated ?? false, s.network,
    ];
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`; // RFC 4180 line ends
}

function csvField(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
