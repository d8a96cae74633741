// Student-t confidence interval of the mean across instances (the unit of replication).
import tQuantileStdlib from '@stdlib/stats-base-dists-t-quantile';
import type { Interval } from '../types.ts';
import { mean, sd } from './descriptive.ts';

/** quantile p of Student's t with df degrees of freedom */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`tQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`tQuantile: degrees of freedom must be > 0, got ${df}`);
  return tQuantileStdlib(p, df);
}

/** mean ± t_{(1+level)/2, n-1} · sd / √n; null for n < 2, where the spread is unknown */
export function meanInterval(xs: readonly number[], level = 0.95): Interval | null {
  if (!(level > 0 && level < 1)) throw new Error(`meanInterval: level must be in (0, 1), got ${level}`);
  if (xs.length < 2) return null;
  const m = mean(xs);
  const half = tQuantile((1 + level) / 2, xs.length - 1) * sd(xs) / Math.sqrt(xs.length);
  return { low: m - half, high: m + half, level };
}
