// How often the one ratio interval (src/stats/ratio.ts) covers the true ratio: a seeded simulation, so the figures the
// report prints can be re-derived (test/unit/stats-coverage.test.ts checks them and the 93-97% promise).
import { deriveSeed, seededRandom } from './random.ts';
import { ratioEstimate } from './ratio.ts';
import { instanceMeans, sideOf, type DataModel, type Shape } from './simulate.ts';

/** the model of the table: instances 5% apart, iterations 5% apart within an instance */
export const coverageModel = (shape: Shape, iterations: number): DataModel => ({ shape, level: 100, cv: 0.05, iterationCv: 0.05, iterations });

/**
 * Share of `pairs` simulated platform/native pairs — both sides `instances` instances of one model, so the true
 * ratio is 1 — whose 95% ratio interval contains 1.
 */
export function ratioCoverage(instances: number, pairs: number, seed: number, model: DataModel = coverageModel('normal', 1)): number {
  const random = seededRandom(deriveSeed(seed, `coverage/${model.shape}/${instances}x${model.iterations}`));
  let covered = 0;
  for (let k = 0; k < pairs; k++) {
    const r = ratioEstimate(sideOf(instanceMeans(model, instances, random)), sideOf(instanceMeans(model, instances, random)));
    if (r.ci && r.ci.low <= 1 && r.ci.high >= 1) covered++;
  }
  return covered / pairs;
}

/** The simulation the report's coverage table comes from: 2000 pairs per row, seed 1, one iteration per instance. */
export const COVERAGE_SIMULATION = { pairs: 2000, seed: 1, instances: [3, 5, 10, 20] };

/**
 * ratioCoverage(n, 2000, 1) for the normal and the skewed (startup-like) model, kept as data so that rendering stays
 * fast; test/unit/stats-coverage.test.ts fails when these drift from the simulation.
 */
export const RATIO_COVERAGE: { instances: number; normal: number; skewed: number }[] = [
  { instances: 3, normal: 0.968, skewed: 0.973 },
  { instances: 5, normal: 0.951, skewed: 0.975 },
  { instances: 10, normal: 0.949, skewed: 0.9525 },
  { instances: 20, normal: 0.948, skewed: 0.941 },
];
