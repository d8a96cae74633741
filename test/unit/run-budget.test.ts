// A budgeted run on fakes: every cell its first stage, then instances only where an undecided claim rests, with the
// reason logged, the looks at the claims in logs/budget.jsonl, and what was not given marked so a resume skips it.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runFiles } from '../../src/paths.ts';
import type { ClaimOracle } from '../../src/run/budget.ts';
import { runExperiment } from '../../src/run/scheduler.ts';
import type { Sample } from '../../src/types.ts';
import { fakeDeps, fakeExperiment, fakePlatform, fakeWorkload } from '../helpers/fakes.ts';
import { useTempData } from '../helpers/temp-data.ts';

const test = suite('budgeted run on fakes');
useTempData(test, 'isobench-budget');
const quiet = process.env.ISOBENCH_QUIET;
test.before(() => { process.env.ISOBENCH_QUIET = '1'; });
test.after(() => { if (quiet === undefined) delete process.env.ISOBENCH_QUIET; else process.env.ISOBENCH_QUIET = quiet; });

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** one claim comparing fake-b with fake-a on fake-bench: it straddles until fake-b has 5 values, then it holds */
const oracle: ClaimOracle = (samples: readonly Sample[]) => {
  const cellOf = (platform: string) => samples.find((s) => s.platform === platform && s.workload === 'fake-bench')?.cell;
  const n = (platform: string) => samples.filter((s) => s.platform === platform && s.workload === 'fake-bench' && s.status === 'ok').length;
  const a = cellOf('fake-a');
  const b = cellOf('fake-b');
  if (!a || !b) return [{ id: 'fake-claim', p: null, open: [], thin: [] }];
  const side = (cell: string, k: number) => ({ cell, mean: 100, sd: 4, n: k });
  const open = n('fake-b') < 5 ? [{ label: 'fake-b / fake-a', bound: 0.97, p: 0.5, terms: [{ side: side(b, n('fake-b')), sign: 1 as const }, { side: side(a, n('fake-a')), sign: -1 as const }] }] : [];
  return [{ id: 'fake-claim', p: n('fake-b') < 5 ? { support: 0.5, refute: 0.5 } : { support: 1e-9, refute: 1 }, open, thin: [] }];
};

test('first stage for every cell, then only the cell that narrows the open claim most per second, until the claim is decided', async () => {
  const a = fakePlatform('fake-a');
  const b = fakePlatform('fake-b');
  const loaded = fakeExperiment(['fake-a', 'fake-b'], ['fake-bench', 'fake-other'], { name: 'budget-1', budgetS: 60 });
  // fake-a's instances cost more: one more instance of fake-b narrows the interval as much, for less
  const r = await runExperiment(loaded, fakeDeps([a, b], [fakeWorkload('fake-bench', ['ok'], [100], async () => undefined), fakeWorkload('fake-other')], { claimOracle: oracle }));
  const files = runFiles(r.runDir);
  const samples = lines(files.samples) as Sample[];
  const count = (p: string, w: string) => samples.filter((s) => s.platform === p && s.workload === w && s.status === 'ok').length;
  assert.is(count('fake-b', 'fake-bench'), 5, 'the claim\'s cell got instances until it was decided');
  assert.is(count('fake-a', 'fake-other'), 2, 'a cell no claim reads: the first stage only');
  assert.is(count('fake-b', 'fake-other'), 2);
  const log = lines(files.budget);
  const gives = log.filter((l) => l.kind === 'give');
  const looks = log.filter((l) => l.kind === 'look');
  assert.ok(gives.length >= 3, 'each instance beyond the first stage is logged');
  for (const g of gives) {
    assert.equal(g.claims, ['fake-claim']);
    assert.match(g.why, /narrows the most per second an interval straddling a bound: fake-claim \(fake-b \/ fake-a\)/);
  }
  assert.ok(looks.length >= 2);
  assert.is(looks.at(-1).final, true);
  assert.is(looks.at(-1).claims[0].state, 'reproduced');
  assert.ok(looks.reduce((s: number, l: { level: number }) => s + l.level, 0) <= 0.05 + 1e-12, 'the looks spend at most α in all');
  // the instances not given are marked, with the reason, so a resume does not run them
  const marks = lines(files.completed);
  const notGiven = marks.filter((m) => m.adaptive === 'budget');
  assert.ok(notGiven.length > 0);
  assert.match(notGiven[0].why, /^not given: /);
  const first = marks.filter((m) => m.status === 'ok' && /^first stage/.test(m.why ?? ''));
  assert.is(first.length, 8, 'two instances for each of the four cells');
  for (const m of marks.filter((x) => x.status === 'ok')) assert.ok(m.timing && m.timing.measureMs >= 0 && m.timing.startMs >= 0 && m.timing.stopMs >= 0, 'every measured instance has its times');
});

test('without claims to spend it on, a budgeted run gives every cell its first stage and stops', async () => {
  const a = fakePlatform('fake-a');
  const loaded = fakeExperiment(['fake-a'], ['fake-bench'], { name: 'budget-2', budgetS: 60 });
  const r = await runExperiment(loaded, fakeDeps([a], [fakeWorkload('fake-bench')]));
  const marks = lines(runFiles(r.runDir).completed);
  assert.is(marks.filter((m) => m.status === 'ok').length, 2);
  assert.ok(marks.filter((m) => m.adaptive === 'budget').every((m) => m.why === 'no claims were given to spend the budget on'));
});

test('a budget spent before the first stage ends: the rest is marked, nothing more runs', async () => {
  const a = fakePlatform('fake-a');
  const loaded = fakeExperiment(['fake-a'], ['fake-bench'], { name: 'budget-3', budgetS: 1, repetitions: { instances: 3, iterations: 1 }, timeouts: { startS: 5, cellS: 5 } });
  const slow = fakeWorkload('fake-bench', ['ok'], [100], () => new Promise((res) => setTimeout(res, 600)));
  const r = await runExperiment(loaded, fakeDeps([a], [slow], { claimOracle: oracle }));
  const marks = lines(runFiles(r.runDir).completed);
  assert.is(marks.filter((m) => m.status === 'ok').length, 2, 'the second instance started before the deadline; the third did not');
  assert.ok(marks.some((m) => m.adaptive === 'budget' && /the budget was spent before this instance of the first stage/.test(m.why)));
});

test.run();
