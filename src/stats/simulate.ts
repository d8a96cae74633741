// Seeded synthetic instance data for the simulations that check intervals and stopping plans (tests, bench, the report's table).
import { probit } from 'simple-statistics';
import type { Random } from './random.ts';

/** normal: instance means ~ N(level, (cv·level)²); skewed: like startup times, one instance in seven 1.6x slower. */
export type Shape = 'normal' | 'skewed';

export interface DataModel {
  shape: Shape;
  /** the level of a normal instance */
  level: number;
  /** spread between instances, relative to the level */
  cv: number;
  /** spread between iterations of one instance, relative to its level */
  iterationCv: number;
  iterations: number;
}

export const SLOW_SHARE = 1 / 7;
export const SLOW_FACTOR = 1.6;

/** the true mean of an instance mean under the model: what a 95% interval of the mean must cover */
export const trueMean = (m: DataModel): number => m.level * (m.shape === 'skewed' ? 1 + SLOW_SHARE * (SLOW_FACTOR - 1) : 1);

const UNIT = 2 ** 30;
/** a uniform number in (0, 1) */
export const uniform = (random: Random): number => (random.index(UNIT) + 0.5) / UNIT;
export const standardNormal = (random: Random): number => probit(uniform(random));

/** one instance: the mean of its iterations */
export function instanceMean(m: DataModel, random: Random): number {
  let level = m.level * (1 + m.cv * standardNormal(random));
  if (m.shape === 'skewed' && uniform(random) < SLOW_SHARE) level *= SLOW_FACTOR;
  let sum = 0;
  for (let j = 0; j < m.iterations; j++) sum += level * (1 + m.iterationCv * standardNormal(random));
  return sum / m.iterations;
}

export function instanceMeans(m: DataModel, n: number, random: Random): number[] {
  return Array.from({ length: n }, () => instanceMean(m, random));
}

/** the side of a comparison that n instance means make (mean, sd, n) */
export function sideOf(xs: readonly number[]): { mean: number; sd: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}
