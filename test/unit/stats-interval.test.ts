import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meanInterval, tQuantile } from '../../src/stats/interval.ts';

const close = (actual: number, expected: number, tol: number) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected} ± ${tol}, got ${actual}`);

// Independent references: for df=1 (Cauchy) t_p = tan(pi (p - 1/2)); for df=2 t_p = (2p - 1) / sqrt(2 p (1 - p))
// (closed forms of the t CDF). t_{0.975,9} = 2.2621571627409915 from R's qt(0.975, 9) (tables: 2.262).
test('t quantiles match closed forms (df 1, 2) and R qt (df 9)', () => {
  close(tQuantile(0.975, 1), Math.tan(Math.PI * 0.475), 1e-8);
  close(tQuantile(0.975, 2), 0.95 / Math.sqrt(2 * 0.975 * 0.025), 1e-8);
  close(tQuantile(0.975, 2), 4.302652729911275, 1e-8);
  close(tQuantile(0.975, 9), 2.2621571627409915, 1e-8);
  close(tQuantile(0.5, 5), 0, 1e-12);
});

// [10, 12, 14]: mean 12, sd 2, CI = 12 ± t_{0.975,2} * 2 / sqrt(3) = [7.0317, 16.9683]
test('95% CI of [10, 12, 14]', () => {
  const ci = meanInterval([10, 12, 14])!;
  const half = (0.95 / Math.sqrt(2 * 0.975 * 0.025)) * 2 / Math.sqrt(3);
  close(ci.low, 12 - half, 1e-8);
  close(ci.high, 12 + half, 1e-8);
  close(ci.low, 7.0317, 1e-4);
  close(ci.high, 16.9683, 1e-4);
  assert.is(ci.level, 0.95);
});

// R: t.test(1:10) prints "95 percent confidence interval: 3.334149 7.665851"
test('95% CI of 1..10 matches R t.test', () => {
  const ci = meanInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])!;
  close(ci.low, 3.334149, 1e-6);
  close(ci.high, 7.665851, 1e-6);
});

test('no interval from fewer than 2 instances; zero width when all agree', () => {
  assert.is(meanInterval([5]), null);
  assert.is(meanInterval([]), null);
  assert.equal(meanInterval([3, 3, 3]), { low: 3, high: 3, level: 0.95 });
});

test('bad arguments are refused', () => {
  assert.throws(() => tQuantile(1, 3), /p must be in/);
  assert.throws(() => tQuantile(0.9, 0), /degrees of freedom/);
});

test.run();
