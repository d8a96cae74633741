// The stopping rule of adaptive repetitions: Stein's two-stage plan (src/stats/sequential.ts) over a cell's instance means.
import { mean } from './descriptive.ts';
import { meanInterval } from './interval.ts';
import { inferResolution } from './resolution.ts';
import { twoStageN } from './sequential.ts';

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

export interface CellPlan {
  /** the cell has as many instances as its plan needs (every considered metric) */
  done: boolean;
  /** instances the plan needs: null until the first stage (minInstances) is in */
  plannedN: number | null;
  /** the considered metric that needs the most instances, and why */
  metric: string | null;
  why: string;
  /** fewest instance means among the considered metrics */
  n: number;
}

/**
 * The two-stage plan of a cell: after minInstances instances (the first stage), each considered metric fixes how many
 * instances it needs for the target half-width (from the first stage's spread only, never from a lucky narrow interval
 * later); the cell is done when it has the most any metric needs. Zero spread never shortens the plan.
 */
export function cellPlan(instanceMeans: Readonly<Record<string, readonly number[]>>, rule: StoppingRule & { maxInstances: number }): CellPlan {
  const names = Object.keys(instanceMeans).sort();
  const considered = rule.metric !== undefined && names.includes(rule.metric) ? [rule.metric] : names;
  if (considered.length === 0) return { done: false, plannedN: null, metric: null, why: 'no value yet', n: 0 };
  let n = Infinity;
  let worst: { metric: string; planned: number; why: string } | null = null;
  for (const name of considered) {
    const xs = instanceMeans[name];
    n = Math.min(n, xs.length);
    const first = xs.slice(0, rule.minInstances);
    const plan = twoStageN(first, { firstStage: rule.minInstances, maxInstances: rule.maxInstances, target: rule.target, resolution: inferResolution(first) });
    if (!worst || plan.n > worst.planned) worst = { metric: name, planned: plan.n, why: plan.why };
  }
  const firstStageIn = n >= rule.minInstances;
  return {
    done: firstStageIn && n >= worst!.planned,
    plannedN: firstStageIn ? worst!.planned : null,
    metric: worst!.metric,
    why: worst!.why,
    n,
  };
}
