// Sequential designs that keep their promises: Stein's two-stage plan for a precision target, and an alpha-spending look
// for a comparison against a bound. One API for both: given the interim data, continue, stop (decided) or stop (futile).
import { probit } from 'simple-statistics';
import { tQuantile } from './interval.ts';
import { boundTest, contrastProblem, logContrast, type Term } from './ratio.ts';

/** the claims' two-sided α: what the verdicts test at, and what a budget's looks spend in all (one constant for both) */
export const CLAIMS_ALPHA = 0.05;

export type SequentialAction = 'continue' | 'stop-decided' | 'stop-futile';

export interface SequentialDecision {
  action: SequentialAction;
  /** the planned number of instances (two-stage), or the look's n */
  plannedN: number;
  /** alpha spent up to and including this look (0 for a precision plan, which tests nothing) */
  spentAlpha: number;
  /** decided comparisons: whether the bound held */
  outcome?: 'holds' | 'fails';
  why: string;
}

/** the plan sizes the second stage on this lower chi-square quantile, i.e. an upper 90% bound of the spread */
export const SPREAD_QUANTILE = 0.1;

// ---- Stein's two-stage plan: the number of instances is fixed after the first stage, never by a lucky narrow interval ----

export interface TwoStagePlan {
  /** first-stage instances: the spread is estimated from these only */
  firstStage: number;
  maxInstances: number;
  /** target relative half-width of the 95% interval of the mean */
  target: number;
  /** the metric's resolution: the first stage's standard deviation is never taken below it */
  resolution?: number | null;
}

/**
 * After the first stage (n0 instance means): N = max(n0, ceil((t_{0.975, n0-1} · s0 / (target · |mean0|))²)), capped at max.
 * The interval from all N instances then has the width asked for, and its coverage is not eroded by stopping at a
 * random narrow moment (coverage falls to about 41% on skewed data when one stops at the first narrow interval).
 */
export function twoStageN(firstStage: readonly number[], plan: TwoStagePlan): { n: number; why: string } {
  const n0 = firstStage.length;
  if (n0 < Math.max(2, plan.firstStage)) return { n: plan.firstStage, why: `first stage: ${n0} of ${plan.firstStage} instances` };
  const mean = firstStage.reduce((a, b) => a + b, 0) / n0;
  const sd = Math.sqrt(firstStage.reduce((a, x) => a + (x - mean) ** 2, 0) / (n0 - 1));
  // zero spread is not precision: the resolution is the smallest spread a mean can be trusted with
  const s0 = Math.max(sd, plan.resolution ?? 0);
  if (s0 === 0) return { n: plan.maxInstances, why: `the first ${n0} instances show no spread and the metric has no known resolution: measuring up to ${plan.maxInstances}` };
  if (mean === 0) return { n: plan.maxInstances, why: 'the first stage has mean 0: no relative precision exists; measuring up to the maximum' };
  // plan on an upper 90% bound of the spread, so that a first stage that happens to miss the slow instances does not plan too few
  const sUpper = s0 * Math.sqrt((n0 - 1) / chiSquareQuantile(SPREAD_QUANTILE, n0 - 1));
  const need = Math.ceil(((tQuantile(0.975, n0 - 1) * sUpper) / (plan.target * Math.abs(mean))) ** 2);
  const n = Math.min(plan.maxInstances, Math.max(n0, need));
  return { n, why: `two-stage plan: s = ${Number(s0.toPrecision(3))} over ${n0} instances needs ${need} for ±${plan.target * 100}%${need > plan.maxInstances ? `, capped at ${plan.maxInstances}` : ''}` };
}

/** Wilson-Hilferty: the p-quantile of chi-square with k degrees of freedom (within about 1% for k >= 2) */
function chiSquareQuantile(p: number, k: number): number {
  const a = 2 / (9 * k);
  return k * (1 - a + probit(p) * Math.sqrt(a)) ** 3;
}

export function twoStageLook(means: readonly number[], plan: TwoStagePlan): SequentialDecision {
  const first = means.slice(0, plan.firstStage);
  const { n, why } = twoStageN(first, plan);
  if (first.length < plan.firstStage || means.length < n) return { action: 'continue', plannedN: n, spentAlpha: 0, why };
  return { action: n >= plan.maxInstances && why.includes('capped') ? 'stop-futile' : 'stop-decided', plannedN: n, spentAlpha: 0, why };
}

// ---- a group-sequential test of a comparison against a bound, with O'Brien-Fleming-type alpha spending ----

export interface SpendingDesign {
  /** two-sided level of the comparison (the claims' α: each bound one-sided at α/2) */
  alpha: number;
  /** instances per side at the last look */
  maxInstances: number;
}

/** Lan-DeMets O'Brien-Fleming-type spending: α(t) = 2 − 2Φ(z_{1−α/2} / √t), t the information fraction */
export function spentAt(alpha: number, fraction: number): number {
  if (fraction <= 0) return 0;
  if (fraction >= 1) return alpha;
  const z = probit(1 - alpha / 2) / Math.sqrt(fraction);
  return 2 * (1 - normalCdf(z));
}

function normalCdf(z: number): number {
  // Abramowitz-Stegun 7.1.26 on erf, |error| < 1.5e-7: ample for a spending function
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * One interim look at a ratio (terms: see src/stats/ratio.ts) against a bound. The increment α(t_k) − α(t_{k−1}) is this
 * look's level; the increments sum to α, so the chance of a false decision over all looks stays at most α (Bonferroni
 * over looks: conservative, valid with t statistics and any number of looks). `spentBefore` is what earlier looks spent.
 */
export function spendingLook(terms: readonly Term[], bound: { value: number; side: 'low' | 'high' }, n: number, spentBefore: number, design: SpendingDesign): SequentialDecision {
  const fraction = Math.min(1, n / design.maxInstances);
  const spent = spentAt(design.alpha, fraction);
  const level = Math.max(0, spent - spentBefore);
  const problem = contrastProblem(terms);
  if (problem) {
    return n >= design.maxInstances ? { action: 'stop-futile', plannedN: n, spentAlpha: spent, why: problem } : { action: 'continue', plannedN: n, spentAlpha: spent, why: problem };
  }
  const p = boundTest(logContrast(terms), bound.value, bound.side);
  if (p.support <= level) return { action: 'stop-decided', outcome: 'holds', plannedN: n, spentAlpha: spent, why: `support p ${p.support.toExponential(2)} <= this look's α ${level.toExponential(2)}` };
  if (p.refute <= level) return { action: 'stop-decided', outcome: 'fails', plannedN: n, spentAlpha: spent, why: `refutation p ${p.refute.toExponential(2)} <= this look's α ${level.toExponential(2)}` };
  if (n >= design.maxInstances) return { action: 'stop-futile', plannedN: n, spentAlpha: spent, why: `undecided at the last look (${n} instances)` };
  return { action: 'continue', plannedN: n, spentAlpha: spent, why: `undecided at ${n} of ${design.maxInstances} instances` };
}

// ---- the run-wide budget's looks at the claims (issue 18): Pocock-type spending over the budget's time fraction ----

/** Lan-DeMets Pocock-type spending: α(t) = α · ln(1 + (e − 1) · t); spends early, so claims decided early free the budget */
export function pocockSpent(alpha: number, fraction: number): number {
  if (fraction <= 0) return 0;
  if (fraction >= 1) return alpha;
  return alpha * Math.log(1 + (Math.E - 1) * fraction);
}

/**
 * One look at a claim's p-values (twice one-sided, as the verdicts use them) at a look whose level is the spending increment.
 * Bonferroni over looks: the increments sum to α, so "reproduced" at a bound keeps a size of at most α/2 over all looks.
 */
export function claimLook(p: { support: number; refute: number }, level: number): 'holds' | 'fails' | 'continue' {
  if (p.support <= level) return 'holds';
  if (p.refute <= level) return 'fails';
  return 'continue';
}

/** beyond this many instances per side, a need is not a plan: the ratio sits too close to its bound for any practical run */
export const MAX_NEEDED_PER_SIDE = 1000;

/**
 * About how many instances per side would decide a ratio (terms) against a bound at a two-sided level: from the spread seen
 * (each side's coefficient of variation, at least its resolution) and the distance of the log ratio from the bound,
 * n = ((t_{1−level/2} + t_{0.8}) · sqrt(Σ cv²) / distance)² with the t quantiles at the Welch degrees of freedom of n per
 * side (equal spreads: Σ (n − 1)), i.e. 80% power if the ratio is what was seen; Infinity when it sits on the bound.
 */
export function neededPerSide(terms: readonly Term[], bound: number, level = 0.05): number {
  // a level of 0 (a look that spends nothing) decides nothing, at any n
  if (contrastProblem(terms) || !(level > 0)) return Infinity;
  const lr = logContrast(terms);
  const distance = Math.abs(lr.log - Math.log(bound));
  if (distance === 0) return Infinity;
  // per-side variance of one instance, relative: n_i · se_i² / mean_i²
  const unit = terms.reduce((a, { side }) => a + (side.n * Math.max(side.sd / Math.sqrt(side.n), side.resolution ?? 0) ** 2) / side.mean ** 2, 0);
  const size = (q: number) => Math.max(2, Math.ceil((q * q * unit) / (distance * distance)));
  let n = size(probit(1 - level / 2) + probit(0.8));
  // the normal quantiles understate a small n: the smallest n at least that which t at its own degrees of freedom allows
  for (let k = 0; k < 1000 && n <= MAX_NEEDED_PER_SIDE; k++) {
    const df = terms.length * (n - 1);
    if (size(tQuantile(1 - level / 2, df) + tQuantile(0.8, df)) <= n) break;
    n++;
  }
  return n;
}
