// A budgeted run on fakes: every cell its first stage, then instances only where an undecided claim rests, with the
// reason logged, the looks at the claims in logs/budget.jsonl, and what was not given marked so a resume skips it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runFiles } from '../../src/paths.ts';
import type { ClaimOracle } from '../../src/run/budget.ts';
import { runExperiment } from '../../src/run/scheduler.ts';
import { budgetBefore, budgetUsedMs } from '../../src/run/budget-resume.ts';
import { budgetPlanner, type ClaimStatus } from '../../src/run/budget.ts';
import { parseBudgetLog } from '../../src/rundir/budget-log.ts';
import { sequentialRecord } from '../../src/stats/analyze.ts';
import { pocockSpent } from '../../src/stats/sequential.ts';
import { ResumeRefused } from '../../src/run/resume.ts';
import type { Environment, Plan, Sample } from '../../src/types.ts';
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
  const first = marks.filter((m) => m.status === 'ok' && m.stage === 'first');
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

// a resume re-reads its run directory with the real experiment loader, which fake platforms cannot pass: the two sessions
// here are the planner's, wired as src/run/scheduler.ts measurePending wires a resumed session (budgetBefore, budgetUsedMs)
const SEC = 1000;
function session(file: string, o: { startMs: number; clock: { t: number }; values: { n: number }; before?: ReturnType<typeof budgetBefore> }) {
  const startMs = o.startMs - (o.before?.usedMs ?? 0);
  return budgetPlanner({
    file, oracle: () => oracleStatus(o.values.n), env: () => ({}) as Environment, plan: {} as Plan, startMs, deadlineMs: startMs + 100 * SEC,
    costOf: () => SEC, now: () => o.clock.t,
    ...(o.before ? { spentBefore: o.before.spentBefore, looksBefore: o.before.looksBefore, lastFractionBefore: o.before.lastFraction, decidedBefore: o.before.decided } : {}),
  });
}
/** a claim with a side 'b' of n values: open (p 0.5) until n reaches 90, then it holds */
const oracleStatus = (n: number): ClaimStatus[] => [{
  id: 'c', p: n < 90 ? { support: 0.5, refute: 0.5 } : { support: 1e-9, refute: 1 }, verdict: n < 90 ? 'inconclusive' : 'reproduced', thin: [],
  open: n < 90 ? [{ label: 'b / a', bound: 0.97, p: 0.5, terms: [{ side: { cell: 'b', mean: 100, sd: 1, n }, sign: 1 }, { side: { cell: 'a', mean: 100, sd: 1, n: 90 }, sign: -1 }] }] : [],
}, { id: 'early', p: { support: 1e-9, refute: 1 }, verdict: 'reproduced', thin: [], open: [] }];

function spend(planner: ReturnType<typeof budgetPlanner>, clock: { t: number }, values: { n: number }, until: number): void {
  planner.look(false);
  while (clock.t < until) {
    if (planner.lookDue()) planner.look(false);
    const pick = planner.next(new Set(['a', 'b']));
    if (!pick) break;
    if (pick.cell === 'b') values.n++;
    clock.t += SEC;
  }
}

test('an interrupted budgeted run resumed: its looks go on in number and time, α is spent once, decided claims stay decided', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'isobench-budget-resume-'));
  try {
    const file = path.join(dir, 'budget.jsonl');
    const clock = { t: 0 };
    const values = { n: 2 };
    // session 1: 45 s of a 100 s budget, then killed (no last look)
    spend(session(file, { startMs: 0, clock, values }), clock, values, 45 * SEC);
    const first = parseBudgetLog(readFileSync(file, 'utf8'), file).looks;
    assert.ok(first.length >= 4 && first.every((l) => !l.final), JSON.stringify(first.map((l) => [l.look, l.fraction, l.claims.map((c) => c.why)])));
    assert.is(first[1].claims.find((c) => c.id === 'early')!.state, 'reproduced', 'decided at the second look (the first, at 0% of the budget, spends nothing)');
    // session 2 starts an hour later; it used 45 s before
    clock.t = 3600 * SEC;
    const before = budgetBefore(parseBudgetLog(readFileSync(file, 'utf8'), file), 45 * SEC);
    assert.equal([...before.decided], [['early', 'reproduced']]);
    const planner = session(file, { startMs: clock.t, clock, values, before });
    spend(planner, clock, values, clock.t + 55 * SEC);
    planner.look(true);
    const looks = parseBudgetLog(readFileSync(file, 'utf8'), file).looks;
    looks.forEach((l, i) => assert.is(l.look, i + 1, 'look numbers go on'));
    for (let i = 1; i < looks.length; i++) {
      assert.ok(looks[i].fraction > looks[i - 1].fraction, `the budget's clock goes on (look ${i + 1} at ${looks[i].fraction} after ${looks[i - 1].fraction})`);
      assert.ok(looks[i].spentAlpha >= looks[i - 1].spentAlpha);
    }
    assert.ok(looks[first.length].fraction >= 0.45, 'the resumed session does not start the budget again');
    assert.ok(looks.length <= 12, `a look every tenth of the budget over both sessions, not more (${looks.length})`);
    // the claim closes at 88% of the budget, which ends the run: its looks spent α(0.88), once, over both sessions
    const sum = looks.reduce((t, l) => t + l.level, 0);
    assert.ok(Math.abs(sum - pocockSpent(0.05, looks.at(-1)!.fraction)) < 1e-12 && sum <= 0.05, `α spent over both sessions: ${JSON.stringify(looks.map((l) => [l.fraction, l.level, l.final]))}`);
    for (const l of looks.slice(first.length)) assert.is(l.claims.find((c) => c.id === 'early')!.why, 'decided at an earlier look');
    // the analysis reads the decision where the resume read it: at the look that made it, never at a look carrying it over
    const d = sequentialRecord(parseBudgetLog(readFileSync(file, 'utf8'), file)).decided.get('early')!;
    assert.equal([d.state, d.look, d.level], ['reproduced', first[1].look, first[1].level]);
    assert.is(looks.at(-1)!.claims.find((c) => c.id === 'c')!.state, 'reproduced');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a budgeted run whose last look was made cannot be resumed to measure more: refused with the reason', () => {
  const log = parseBudgetLog(`${JSON.stringify({ schema: 1, kind: 'look', look: 3, at: 'x', fraction: 0.6, spentAlpha: 0.033, level: 0.004, final: true, claims: [] })}\n`, 'budget.jsonl');
  assert.throws(() => budgetBefore(log, 0), (e: Error) => e instanceof ResumeRefused
    && /made its last look at the claims \(look 3, 60% of its budget, α spent 0\.033\): measuring more now would test at a moment its results chose; start a new run instead/.test(e.message));
  assert.equal(budgetBefore(null, 1234), { usedMs: 1234, decided: new Map() }, 'interrupted before any look: only the time');
});

test('the budget time earlier sessions used: from each session\'s start to its last completed instance', () => {
  const mark = (endedAt: string) => ({ schema: 1 as const, cell: 'c', instance: 0, attempt: 0, status: 'ok' as const, samples: 1, endedAt });
  const starts = ['2026-01-01T00:00:00Z', '2026-01-01T05:00:00Z', '2026-01-01T06:00:00Z'];
  const marks = [mark('2026-01-01T00:01:00Z'), mark('2026-01-01T00:03:00Z'), mark('2026-01-01T05:02:00Z')];
  assert.is(budgetUsedMs(starts, marks), 5 * 60_000, '3 min in the first session, 2 in the second; the hours between do not count');
  assert.is(budgetUsedMs(starts.slice(0, 1), marks), 0, 'no earlier session');
});

test.run();
