import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meanOfInstanceMeans, ratioOfMeans, resampledMean } from '../../src/stats/bootstrap.ts';
import { deriveSeed, seededRandom, type Random } from '../../src/stats/random.ts';

/** instances x iterations of base * (1 + noise), noise uniform in ±spread, from a fixed seed */
function measured(seed: number, base: number, instances: number, iterations: number, spread = 0.05): number[][] {
  const r = seededRandom(seed);
  const noise = () => (r.index(2001) - 1000) / 1000 * spread;
  return Array.from({ length: instances }, () => {
    const instanceShift = 1 + noise();
    return Array.from({ length: iterations }, () => base * instanceShift * (1 + noise() / 2));
  });
}

test('seeded random: same seed same sequence, indices in range, labels give distinct streams', () => {
  const draw = (seed: number) => { const r = seededRandom(seed); return Array.from({ length: 50 }, () => r.index(7)); };
  assert.equal(draw(42), draw(42));
  assert.not.equal(draw(42), draw(43));
  assert.ok(draw(1).every((i) => i >= 0 && i < 7));
  assert.ok(new Set(draw(1)).size === 7, 'all 7 indices appear in 50 draws');
  assert.is.not(deriveSeed(42, 'a/b/m'), deriveSeed(42, 'a/c/m'));
  assert.is.not(deriveSeed(42, 'a/b/m'), deriveSeed(43, 'a/b/m'));
  assert.is(deriveSeed(42, 'a/b/m'), deriveSeed(42, 'a/b/m'));
});

test('resampling draws an instance, then iterations within it', () => {
  // a Random that always answers 1: instance 1 twice, and its iteration 1 each time
  const second: Random = { index: () => 1 };
  assert.is(resampledMean([[1, 2], [30, 40]], second), 40);
  assert.is(meanOfInstanceMeans([[1, 2], [30, 40]]), (1.5 + 35) / 2);
});

test('same seed, same interval; another seed, another interval', () => {
  const p = measured(1, 100, 5, 4);
  const n = measured(2, 100, 5, 4);
  const a = ratioOfMeans(p, n, { seed: 7 });
  const b = ratioOfMeans(p, n, { seed: 7 });
  const c = ratioOfMeans(p, n, { seed: 8 });
  assert.equal(a, b);
  assert.is(a!.value, c!.value);
  assert.not.equal(a!.ci, c!.ci);
  assert.is(a!.resamples, 2000);
});

test('two samples of one distribution give an interval containing 1', () => {
  const r = ratioOfMeans(measured(11, 100, 5, 5), measured(12, 100, 5, 5), { seed: 3 })!;
  assert.ok(r.ci!.low < 1 && r.ci!.high > 1, `interval [${r.ci!.low}, ${r.ci!.high}]`);
  const same = measured(13, 100, 4, 3);
  const s = ratioOfMeans(same, same, { seed: 3 })!;
  assert.is(s.value, 1);
  assert.ok(s.ci!.low < 1 && s.ci!.high > 1);
});

test('coverage: about 95% of intervals from same-distribution pairs contain 1', () => {
  // 8 instances x 3 iterations; the percentile bootstrap under-covers a little at small n (measured: 0.93 over 200 pairs)
  let hits = 0;
  const pairs = 60;
  for (let k = 0; k < pairs; k++) {
    const r = ratioOfMeans(measured(1000 + 2 * k, 100, 8, 3), measured(1001 + 2 * k, 100, 8, 3), { seed: k, resamples: 1000 })!;
    if (r.ci!.low <= 1 && r.ci!.high >= 1) hits++;
  }
  assert.ok(hits / pairs >= 0.85 && hits / pairs <= 1, `coverage ${hits}/${pairs}`);
  assert.ok(hits < pairs, 'some intervals miss 1, as 95% intervals should');
});

test('a platform at half speed gives about 0.5', () => {
  const r = ratioOfMeans(measured(21, 50, 5, 5), measured(22, 100, 5, 5), { seed: 5 })!;
  assert.ok(Math.abs(r.value - 0.5) < 0.03, `ratio ${r.value}`);
  assert.ok(r.ci!.low <= r.value && r.value <= r.ci!.high);
  assert.ok(r.ci!.low > 0.45 && r.ci!.high < 0.55, `interval [${r.ci!.low}, ${r.ci!.high}]`);
  assert.ok(!(r.ci!.low < 1 && r.ci!.high > 1), 'the interval excludes 1');
});

test('iterations are resampled too: equal instance means still give a non-zero width', () => {
  const p = [[90, 110], [110, 90], [95, 105]];
  const n = [[100, 100], [100, 100], [100, 100]];
  const r = ratioOfMeans(p, n, { seed: 1, resamples: 500 })!;
  assert.is(r.value, 1);
  assert.ok(r.ci!.high - r.ci!.low > 0.01, `interval [${r.ci!.low}, ${r.ci!.high}]`);
});

test('no interval from one instance; no ratio to a zero mean', () => {
  assert.equal(ratioOfMeans([[2, 2]], [[4, 4], [4, 4]], { seed: 1 }), { value: 0.5, ci: null, resamples: 2000 });
  assert.is(ratioOfMeans([[2], [3]], [[0], [0]], { seed: 1 }), null);
  assert.throws(() => ratioOfMeans([], [[1]], { seed: 1 }), /platform has no instances/);
});

test.run();
