import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BOOTSTRAP_COVERAGE } from '../../src/report/sections/threats.ts';
import { COVERAGE_SIMULATION, ratioCoverage } from '../../src/stats/coverage.ts';

test('the coverage table the report prints is what the seeded simulation gives', () => {
  assert.equal(BOOTSTRAP_COVERAGE.map((c) => c.instances), COVERAGE_SIMULATION.instances);
  for (const row of BOOTSTRAP_COVERAGE) {
    assert.is(ratioCoverage(row.instances, COVERAGE_SIMULATION.pairs, COVERAGE_SIMULATION.seed), row.coverage, `${row.instances} instances`);
  }
});

test('coverage is below 95 % at small n and rises with n; deterministic for a seed', () => {
  const small = ratioCoverage(3, 300, 7);
  assert.is(ratioCoverage(3, 300, 7), small);
  assert.ok(small < 0.95, `3 instances: ${small}`);
  assert.ok(ratioCoverage(8, 300, 7) > small);
});

test.run();
