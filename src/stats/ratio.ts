// The one interval of a ratio of means (and of a ratio of ratios): a Welch t on the log, delta method, resolution as a floor.
import type { Interval } from '../types.ts';
import { tQuantile } from './interval.ts';

/** A platform's instance means, summarised: the instance is the unit of replication. */
export interface Side {
  mean: number;
  sd: number;
  n: number;
  /** the metric's resolution (src/stats/resolution.ts): the standard error of the mean is never below it */
  resolution?: number | null;
}

/** One side of a contrast: +1 in the numerator, -1 in the denominator. */
export interface Term {
  side: Side;
  sign: 1 | -1;
}

export interface LogRatio {
  /** sum of sign * ln(mean): ln(a / b) for a ratio, ln((a / b) / (c / d)) for a ratio of ratios */
  log: number;
  /** standard error of the log: sqrt(sum of se_i² / mean_i²), se_i = max(sd_i / sqrt(n_i), resolution_i) */
  se: number;
  /** Welch-Satterthwaite degrees of freedom */
  df: number;
  /** sides whose standard error was raised to the resolution (their spread was below it) */
  floored: number;
}

export const RATIO_METHOD = 'ratio of means of instance means; 95% interval exp(ln ratio ± t·se), Welch t on the log ratio (delta method), standard error of each mean at least the metric\'s resolution';

/** standard error of a side's mean, raised to the resolution: n equal integers do not make a mean exact */
export function sideSe(s: Side): number {
  const se = s.n > 0 ? s.sd / Math.sqrt(s.n) : Infinity;
  return Math.max(se, s.resolution ?? 0);
}

/** Why a side cannot enter a test, or null when it can. */
export function sideProblem(s: Side, name: string): string | null {
  if (s.n < 2) return `the interval is unbounded: ${name} has ${s.n === 1 ? 'one instance' : 'no instance'} (n = ${s.n}), so its spread is unknown and nothing can be tested`;
  if (!(s.mean > 0)) return `${name}'s mean is ${s.mean}: a mean <= 0 has no log ratio`;
  if (sideSe(s) === 0) return `${name}'s ${s.n} instances show no spread and the metric has no known resolution: no test can take zero spread as certainty`;
  // a mean whose own 95% interval reaches 0 makes the ratio unbounded
  if (s.mean <= tQuantile(0.975, s.n - 1) * sideSe(s)) return `${name}'s mean ${Number(s.mean.toPrecision(3))} is not distinguishable from 0 (its 95% interval reaches 0), so the ratio has no bound`;
  return null;
}

/** Why a ratio a / b cannot be tested, or null when it can. */
export function untestable(a: Side, b: Side): string | null {
  return contrastProblem([{ side: a, sign: 1 }, { side: b, sign: -1 }], ['the platform', 'the reference']);
}

export function contrastProblem(terms: readonly Term[], names: readonly string[] = terms.map((_, i) => `side ${i + 1}`)): string | null {
  for (let i = 0; i < terms.length; i++) {
    const p = sideProblem(terms[i].side, names[i]);
    if (p) return p;
  }
  return null;
}

/** The log of a product of means with signs: one function for a ratio and a ratio of ratios. Throws when untestable. */
export function logContrast(terms: readonly Term[]): LogRatio {
  const problem = contrastProblem(terms);
  if (problem) throw new Error(`logContrast: ${problem}`);
  let log = 0;
  let variance = 0;
  let dfDenominator = 0;
  let floored = 0;
  for (const { side, sign } of terms) {
    const se = sideSe(side);
    if (se > side.sd / Math.sqrt(side.n)) floored++;
    const v = (se * se) / (side.mean * side.mean);
    log += sign * Math.log(side.mean);
    variance += v;
    dfDenominator += (v * v) / (side.n - 1);
  }
  return { log, se: Math.sqrt(variance), df: (variance * variance) / dfDenominator, floored };
}

export function logRatio(a: Side, b: Side): LogRatio {
  return logContrast([{ side: a, sign: 1 }, { side: b, sign: -1 }]);
}

/** exp(log ± t_{(1+level)/2, df} · se): the ratio's interval */
export function ratioInterval(r: LogRatio, level = 0.95): Interval {
  const half = tQuantile((1 + level) / 2, r.df) * r.se;
  return { low: Math.exp(r.log - half), high: Math.exp(r.log + half), level };
}

/** A ratio a / b with its interval, or the reason it has none: what the charts, the tables and the verdicts all show. */
export function ratioEstimate(a: Side, b: Side, level = 0.95): { value: number | null; ci: Interval | null; df: number | null; problem?: string } {
  const value = b.mean !== 0 ? a.mean / b.mean : null;
  const problem = untestable(a, b);
  if (problem) return { value: value !== null && Number.isFinite(value) ? value : null, ci: null, df: null, problem };
  const lr = logRatio(a, b);
  return { value, ci: ratioInterval(lr, level), df: lr.df };
}

/**
 * p-values for a bound on the ratio: twice the one-sided p (capped at 1), so that p <= 0.05 exactly when the
 * 95% interval that the report shows lies on one side of the bound (a one-sided test at level α/2).
 * side 'low': the claim is ratio >= bound; side 'high': the claim is ratio <= bound.
 * support: p against "the claim is false" (H0: the ratio is on the wrong side); refute: p against "the claim is true".
 */
export function boundTest(r: LogRatio, bound: number, side: 'low' | 'high'): { support: number; refute: number } {
  if (!(r.se > 0)) throw new Error('boundTest: the standard error must be > 0 (a side without spread needs a resolution)');
  const diff = (r.log - Math.log(bound)) * (side === 'low' ? 1 : -1); // > 0: on the claim's side
  const t = diff / r.se;
  return { support: Math.min(1, 2 * tUpperTail(t, r.df)), refute: Math.min(1, 2 * tUpperTail(-t, r.df)) };
}

// the smallest p the bisection resolves; anything below is reported as this (far beyond any Holm threshold), never 0
export const P_FLOOR = 1e-300;

/**
 * P(T >= t) for Student's t with df degrees of freedom.
 * The project depends on @stdlib's t quantile only, so this inverts it: bisection on ln p until the
 * quantile at p equals -t (by symmetry P(T >= t) = P(T <= -t)), to a relative precision of about 1e-13.
 */
export function tUpperTail(t: number, df: number): number {
  if (Number.isNaN(t)) throw new Error('tUpperTail: t is NaN');
  if (!(df > 0)) throw new Error(`tUpperTail: degrees of freedom must be > 0, got ${df}`);
  if (t === Infinity) return P_FLOOR;
  if (t === -Infinity) return 1;
  if (t === 0) return 0.5;
  if (t < 0) return 1 - tUpperTail(-t, df);
  const target = -t;
  if (tQuantile(P_FLOOR, df) >= target) return P_FLOOR;
  let lo = Math.log(P_FLOOR); // quantile(exp(lo)) < target
  let hi = Math.log(0.5); // quantile(exp(hi)) = 0 > target
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (tQuantile(Math.exp(mid), df) < target) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}
