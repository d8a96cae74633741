// Descriptive statistics of instance means; simple-statistics does the arithmetic, this file fixes the edge cases.
import { mean as ssMean, median as ssMedian, quantileSorted, sampleStandardDeviation } from 'simple-statistics';

export interface Description {
  n: number;
  mean: number;
  median: number;
  /** sample standard deviation (n - 1); 0 when n < 2, where no spread can be measured */
  sd: number;
  /** sd / mean; 0 when the mean is 0 or n < 2 */
  cv: number;
}

function requireValues(xs: readonly number[], what: string): void {
  if (xs.length === 0) throw new Error(`${what}: needs at least one value`);
  for (const x of xs) if (!Number.isFinite(x)) throw new Error(`${what}: value ${x} is not a finite number`);
}

export function mean(xs: readonly number[]): number {
  requireValues(xs, 'mean');
  return ssMean(xs as number[]);
}

export function median(xs: readonly number[]): number {
  requireValues(xs, 'median');
  return ssMedian(xs as number[]);
}

/** sample standard deviation (Bessel's n - 1); 0 for a single value */
export function sd(xs: readonly number[]): number {
  requireValues(xs, 'sd');
  return xs.length < 2 ? 0 : sampleStandardDeviation(xs as number[]);
}

/** coefficient of variation sd / |mean|; 0 when the mean is 0 (undefined there, and 0 keeps the JSON finite) */
export function cv(xs: readonly number[]): number {
  const m = mean(xs);
  return m === 0 ? 0 : sd(xs) / Math.abs(m);
}

export function describe(xs: readonly number[]): Description {
  return { n: xs.length, mean: mean(xs), median: median(xs), sd: sd(xs), cv: cv(xs) };
}

/** Tails need values: with fewer, a P99 is only the largest value seen, so none is given. */
export const MIN_VALUES_FOR_PERCENTILES = 10;

/** P50, P90 and P99 of all values: linear interpolation between order statistics (numpy's default, type 7; simple-statistics' quantileSorted). */
export function percentiles(xs: readonly number[]): { p50: number; p90: number; p99: number; values: number } {
  requireValues(xs, 'percentiles');
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: quantileSorted(sorted, 0.5), p90: quantileSorted(sorted, 0.9), p99: quantileSorted(sorted, 0.99), values: sorted.length };
}
