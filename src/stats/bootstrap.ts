// Ratio of means (platform / native) with a two-level bootstrap: instances vary more than iterations, so both are resampled.
import { quantile } from 'simple-statistics';
import type { Interval } from '../types.ts';
import { seededRandom, type Random } from './random.ts';

export const DEFAULT_RESAMPLES = 2000;

/** iteration values per instance: instances[i][j] is iteration j of instance i */
export type InstanceValues = readonly (readonly number[])[];

export interface RatioOptions {
  seed: number;
  resamples?: number;
  level?: number;
}

export interface RatioEstimate {
  /** mean of instance means of the platform / the same for native */
  value: number;
  /** percentile interval of the bootstrap ratios; null when either side has fewer than 2 instances */
  ci: Interval | null;
  resamples: number;
}

export const RATIO_METHOD = 'ratio of means of instance means; 95% percentile interval of a two-level bootstrap (instances with replacement, then iterations within each)';

/** mean over instances of each instance's iteration mean (the estimate the summary reports) */
export function meanOfInstanceMeans(instances: InstanceValues): number {
  let total = 0;
  for (const it of instances) total += it.reduce((a, b) => a + b, 0) / it.length;
  return total / instances.length;
}

/** one bootstrap replicate: draw instances with replacement, then iterations with replacement inside each drawn instance */
export function resampledMean(instances: InstanceValues, random: Random): number {
  let total = 0;
  for (let i = 0; i < instances.length; i++) {
    const it = instances[random.index(instances.length)];
    let sum = 0;
    for (let j = 0; j < it.length; j++) sum += it[random.index(it.length)];
    total += sum / it.length;
  }
  return total / instances.length;
}

function checkInstances(instances: InstanceValues, side: string): void {
  if (instances.length === 0) throw new Error(`ratioOfMeans: ${side} has no instances`);
  instances.forEach((it, i) => {
    if (it.length === 0) throw new Error(`ratioOfMeans: ${side} instance ${i} has no values`);
    for (const x of it) if (!Number.isFinite(x)) throw new Error(`ratioOfMeans: ${side} instance ${i} has value ${x}`);
  });
}

/** platform / native; null when the native mean is 0 (no ratio exists) */
export function ratioOfMeans(platform: InstanceValues, native: InstanceValues, opts: RatioOptions): RatioEstimate | null {
  checkInstances(platform, 'platform');
  checkInstances(native, 'native');
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`ratioOfMeans: resamples must be a positive integer, got ${resamples}`);
  const nativeMean = meanOfInstanceMeans(native);
  if (nativeMean === 0) return null;
  const value = meanOfInstanceMeans(platform) / nativeMean;
  if (platform.length < 2 || native.length < 2) return { value, ci: null, resamples };

  const random = seededRandom(opts.seed);
  const ratios: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const p = resampledMean(platform, random);
    const n = resampledMean(native, random);
    // a replicate whose native mean is 0 has no ratio; leaving it out is the usual percentile-bootstrap convention
    if (n !== 0) ratios.push(p / n);
  }
  if (ratios.length === 0) return { value, ci: null, resamples };
  const tail = (1 - level) / 2;
  const [low, high] = quantile(ratios, [tail, 1 - tail]);
  return { value, ci: { low, high, level }, resamples };
}
