// The architecture callouts with this run's evidence: the ratio of two platforms' means and its 95 % interval, or "not measured here".
import { logRatio, ratioInterval, sideSe, untestable } from '../stats/ratio.ts';
import { tQuantile } from '../stats/interval.ts';
import type { Interval, MetricSummary, PlatformRecord } from '../types.ts';
import { compactWhy } from './claims-view.ts';
import { formatEstimate, formatNumber, shorten } from './format.ts';
import type { Callout, CalloutEvidenceSpec } from './sources.ts';

export const EVIDENCE_METHOD = "platform mean / reference mean of instance means, with the 95 % interval of a Welch t-test on the log ratio (delta method), the same test the claims use; an added cost (compare: difference) is platform mean − reference mean with the 95 % Welch t interval of the difference";

export interface EvidenceRow {
  label: string;
  measured: boolean;
  /** 'gvisor-ptrace / native' */
  pair: string;
  ratio: string;
  interval: string;
  /** the two means with their units and n */
  means: string;
  /** why there is no value */
  reason: string;
  /** the same in a line, for paper (page 1's words for a platform that did not run) */
  brief: string;
}

/** Plain data for verdicts.json: the numbers behind an evidence row. */
export interface EvidenceRecord {
  callout: string;
  label: string;
  workload: string;
  job: string;
  metric: string;
  platform: string | null;
  reference: string | null;
  /** ratio: platform / reference; difference: platform − reference, in the metric's unit */
  compare: 'ratio' | 'difference';
  ratio: number | null;
  interval: Interval | null;
  difference?: number | null;
  unit?: string;
  platformStats: { mean: number; sd: number; n: number } | null;
  referenceStats: { mean: number; sd: number; n: number } | null;
  reason?: string;
}

export interface CalloutView {
  id: string;
  title: string;
  text: string;
  provenance: string;
  provenanceKind: string;
  claims: string[];
  evidence: EvidenceRow[];
  /** true when at least one evidence row has a value */
  measured: boolean;
  /** "not measured here" when no evidence row has a value (each row says why), else '' */
  notMeasured: string;
}

export interface EvidenceContext {
  summaries: MetricSummary[];
  records: Map<string, PlatformRecord>;
  /** why a requested platform did not run */
  notRun: Map<string, string>;
  /** requested platforms some of whose instances failed */
  failed?: Set<string>;
}

/** One callout as shown next to the chart of `workload` (evidence on other workloads is shown where those charts are). */
export function calloutView(c: Callout, ctx: EvidenceContext, workload?: string): { view: CalloutView; records: EvidenceRecord[] } {
  const specs = workload ? c.evidence.filter((e) => e.measure.workload === workload) : c.evidence;
  const found = specs.map((e) => evidenceFor(c.id, e, ctx));
  const measured = found.some((f) => f.row.measured);
  return {
    view: {
      id: c.id,
      title: c.title,
      text: c.text,
      provenance: c.provenance.where,
      provenanceKind: c.provenance.kind,
      claims: c.claims,
      evidence: found.map((f) => f.row),
      measured,
      notMeasured: measured || specs.length === 0 ? '' : 'not measured here',
    },
    records: found.map((f) => f.record),
  };
}

function evidenceFor(callout: string, e: CalloutEvidenceSpec, ctx: EvidenceContext): { row: EvidenceRow; record: EvidenceRecord } {
  // in a merged run a ratio compares two platforms on the same host
  const usable = (platform: string, network?: string, host?: string) => ctx.summaries.find((s) =>
    s.platform === platform && s.workload === e.measure.workload && s.job === e.measure.job && s.metric === e.measure.metric
    && s.emulated !== true && ctx.records.get(platform)?.emulated !== true && (!network || s.network === network) && (host === undefined || s.host === host));
  const base = { callout, label: e.label, workload: e.measure.workload, job: e.measure.job, metric: e.measure.metric, compare: e.compare ?? 'ratio' };
  for (const p of e.platforms) {
    const a = usable(p, e.network);
    if (!a) continue;
    for (const r of e.reference) {
      const b = usable(r, undefined, a.host);
      if (!b || b.platform === a.platform) continue;
      return base.compare === 'difference' ? difference(base, a, b) : compare(base, a, b, e.network);
    }
  }
  const platformRan = e.platforms.find((p) => usable(p, e.network));
  const reason = platformRan
    ? `no reference ran (${absence(e.reference, ctx)})`
    : `not measured here (${absence(e.platforms, ctx, e.network)})`;
  const brief = platformRan
    ? `no reference ran (${shorten(briefAbsence(e.reference, ctx), 100)})`
    : `not measured here (${shorten(briefAbsence(e.platforms, ctx, e.network), 100)})`;
  return {
    row: { label: e.label, measured: false, pair: '', ratio: '', interval: '', means: '', reason, brief },
    record: { ...base, platform: null, reference: null, ratio: null, interval: null, platformStats: null, referenceStats: null, reason },
  };
}

type EvidenceBase = Omit<EvidenceRecord, 'platform' | 'reference' | 'ratio' | 'interval' | 'platformStats' | 'referenceStats'>;

/**
 * The 95 % Welch interval of a difference of two means; null when either side has fewer than 2 instances, or neither shows
 * spread and the metric has no known resolution (zero spread is not certainty). Each mean's standard error is at least the
 * metric's resolution, as in the ratios (src/stats/ratio.ts).
 */
export function differenceInterval(a: { mean: number; sd: number; n: number; resolution?: number | null }, b: { mean: number; sd: number; n: number; resolution?: number | null }): Interval | null {
  if (a.n < 2 || b.n < 2) return null;
  const va = sideSe(a) ** 2;
  const vb = sideSe(b) ** 2;
  const se = Math.sqrt(va + vb);
  if (se === 0) return null;
  const d = a.mean - b.mean;
  const df = (va + vb) ** 2 / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const half = tQuantile(0.975, df) * se;
  return { low: d - half, high: d + half, level: 0.95 };
}

/** why a difference has no interval, in words */
function noDifferenceInterval(a: MetricSummary, b: MetricSummary): string {
  const one = [a, b].find((s) => s.n < 2);
  if (one) return `no interval: ${one.platform} has ${one.n === 1 ? 'one instance' : 'no instance'}, so its spread is unknown`;
  return 'no interval: neither side shows spread and the metric has no known resolution';
}

function difference(base: EvidenceBase, a: MetricSummary, b: MetricSummary): { row: EvidenceRow; record: EvidenceRecord } {
  const sa = { mean: a.mean, sd: a.sd, n: a.n, resolution: a.resolution?.value };
  const sb = { mean: b.mean, sd: b.sd, n: b.n, resolution: b.resolution?.value };
  const d = a.mean - b.mean;
  const interval = differenceInterval(sa, sb);
  const row: EvidenceRow = {
    label: base.label,
    measured: true,
    pair: `${a.platform} − ${b.platform}${a.host ? ` @ ${a.host}` : ''}`,
    ratio: `${d >= 0 ? '+' : ''}${formatEstimate(d, interval)} ${a.unit}`,
    interval: interval ? '' : noDifferenceInterval(a, b),
    means: `${formatNumber(a.mean, 4)} vs ${formatNumber(b.mean, 4)} ${a.unit}, n = ${a.n} and ${b.n}`,
    reason: '',
    brief: '',
  };
  return {
    row,
    record: { ...base, platform: a.platform, reference: b.platform, ratio: b.mean !== 0 ? a.mean / b.mean : null, interval, difference: d, unit: a.unit, platformStats: sa, referenceStats: sb },
  };
}

function compare(base: EvidenceBase, a: MetricSummary, b: MetricSummary, network?: string): { row: EvidenceRow; record: EvidenceRecord } {
  const sa = { mean: a.mean, sd: a.sd, n: a.n, resolution: a.resolution?.value };
  const sb = { mean: b.mean, sd: b.sd, n: b.n, resolution: b.resolution?.value };
  const problem = untestable(sa, sb);
  const ratio = b.mean !== 0 ? a.mean / b.mean : null;
  const interval = problem ? null : ratioInterval(logRatio(sa, sb));
  const row: EvidenceRow = {
    label: base.label,
    measured: ratio !== null,
    pair: `${a.platform}${network ? ` (${network} network)` : ''} / ${b.platform}${a.host ? ` @ ${a.host}` : ''}`,
    ratio: ratio === null ? '—' : formatEstimate(ratio, interval),
    interval: interval ? '' : `no interval (${problem})`,
    means: `${formatNumber(a.mean, 4)} vs ${formatNumber(b.mean, 4)} ${a.unit}, n = ${a.n} and ${b.n}`,
    reason: ratio === null ? 'the reference mean is 0' : '',
    brief: ratio === null ? 'the reference mean is 0' : '',
  };
  return {
    row,
    record: { ...base, platform: a.platform, reference: b.platform, ratio, interval, platformStats: sa, referenceStats: sb },
  };
}

/** "kata-9p: reason; kata-virtiofs: not in this experiment" */
function absence(platforms: string[], ctx: EvidenceContext, network?: string): string {
  return absences(platforms, ctx, network).map(({ platform, why }) => `${platform}: ${why}`).join('; ');
}

/** absence's platforms grouped by their cause in a few words: "kata-9p, kata-virtiofs: not available: no KVM" */
function briefAbsence(platforms: string[], ctx: EvidenceContext, network?: string): string {
  const byWhy = new Map<string, string[]>();
  for (const { platform, why: whole } of absences(platforms, ctx, network)) {
    const why = compactWhy(whole).split('; ')[0];
    byWhy.set(why, [...(byWhy.get(why) ?? []), platform]);
  }
  return [...byWhy].map(([why, ps]) => `${ps.join(', ')}: ${why}`).join('; ');
}

function absences(platforms: string[], ctx: EvidenceContext, network?: string): { platform: string; why: string }[] {
  return platforms.map((platform) => ({ platform, why: absenceOf(platform, ctx, network) }));
}

function absenceOf(p: string, ctx: EvidenceContext, network?: string): string {
  const mine = ctx.summaries.filter((s) => s.platform === p);
  if (mine.length > 0 && mine.every((s) => s.emulated === true || ctx.records.get(p)?.emulated === true)) return 'software emulation only';
  if (network && mine.length > 0 && mine.every((s) => s.network !== network)) return `ran without a ${network} network`;
  if (mine.length > 0) return 'no value for this measure';
  const why = ctx.notRun.get(p);
  if (why) return why;
  if (ctx.failed?.has(p)) return 'ran, but no instance gave a value (see “What was not run”)';
  const record = ctx.records.get(p);
  if (record && !record.available && record.reason) return record.reason;
  return 'not in this experiment';
}
