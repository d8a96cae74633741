// The run stage on fake platforms and workloads (test/helpers/fakes.ts): start failures, hangs, crashes, a full disk and Ctrl-C,
// each in milliseconds, through the real scheduler, instance runner, store and adaptive stopping.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { paths, runFiles } from '../../src/paths.ts';
import { runExperiment, START_FAILURES_BEFORE_SKIP } from '../../src/run/scheduler.ts';
import type { Environment, Sample } from '../../src/types.ts';
import { fakeDeps, fakeExperiment, fakePlatform, fakeWorkload, fullDiskAfter } from '../helpers/fakes.ts';
import { useTempData } from '../helpers/temp-data.ts';

const test = suite('run stage on fakes');
useTempData(test, 'isobench-fakes');
const quiet = process.env.ISOBENCH_QUIET;
test.before(() => { process.env.ISOBENCH_QUIET = '1'; });
test.after(() => { if (quiet === undefined) delete process.env.ISOBENCH_QUIET; else process.env.ISOBENCH_QUIET = quiet; });

const samplesOf = (runDir: string): Sample[] => {
  const f = runFiles(runDir).samples;
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample) : [];
};
const completionsOf = (runDir: string) => readFileSync(runFiles(runDir).completed, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const byPlatform = (samples: Sample[], id: string) => samples.filter((s) => s.platform === id);
let n = 0;
const name = (what: string) => `${what}-${n++}`; // run ids are per second: each run gets its own name

test('failing starts: each is a failed sample, after two in a row the rest is skipped with the reason; the other platform runs', async () => {
  const broken = fakePlatform('fake-broken', ['fail']);
  const good = fakePlatform('fake-good');
  const loaded = fakeExperiment(['fake-broken', 'fake-good'], ['fake-bench'], { name: name('breaker'), repetitions: { instances: 4, iterations: 1 } });
  const r = await runExperiment(loaded, fakeDeps([broken, good], [fakeWorkload('fake-bench')]));
  const samples = samplesOf(r.runDir);
  const bad = byPlatform(samples, 'fake-broken');
  assert.equal(bad.map((s) => s.status), ['failed', 'failed', 'skipped', 'skipped']);
  assert.match(bad[0].error!, /^start: fake-broken: scripted start failure/);
  assert.match(bad[2].error!, new RegExp(`not attempted: the last ${START_FAILURES_BEFORE_SKIP} starts of fake-broken in this run failed`));
  assert.is(broken.log.events.filter((e) => e.startsWith('start')).length, START_FAILURES_BEFORE_SKIP, 'not started again after the breaker');
  assert.equal(byPlatform(samples, 'fake-good').map((s) => [s.status, s.value]), [['ok', 100], ['ok', 100], ['ok', 100], ['ok', 100]]);
  assert.is(completionsOf(r.runDir).length, 8, 'every instance has its marker');
  assert.equal(good.log.stops.sort(), good.log.starts.sort(), 'every started instance stopped');
});

test('a start that hangs is a timeout at startS; one that answers late is stopped when it finally comes', async () => {
  const hung = fakePlatform('fake-hung', ['hang']);
  const late = fakePlatform('fake-late', ['late'], { lateMs: 150 });
  const loaded = fakeExperiment(['fake-hung', 'fake-late'], ['fake-bench'], { name: name('hang'), repetitions: { instances: 1, iterations: 1 }, timeouts: { startS: 0.05, cellS: 1 } });
  const t0 = Date.now();
  const r = await runExperiment(loaded, fakeDeps([hung, late], [fakeWorkload('fake-bench')]));
  const samples = samplesOf(r.runDir);
  for (const id of ['fake-hung', 'fake-late']) {
    const [s] = byPlatform(samples, id);
    assert.is(s.status, 'timeout', id);
    assert.match(s.error!, new RegExp(`^start: ${id} start did not finish within 0.05 s`));
  }
  assert.ok(Date.now() - t0 < 2000, 'the timeout, not the hang, ended the start');
  await new Promise((res) => setTimeout(res, 200));
  assert.equal(late.log.stops, late.log.starts, 'the instance that came after its timeout was stopped');
  assert.is(late.log.starts.length, 1);
});

test('the same failure twice in a row skips the pair\'s other instances; a failure then a value does not', async () => {
  const p = fakePlatform('fake-p');
  const loaded = fakeExperiment(['fake-p'], ['fake-bench', 'fake-flaky'], { name: name('twice'), repetitions: { instances: 4, iterations: 1 }, timeouts: { startS: 1, cellS: 1 } });
  const r = await runExperiment(loaded, fakeDeps([p], [fakeWorkload('fake-bench', ['garbled']), fakeWorkload('fake-flaky', ['garbled', 'ok', 'garbled', 'ok'])]));
  const of = (w: string) => samplesOf(r.runDir).filter((s) => s.workload === w);
  assert.equal(of('fake-bench').map((s) => s.status), ['failed', 'failed', 'skipped', 'skipped']);
  assert.match(of('fake-bench')[2].error!, /fake-p · fake-bench failed twice in a row the same way in this run \(fake-bench printed no value\); first failure: fake-bench\/default instance 1, log logs\//);
  assert.equal(of('fake-flaky').map((s) => s.status), ['failed', 'ok', 'failed', 'ok'], 'a value in between: the failure is not lasting');
});

test('a start that hangs until its timeout is paid once: the platform\'s other instances are skipped at once', async () => {
  const hung = fakePlatform('fake-hung', ['hang']);
  const loaded = fakeExperiment(['fake-hung'], ['fake-bench'], { name: name('hang-once'), repetitions: { instances: 3, iterations: 1 }, timeouts: { startS: 0.05, cellS: 1 } });
  const r = await runExperiment(loaded, fakeDeps([hung], [fakeWorkload('fake-bench')]));
  const samples = samplesOf(r.runDir);
  assert.equal(samples.map((s) => s.status), ['timeout', 'skipped', 'skipped']);
  assert.match(samples[1].error!, /not attempted: a start of fake-hung in this run hung until its timeout \(start: .*\); first failure: fake-bench\/default instance 1, log logs\/[0-9a-f]+\/instance-0\.log; isobench run --resume --retry-failed tries again$/, samples[1].error);
});

test('a measurement that never answers is a timeout at cellS; the instance is stopped, the pair\'s other instances are skipped with a pointer to it', async () => {
  const p = fakePlatform('fake-p');
  const loaded = fakeExperiment(['fake-p'], ['fake-bench', 'fake-other'], { name: name('late'), repetitions: { instances: 2, iterations: 1 }, timeouts: { startS: 1, cellS: 0.05 } });
  const r = await runExperiment(loaded, fakeDeps([p], [fakeWorkload('fake-bench', ['late', 'ok']), fakeWorkload('fake-other', ['ok'])]));
  const samples = samplesOf(r.runDir).filter((s) => s.workload === 'fake-bench');
  assert.equal(samples.map((s) => s.status), ['timeout', 'skipped']);
  assert.match(samples[0].error!, /fake-bench on fake-p did not finish within 0.05 s/);
  assert.match(samples[1].error!, /not attempted: fake-p · fake-bench ran into its timeout in this run .*first failure: fake-bench\/default instance 1, log logs\//);
  assert.equal(samplesOf(r.runDir).filter((s) => s.workload === 'fake-other').map((s) => s.status), ['ok', 'ok'], 'another workload on the platform still runs');
  assert.is(p.log.stops.length, 3);
  assert.is(r.failed, 1);
});

test('an instance that dies mid-run: its later iterations fail with the cause, the next instance is fresh and measures', async () => {
  const p = fakePlatform('fake-p');
  const loaded = fakeExperiment(['fake-p'], ['fake-bench'], { name: name('crash'), repetitions: { instances: 2, iterations: 3 } });
  const r = await runExperiment(loaded, fakeDeps([p], [fakeWorkload('fake-bench', ['ok', 'crash', 'ok', 'ok', 'ok', 'ok'], [7])]));
  const samples = samplesOf(r.runDir);
  assert.equal(samples.map((s) => [s.instance, s.iteration, s.status]), [[0, 0, 'ok'], [0, 1, 'failed'], [0, 2, 'failed'], [1, 0, 'ok'], [1, 1, 'ok'], [1, 2, 'ok']]);
  assert.match(samples[1].error!, /fake-bench was killed \(SIGKILL\)/);
  assert.is(p.log.starts.length, 2);
  assert.equal(p.log.stops, p.log.starts);
});

test('output that is not a result is a failed sample, never a number', async () => {
  const p = fakePlatform('fake-p');
  const loaded = fakeExperiment(['fake-p'], ['fake-bench'], { name: name('garbled'), repetitions: { instances: 1, iterations: 2 } });
  const r = await runExperiment(loaded, fakeDeps([p], [fakeWorkload('fake-bench', ['garbled', 'ok'])]));
  const samples = samplesOf(r.runDir);
  assert.equal(samples.map((s) => [s.status, s.value]), [['failed', null], ['ok', 100]]);
  assert.is(samples[0].error, 'fake-bench printed no value');
});

test('a store that cannot be written ends the run with the resume command; the file ends with a whole line; the instance is stopped; the lock is free', async () => {
  const p = fakePlatform('fake-p');
  const loaded = fakeExperiment(['fake-p'], ['fake-bench'], { name: name('full'), repetitions: { instances: 3, iterations: 1 } });
  // writes: sample, marker, sample, marker, then the disk is full
  const err = await runExperiment(loaded, fakeDeps([p], [fakeWorkload('fake-bench')], { storeIo: fullDiskAfter(4) })).then(() => undefined, (e: Error) => e);
  assert.ok(err, 'the run fails');
  assert.is(err!.name, 'StoreError');
  assert.match(err!.message, /ENOSPC|no space left/i);
  assert.match(err!.message, /isobench run --resume /);
  const runDir = /--resume (\S+)/.exec(err!.message)![1];
  const text = readFileSync(runFiles(runDir).samples, 'utf8');
  assert.ok(text.endsWith('\n'));
  assert.is(samplesOf(runDir).length, 2);
  assert.is(p.log.starts.length, 3);
  assert.equal(p.log.stops, p.log.starts, 'the instance in flight was stopped');
  assert.not.ok(existsSync(paths.lock()), 'the run lock is released');
});

test('Ctrl-C: the instance in flight is stopped, nothing more is stored, environment.json is completed, the lock is released', async () => {
  const p = fakePlatform('fake-p');
  let cleanup: ((s: NodeJS.Signals) => Promise<void>) | undefined;
  let interrupted: Promise<void> | undefined;
  // the third measurement hangs; while it does, the user presses Ctrl-C
  const w = fakeWorkload('fake-bench', ['ok', 'ok', 'late'], [100], (k) => {
    if (k === 2) setTimeout(() => { interrupted = cleanup!('SIGINT'); }, 20);
  });
  const loaded = fakeExperiment(['fake-p'], ['fake-bench'], { name: name('ctrlc'), repetitions: { instances: 4, iterations: 1 }, timeouts: { startS: 1, cellS: 5 } });
  const t0 = Date.now();
  const r = await runExperiment(loaded, fakeDeps([p], [w], { interrupt: (c) => { cleanup = c; } }));
  await interrupted;
  assert.ok(Date.now() - t0 < 2000, 'Ctrl-C ended the hung measurement, not its timeout');
  assert.equal(samplesOf(r.runDir).map((s) => s.status), ['ok', 'ok'], 'the killed instance is not recorded as failed');
  assert.is(completionsOf(r.runDir).length, 2);
  assert.is(p.log.starts.length, 3, 'no instance started after Ctrl-C');
  assert.equal(p.log.stops, p.log.starts);
  const env = JSON.parse(readFileSync(runFiles(r.runDir).environment, 'utf8')) as Environment;
  assert.ok(env.endedAt, 'environment.json completed');
  assert.not.ok(existsSync(paths.lock()));
  assert.not.ok(existsSync(runFiles(r.runDir).inFlight), 'no instance left in flight');
});

test('provisioning runs once per platform before any instance starts and is recorded; a failed one leaves the platform out', async () => {
  const built = fakePlatform('fake-built', ['ok'], { provision: 'ok' });
  const broken = fakePlatform('fake-unbuildable', ['ok'], { provision: 'fail' });
  const loaded = fakeExperiment(['fake-built', 'fake-unbuildable'], ['fake-bench'], { name: name('provision') });
  const r = await runExperiment(loaded, fakeDeps([built, broken], [fakeWorkload('fake-bench')]));
  assert.is(built.log.events[0], 'provision 1', 'provisioned before its first start');
  assert.is(built.log.events.filter((e) => e.startsWith('provision')).length, 1);
  assert.is(broken.log.starts.length, 0, 'a platform whose provisioning failed is never started');
  const env = JSON.parse(readFileSync(runFiles(r.runDir).environment, 'utf8')) as Environment;
  assert.equal(env.provisioned!.map((p) => [p.platform, p.what]), [['fake-built', ['fake image for 1 option set(s)']]]);
  assert.match(env.platforms.find((p) => p.id === 'fake-unbuildable')!.reason!, /provisioning failed: scripted provisioning failure/);
});

test('adaptive repetitions: a cell whose values agree stops at its two-stage plan (here minInstances); the rest are markers with no samples', async () => {
  const p = fakePlatform('fake-p');
  const loaded = fakeExperiment(['fake-p'], ['fake-bench'], {
    name: name('adaptive'),
    repetitions: { instances: 6, iterations: 1, adaptive: { targetHalfWidth: 0.05, minInstances: 3, maxInstances: 6, budgetS: 60 } },
  });
  const r = await runExperiment(loaded, fakeDeps([p], [fakeWorkload('fake-bench', ['ok'], [100, 100.1, 100, 100.1])]));
  assert.is(samplesOf(r.runDir).length, 3);
  const marks = completionsOf(r.runDir);
  assert.equal(marks.map((c) => c.adaptive ?? c.status), ['ok', 'ok', 'ok', 'planned', 'planned', 'planned']);
  assert.is(p.log.starts.length, 3);
});

test('adaptive repetitions: values that scatter plan more instances than allowed and run to maxInstances', async () => {
  const p = fakePlatform('fake-p');
  const loaded = fakeExperiment(['fake-p'], ['fake-bench'], {
    name: name('scatter'),
    repetitions: { instances: 5, iterations: 1, adaptive: { targetHalfWidth: 0.01, minInstances: 2, maxInstances: 5, budgetS: 60 } },
  });
  const r = await runExperiment(loaded, fakeDeps([p], [fakeWorkload('fake-bench', ['ok'], [10, 200, 40, 90, 5])]));
  assert.is(samplesOf(r.runDir).length, 5);
  const adaptiveLog = readFileSync(path.join(r.runDir, 'logs', 'adaptive.jsonl'), 'utf8');
  assert.match(adaptiveLog, /capped at 5/);
});

test.run();
