// How often the ratio-to-native bootstrap interval covers the true ratio at small n: a seeded simulation, so the
// numbers the report prints about it can be re-derived (and are checked by test/unit/stats-coverage.test.ts).
import { probit } from 'simple-statistics';
import { ratioOfMeans } from './bootstrap.ts';
import { deriveSeed, seededRandom } from './random.ts';

/**
 * Share of `pairs` simulated platform/native pairs — both sides `instances` normal instance values (mean 100, sd 5,
 * one iteration each), so the true ratio is 1 — whose 95 % two-level bootstrap interval contains 1.
 */
export function ratioCoverage(instances: number, pairs: number, seed: number): number {
  const random = seededRandom(seed);
  const draw = () => 100 + 5 * probit((random.index(1_000_000) + 0.5) / 1_000_000);
  const side = () => Array.from({ length: instances }, () => [draw()]);
  let covered = 0;
  for (let k = 0; k < pairs; k++) {
    const r = ratioOfMeans(side(), side(), { seed: deriveSeed(seed, `coverage-pair-${k}`), resamples: 1000 });
    if (r?.ci && r.ci.low <= 1 && r.ci.high >= 1) covered++;
  }
  return covered / pairs;
}

/** The simulation the report's coverage table comes from: 1000 pairs per row, seed 1. */
export const COVERAGE_SIMULATION = { pairs: 1000, seed: 1, instances: [3, 5, 8] };
