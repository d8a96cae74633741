import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cellPrecise, relativeHalfWidth } from '../../src/stats/stopping.ts';

// Reference values by hand: t quantiles from a printed Student-t table (t_{0.975,2} = 4.302653, t_{0.975,4} = 2.776445).
const close = (a: number | null, b: number, eps = 1e-6) => assert.ok(a !== null && Math.abs(a - b) < eps, `${a} != ${b}`);

test('relative half-width: [100, 102, 98] -> 4.302653 * 2 / sqrt(3) / 100', () => {
  // mean 100, sd sqrt((0 + 4 + 4) / 2) = 2
  close(relativeHalfWidth([100, 102, 98]), 4.302653 * 2 / Math.sqrt(3) / 100);
  close(relativeHalfWidth([100, 102, 98]), 0.0496828, 1e-6);
});

test('relative half-width: [100, 101, 99, 100, 100] -> 2.776445 * sqrt(0.5) / sqrt(5) / 100', () => {
  close(relativeHalfWidth([100, 101, 99, 100, 100]), 0.00877986, 1e-7);
});

test('relative half-width edge cases: one value, identical values, zero mean, negative mean', () => {
  assert.is(relativeHalfWidth([5]), null);
  assert.is(relativeHalfWidth([10, 10, 10]), null, 'zero spread never counts as precise');
  assert.is(relativeHalfWidth([-1, 1]), Infinity);
  close(relativeHalfWidth([-100, -102, -98]), 0.0496828, 1e-6);
});

test('cellPrecise: needs minInstances and every metric within target', () => {
  const a = [100, 101, 99, 100, 100]; // 0.88%
  const b = [100, 102, 98]; // 4.97%
  assert.equal(cellPrecise({ a }, { target: 0.02, minInstances: 3 }), { precise: true, metric: 'a', relHalfWidth: relativeHalfWidth(a), n: 5 });
  assert.is(cellPrecise({ a }, { target: 0.02, minInstances: 6 }).precise, false);
  const both = cellPrecise({ a, b }, { target: 0.02, minInstances: 3 });
  assert.is(both.precise, false);
  assert.is(both.metric, 'b'); // the least precise decides
  assert.is(both.n, 3);
  assert.is(cellPrecise({ a, b }, { target: 0.05, minInstances: 3 }).precise, true);
});

test('cellPrecise: a named metric decides alone; an unknown one falls back to all', () => {
  const a = [100, 101, 99, 100, 100];
  const b = [100, 102, 98];
  assert.is(cellPrecise({ a, b }, { target: 0.02, minInstances: 3, metric: 'a' }).precise, true);
  assert.is(cellPrecise({ a, b }, { target: 0.02, minInstances: 3, metric: 'b' }).precise, false);
  assert.is(cellPrecise({ a, b }, { target: 0.02, minInstances: 3, metric: 'zzz' }).precise, false);
});

test('cellPrecise: no metrics, or a metric without an interval, is not precise', () => {
  assert.equal(cellPrecise({}, { target: 0.5, minInstances: 1 }), { precise: false, metric: null, relHalfWidth: null, n: 0 });
  const r = cellPrecise({ a: [100, 101, 100], b: [7] }, { target: 0.5, minInstances: 1 });
  assert.is(r.precise, false);
  assert.is(r.metric, 'b');
  // zero spread is not precise either
  assert.is(cellPrecise({ a: [100, 100, 100] }, { target: 0.5, minInstances: 1 }).precise, false);
  assert.is(r.relHalfWidth, null);
});

test.run();
