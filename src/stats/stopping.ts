// The stopping rule of adaptive repetitions: is a cell's 95% interval of instance means narrow enough to stop measuring?
import { mean } from './descriptive.ts';
import { meanInterval } from './interval.ts';

/**
 * Half-width of the 95% Student-t interval divided by |mean|; null when n < 2 (no interval yet).
 * Identical values give null (zero spread is not precision: nothing says how far the next instance may lie); a zero
 * mean with spread gives Infinity (never precise).
 */
export function relativeHalfWidth(instanceMeans: readonly number[], level = 0.95): number | null {
  const ci = meanInterval(instanceMeans, level);
  if (!ci) return null;
  const half = (ci.high - ci.low) / 2;
  if (half === 0) return null;
  const m = Math.abs(mean(instanceMeans));
  return m === 0 ? Infinity : half / m;
}

export interface StoppingRule {
  /** relative half-width at which a metric is precise enough */
  target: number;
  /** instances with a value each considered metric needs before the cell may stop */
  minInstances: number;
  /** the metric that decides; when absent or not measured in this cell, every metric decides */
  metric?: string;
}

export interface CellPrecision {
  precise: boolean;
  /** the least precise considered metric and its relative half-width (null: no interval yet) */
  metric: string | null;
  relHalfWidth: number | null;
  /** fewest instance means among the considered metrics */
  n: number;
}

/** Whether every considered metric of a cell has >= minInstances instance means and a relative half-width <= target. */
export function cellPrecise(instanceMeans: Readonly<Record<string, readonly number[]>>, rule: StoppingRule): CellPrecision {
  const names = Object.keys(instanceMeans).sort();
  const considered = rule.metric !== undefined && names.includes(rule.metric) ? [rule.metric] : names;
  if (considered.length === 0) return { precise: false, metric: null, relHalfWidth: null, n: 0 };
  let worst: { metric: string; rel: number | null } | null = null;
  let n = Infinity;
  for (const name of considered) {
    const xs = instanceMeans[name];
    n = Math.min(n, xs.length);
    const rel = relativeHalfWidth(xs);
    // null (no interval) counts as the least precise
    if (!worst || (worst.rel !== null && (rel === null || rel > worst.rel))) worst = { metric: name, rel };
  }
  const precise = n >= rule.minInstances && worst!.rel !== null && worst!.rel <= rule.target;
  return { precise, metric: worst!.metric, relHalfWidth: worst!.rel, n };
}
