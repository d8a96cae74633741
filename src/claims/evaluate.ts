// The paper's claims against one run's analysis: comparisons, p-values, Holm's correction, a verdict each (docs/CLAIMS.md).
import { baseJob } from '../experiment/plan.ts';
import { stableStringify } from '../stats/stable-json.ts';
import type {
  Analysis, ClaimComparison, ClaimEvaluation, ClaimVerdict, Environment, MetricSummary, NotRun, PlatformRecord,
} from '../types.ts';
import { holmAdjust } from './holm.ts';
import type { Claim, ClaimTest, LoadedClaims, Measure, RatioCondition } from './load.ts';
import { boundTest, logRatio, ratioInterval, untestable } from './log-ratio.ts';

export const CLAIMS_ALPHA = 0.05;

export const TEST_METHOD = 'Welch t-tests on the log ratio of the means of instance means (delta method), one-sided at α/2 per bound so that they agree with the 95% intervals';

// the paper ran these on KVM: software emulation (qemu-tcg) never stands in for them
const KVM_PLATFORMS = new Set([
  'gvisor-kvm', 'kata-9p', 'kata-virtiofs', 'qemu-kvm', 'qemu-kvm-microvm', 'firecracker', 'cloud-hypervisor', 'osv-qemu', 'osv-firecracker',
]);

type Bounds = { low?: number; high?: number };
type Check = { support: number; refute: number };

interface Context {
  analysis: Analysis;
  records: Map<string, PlatformRecord>;
  notRun: Map<string, string>;
  /** workloads that appear in the run at all (values or failures) */
  workloads: Set<string>;
}

/** One claim examined, before the family-wide correction. */
interface Examined {
  claim: Claim;
  description: string;
  comparisons: ClaimComparison[];
  checks: Check[];
  missing: ClaimVerdict['missing'];
  namedPlatforms: number;
  measures: number;
}

export function evaluateClaims(analysis: Analysis, env: Environment, loaded: LoadedClaims, alpha = CLAIMS_ALPHA): ClaimEvaluation {
  const ctx: Context = {
    analysis,
    records: new Map(env.platforms.map((p) => [p.id, p])),
    notRun: new Map(analysis.notRun.map((n) => [n.platform, n.reason])),
    workloads: new Set([...analysis.summaries.map((s) => s.workload), ...analysis.failures.map((f) => f.workload)]),
  };
  const examined = loaded.claims.map((c) => examine(c, ctx));

  // the family: every claim that compared something (caveats and claims that did not run are not tested)
  const tested = examined.map((e, i) => (e.comparisons.length > 0 ? i : -1)).filter((i) => i >= 0);
  const support = tested.map((i) => claimSupport(examined[i]));
  const refute = tested.map((i) => claimRefute(examined[i]));
  const supportHolm = holmAdjust(support);
  const refuteHolm = holmAdjust(refute);
  const p = new Map(tested.map((i, k) => [i, { support: support[k], refute: refute[k], supportHolm: supportHolm[k], refuteHolm: refuteHolm[k] }]));

  return {
    correction: correctionText(tested.length, alpha),
    alpha,
    file: loaded.file,
    sha256: loaded.sha256,
    verdicts: examined.map((e, i) => decide(e, p.get(i), alpha, tested.length)),
  };
}

export function correctionText(m: number, alpha: number): string {
  if (m === 0) return `Holm step-down at α = ${alpha}: no claim was tested in this run, so there is nothing to correct`;
  return `Holm step-down over the ${m} tested claim${m === 1 ? '' : 's'} at α = ${alpha} (family-wise error rate), applied to the support and to the refutation p-values; `
    + `p-values from ${TEST_METHOD}; within a claim, support is the largest p of its bound checks (intersection-union) `
    + `and refutation the smallest p times the number of checks (Bonferroni)`;
}

// ---- examining one claim ----

function examine(claim: Claim, ctx: Context): Examined {
  const comparisons: ClaimComparison[] = [];
  const checks: Check[] = [];
  const named: string[] = [];
  const networkOf = new Map<string, string>();
  const measures: Measure[] = [];
  const name = (ps: readonly string[], network?: string) => {
    for (const p of ps) {
      if (!named.includes(p)) named.push(p);
      if (network && !networkOf.has(p)) networkOf.set(p, network);
    }
  };
  const measure = (ms: readonly Measure[]) => {
    for (const m of ms) if (!measures.some((x) => sameMeasure(x, m))) measures.push(m);
  };
  const add = (r: { comparison: ClaimComparison; checks: Check[] }) => {
    comparisons.push(r.comparison);
    checks.push(...r.checks);
  };

  const t = claim.test;
  for (const c of conditionsOf(t)) {
    name(c.platforms, c.network);
    name(c.reference);
    measure(c.measures);
    for (const m of c.measures) {
      for (const platform of c.platforms) {
        for (const s of usable(ctx, platform, m, c.network)) {
          for (const ref of c.reference) {
            if (ref === platform) continue;
            for (const r of usable(ctx, ref, m)) {
              // a merged run: compare only within one host, never across
              if (paramsKey(r) === paramsKey(s) && r.host === s.host) add(compare(s, r, { low: c.low, high: c.high }, c.label));
            }
          }
        }
      }
    }
  }
  if (t.kind === 'ordering') {
    for (const g of t.chain) name(g);
    measure(t.measures);
    for (const m of t.measures) {
      // only neighbours in the chain are compared: a missing group is not skipped over, because the claim is about it
      // (Docker < Firecracker < LXC says nothing testable about Firecracker when Firecracker did not run)
      const groups = t.chain.map((g) => g.flatMap((p) => usable(ctx, p, m)));
      for (let i = 0; i + 1 < groups.length; i++) {
        for (const a of groups[i]) {
          for (const b of groups[i + 1]) {
            if (paramsKey(a) !== paramsKey(b) || a.host !== b.host) continue;
            const bounds = a.better === 'higher' ? { low: t.factor } : { high: 1 / t.factor };
            add(compare(a, b, bounds, `${a.platform} ${t.factor > 1 ? `at least ${t.factor}x ` : ''}better than ${b.platform}`));
          }
        }
      }
    }
  }

  const missingMeasures = measures
    .filter((m) => !present(ctx, m))
    .map((m) => ({ ...m, reason: ctx.workloads.has(m.workload) ? `no '${m.metric}' value in this run${m.job === 'default' ? '' : ` (job ${m.job})`}` : 'not in this experiment' }));
  const presentMeasures = measures.filter((m) => present(ctx, m));
  const used = new Set(comparisons.flatMap((c) => [c.platform, c.reference]));
  const missingPlatforms: NotRun[] = presentMeasures.length === 0 ? [] : named
    .filter((p) => !used.has(p))
    .map((p) => ({ platform: p, reason: absenceReason(ctx, p, presentMeasures, networkOf.get(p)) }));

  return {
    claim,
    description: describeTest(t),
    comparisons,
    checks,
    missing: { platforms: missingPlatforms, measures: missingMeasures },
    namedPlatforms: named.length,
    measures: measures.length,
  };
}

/** ratio-range, equivalence and relation as ratio conditions (an ordering is handled on its own) */
function conditionsOf(t: ClaimTest): RatioCondition[] {
  switch (t.kind) {
    case 'ratio-range':
      return [{ ...t, label: `ratio to ${t.reference.join(' or ')} ${boundsText(t)}` }];
    case 'equivalence': {
      const bounds = { low: 1 - t.margin, high: 1 + t.margin };
      return [{ ...t, ...bounds, label: `ratio to ${t.reference.join(' or ')} within 1 ± ${t.margin}` }];
    }
    case 'relation':
      return t.conditions;
    default:
      return [];
  }
}

/** the summaries that may stand for `platform` on `m`: never an emulated one, and only with the required network */
function usable(ctx: Context, platform: string, m: Measure, network?: string): MetricSummary[] {
  return ctx.analysis.summaries.filter((s) => s.platform === platform && matches(s, m) && !emulated(ctx, s) && (!network || s.network === network));
}

function emulated(ctx: Context, s: MetricSummary): boolean {
  return s.emulated === true || ctx.records.get(s.platform)?.emulated === true;
}

// a swept cell ('threads=10') stands for its job; the ordering then compares equal parameters only
const matches = (s: MetricSummary, m: Measure) => s.workload === m.workload && baseJob(s.job) === m.job && s.metric === m.metric;
const sameMeasure = (a: Measure, b: Measure) => a.workload === b.workload && a.job === b.job && a.metric === b.metric;
const present = (ctx: Context, m: Measure) => ctx.analysis.summaries.some((s) => matches(s, m));
const paramsKey = (s: MetricSummary) => stableStringify(s.params ?? {}, 0);

function compare(s: MetricSummary, r: MetricSummary, bounds: Bounds, condition: string): { comparison: ClaimComparison; checks: Check[] } {
  const a = { mean: s.mean, sd: s.sd, n: s.n };
  const b = { mean: r.mean, sd: r.sd, n: r.n };
  const ratio = s.mean / r.mean;
  const base = {
    condition,
    workload: s.workload,
    job: s.job,
    metric: s.metric,
    unit: s.unit,
    better: s.better,
    ...(s.params && Object.keys(s.params).length > 0 ? { params: s.params } : {}),
    platform: s.platform,
    reference: r.platform,
    platformStats: a,
    referenceStats: b,
    ratio: Number.isFinite(ratio) ? ratio : null,
    bounds: { ...(bounds.low !== undefined ? { low: bounds.low } : {}), ...(bounds.high !== undefined ? { high: bounds.high } : {}) },
    ...(r.platform === 'native' && s.ratioToNative ? { ratioToNative: s.ratioToNative } : {}),
  };
  const problem = untestable(a, b);
  if (problem) {
    return { comparison: { ...base, interval: null, df: null, holds: 'untestable', pSupport: 1, pRefute: 1, problem }, checks: [] };
  }
  const lr = logRatio(a, b);
  const interval = ratioInterval(lr);
  const checks: Check[] = [];
  if (bounds.low !== undefined) checks.push(boundTest(lr, bounds.low, 'low'));
  if (bounds.high !== undefined) checks.push(boundTest(lr, bounds.high, 'high'));
  const inside = (bounds.low === undefined || interval.low >= bounds.low) && (bounds.high === undefined || interval.high <= bounds.high);
  const outside = (bounds.low !== undefined && interval.high < bounds.low) || (bounds.high !== undefined && interval.low > bounds.high);
  return {
    comparison: {
      ...base,
      interval,
      df: lr.df,
      holds: inside ? 'inside' : outside ? 'outside' : 'straddles',
      pSupport: Math.max(...checks.map((c) => c.support)),
      pRefute: Math.min(1, checks.length * Math.min(...checks.map((c) => c.refute))),
    },
    checks,
  };
}

/** p against "the claim is false": every check must hold, so the largest p (an untestable comparison gives no support) */
function claimSupport(e: Examined): number {
  if (e.comparisons.some((c) => c.holds === 'untestable')) return 1;
  return Math.max(...e.checks.map((c) => c.support));
}

/** p against "the claim is true": one failed check refutes it, so the smallest p, Bonferroni over the checks */
function claimRefute(e: Examined): number {
  if (e.checks.length === 0) return 1;
  return Math.min(1, e.checks.length * Math.min(...e.checks.map((c) => c.refute)));
}

/** why a platform the claim names gave nothing to compare, in words a reader can act on */
function absenceReason(ctx: Context, platform: string, measures: Measure[], network?: string): string {
  const mine = ctx.analysis.summaries.filter((s) => s.platform === platform && measures.some((m) => matches(s, m)));
  const real = mine.filter((s) => !emulated(ctx, s));
  if (mine.length > 0 && real.length === 0) return `emulated (software emulation): cannot stand in for the paper's ${platform}`;
  if (real.length > 0) {
    if (network && real.every((s) => s.network !== network)) return `ran with network '${real[0].network ?? 'unrecorded'}'; the claim needs '${network}'`;
    return 'ran, but nothing to compare it with ran here';
  }
  const notRun = ctx.notRun.get(platform);
  if (notRun) return notRun;
  const record = ctx.records.get(platform);
  if (record?.emulated) return `emulated (software emulation): cannot stand in for the paper's ${platform}`;
  const workloads = [...new Set(measures.map((m) => m.workload))];
  if (record?.requested && record.available) {
    const failure = ctx.analysis.failures.find((f) => f.platform === platform && workloads.includes(f.workload));
    if (failure) return `no value (${failure.status}): ${failure.error}`;
    return `ran, but gave no value for ${workloads.join(', ')}`;
  }
  let reason = 'not in this experiment';
  if (record && !record.available) reason += ` (not available here: ${record.reason ?? 'no reason recorded'})`;
  if (KVM_PLATFORMS.has(platform)) {
    const emulators = [...new Set(ctx.analysis.summaries.filter((s) => measures.some((m) => matches(s, m)) && emulated(ctx, s)).map((s) => s.platform))];
    if (emulators.length > 0) reason += `; ${emulators.join(', ')} ran under software emulation, which never stands in for a KVM platform`;
  }
  return reason;
}

// ---- the verdict ----

function decide(e: Examined, p: ClaimVerdict['p'], alpha: number, family: number): ClaimVerdict {
  const { claim } = e;
  const verdict: ClaimVerdict = {
    id: claim.id,
    claim: claim.claim,
    area: claim.area,
    provenance: claim.provenance,
    test: { kind: claim.test.kind, description: e.description },
    verdict: 'not run',
    reason: '',
    comparisons: e.comparisons,
    missing: e.missing,
    ...(claim.note ? { note: claim.note } : {}),
    ...(claim.paperValue ? { paperValue: claim.paperValue } : {}),
  };
  if (claim.test.kind === 'caveat') {
    return { ...verdict, verdict: 'caveat', reason: 'a caveat of the paper, printed with the results and not tested' };
  }
  if (!p) return { ...verdict, reason: notRunReason(e) };

  const coverage = e.missing.platforms.length > 0 || e.missing.measures.length > 0 ? 'partial' : 'full';
  const partial = coverage === 'partial' ? `; partial: ${partialText(e)}` : '';
  const holm = `Holm-adjusted over ${family} tested claim${family === 1 ? '' : 's'}`;
  if (p.supportHolm <= alpha) {
    const reason = `supported by every comparison (${e.comparisons.length}): p = ${fmtP(p.support)}, ${holm}: ${fmtP(p.supportHolm)} <= ${alpha}${partial}`;
    return { ...verdict, verdict: 'reproduced', reason, coverage, p };
  }
  if (p.refuteHolm <= alpha) {
    const worst = [...e.comparisons].filter((c) => c.holds !== 'untestable').sort((a, b) => a.pRefute - b.pRefute)[0];
    const reason = `${comparisonText(worst)}: ratio ${fmt(worst.ratio!)}, 95% interval ${intervalText(worst)}, where the claim needs a ratio ${boundsText(worst.bounds)}; p = ${fmtP(p.refute)}, ${holm}: ${fmtP(p.refuteHolm)} <= ${alpha}${partial}`;
    return { ...verdict, verdict: 'not reproduced', reason, coverage, p };
  }
  return { ...verdict, verdict: 'inconclusive', reason: `${inconclusiveText(e, p, alpha, holm)}${partial}`, coverage, p };
}

function inconclusiveText(e: Examined, p: NonNullable<ClaimVerdict['p']>, alpha: number, holm: string): string {
  const untested = e.comparisons.find((c) => c.holds === 'untestable');
  if (untested) return `${comparisonText(untested)}: ${untested.problem}`;
  const straddling = e.comparisons.filter((c) => c.holds === 'straddles').sort((a, b) => b.pSupport - a.pSupport)[0];
  if (straddling) {
    const { low, high } = straddling.bounds;
    const iv = straddling.interval!;
    const bound = low !== undefined && iv.low < low ? low : high!;
    return `${comparisonText(straddling)}: ratio ${fmt(straddling.ratio!)}, 95% interval ${intervalText(straddling)} straddles the claim's bound ${fmt(bound)}`;
  }
  if (e.comparisons.every((c) => c.holds === 'inside')) {
    return `every 95% interval lies inside the claim's bounds, but the support does not survive the correction (p = ${fmtP(p.support)}, ${holm}: ${fmtP(p.supportHolm)} > ${alpha})`;
  }
  const outside = e.comparisons.filter((c) => c.holds === 'outside').sort((a, b) => a.pRefute - b.pRefute)[0];
  return `${comparisonText(outside)}: 95% interval ${intervalText(outside)} is outside the claim's ratio ${boundsText(outside.bounds)}, but the refutation does not survive the correction (p = ${fmtP(p.refute)}, ${holm}: ${fmtP(p.refuteHolm)} > ${alpha})`;
}

function notRunReason(e: Examined): string {
  if (e.missing.platforms.length === 0 && e.missing.measures.length > 0) {
    const notInExperiment = e.missing.measures.every((m) => m.reason === 'not in this experiment');
    if (notInExperiment) return `not in this experiment (needs ${[...new Set(e.missing.measures.map((m) => m.workload))].join(' or ')})`;
    return e.missing.measures.map((m) => `${measureText(m)}: ${m.reason}`).join('; ');
  }
  const byReason = new Map<string, string[]>();
  for (const m of e.missing.platforms) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), m.platform]);
  return `nothing to compare here: ${[...byReason].map(([reason, ps]) => `${ps.join(', ')}: ${reason}`).join('; ')}`;
}

function partialText(e: Examined): string {
  const parts: string[] = [];
  if (e.missing.platforms.length > 0) parts.push(`${e.missing.platforms.length} of the ${e.namedPlatforms} platforms the test names`);
  if (e.missing.measures.length > 0) parts.push(`${e.missing.measures.length} of its ${e.measures} measures`);
  return `${parts.join(' and ')} did not run here`;
}

// ---- words ----

function describeTest(t: ClaimTest): string {
  switch (t.kind) {
    case 'ratio-range':
    case 'equivalence':
      return `${conditionText(conditionsOf(t)[0], t.platforms)}`;
    case 'relation':
      return t.conditions.map((c) => `${c.label}: ${conditionText(c, c.platforms)}`).join('; and ');
    case 'ordering':
      return `${t.chain.map((g) => g.join(' | ')).join(', then ')} (best first${t.factor > 1 ? `, each by at least ${t.factor}x` : ''}; better follows each metric's direction) on ${measuresText(t.measures)}`;
    case 'caveat':
      return 'printed, not tested';
  }
}

function conditionText(c: RatioCondition, platforms: string[]): string {
  const network = c.network ? ` (instances on network '${c.network}' only)` : '';
  return `${platforms.join(', ')}${network}: ratio to ${c.reference.join(' or ')} ${boundsText(c)} on ${measuresText(c.measures)}`;
}

function boundsText(b: Bounds): string {
  if (b.low !== undefined && b.high !== undefined) return `in [${fmt(b.low)}, ${fmt(b.high)}]`;
  if (b.low !== undefined) return `>= ${fmt(b.low)}`;
  return `<= ${fmt(b.high!)}`;
}

const measureText = (m: Measure) => `${m.workload}${m.job === 'default' ? '' : `/${m.job}`} ${m.metric}`;
const measuresText = (ms: Measure[]) => ms.map(measureText).join(', ');

function comparisonText(c: ClaimComparison): string {
  const params = c.params ? ` ${stableStringify(c.params, 0)}` : '';
  return `${c.platform} / ${c.reference} on ${measureText(c)}${params}`;
}

const intervalText = (c: ClaimComparison) => `[${fmt(c.interval!.low)}, ${fmt(c.interval!.high)}]`;

/** three significant digits, the same on every machine */
const fmt = (x: number) => String(Number(x.toPrecision(3)));

const fmtP = (p: number) => (p === 0 ? '0' : p < 0.001 ? p.toExponential(1) : fmt(p));
