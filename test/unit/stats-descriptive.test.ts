import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cv, describe, mean, median, sd } from '../../src/stats/descriptive.ts';

const close = (actual: number, expected: number, tol = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);

// reference by hand: sum 40 / 8 = 5; squared deviations sum to 32, so sample sd = sqrt(32/7)
test('mean, median, sample sd (n-1) and cv of a textbook data set', () => {
  const xs = [2, 4, 4, 4, 5, 5, 7, 9];
  close(mean(xs), 5);
  close(median(xs), 4.5);
  close(sd(xs), Math.sqrt(32 / 7));
  close(cv(xs), Math.sqrt(32 / 7) / 5);
});

test('one value has sd 0 and cv 0 (no spread measurable)', () => {
  assert.equal(describe([7]), { n: 1, mean: 7, median: 7, sd: 0, cv: 0 });
});

test('cv of a zero mean is 0, not Infinity', () => {
  close(cv([-1, 1]), 0);
});

test('empty or non-finite input is refused', () => {
  assert.throws(() => mean([]), /at least one value/);
  assert.throws(() => sd([1, Number.NaN]), /not a finite number/);
});

test.run();
