import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flagOutliers, modifiedZScores } from '../../src/stats/outliers.ts';

// [1, 2, 3, 4, 100]: median 3, absolute deviations [2, 1, 0, 1, 97], MAD 1, so z = deviation / 1.4826
test('modified z-scores are |x - median| / (1.4826 MAD)', () => {
  const z = modifiedZScores([1, 2, 3, 4, 100]);
  const expected = [2, 1, 0, 1, 97].map((d) => d / 1.4826);
  z.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `z[${i}] = ${v}, expected ${expected[i]}`));
});

test('a slow instance among steady ones is flagged, the others are not', () => {
  assert.equal(flagOutliers([1000, 1010, 990, 1005, 995, 500]), [false, false, false, false, false, true]);
});

// median 10, MAD 0.1: 10.5 scores 0.5 / 0.14826 = 3.37 (kept), 10.6 scores 4.05 (flagged)
test('the threshold is 3.5', () => {
  assert.equal(flagOutliers([9.9, 10, 10, 10.1, 10.5]), [false, false, false, false, false]);
  assert.equal(flagOutliers([9.9, 10, 10, 10.1, 10.6]), [false, false, false, false, true]);
});

test('MAD 0 falls back to the mean absolute deviation; equal values flag nothing', () => {
  // mean absolute deviation 0.2, so 11 scores 1 / (1.253314 * 0.2) = 3.99
  assert.equal(flagOutliers([10, 10, 10, 10, 11]), [false, false, false, false, true]);
  assert.equal(flagOutliers([4, 4, 4]), [false, false, false]);
  assert.equal(flagOutliers([]), []);
});

test('two values are never outliers of each other', () => {
  assert.equal(flagOutliers([1, 1000]), [false, false]);
});

test.run();
