import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COVERAGE_SIMULATION, coverageModel, RATIO_COVERAGE, ratioCoverage } from '../../src/stats/coverage.ts';

test('the coverage table the report prints is what the seeded simulation gives', () => {
  assert.equal(RATIO_COVERAGE.map((c) => c.instances), COVERAGE_SIMULATION.instances);
  for (const row of RATIO_COVERAGE) {
    assert.is(ratioCoverage(row.instances, COVERAGE_SIMULATION.pairs, COVERAGE_SIMULATION.seed, coverageModel('normal', 1)), row.normal, `${row.instances} instances, normal`);
    assert.is(ratioCoverage(row.instances, COVERAGE_SIMULATION.pairs, COVERAGE_SIMULATION.seed, coverageModel('skewed', 1)), row.skewed, `${row.instances} instances, skewed`);
  }
});

test('the ratio interval covers 93-97% at n = 3, 5 and 10, with 1 and with 10 iterations per instance', () => {
  for (const n of [3, 5, 10]) {
    for (const iterations of [1, 10]) {
      const c = ratioCoverage(n, 2000, 11, coverageModel('normal', iterations));
      assert.ok(c >= 0.93 && c <= 0.97, `n = ${n}, ${iterations} iterations: coverage ${c}`);
    }
  }
});

test('coverage is deterministic for a seed', () => {
  assert.is(ratioCoverage(3, 200, 7), ratioCoverage(3, 200, 7));
});

test.run();
