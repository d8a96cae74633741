// The one test behind every claim: a Welch t-test on the log of a ratio of two means (delta method).
import { tQuantile } from '../stats/interval.ts';
import type { Interval } from '../types.ts';

/** A platform's instance means, summarised: the instance is the unit of replication. */
export interface Side {
  mean: number;
  sd: number;
  n: number;
}

export interface LogRatio {
  /** ln(a.mean / b.mean) */
  log: number;
  /** standard error of the log ratio: sqrt(sdA² / (nA meanA²) + sdB² / (nB meanB²)) */
  se: number;
  /** Welch-Satterthwaite degrees of freedom; null when se is 0 (no spread on either side) */
  df: number | null;
}

/** Why a ratio cannot be tested, or null when it can. */
export function untestable(a: Side, b: Side): string | null {
  if (a.n < 2 || b.n < 2) return `n < 2 (${a.n} and ${b.n} instances): no spread, so no test`;
  if (!(a.mean > 0 && b.mean > 0)) return `a mean <= 0 (${a.mean} and ${b.mean}) has no log ratio`;
  return null;
}

export function logRatio(a: Side, b: Side): LogRatio {
  const problem = untestable(a, b);
  if (problem) throw new Error(`logRatio: ${problem}`);
  const va = (a.sd * a.sd) / (a.n * a.mean * a.mean);
  const vb = (b.sd * b.sd) / (b.n * b.mean * b.mean);
  const se = Math.sqrt(va + vb);
  const df = se === 0 ? null : ((va + vb) ** 2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  return { log: Math.log(a.mean / b.mean), se, df };
}

/** exp(log ± t_{(1+level)/2, df} · se): the ratio's interval */
export function ratioInterval(r: LogRatio, level = 0.95): Interval {
  if (r.df === null) return { low: Math.exp(r.log), high: Math.exp(r.log), level };
  const half = tQuantile((1 + level) / 2, r.df) * r.se;
  return { low: Math.exp(r.log - half), high: Math.exp(r.log + half), level };
}

/**
 * p-values for a bound on the ratio: twice the one-sided p (capped at 1), so that p <= 0.05 exactly when the
 * 95% interval that the report shows lies on one side of the bound (a one-sided test at level α/2).
 * side 'low': the claim is ratio >= bound; side 'high': the claim is ratio <= bound.
 * support: p against "the claim is false" (H0: the ratio is on the wrong side); refute: p against "the claim is true".
 */
export function boundTest(r: LogRatio, bound: number, side: 'low' | 'high'): { support: number; refute: number } {
  const diff = (r.log - Math.log(bound)) * (side === 'low' ? 1 : -1); // > 0: on the claim's side
  if (r.df === null) return diff > 0 ? { support: 0, refute: 1 } : diff < 0 ? { support: 1, refute: 0 } : { support: 1, refute: 1 };
  const t = diff / r.se;
  return { support: Math.min(1, 2 * tUpperTail(t, r.df)), refute: Math.min(1, 2 * tUpperTail(-t, r.df)) };
}

// the smallest p the bisection resolves; anything below is reported as this (far beyond any Holm threshold)
const P_FLOOR = 1e-300;

/**
 * P(T >= t) for Student's t with df degrees of freedom.
 * The project depends on @stdlib's t quantile only, so this inverts it: bisection on ln p until the
 * quantile at p equals -t (by symmetry P(T >= t) = P(T <= -t)), to a relative precision of about 1e-13.
 */
export function tUpperTail(t: number, df: number): number {
  if (Number.isNaN(t)) throw new Error('tUpperTail: t is NaN');
  if (!(df > 0)) throw new Error(`tUpperTail: degrees of freedom must be > 0, got ${df}`);
  if (t === Infinity) return 0;
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
