// Where a run's time went, from the completion markers' times; and how a budget was spent, from logs/budget.jsonl.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseBudgetLog } from '../../src/rundir/budget-log.ts';
import type { Completion } from '../../src/rundir/formats.ts';
import { budgetSpent, timeSpent } from '../../src/stats/time-spent.ts';
import type { Environment, Plan } from '../../src/types.ts';

const cell = (id: string, platform: string, workload: string) => ({ id, platform, platformOptions: {}, workload, job: 'default', params: {} });
const plan = { schema: 1, experiment: 'x.yaml', seed: 1, cells: [cell('c1', 'runc', 'startup'), cell('c2', 'native', 'fio')], order: [] } as Plan;
const env = { startedAt: '2026-12-05T20:00:00.000Z', endedAt: '2026-12-05T20:01:00.000Z' } as Environment;
const mark = (c: string, i: number, timing?: Completion['timing'], extra: Partial<Completion> = {}): Completion =>
  ({ schema: 1, cell: c, instance: i, attempt: 0, status: 'ok', samples: 1, ...(timing ? { timing } : {}), endedAt: '2026-12-05T20:00:50.000Z', ...extra });

test('start, measured and stop add up per platform and per workload; waiting is the wall time outside any instance', () => {
  const t = timeSpent([mark('c1', 0, { startMs: 1000, measureMs: 2000, stopMs: 500 }), mark('c1', 1, { startMs: 1000, measureMs: 2000, stopMs: 500 }), mark('c2', 0, { startMs: 0, measureMs: 10_000, stopMs: 0 })], plan, env)!;
  assert.is(t.wallS, 60);
  assert.is(t.instancesS, 17);
  assert.is(t.waitingS, 43);
  assert.equal(t.byPlatform, [{ key: 'native', instances: 1, startS: 0, measuredS: 10, stopS: 0 }, { key: 'runc', instances: 2, startS: 2, measuredS: 4, stopS: 1 }]);
  assert.equal(t.byWorkload.map((r) => r.key), ['fio', 'startup']);
});

test('markers without times (runs before issue 18) give no time section', () => {
  assert.is(timeSpent([mark('c1', 0)], plan, env), null);
});

test('a budget: first stage, instances given per claim, what was not given and why', () => {
  const log = parseBudgetLog([
    JSON.stringify({ schema: 1, kind: 'look', look: 1, at: 'x', fraction: 0.5, spentAlpha: 0.03, level: 0.03, final: false, claims: [{ id: 'a', state: 'undecided', why: 'would need about 9 instances per side' }] }),
    JSON.stringify({ schema: 1, kind: 'give', at: 'x', cell: 'c1', instance: 2, claims: ['a', 'b'], why: 'narrows' }),
    JSON.stringify({ schema: 1, kind: 'give', at: 'x', cell: 'c1', instance: 3, claims: ['a'], why: 'narrows' }),
    // given, but its pair was then known to fail: skipped, not measured
    JSON.stringify({ schema: 1, kind: 'give', at: 'x', cell: 'c2', instance: 2, claims: ['b'], why: 'narrows' }),
    // given in a session that was interrupted, then given again by the resume: one instance
    JSON.stringify({ schema: 1, kind: 'give', at: 'x', cell: 'c1', instance: 3, claims: ['a'], why: 'narrows' }),
    JSON.stringify({ schema: 1, kind: 'look', look: 2, at: 'x', fraction: 1, spentAlpha: 0.05, level: 0.02, final: true, claims: [] }),
  ].join('\n'), 'budget.jsonl');
  const b = budgetSpent(900, log, [
    mark('c1', 0, undefined, { stage: 'first', why: 'first stage: every cell gets 2 instance(s)' }), mark('c1', 2, undefined, { stage: 'given', why: 'narrows' }), mark('c1', 3, undefined, { status: 'failed' }),
    mark('c2', 2, undefined, { status: 'skipped', samples: 1 }),
    mark('c1', 4, undefined, { status: 'skipped', samples: 0, adaptive: 'budget', why: 'not given: the budget was spent' }),
  ]);
  assert.equal(b, { budgetS: 900, firstStage: 1, given: 2, byClaim: [{ claim: 'a', instances: 2 }, { claim: 'b', instances: 1 }], notGiven: [{ why: 'not given: the budget was spent', instances: 1 }], looks: 2, finalLevel: 0.02 });
});

test("the first stage is the markers' stage; a marker from before the field (no stage) is read by its reason", () => {
  const log = parseBudgetLog('', 'budget.jsonl');
  const b = budgetSpent(900, log, [
    mark('c1', 0, undefined, { stage: 'first', why: 'every cell gets its minimum' }),
    mark('c1', 1, undefined, { why: 'first stage: every cell gets 2 instance(s)' }),
    mark('c1', 2, undefined, { stage: 'given', why: 'first stage of a sweep: reads like one, was given to a claim' }),
    mark('c1', 3, undefined, { why: 'narrows the interval of a' }),
    mark('c2', 0, undefined, { stage: 'first', why: 'first stage: every cell gets 2 instance(s)' }),
    mark('c2', 1, undefined, { stage: 'first' }),
  ]);
  assert.is(b.firstStage, 4);
});

test('a budget log line that is neither a look nor a gift is refused with file and line', () => {
  assert.throws(() => parseBudgetLog('{"schema":1,"kind":"give","cell":"../x","instance":1,"claims":[],"why":"w"}\n', 'b.jsonl'), /b\.jsonl:1: not a budget record/);
});

test.run();
