import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseExperiment } from '../../src/experiment/load.ts';
import { makePlan } from '../../src/experiment/plan.ts';
import { paths, runFiles } from '../../src/paths.ts';
import { acquireRunLock } from '../../src/run/lock.ts';
import { checkSameHost, pendingInstances, planDifference, planRepair, readStoredRun, repairStore, ResumeRefused } from '../../src/run/resume.ts';
import type { Completion } from '../../src/rundir/index.ts';
import { latestAttempts } from '../../src/stats/analyze.ts';
import type { Environment, Plan, Sample } from '../../src/types.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-resume-test-'));
const files = { samples: 'run/samples.jsonl', completed: 'run/logs/completed.jsonl' };

const s = (cell: string, instance: number, iteration: number, attempt = 0, status: Sample['status'] = 'ok'): Sample => ({
  schema: 1, run: 'r', cell, platform: 'native', workload: 'sysbench-cpu', job: 'default', params: {}, instance, attempt, iteration,
  metric: status === 'ok' ? 'events_per_s' : null, value: status === 'ok' ? 100 + iteration : null, unit: status === 'ok' ? 'events/s' : null,
  better: status === 'ok' ? 'higher' : null, status, startedAt: 't', endedAt: 't',
});
const done = (cell: string, instance: number, samples: number, attempt = 0, status: Completion['status'] = 'ok'): Completion =>
  ({ schema: 1, cell, instance, attempt, status, samples, endedAt: 't' });
const jsonl = (xs: unknown[]) => xs.map((x) => `${JSON.stringify(x)}\n`).join('');

test('only attempts with a matching completion marker are kept; an interrupted instance\'s samples are dropped', () => {
  const samples = [s('a', 0, 0), s('a', 0, 1), s('b', 0, 0)]; // b/0 was interrupted after its first iteration
  const r = planRepair(jsonl(samples), jsonl([done('a', 0, 2)]), files);
  assert.equal(r.samples.map((x) => `${x.cell}/${x.iteration}`), ['a/0', 'a/1']);
  assert.equal(r.dropped.map((x) => x.cell), ['b']);
  assert.ok(r.rewrite);
  assert.equal(r.keptLines, samples.slice(0, 2).map((x) => JSON.stringify(x)), 'kept lines are byte-identical');
});

test('a half-written last line is reported with its line number and removed', () => {
  const text = jsonl([s('a', 0, 0)]) + JSON.stringify(s('a', 0, 1)).slice(0, 50);
  const r = planRepair(text, jsonl([done('a', 0, 1)]), files);
  assert.is(r.halfWrittenLine, 2);
  assert.is(r.samples.length, 1);
  assert.ok(r.rewrite);
});

test('a marker whose sample count does not match the store does not count, and its samples go', () => {
  const r = planRepair(jsonl([s('a', 0, 0)]), jsonl([done('a', 0, 2)]), files);
  assert.is(r.samples.length, 0);
  assert.is(r.badCompletions.length, 1);
  assert.is(r.completions.length, 0);
});

test('an intact store needs no rewrite', () => {
  const r = planRepair(jsonl([s('a', 0, 0)]), jsonl([done('a', 0, 1)]), files);
  assert.not.ok(r.rewrite);
});

test('damage before the last line is an error naming the file and line, not something to repair silently', () => {
  const text = `${JSON.stringify(s('a', 0, 0)).slice(0, 30)}\n${jsonl([s('a', 0, 1)])}`;
  assert.throws(() => planRepair(text, '', files), /run\/samples\.jsonl:1: not valid JSON/);
});

const plan: Plan = {
  schema: 1, experiment: 'x.yaml', seed: 1, cells: [],
  order: [{ cell: 'a', instance: 0 }, { cell: 'b', instance: 0 }, { cell: 'a', instance: 1 }, { cell: 'b', instance: 1 }],
};

test('pending: every planned instance without a completed attempt, in plan order', () => {
  const { pending, done: n } = pendingInstances(plan, [done('a', 0, 1), done('b', 1, 1, 0, 'failed')], false);
  assert.equal(pending.map((p) => `${p.cell}/${p.instance}/${p.attempt}`), ['b/0/0', 'a/1/0']);
  assert.is(n, 2);
});

test('--retry-failed: failed, timed-out and skipped (never measured) instances run again as the next attempt; ok ones do not', () => {
  const completions = [done('a', 0, 1), done('b', 0, 1, 0, 'timeout'), done('a', 1, 1, 0, 'failed'), done('a', 1, 1, 1, 'failed'), done('b', 1, 1, 0, 'skipped')];
  const { pending } = pendingInstances(plan, completions, true);
  assert.equal(pending.map((p) => `${p.cell}/${p.instance}/${p.attempt}/${p.retry}`), ['b/0/1/true', 'a/1/2/true', 'b/1/1/true']);
  const ok = pendingInstances(plan, [...completions, done('a', 1, 1, 2)], true);
  assert.equal(ok.pending.map((p) => `${p.cell}/${p.instance}`), ['b/0', 'b/1'], 'a later ok attempt ends the retries');
});

test('an instance an adaptive cell skipped (marker, no samples) is done: kept by the repair, never retried', () => {
  const skip = { ...done('a', 1, 0, 0, 'skipped'), adaptive: 'precise' as const };
  const r = planRepair(jsonl([s('a', 0, 0)]), jsonl([done('a', 0, 1), skip]), files);
  assert.is(r.completions.length, 2);
  assert.not.ok(r.rewrite);
  const { pending, done: n } = pendingInstances(plan, r.completions, true);
  assert.equal(pending.map((p) => `${p.cell}/${p.instance}`), ['b/0', 'b/1']);
  assert.is(n, 2);
});

test('the analysis counts only the newest attempt of an instance (per host in a merged run)', () => {
  const old = { ...s('a', 0, 0, 0, 'failed'), error: 'x' };
  const newer = s('a', 0, 0, 1);
  const other = s('a', 1, 0, 0);
  const otherHost = { ...s('a', 0, 0, 0), host: 'h2' };
  assert.equal(latestAttempts([old, newer, other, otherHost]), [newer, other, otherHost]);
  assert.equal(latestAttempts([{ ...other, attempt: undefined }]), [{ ...other, attempt: undefined }], 'no attempt field = attempt 0');
});

test('another host is refused, naming both, unless forced', () => {
  const env = { run: 'r1', host: { hostname: 'alpha', cpuModel: 'Xeon' } } as Environment;
  assert.throws(() => checkSameHost(env, { hostname: 'beta', cpuModel: 'EPYC' }, false),
    (e: Error) => e instanceof ResumeRefused && /measured on alpha \(Xeon\); this is beta \(EPYC\).*--force/.test(e.message));
  assert.is(checkSameHost(env, { hostname: 'beta', cpuModel: 'EPYC' }, true), true);
  assert.is(checkSameHost(env, { hostname: 'alpha', cpuModel: 'Xeon' }, false), false);
});

const experimentText = `name: t
seed: 3
repetitions: { instances: 2, iterations: 1 }
resources: { cpus: 1, memory: 256 }
timeouts: { start: 10, cell: 10 }
platforms: [native]
workloads: [{ id: sysbench-cpu, params: { time: 1 } }]
`;

function storedRun(name: string, text = experimentText): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const loaded = parseExperiment('experiment.yaml', text);
  writeFileSync(path.join(dir, 'experiment.yaml'), text);
  writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(makePlan(loaded.experiment, 'experiment.yaml')));
  writeFileSync(path.join(dir, 'environment.json'), JSON.stringify({
    schema: 1, run: name, startedAt: 't', host: { hostname: os.hostname(), cpuModel: os.cpus()[0].model }, platforms: [], hostChanges: [],
    experiment: { file: 'experiment.yaml', sha256: loaded.sha256 },
  }));
  return dir;
}

test('a stored run is read with its own experiment, plan and seed', async () => {
  const dir = storedRun('good');
  const r = await readStoredRun(dir);
  assert.is(r.plan.seed, 3);
  assert.is(r.plan.order.length, 2);
  assert.is(r.runId, 'good');
});

test('a stored experiment that no longer validates is refused, naming why', async () => {
  const dir = storedRun('invalid');
  writeFileSync(path.join(dir, 'experiment.yaml'), experimentText.replace('platforms: [native]', 'platforms: [native, frobnicator]'));
  try {
    await readStoredRun(dir);
    assert.unreachable('refused');
  } catch (e) {
    assert.instance(e, ResumeRefused);
    assert.match((e as Error).message, /no longer validates.*experiment\.yaml.*platforms\[1\]: unknown platform 'frobnicator'/);
  }
});

test('an edited stored experiment (valid, other hash) and a plan that does not match are refused', async () => {
  const edited = storedRun('edited');
  writeFileSync(path.join(edited, 'experiment.yaml'), experimentText.replace('seed: 3', 'seed: 4'));
  await readStoredRun(edited).then(() => assert.unreachable('refused'), (e: Error) => assert.match(e.message, /changed since the run started/));
  const a = makePlan(parseExperiment('x', experimentText).experiment, 'x');
  const b = makePlan(parseExperiment('x', experimentText.replace('time: 1', 'time: 2')).experiment, 'x');
  assert.match(planDifference(a, b) ?? '', /cell [0-9a-f]{12} \(native · sysbench-cpu\/default\) is not a cell/);
  assert.is(planDifference(a, a), null);
});

test('repairStore keeps a copy of the original in logs/ and rewrites the store without partial instances', () => {
  const dir = storedRun('repair');
  const f = runFiles(dir);
  const original = jsonl([s('a', 0, 0), s('b', 0, 0)]) + '{"schema":1,"ru';
  writeFileSync(f.samples, original);
  writeFileSync(f.completed, jsonl([done('a', 0, 1)]));
  const r = repairStore(dir, 'STAMP');
  assert.is(r.backup, path.join('logs', 'samples.jsonl.before-resume-STAMP'));
  assert.is(readFileSync(path.join(dir, r.backup!), 'utf8'), original);
  assert.is(readFileSync(f.samples, 'utf8'), jsonl([s('a', 0, 0)]));
  assert.ok(!readdirSync(dir).some((x) => x.includes('.tmp')), 'no temporary file left');
});

test('a run written without completion markers cannot be resumed', () => {
  const dir = storedRun('old');
  writeFileSync(runFiles(dir).samples, jsonl([s('a', 0, 0)]));
  assert.throws(() => repairStore(dir, 'x'), /completed\.jsonl: missing/);
});

test('the run lock: a live holder is refused, named; a dead one is taken over; release removes only our own lock', () => {
  const saved = process.env.ISOBENCH_DATA;
  process.env.ISOBENCH_DATA = path.join(tmp, 'data');
  try {
    mkdirSync(paths.runs(), { recursive: true });
    writeFileSync(paths.lock(), JSON.stringify({ pid: 1, run: 'other-run' })); // pid 1 is alive
    assert.throws(() => acquireRunLock('mine'), /another isobench run is in progress: run other-run \(pid 1, .*other-run\)/);
    writeFileSync(paths.lock(), JSON.stringify({ pid: 2 ** 22 + 1, run: 'crashed-run' })); // above pid_max: never alive
    const lock = acquireRunLock('mine');
    assert.equal(lock.takenOver, { run: 'crashed-run', pid: 2 ** 22 + 1 });
    lock.release();
    assert.not.ok(existsSync(paths.lock()));
  } finally {
    if (saved === undefined) delete process.env.ISOBENCH_DATA;
    else process.env.ISOBENCH_DATA = saved;
  }
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
