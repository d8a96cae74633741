// The paper's claims against one run's analysis: clauses, comparisons, p-values, Holm's correction, a verdict each (docs/CLAIMS.md).
import { platforms } from '../platforms/index.ts';
import { boundTest, logContrast, logRatio, ratioInterval, untestable, contrastProblem, type Side, type Term } from '../stats/ratio.ts';
import { CLAIMS_ALPHA, MAX_NEEDED_PER_SIDE, neededPerSide } from '../stats/sequential.ts';
import { baseJob } from '../experiment/plan.ts';
import type { LookDecision } from '../rundir/budget-log.ts';
import { stableStringify } from '../stats/stable-json.ts';
import type {
  Analysis, ClaimComparison, ClaimEvaluation, ClaimVerdict, ClauseOutcome, Environment, MetricSummary, NotRun, PlatformRecord,
} from '../types.ts';
import { holmAdjust } from './holm.ts';
import { nothingToCompareWords, settingsWords } from './words.ts';
import type { Claim, ClaimTest, Contrast, LoadedClaims, Measure, RatioCondition, Selector } from './load.ts';

export { CLAIMS_ALPHA };

/** a cell that lost more than this share of its instances (failed, timed out, skipped) cannot support 'reproduced' */
export const MAX_LOST_SHARE = 1 / 5;

export const TEST_METHOD = 'Welch t-tests on the log ratio of the means of instance means (delta method; each mean\'s standard error at least the metric\'s resolution), one-sided at α/2 per bound so that they agree with the 95% intervals';

// the paper ran these on KVM: software emulation (qemu-tcg) never stands in for them
const KVM_PLATFORMS = new Set(platforms.filter((p) => p.virtualization === 'hardware').map((p) => p.id));

type Bounds = { low?: number; high?: number };
type Check = { support: number; refute: number };

interface Context {
  analysis: Analysis;
  records: Map<string, PlatformRecord>;
  notRun: Map<string, string>;
  /** workloads that appear in the run at all (values or failures) */
  workloads: Set<string>;
  paramDefaults: Record<string, Record<string, unknown>>;
  /** 'workload\0param' for the parameters whose value differs between the run's cells of that workload */
  varying: Set<string>;
}

/** One clause examined: its comparisons and the checks (bound tests) behind them. */
interface Clause {
  label: string;
  kind: ClauseOutcome['kind'];
  isolates?: string;
  comparisons: ClaimComparison[];
  checks: Check[];
  /** per comparison, its checks (same order as comparisons) */
  perComparison: Check[][];
  platforms: string[];
  /** why the clause cannot be tested at all (a cause without a contrast) */
  absent?: string;
  /** an ordering's link implied by transitivity across groups that did not run */
  impliedAcross?: string[];
  /** measures the clause needs that gave its subject nothing, while others did: each is a part of the clause not run */
  gaps: { measure: Measure; why: string }[];
}

/** One claim examined, before the family-wide correction. */
interface Examined {
  claim: Claim;
  description: string;
  clauses: Clause[];
  comparisons: ClaimComparison[];
  missing: ClaimVerdict['missing'];
  /** the summaries the comparisons rest on */
  cells: MetricSummary[];
  varying: ReadonlySet<string>;
}

/** What a budgeted run's looks decided (logs/budget.jsonl): claims decided at a look keep that verdict; the rest are judged at the level left. */
export interface SequentialRecord {
  looks: number;
  finalLevel: number;
  decided: Map<string, LookDecision>;
}

export const SEQUENTIAL_RULE = 'group-sequential looks at the claims over the budget\'s time, Pocock-type alpha spending α(t) = α·ln(1 + (e−1)·t), each look at its increment (Bonferroni over looks)';

export function evaluateClaims(analysis: Analysis, env: Environment, loaded: LoadedClaims, alpha = CLAIMS_ALPHA, sequential?: SequentialRecord): ClaimEvaluation {
  const ctx: Context = {
    analysis,
    records: new Map(env.platforms.map((p) => [p.id, p])),
    notRun: new Map(analysis.notRun.map((n) => [n.platform, n.reason])),
    workloads: new Set([...analysis.summaries.map((s) => s.workload), ...analysis.failures.map((f) => f.workload)]),
    paramDefaults: loaded.paramDefaults ?? {},
    varying: varyingParams(analysis.summaries),
  };
  const examined = loaded.claims.map((c) => examine(c, ctx));

  // the family: every claim with at least one testable comparison (caveats, claims that did not run and untestable ones are out)
  const tested = examined.map((e, i) => (isTested(e) ? i : -1)).filter((i) => i >= 0);
  const support = tested.map((i) => claimSupport(examined[i]));
  const refute = tested.map((i) => claimRefute(examined[i]));
  const supportHolm = holmAdjust(support);
  const refuteHolm = holmAdjust(refute);
  const p = new Map(tested.map((i, k) => [i, { support: support[k], refute: refute[k], supportHolm: supportHolm[k], refuteHolm: refuteHolm[k] }]));

  // a budgeted run spent part of α at its interim looks: what is not decided there is judged at the level left
  const level = sequential ? sequential.finalLevel : alpha;
  // the need is for a run that tests at α over Holm's worst case (α/m), not at what this run's looks left over
  const need = (v: ClaimVerdict) => withNeed(v, alpha, Math.max(1, tested.length));
  const verdicts = examined.map((e, i) => decide(e, p.get(i), level, tested.length, ctx))
    .map((v, i) => (sequential ? decidedAtLook(v, sequential, lostText(examined[i].cells).tooMany) : v))
    // a look's decision the full data overruled leaves the claim undecided: it still says what it needs
    .map((v) => (v.decidedAt && v.verdict === v.decidedAt.state ? v : need(v)));
  return {
    correction: correctionText(tested.length, alpha) + (sequential ? `; ${SEQUENTIAL_RULE}: ${sequential.looks} look(s), the last at level ${fmtP(sequential.finalLevel)}` : ''),
    alpha,
    ...(sequential ? { sequential: { looks: sequential.looks, finalLevel: sequential.finalLevel, rule: SEQUENTIAL_RULE } } : {}),
    file: loaded.file,
    sha256: loaded.sha256,
    verdicts,
  };
}

/**
 * A claim an interim look decided keeps that decision (the look's level was spent on it), even when later instances of
 * shared cells moved it; the reason says so and what every instance of the run says. Two exceptions, where the full data
 * take back what the look could not know: the claim is now partly tested, or its cells lost too many instances to support
 * 'reproduced' (issue 12's rules). When the full data decide the other way, that decision stands and the reason says both.
 */
function decidedAtLook(v: ClaimVerdict, seq: SequentialRecord, lostTooMany: string | null): ClaimVerdict {
  const d = seq.decided.get(v.id);
  if (!d) return v;
  const at = { look: d.look, fraction: d.fraction, level: d.level, state: d.state };
  const said = `${d.state} at look ${d.look} of the budget (${Math.round(d.fraction * 100)}% of its time): ${d.why}`;
  if (v.verdict === d.state || (v.verdict === 'inconclusive' && !(d.state === 'reproduced' && lostTooMany))) {
    return { ...v, verdict: d.state, decidedAt: at, reason: `decided ${said}; with every instance of the run: ${v.reason}` };
  }
  const now = v.verdict === 'inconclusive' ? `inconclusive (${lostTooMany})` : v.verdict;
  return { ...v, decidedAt: at, reason: `${said}; with every instance of the run the claim is ${now}, which stands: ${v.reason}` };
}

/** the terms of a comparison's log ratio (a ratio, or a ratio of ratios) */
function termsOf(c: ClaimComparison): Term[] {
  if (c.contrast) return contrastTerms(c.contrast);
  const side = (st: ClaimComparison['platformStats']) => ({ mean: st.mean, sd: st.sd, n: st.n, resolution: st.resolution ?? null });
  return [{ side: side(c.platformStats), sign: 1 }, { side: side(c.referenceStats), sign: -1 }];
}

/** the bound nearest to a comparison's ratio (on the log scale): the one more instances decide against */
export function nearestBound(c: ClaimComparison): number | null {
  if (c.ratio === null || !(c.ratio > 0)) return null;
  const bounds = [c.bounds.low, c.bounds.high].filter((b): b is number => b !== undefined);
  if (bounds.length === 0) return null;
  return bounds.reduce((a, b) => (Math.abs(Math.log(c.ratio! / b)) < Math.abs(Math.log(c.ratio! / a)) ? b : a));
}

/**
 * An undecided claim says how many instances per side would have decided it: the largest need among its comparisons the
 * level (over Holm's worst case for the family) has not decided, from the observed spread and the distance to the bound.
 * A need beyond MAX_NEEDED_PER_SIDE is no plan (the ratio sits on or next to its bound): the reason says so, with no number.
 */
function withNeed(v: ClaimVerdict, level: number, family: number): ClaimVerdict {
  if (v.verdict !== 'inconclusive' && v.verdict !== 'partly tested') return v;
  const open = v.comparisons.filter((c) => c.holds !== 'untestable' && Math.min(c.pSupport, c.pRefute) > level / family);
  const needs = open.map((c) => {
    const bound = nearestBound(c);
    return { c, bound, n: bound === null ? Infinity : neededPerSide(termsOf(c), bound, level / family) };
  });
  if (needs.length === 0) return v;
  const worst = needs.reduce((a, b) => (b.n > a.n ? b : a));
  if (!(worst.n <= MAX_NEEDED_PER_SIDE)) {
    const where = worst.bound !== null && worst.c.ratio !== null ? ` (${worst.c.platform} / ${worst.c.reference}: ratio ${fmtRatio(worst.c.ratio)} against ${worst.bound})` : '';
    return { ...v, reason: `${v.reason}; a ratio sits on or next to its bound${where}: no practical number of instances would decide it (more than ${MAX_NEEDED_PER_SIDE} per side)` };
  }
  // more instances decide only what was tested: a partly tested claim stays partly tested
  const what = v.verdict === 'partly tested' ? 'its tested part would need' : 'would need';
  return { ...v, neededPerSide: worst.n, reason: `${v.reason}; ${what} about ${worst.n} instances per side (from the observed spread and the distance to the bound, for 80% power at α = ${fmtP(level)} over ${family} claim${family === 1 ? '' : 's'}, Holm's worst case)` };
}

/** the parameters that tell a workload's cells apart: the ones a reason must name (a sweep's threads, fio's fileSystem) */
function varyingParams(summaries: readonly MetricSummary[]): Set<string> {
  const keys = new Map<string, Set<string>>();
  for (const s of summaries) for (const k of Object.keys(s.params ?? {})) keys.set(s.workload, (keys.get(s.workload) ?? new Set()).add(k));
  const values = new Map<string, Set<string>>();
  for (const s of summaries) {
    for (const k of keys.get(s.workload) ?? []) {
      const key = `${s.workload}\u0000${k}`;
      values.set(key, (values.get(key) ?? new Set()).add(stableStringify(s.params?.[k] ?? null, 0)));
    }
  }
  return new Set([...values].filter(([, v]) => v.size > 1).map(([k]) => k));
}

const fmtRatio = (r: number) => String(Number(r.toPrecision(3)));

export function correctionText(m: number, alpha: number): string {
  if (m === 0) return `Holm step-down at α = ${alpha}: no claim had a testable comparison in this run, so there is nothing to correct`;
  return `Holm step-down over the ${m} claim${m === 1 ? '' : 's'} with a testable comparison at α = ${alpha} (family-wise error rate), applied to the support and to the refutation p-values; `
    + `p-values from ${TEST_METHOD}; within a claim, support is the largest p of its bound checks (intersection-union; for 'most', the partial-conjunction p) `
    + `and refutation the smallest clause p times the number of clauses (Bonferroni)`;
}

// ---- examining one claim ----

function examine(claim: Claim, ctx: Context): Examined {
  const clauses: Clause[] = [];
  const t = claim.test;
  const measures: Measure[] = [];
  const named: string[] = [];
  const networkOf = new Map<string, string>();
  const name = (ps: readonly string[], network?: string) => {
    for (const p of ps) {
      if (!named.includes(p)) named.push(p);
      if (network && !networkOf.has(p)) networkOf.set(p, network);
    }
  };
  const measure = (ms: readonly Measure[]) => {
    for (const m of ms) if (!measures.some((x) => sameMeasure(x, m))) measures.push(m);
  };
  const cells: MetricSummary[] = [];
  const rest = (...ss: MetricSummary[]) => { for (const s of ss) if (!cells.includes(s)) cells.push(s); };

  for (const c of conditionsOf(t)) {
    if (c.peak) {
      name(c.platforms);
      measure(c.measures);
      const clause = newClause(c.label, 'condition', [...c.platforms]);
      const found = peaks(ctx, c, c.peak);
      for (const r of found.results) {
        addTo(clause, r.result);
        rest(...r.cells);
      }
      if (clause.comparisons.length === 0 && found.gaps.length > 0) clause.absent = found.gaps.join('; ');
      clause.gaps = measureGaps(ctx, claim, clause, c.measures, undefined, c);
      clauses.push(clause);
      continue;
    }
    name(c.platforms, c.network);
    name(c.reference);
    measure(c.measures);
    const clause = newClause(c.label, 'condition', [...c.platforms, ...c.reference], c.isolates);
    for (const m of c.measures) {
      for (const platform of c.platforms) {
        for (const s of usable(ctx, platform, m, c, c.network)) {
          for (const ref of c.reference) {
            if (ref === platform) continue;
            for (const r of usable(ctx, ref, m, c)) {
              // a merged run: compare only within one host, never across
              if (paramsKey(r) === paramsKey(s) && r.host === s.host) {
                addTo(clause, compare(s, r, { low: c.low, high: c.high }, c.label));
                rest(s, r);
              }
            }
          }
        }
      }
    }
    clause.gaps = measureGaps(ctx, claim, clause, c.measures, c.network, c);
    clauses.push(clause);
  }
  if (t.kind === 'ordering') {
    for (const g of t.chain) name(g);
    measure(t.measures);
    const ran = t.chain.map((g) => t.measures.some((m) => g.some((p) => usable(ctx, p, m, t).length > 0)));
    const better = (n: number) => (n > 1 ? `at least ${fmt(n)}x ` : '');
    const link = (upper: string[], lower: string[], factor: number, label: string, across?: string[][]) => {
      const clause = newClause(label, 'link', [...upper, ...lower]);
      if (across) clause.impliedAcross = across.map((g) => g.join(' | '));
      for (const m of t.measures) {
        for (const a of upper.flatMap((p) => usable(ctx, p, m, t))) {
          for (const b of lower.flatMap((p) => usable(ctx, p, m, t))) {
            if (paramsKey(a) !== paramsKey(b) || a.host !== b.host) continue;
            const bounds = a.better === 'higher' ? { low: factor } : { high: 1 / factor };
            addTo(clause, compare(a, b, bounds, `${a.platform} ${better(factor)}better than ${b.platform}${across ? ' (implied)' : ''}`));
            rest(a, b);
          }
        }
      }
      clause.gaps = measureGaps(ctx, claim, clause, t.measures, undefined, t);
      clauses.push(clause);
    };
    // each link between neighbours is its own clause; a group that did not run leaves both its links not run (the claim is about it)
    for (let i = 0; i + 1 < t.chain.length; i++) {
      link(t.chain[i], t.chain[i + 1], t.factor, `${t.chain[i].join(' | ')} ${better(t.factor)}better than ${t.chain[i + 1].join(' | ')}`);
      // after the last link around missing groups: the groups that ran on both sides are ordered by transitivity, tested as a clause of its own
      const j = i + 1;
      if (!ran[j] || j < 2 || ran[j - 1]) continue;
      let k = j - 1;
      while (k >= 0 && !ran[k]) k--;
      if (k < 0) continue;
      const across = t.chain.slice(k + 1, j);
      // a link that names none of the claim's subject says nothing about it (startup-firecracker without Firecracker)
      if (!(claim.subject?.entries ?? []).some((entry) => entry.some((p) => t.chain[k].includes(p) || t.chain[j].includes(p)))) continue;
      const factor = t.factor ** (j - k);
      link(t.chain[k], t.chain[j], factor, `${t.chain[k].join(' | ')} ${better(factor)}better than ${t.chain[j].join(' | ')}, implied across ${across.map((g) => g.join(' | ')).join(', ')} (did not run)`, across);
    }
  }
  if (claim.cause) {
    const k = claim.cause.contrast;
    const clause = newClause(claim.cause.label, 'cause', k ? [...k.platforms, ...(k.reference ?? [])] : [], claim.cause.isolates);
    if (k) {
      name(k.platforms);
      name(k.reference ?? []);
      measure(k.measures);
      for (const r of contrasts(ctx, k, claim.cause.label)) {
        addTo(clause, r.result);
        rest(...r.cells);
      }
      clause.gaps = measureGaps(ctx, claim, clause, k.measures, undefined, k.with);
    } else {
      clause.absent = `no experiment in isobench isolates ${claim.cause.isolates}`;
    }
    clauses.push(clause);
  }

  const comparisons = clauses.flatMap((c) => c.comparisons);
  const missingMeasures = measures
    .filter((m) => !present(ctx, m))
    .map((m) => ({ ...m, reason: ctx.workloads.has(m.workload) ? `no '${m.metric}' value in this run${m.job === 'default' ? '' : ` (job ${m.job})`}` : 'not in this experiment' }));
  const presentMeasures = measures.filter((m) => present(ctx, m));
  const used = new Set(comparisons.flatMap((c) => [c.platform, c.reference]));
  const missingPlatforms: NotRun[] = presentMeasures.length === 0 ? [] : named
    .filter((p) => !used.has(p))
    .map((p) => ({ platform: p, reason: absenceReason(ctx, p, presentMeasures, networkOf.get(p), selectorFor(claim, p)) }));

  return {
    claim,
    description: describeClaim(claim),
    clauses,
    comparisons,
    missing: { platforms: missingPlatforms, measures: missingMeasures },
    cells,
    varying: ctx.varying,
  };
}

/**
 * The measures a clause needs on which its subject gave nothing, when it gave something on others (gVisor's netstack P90 for
 * TCP but none for UDP): each is a part of the clause that did not run, so the claim is never decided on the rest.
 */
function measureGaps(ctx: Context, claim: Claim, clause: Clause, ms: readonly Measure[], network: string | undefined, sel: Selector): Clause['gaps'] {
  const subject = (claim.subject?.entries ?? []).flat().filter((p) => clause.platforms.includes(p));
  if (subject.length === 0 || ms.length < 2) return [];
  const onSubject = (c: ClaimComparison) => subject.some((p) => c.platform === p || c.reference === p || (c.contrast ?? []).some((x) => x.platform === p));
  const covered = (m: Measure) => clause.comparisons.some((c) => onSubject(c) && c.workload === m.workload && baseJob(c.job) === m.job && c.metric === m.metric);
  // a clause with nothing on its subject is not run as a whole: its own outcome says so
  if (!ms.some(covered)) return [];
  // a workload not in the experiment at all is a measure the verdict's coverage calls partial, not a gap in a clause that ran
  return ms.filter((m) => !covered(m) && ctx.workloads.has(m.workload)).map((m) => {
    if (!present(ctx, m)) return { measure: m, why: `no '${m.metric}' value${m.job === 'default' ? '' : ` of job ${m.job}`} in this run` };
    const byReason = new Map<string, string[]>();
    for (const p of subject) {
      const why = absenceReason(ctx, p, [m], network, sel.params || sel.options?.[p] ? sel : undefined);
      byReason.set(why, [...(byReason.get(why) ?? []), p]);
    }
    return { measure: m, why: [...byReason].map(([why, ps]) => `${ps.join(', ')}: ${why}`).join('; ') };
  });
}

function newClause(label: string, kind: ClauseOutcome['kind'], platforms: string[], isolates?: string): Clause {
  return { label, kind, ...(isolates ? { isolates } : {}), comparisons: [], checks: [], perComparison: [], platforms, gaps: [] };
}

function addTo(clause: Clause, r: { comparison: ClaimComparison; checks: Check[] }): void {
  clause.comparisons.push(r.comparison);
  clause.checks.push(...r.checks);
  clause.perComparison.push(r.checks);
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

/** the selector that applies to a platform in a claim (for the reason a platform's cells did not count) */
function selectorFor(claim: Claim, platform: string): Selector | undefined {
  const t = claim.test;
  const sels: Selector[] = t.kind === 'relation' ? t.conditions : t.kind === 'caveat' ? [] : [t];
  return sels.find((s) => s.options?.[platform] || s.params);
}

/**
 * The summaries that may stand for `platform` on `m`: never an emulated one, only with the required network,
 * and only cells whose parameters and platform options match the selector.
 */
function usable(ctx: Context, platform: string, m: Measure, sel: Selector = {}, network?: string): MetricSummary[] {
  return ctx.analysis.summaries.filter((s) => s.platform === platform && matches(s, m) && !emulated(ctx, s)
    && (!network || s.network === network) && selected(ctx, s, sel));
}

function selected(ctx: Context, s: MetricSummary, sel: Selector): boolean {
  const defaults = ctx.paramDefaults[s.workload] ?? {};
  for (const [k, v] of Object.entries(sel.params ?? {})) {
    const have = s.params && k in s.params ? s.params[k] : defaults[k];
    if (have !== v) return false;
  }
  for (const [k, v] of Object.entries(sel.options?.[s.platform] ?? {})) {
    if ((s.platformOptions ?? {})[k] !== v) return false;
  }
  return true;
}

function emulated(ctx: Context, s: MetricSummary): boolean {
  return s.emulated === true || ctx.records.get(s.platform)?.emulated === true;
}

// a swept cell ('threads=10') stands for its job; the ordering then compares equal parameters only
const matches = (s: MetricSummary, m: Measure) => s.workload === m.workload && baseJob(s.job) === m.job && s.metric === m.metric;
const sameMeasure = (a: Measure, b: Measure) => a.workload === b.workload && a.job === b.job && a.metric === b.metric;
const present = (ctx: Context, m: Measure) => ctx.analysis.summaries.some((s) => matches(s, m));
const paramsKey = (s: MetricSummary) => stableStringify(s.params ?? {}, 0);
/** the parameters without the ones a selector fixes: the two sides of a contrast differ in exactly those */
const paramsKeyWithout = (s: MetricSummary, keys: string[]) => stableStringify(Object.fromEntries(Object.entries(s.params ?? {}).filter(([k]) => !keys.includes(k))), 0);

const sideOf = (s: MetricSummary): Side => ({ mean: s.mean, sd: s.sd, n: s.n, resolution: s.resolution?.value ?? null });
const stats = (s: MetricSummary) => ({ mean: s.mean, sd: s.sd, n: s.n, ...(s.resolution?.value ? { resolution: s.resolution.value } : {}) });

function compare(s: MetricSummary, r: MetricSummary, bounds: Bounds, condition: string): { comparison: ClaimComparison; checks: Check[] } {
  const a = sideOf(s);
  const b = sideOf(r);
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
    ...(Object.keys(s.platformOptions ?? {}).length > 0 ? { platformOptions: s.platformOptions } : {}),
    platformStats: stats(s),
    referenceStats: stats(r),
    ratio: Number.isFinite(ratio) ? ratio : null,
    bounds: { ...(bounds.low !== undefined ? { low: bounds.low } : {}), ...(bounds.high !== undefined ? { high: bounds.high } : {}) },
    ...(r.platform === 'native' && s.ratioToNative ? { ratioToNative: s.ratioToNative } : {}),
  };
  const problem = untestable(a, b);
  if (problem) {
    return { comparison: { ...base, interval: null, df: null, holds: 'untestable', pSupport: 1, pRefute: 1, problem }, checks: [] };
  }
  return judged(base, logRatio(a, b), bounds);
}

function judged<T extends object>(base: T, lr: ReturnType<typeof logRatio>, bounds: Bounds): { comparison: T & Omit<ClaimComparison, keyof T>; checks: Check[] } {
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
    } as T & Omit<ClaimComparison, keyof T>,
    checks,
  };
}

/**
 * A sweep's peak: per platform (and host and other parameters), its cell at `at` of the swept parameter, or the nearest
 * swept value, over its own cell at every other swept value. A sweep that does not reach `at` on both sides, or has it
 * exactly halfway between two values, cannot say where the peak is: that is a gap, with the reason.
 */
function peaks(ctx: Context, c: RatioCondition, peak: { param: string; at: number }): { results: { result: { comparison: ClaimComparison; checks: Check[] }; cells: MetricSummary[] }[]; gaps: string[] } {
  const results: { result: { comparison: ClaimComparison; checks: Check[] }; cells: MetricSummary[] }[] = [];
  const gaps: string[] = [];
  const bounds = { low: c.low, high: c.high };
  for (const m of c.measures) {
    for (const platform of c.platforms) {
      const groups = new Map<string, MetricSummary[]>();
      for (const s of usable(ctx, platform, m, c).filter((x) => typeof x.params?.[peak.param] === 'number')) {
        const key = `${s.host ?? ''}\u0000${paramsKeyWithout(s, [peak.param])}`;
        groups.set(key, [...(groups.get(key) ?? []), s]);
      }
      for (const cells of groups.values()) {
        const at = (s: MetricSummary) => s.params[peak.param] as number;
        const values = [...new Set(cells.map(at))].sort((a, b) => a - b);
        const swept = `${platform}'s sweep of ${peak.param} (${values.join(', ')})`;
        if (values.length < 2) { gaps.push(`${swept} has one value only`); continue; }
        if (values[0] > peak.at || values[values.length - 1] < peak.at) { gaps.push(`${swept} does not reach ${peak.at}`); continue; }
        const below = Math.max(...values.filter((v) => v <= peak.at));
        const above = Math.min(...values.filter((v) => v >= peak.at));
        if (below !== above && peak.at - below === above - peak.at) { gaps.push(`${peak.at} lies halfway between ${below} and ${above} in ${swept}: neither is its nearest`); continue; }
        const nearest = peak.at - below <= above - peak.at ? below : above;
        for (const s of cells.filter((x) => at(x) === nearest)) {
          for (const r of cells.filter((x) => at(x) !== nearest)) {
            const { comparison, checks } = compare(s, r, bounds, c.label);
            const { ratioToNative: _own, ...rest } = comparison;
            results.push({ result: { comparison: { ...rest, reference: `${r.platform} at ${peak.param}=${at(r)}` }, checks }, cells: [s, r] });
          }
        }
      }
    }
  }
  return { results, gaps };
}

/** A cause's contrast: platform[with] / platform[without], or with a reference the ratio of the two ratios to it. */
function contrasts(ctx: Context, k: Contrast, label: string): { result: { comparison: ClaimComparison; checks: Check[] }; cells: MetricSummary[] }[] {
  const out: { result: { comparison: ClaimComparison; checks: Check[] }; cells: MetricSummary[] }[] = [];
  const fixed = [...new Set([...Object.keys(k.with.params ?? {}), ...Object.keys(k.without.params ?? {})])];
  const same = (a: MetricSummary, b: MetricSummary) => a.host === b.host && paramsKeyWithout(a, fixed) === paramsKeyWithout(b, fixed);
  const bounds = { low: k.low, high: k.high };
  for (const m of k.measures) {
    for (const platform of k.platforms) {
      for (const w of usable(ctx, platform, m, k.with)) {
        for (const wo of usable(ctx, platform, m, k.without).filter((x) => x !== w && same(w, x))) {
          const refs = k.reference ?? [];
          if (refs.length === 0) {
            out.push({ result: contrastResult(label, w, wo, null, null, bounds), cells: [w, wo] });
            continue;
          }
          for (const ref of refs) {
            for (const rw of usable(ctx, ref, m, k.with).filter((x) => same(w, x) && paramsKey(x) === paramsKey(w))) {
              for (const rwo of usable(ctx, ref, m, k.without).filter((x) => same(w, x) && paramsKey(x) === paramsKey(wo))) {
                out.push({ result: contrastResult(label, w, wo, rw, rwo, bounds), cells: [w, rw, wo, rwo] });
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** each side's sign in a cause's contrast, a ratio of ratios on the log scale: (with / reference with) / (without / reference without) */
const CONTRAST_SIGN: Record<ContrastRole, 1 | -1> = { with: 1, 'reference with': -1, without: -1, 'reference without': 1 };
type ContrastRole = 'with' | 'reference with' | 'without' | 'reference without';

/** a contrast's sides as the terms of its log ratio (the budget planner's too, src/claims/looks.ts) */
export function contrastTerms(contrast: NonNullable<ClaimComparison['contrast']>): { side: Side & { cell: string }; sign: 1 | -1 }[] {
  return contrast.map((s) => ({ side: { cell: s.cell, mean: s.mean, sd: s.sd, n: s.n, resolution: s.resolution ?? null }, sign: CONTRAST_SIGN[s.role as ContrastRole] ?? 1 }));
}

function contrastResult(label: string, w: MetricSummary, wo: MetricSummary, rw: MetricSummary | null, rwo: MetricSummary | null, bounds: Bounds): { comparison: ClaimComparison; checks: Check[] } {
  const cellText = (s: MetricSummary) => `${s.platform}${describeSelection(s)}`;
  const sides = [w, rw, wo, rwo].filter((s): s is MetricSummary => s !== null);
  const roles: ContrastRole[] = rw && rwo ? ['with', 'reference with', 'without', 'reference without'] : ['with', 'without'];
  const terms: Term[] = sides.map((s, i) => ({ side: sideOf(s), sign: CONTRAST_SIGN[roles[i]] }));
  const ratio = rw && rwo ? (w.mean / rw.mean) / (wo.mean / rwo.mean) : w.mean / wo.mean;
  const base = {
    condition: label,
    workload: w.workload,
    job: w.job,
    metric: w.metric,
    unit: w.unit,
    better: w.better,
    ...(w.params && Object.keys(w.params).length > 0 ? { params: w.params } : {}),
    platform: cellText(w),
    reference: rw && rwo ? `${cellText(wo)}, each / ${rw.platform}` : cellText(wo),
    platformStats: stats(w),
    referenceStats: stats(wo),
    contrast: sides.map((s, i) => ({ role: roles[i], platform: s.platform, cell: s.cell, ...stats(s) })),
    ratio: Number.isFinite(ratio) ? ratio : null,
    bounds: { ...(bounds.low !== undefined ? { low: bounds.low } : {}), ...(bounds.high !== undefined ? { high: bounds.high } : {}) },
  };
  const problem = contrastProblem(terms, roles);
  if (problem) return { comparison: { ...base, interval: null, df: null, holds: 'untestable', pSupport: 1, pRefute: 1, problem }, checks: [] };
  return judged(base, logContrast(terms), bounds);
}

/** ' {fileSystem: memory}, network sandbox': what selects a cell, in words */
function describeSelection(s: MetricSummary): string {
  const opts = Object.entries(s.platformOptions ?? {}).filter(([k]) => k === 'network').map(([k, v]) => `${k} ${String(v)}`);
  const params = Object.entries(s.params ?? {}).filter(([k]) => k === 'fileSystem').map(([k, v]) => `${k} ${String(v)}`);
  const all = [...params, ...opts];
  return all.length ? ` (${all.join(', ')})` : '';
}

// ---- clauses and the subject ----

/** the subject entries a clause names (an entry is one platform of the paper with its alternatives) */
function entriesOf(e: Examined, clause: Clause): string[][] {
  return (e.claim.subject?.entries ?? []).filter((entry) => entry.some((p) => clause.platforms.includes(p)));
}

const entryName = (entry: string[]) => (entry.length === 1 ? entry[0] : entry.join(' or '));

/** the clause's outcome on the subject, from its 95% intervals; complete: the subject was covered as the quantifier needs */
function clauseOutcome(e: Examined, clause: Clause): ClauseOutcome & { complete: boolean; supportP: number; refuteP: number } {
  const testable = clause.comparisons.map((c, i) => ({ c, checks: clause.perComparison[i] })).filter((x) => x.c.holds !== 'untestable');
  const entries = entriesOf(e, clause);
  const involves = (c: ClaimComparison, entry: string[]) => entry.some((p) => c.platform === p || c.reference === p || (c.contrast ?? []).some((s) => s.platform === p));
  const perEntry = entries.map((entry) => {
    const mine = testable.filter((x) => involves(x.c, entry));
    const checks = mine.flatMap((x) => x.checks);
    return {
      entry,
      tested: mine.length > 0,
      holds: mine.length > 0 && mine.every((x) => x.c.holds === 'inside'),
      fails: mine.some((x) => x.c.holds === 'outside'),
      support: mine.length > 0 ? Math.max(...checks.map((c) => c.support)) : 1,
      refute: checks.length > 0 ? Math.min(1, checks.length * Math.min(...checks.map((c) => c.refute))) : 1,
    };
  });
  const testedOn = perEntry.filter((x) => x.tested).map((x) => x.entry.filter((p) => testable.some((t) => involves(t.c, [p]))).join(', '));
  const notTested = perEntry.filter((x) => !x.tested).map((x) => x.entry);
  const base = {
    label: clause.label,
    kind: clause.kind,
    ...(clause.isolates ? { isolates: clause.isolates } : {}),
    ...(clause.impliedAcross ? { impliedAcross: clause.impliedAcross } : {}),
    comparisons: clause.comparisons.length,
    subjectTested: testedOn,
    subjectMissing: notTested.map(entryName),
  };
  const missingWhy = (entries: string[][]) => entries.map((entry) => `${entryName(entry)}: ${entryAbsence(e, entry, clause)}`).join('; ');
  const allChecks = testable.flatMap((x) => x.checks);
  const iutSupport = allChecks.length > 0 && testable.length === clause.comparisons.length ? Math.max(...allChecks.map((c) => c.support)) : 1;
  const bonfRefute = allChecks.length > 0 ? Math.min(1, allChecks.length * Math.min(...allChecks.map((c) => c.refute))) : 1;

  if (testedOn.length === 0) {
    const untestable = clause.comparisons.find((c) => c.holds === 'untestable');
    if (untestable) return { ...base, outcome: 'inconclusive', why: `${comparisonText(untestable, e.varying)}: ${untestable.problem}`, complete: false, supportP: 1, refuteP: 1 };
    const why = clause.absent ?? (notTested.length ? missingWhy(notTested) : 'nothing it names ran here');
    return { ...base, outcome: 'not run', why, complete: false, supportP: 1, refuteP: 1 };
  }

  const subject = e.claim.subject!;
  if (subject.quantifier === 'most') {
    const n = perEntry.length;
    const need = Math.floor(subject.share * n) + 1;
    const held = perEntry.filter((x) => x.holds).length;
    const failed = perEntry.filter((x) => x.fails).length;
    // partial conjunction (Benjamini & Heller): 'at least `need` of n hold' is as supported as the need-th smallest p times (n - need + 1)
    const sup = perEntry.map((x) => x.support).sort((a, b) => a - b);
    const ref = perEntry.map((x) => x.refute).sort((a, b) => a - b);
    const supportP = Math.min(1, (n - need + 1) * sup[need - 1]);
    const refuteP = Math.min(1, need * ref[n - need]);
    const share = `${held} of the ${n} subject platforms held, ${failed} did not; 'most' needs more than ${subject.share * 100}% (${need})`;
    if (held >= need) return { ...base, outcome: 'held', why: share, complete: true, supportP, refuteP };
    if (failed > n - need) return { ...base, outcome: 'did not hold', why: share, complete: true, supportP, refuteP };
    const complete = notTested.length === 0 || held + notTested.length < need;
    return { ...base, outcome: 'inconclusive', why: `${share}${notTested.length ? `; not run: ${missingWhy(notTested)}` : ''}`, complete, supportP, refuteP };
  }

  const outside = testable.filter((x) => x.c.holds === 'outside').sort((a, b) => a.c.pRefute - b.c.pRefute)[0]?.c;
  const straddles = testable.filter((x) => x.c.holds === 'straddles').sort((a, b) => b.c.pSupport - a.c.pSupport)[0]?.c;
  const untested = clause.comparisons.find((c) => c.holds === 'untestable');
  const gap = notTested.length ? `; not run on ${missingWhy(notTested)}` : '';
  // 'all': one counterexample is enough against the clause, but holding needs every subject entry it names
  if (outside) return { ...base, outcome: 'did not hold', why: `${comparisonText(outside, e.varying)}: ${intervalWords(outside)} is outside ${boundsText(outside.bounds)}${gap}`, complete: true, supportP: iutSupport, refuteP: bonfRefute };
  const complete = notTested.length === 0;
  if (straddles) return { ...base, outcome: 'inconclusive', why: `${comparisonText(straddles, e.varying)}: ${intervalWords(straddles)} straddles ${boundsText(straddles.bounds)}${gap}`, complete, supportP: iutSupport, refuteP: bonfRefute };
  if (untested) return { ...base, outcome: 'inconclusive', why: `${comparisonText(untested, e.varying)}: ${untested.problem}${gap}`, complete, supportP: 1, refuteP: bonfRefute };
  return { ...base, outcome: 'held', why: `every 95% interval (${testable.length}) inside the bounds, on ${testedOn.join(', ')}${gap}`, complete, supportP: iutSupport, refuteP: bonfRefute };
}

/** a measure of a clause that gave its subject nothing: that part of the clause did not run */
function gapOutcome(e: Examined, clause: Clause, gap: Clause['gaps'][number]): ClauseOutcome & { complete: boolean; supportP: number; refuteP: number } {
  return {
    label: `${clause.label}, on ${measureText(gap.measure)}`,
    kind: clause.kind,
    ...(clause.isolates ? { isolates: clause.isolates } : {}),
    outcome: 'not run',
    why: gap.why,
    comparisons: 0,
    subjectTested: [],
    subjectMissing: entriesOf(e, clause).map(entryName),
    complete: false,
    supportP: 1,
    refuteP: 1,
  };
}

/** why no member of a subject entry was tested: the reason of its first named member */
function entryAbsence(e: Examined, entry: string[], clause?: Clause): string {
  const reasons = [...new Set(entry.map((p) => e.missing.platforms.find((m) => m.platform === p)?.reason).filter((r): r is string => !!r))];
  // the entry ran but what the clause compares it with did not: name that, with its reason
  const ranAlone = reasons.length > 0 && reasons.every((r) => r.startsWith('ran, but nothing to compare'));
  const subject = (e.claim.subject?.entries ?? []).flat();
  // a subject platform that did not run is named as its own entry; the others are the clause's references
  const others = (clause?.platforms ?? []).filter((p) => !entry.includes(p) && !subject.includes(p) && !e.comparisons.some((c) => c.platform === p || c.reference === p));
  const othersWhy = others.map((p) => ({ p, why: e.missing.platforms.find((m) => m.platform === p)?.reason })).filter((x): x is { p: string; why: string } => !!x.why && !x.why.startsWith('ran, but'));
  if ((ranAlone || reasons.length === 0) && othersWhy.length > 0 && othersWhy.length === others.length) {
    return `ran, but what this clause compares it with did not: ${othersWhy.map((x) => `${x.p}: ${x.why}`).join('; ')}`;
  }
  if (reasons.length > 0) return reasons.join('; ');
  if (e.missing.measures.length > 0) return e.missing.measures.map((m) => `${measureText(m)}: ${m.reason}`).join('; ');
  return 'ran, but gave nothing this clause can compare';
}

/** in Holm's family: a testable comparison in a clause that tested some of the subject (as decide() reads it, so a 'not run' verdict is never counted) */
function isTested(e: Examined): boolean {
  return e.claim.test.kind !== 'caveat' && e.comparisons.some((c) => c.holds !== 'untestable') && e.clauses.some((c) => clauseOutcome(e, c).outcome !== 'not run');
}

/** the clauses with a testable comparison: a partly tested claim's p-values are about what was tested (it is never 'reproduced') */
const testedClauses = (e: Examined) => e.clauses.filter((c) => c.comparisons.some((x) => x.holds !== 'untestable'));

/** p against "the claim is false": every clause must hold, so the largest clause p (intersection-union) */
function claimSupport(e: Examined): number {
  return Math.max(...testedClauses(e).map((c) => clauseOutcome(e, c).supportP));
}

/** p against "the claim is true": one failed clause refutes it, so the smallest clause p, Bonferroni over the clauses */
function claimRefute(e: Examined): number {
  const ps = testedClauses(e).map((c) => clauseOutcome(e, c).refuteP);
  return Math.min(1, ps.length * Math.min(...ps));
}

/** what a cell ran with for one selector key: its parameter or platform option, else the network it recorded, else unset */
function ranWith(s: MetricSummary, key: string): unknown {
  const own = { ...s.params, ...s.platformOptions }[key];
  if (own !== undefined && own !== null) return own;
  if (key === 'network' && s.network) return `${s.network} (its default)`;
  return null;
}

/** why no platform the claim names gave something to compare, in words a reader can act on */
function absenceReason(ctx: Context, platform: string, measures: Measure[], network?: string, selector?: Selector): string {
  const mine = ctx.analysis.summaries.filter((s) => s.platform === platform && measures.some((m) => matches(s, m)));
  const real = mine.filter((s) => !emulated(ctx, s));
  if (mine.length > 0 && real.length === 0) return `emulated (software emulation): cannot stand in for the paper's ${platform}`;
  if (real.length > 0) {
    if (network && real.every((s) => s.network !== network)) return `ran with network '${real[0].network ?? 'unrecorded'}'; the claim needs '${network}'`;
    if (selector && real.every((s) => !selected(ctx, s, selector))) {
      const want = { ...(selector.params ?? {}), ...(selector.options?.[platform] ?? {}) };
      const keys = Object.keys(want);
      const had = real.map((s) => settingsWords(Object.fromEntries(keys.map((k) => [k, ranWith(s, k)]))));
      return `ran only with ${[...new Set(had)].join('; ')}; the claim rests on ${settingsWords(want)} only (those cells are shown, never decide it)`;
    }
    return 'ran, but nothing to compare with ran here';
  }
  const notRun = ctx.notRun.get(platform);
  if (notRun) return briefly(notRun);
  const record = ctx.records.get(platform);
  if (record?.emulated) return `emulated (software emulation): cannot stand in for the paper's ${platform}`;
  const workloads = [...new Set(measures.map((m) => m.workload))];
  if (record?.requested && record.available) {
    const failure = ctx.analysis.failures.find((f) => f.platform === platform && workloads.includes(f.workload));
    if (failure) return `no value (${failure.status}): ${failure.error}`;
    return `ran, but gave no value for ${workloads.join(', ')}`;
  }
  let reason = 'not in this experiment';
  if (record && !record.available) reason += ` (not available here: ${briefly(record.reason ?? 'no reason recorded')})`;
  if (KVM_PLATFORMS.has(platform)) {
    const emulators = [...new Set(ctx.analysis.summaries.filter((s) => measures.some((m) => matches(s, m)) && emulated(ctx, s)).map((s) => s.platform))];
    if (emulators.length > 0) reason += `; ${emulators.join(', ')} ran under software emulation, which never stands in for a KVM platform`;
  }
  return reason;
}

/** a platform's reason for not running, as a claim repeats it: its first statement (the report's "What was not run" has it whole) */
export function briefly(reason: string): string {
  let first = reason.split(/;\s|(?<!\b(?:e\.g|i\.e|etc))\.\s/)[0].replace(/[.;:]\s*$/, '');
  // a cut inside a parenthesis ends before it
  if ((first.match(/\(/g) ?? []).length > (first.match(/\)/g) ?? []).length) first = first.slice(0, first.lastIndexOf('(')).trimEnd();
  const cut = first.length > 120 ? `${first.slice(0, 119).replace(/\s+\S*$/, '')}…` : first;
  return cut.length < reason.trim().replace(/[.;]\s*$/, '').length ? `${cut} (the whole reason: “What was not run”)` : cut;
}

// ---- the verdict ----

function decide(e: Examined, p: ClaimVerdict['p'], alpha: number, family: number, ctx: Context): ClaimVerdict {
  const { claim } = e;
  const outcomes = e.clauses.flatMap((c) => {
    const o = clauseOutcome(e, c);
    return o.outcome === 'not run' ? [o] : [o, ...c.gaps.map((g) => gapOutcome(e, c, g))];
  });
  const verdict: ClaimVerdict = {
    id: claim.id,
    claim: claim.claim,
    area: claim.area,
    provenance: claim.provenance,
    test: { kind: claim.test.kind, description: e.description },
    verdict: 'not run',
    reason: '',
    ...(claim.subject ? { subject: { platforms: claim.subject.entries.map(entryName), quantifier: claim.subject.quantifier, ...(claim.subject.quantifier === 'most' ? { share: claim.subject.share } : {}) } } : {}),
    clauses: outcomes.map(({ complete: _c, supportP: _s, refuteP: _r, ...o }) => o),
    comparisons: e.comparisons,
    missing: e.missing,
    ...(claim.note ? { note: claim.note } : {}),
    ...(claim.paperValue ? { paperValue: claim.paperValue } : {}),
  };
  if (claim.test.kind === 'caveat') {
    return { ...verdict, verdict: 'caveat', reason: 'a caveat of the paper, printed with the results and not tested' };
  }
  if (e.comparisons.length === 0 || outcomes.every((o) => o.outcome === 'not run')) return { ...verdict, verdict: 'not run', reason: notRunReason(e) };
  const lost = lostText(e.cells);
  if (!p) {
    const why = outcomes.find((o) => o.outcome === 'inconclusive')?.why ?? notRunReason(e);
    return { ...verdict, verdict: 'inconclusive', reason: `no testable comparison: ${why}${lost.text}`, coverage: 'partial' };
  }

  const coverage = e.missing.platforms.length > 0 || e.missing.measures.length > 0 ? 'partial' : 'full';
  const holm = `Holm-adjusted over ${family} claim${family === 1 ? '' : 's'} with a testable comparison`;
  const incomplete = outcomes.filter((o) => !o.complete);
  if (incomplete.length > 0) {
    const effects = outcomes.filter((o) => o.kind !== 'cause');
    const onlyCause = incomplete.every((o) => o.kind === 'cause') && effects.every((o) => o.complete);
    let lead = `${incomplete.length} of ${outcomes.length} clause${outcomes.length === 1 ? '' : 's'} not tested on the claim's subject`;
    if (onlyCause) {
      const effect = effects.every((o) => o.outcome === 'held') && p.supportHolm <= alpha ? 'effect reproduced'
        : effects.some((o) => o.outcome === 'did not hold') ? 'effect not reproduced' : 'effect inconclusive';
      lead = `${effect}, cause not tested (nothing in this run isolates ${incomplete[0].isolates ?? 'the cause'})`;
    }
    return { ...verdict, verdict: 'partly tested', reason: `${lead}: ${clausesText(outcomes)}${lost.text}`, coverage: 'partial', p };
  }

  if (p.supportHolm <= alpha) {
    if (lost.tooMany) {
      return { ...verdict, verdict: 'inconclusive', reason: `every interval agrees with the claim (p = ${fmtP(p.support)}, ${holm}: ${fmtP(p.supportHolm)}), but ${lost.tooMany}, so it cannot support 'reproduced'${lost.text}`, coverage, p };
    }
    const reason = `supported by every comparison (${e.comparisons.length}): p = ${fmtP(p.support)}, ${holm}: ${fmtP(p.supportHolm)} <= ${fmtP(alpha)}; ${clausesText(outcomes)}${lost.text}`;
    return { ...verdict, verdict: 'reproduced', reason, coverage, p };
  }
  if (p.refuteHolm <= alpha) {
    const failed = outcomes.find((o) => o.outcome === 'did not hold');
    const reason = `${failed ? `${failed.label}: ${failed.why}` : 'a clause did not hold'}; p = ${fmtP(p.refute)}, ${holm}: ${fmtP(p.refuteHolm)} <= ${fmtP(alpha)}${lost.text}`;
    return { ...verdict, verdict: 'not reproduced', reason, coverage, p };
  }
  return { ...verdict, verdict: 'inconclusive', reason: `${inconclusiveText(outcomes, p, alpha, holm)}${lost.text}`, coverage, p };
}

function clausesText(outcomes: ClauseOutcome[]): string {
  return outcomes.map((o) => `[${o.outcome}] ${o.label}${o.isolates ? ` (isolates ${o.isolates})` : ''}: ${o.why}`).join('; ');
}

function inconclusiveText(outcomes: ClauseOutcome[], p: NonNullable<ClaimVerdict['p']>, alpha: number, holm: string): string {
  const open = outcomes.find((o) => o.outcome === 'inconclusive');
  if (open) return `${open.label}: ${open.why}`;
  if (outcomes.every((o) => o.outcome === 'held')) {
    return `every 95% interval lies inside the claim's bounds, but the support does not survive the correction (p = ${fmtP(p.support)}, ${holm}: ${fmtP(p.supportHolm)} > ${fmtP(alpha)})`;
  }
  const failed = outcomes.find((o) => o.outcome === 'did not hold');
  return `${failed ? `${failed.label}: ${failed.why}` : 'a clause did not hold'}, but the refutation does not survive the correction (p = ${fmtP(p.refute)}, ${holm}: ${fmtP(p.refuteHolm)} > ${fmtP(alpha)})`;
}

/** the failed, timed-out and skipped instances of the cells a verdict rests on, and whether one lost more than a fifth */
function lostText(cells: MetricSummary[]): { text: string; tooMany: string | null } {
  const seen = new Set<string>();
  const parts: string[] = [];
  let tooMany: string | null = null;
  for (const s of cells) {
    const key = `${s.host ?? ''}/${s.cell}`;
    if (seen.has(key) || !s.lost) continue;
    seen.add(key);
    const { failed, timeout, skipped } = s.lost;
    const lost = failed.length + timeout.length + skipped.length;
    if (lost === 0) continue;
    const what = [
      failed.length ? `failed ${failed.join(', ')}` : '',
      timeout.length ? `timed out ${timeout.join(', ')}` : '',
      skipped.length ? `skipped ${skipped.join(', ')}` : '',
    ].filter(Boolean).join('; ');
    const cell = `${s.platform} ${s.workload}${s.job === 'default' ? '' : `/${s.job}`}${s.host ? ` @ ${s.host}` : ''}`;
    parts.push(`${cell}: instances ${what}`);
    if (!tooMany && lost / (lost + s.n) > MAX_LOST_SHARE) tooMany = `${cell} lost ${lost} of its ${lost + s.n} instances (more than a fifth)`;
  }
  return { text: parts.length ? `; lost instances: ${parts.join('; ')}` : '', tooMany };
}

function notRunReason(e: Examined): string {
  if (e.missing.platforms.length === 0 && e.missing.measures.length > 0) {
    const notInExperiment = e.missing.measures.every((m) => m.reason === 'not in this experiment');
    if (notInExperiment) return `not in this experiment (needs ${[...new Set(e.missing.measures.map((m) => m.workload))].join(' or ')})`;
    return e.missing.measures.map((m) => `${measureText(m)}: ${m.reason}`).join('; ');
  }
  const byReason = new Map<string, string[]>();
  for (const m of e.missing.platforms) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), m.platform]);
  return nothingToCompareWords(e.claim.subject?.entries.map(entryName), [...byReason].map(([why, platforms]) => ({ platforms, why })));
}

// ---- words ----

function describeClaim(c: Claim): string {
  const test = describeTest(c.test);
  if (!c.cause) return test;
  const k = c.cause.contrast;
  if (!k) return `${test}; the cause (${c.cause.label}) is not tested: no experiment isolates ${c.cause.isolates}`;
  const sel = (s: Selector) => settingsWords({ ...(s.params ?? {}), ...Object.assign({}, ...Object.values(s.options ?? {})) });
  const ratio = k.reference ? `(${k.platforms.join(' | ')} / ${k.reference.join(' | ')}) on ${sel(k.with)} divided by the same on ${sel(k.without)}` : `${k.platforms.join(' | ')} on ${sel(k.with)} / on ${sel(k.without)}`;
  return `${test}; and the cause (${c.cause.label}; isolates ${c.cause.isolates}): ${ratio} ${boundsText(k)} on ${measuresText(k.measures)}`;
}

function describeTest(t: ClaimTest): string {
  switch (t.kind) {
    case 'ratio-range':
    case 'equivalence':
      return `${conditionText(conditionsOf(t)[0], t.platforms)}`;
    case 'relation':
      return t.conditions.map((c) => `${c.label}: ${conditionText(c, c.platforms)}`).join('; and ');
    case 'ordering':
      return `${t.chain.map((g) => g.join(' | ')).join(', then ')} (best first${t.factor > 1 ? `, each by at least ${t.factor}x` : ''}; better follows each metric's direction) on ${measuresText(t.measures)}${selectionText(t)}`;
    case 'caveat':
      return 'printed, not tested';
  }
}

function selectionText(s: Selector): string {
  const parts: string[] = [];
  if (s.params && Object.keys(s.params).length) parts.push(`cells with ${settingsWords(s.params)}`);
  for (const [p, o] of Object.entries(s.options ?? {})) parts.push(`${p} with ${settingsWords(o)}`);
  return parts.length ? ` (only ${parts.join(', ')})` : '';
}

function conditionText(c: RatioCondition, platforms: string[]): string {
  if (c.peak) return `${platforms.join(', ')}: each at ${c.peak.param} ${c.peak.at} (or the nearest swept value) over itself at every other swept ${c.peak.param} ${boundsText(c)} on ${measuresText(c.measures)}${selectionText(c)}`;
  const network = c.network ? ` (instances on network '${c.network}' only)` : '';
  return `${platforms.join(', ')}${network}: ratio to ${c.reference.join(' or ')} ${boundsText(c)} on ${measuresText(c.measures)}${selectionText(c)}`;
}

function boundsText(b: Bounds): string {
  if (b.low !== undefined && b.high !== undefined) return `in [${fmt(b.low)}, ${fmt(b.high)}]`;
  if (b.low !== undefined) return `>= ${fmt(b.low)}`;
  return `<= ${fmt(b.high!)}`;
}

const measureText = (m: Measure) => `${m.workload}${m.job === 'default' ? '' : `/${m.job}`} ${m.metric}`;
const measuresText = (ms: Measure[]) => ms.map(measureText).join(', ');

/** "docker-runc / kata-virtiofs on hap functions (threads=110)": only the parameters that tell this run's cells of the workload apart */
function comparisonText(c: ClaimComparison, varying: ReadonlySet<string>): string {
  const shown = Object.fromEntries(Object.entries(c.params ?? {}).filter(([k]) => varying.has(`${c.workload}\u0000${k}`)));
  const params = Object.keys(shown).length ? ` (${settingsWords(shown)})` : '';
  return `${c.platform} / ${c.reference} on ${measureText(c)}${params}`;
}

const intervalWords = (c: ClaimComparison) => `ratio ${fmt(c.ratio!)}, 95% interval [${fmt(c.interval!.low)}, ${fmt(c.interval!.high)}]`;

/** three significant digits, the same on every machine */
const fmt = (x: number) => String(Number(x.toPrecision(3)));

const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : fmt(p));
