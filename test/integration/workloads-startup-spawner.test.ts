import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { native } from '../../src/platforms/native.ts';
import { startupSpawner, timedRun } from '../../src/platforms/startup-spawner.ts';
import { run, which } from '../../src/proc.ts';
import { startup } from '../../src/workloads/startup.ts';
import type { Instance, InstanceSpec } from '../../src/types.ts';
import { testHost } from '../helpers/host-changes.ts';
import { processesMentioning } from '../helpers/processes.ts';
import { skip } from '../helpers/skip.ts';
import { useTempData } from '../helpers/temp-data.ts';

const test = suite('workloads-startup-spawner');
const data = useTempData(test, 'isobench-spawner-test');
const noGcc = () => (which('gcc') ? false : (skip('gcc not installed (apt-get install gcc libc6-dev): the spawner cannot be built', ['gcc']), true));

test('the real spawner on /bin/echo: the marker, 0 < first output <= marker <= exit, the spawner named as the clock', async () => {
  if (noGcc()) return;
  const r = await timedRun(['echo', 'isobench-ready'], { timeoutMs: 10_000, marker: 'isobench-ready' });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'isobench-ready\n');
  assert.equal(r.hostArgv, [which('echo'), 'isobench-ready'], 'the command that ran, found on PATH, not the spawner');
  assert.ok(r.firstOutputMs! > 0, `first output at ${r.firstOutputMs}`);
  assert.ok(r.markerMs! >= r.firstOutputMs!, `marker at ${r.markerMs}, first output at ${r.firstOutputMs}`);
  assert.ok(r.ms >= r.markerMs!, `exit at ${r.ms}, marker at ${r.markerMs}`);
  assert.match(r.method!, /^clock: isobench's startup-spawner/);
});

test('a failing command: its exit code and stderr, no first output; a missing one: 127', async () => {
  if (noGcc()) return;
  const r = await timedRun(['/bin/sh', '-c', 'echo broken >&2; exit 7'], { timeoutMs: 10_000 });
  assert.equal([r.code, r.signal, r.stderr, r.firstOutputMs, r.timedOut], [7, null, 'broken\n', undefined, false]);
  const missing = await timedRun(['/no/such/isobench-command'], { timeoutMs: 10_000 });
  assert.is(missing.code, 127);
  assert.match(missing.stderr, /No such file or directory/);
});

test('a command that hangs: killed at the timeout with everything it started, reported as timed out', async () => {
  if (noGcc()) return;
  const tag = `999.${process.pid}`; // a sleep length no other process on the host uses
  const r = await timedRun(['/bin/sh', '-c', `echo started; sleep ${tag} & sleep ${tag}`], { timeoutMs: 500 });
  assert.is(r.timedOut, true);
  assert.is(r.signal, 'SIGKILL');
  assert.is(r.stdout, 'started\n', 'what it printed before the timeout is kept');
  assert.ok(r.ms >= 500, `timed out after ${r.ms} ms`);
  // the spawner's group SIGKILL is sent before it exits; a loaded host may take a moment to finish the others' exits
  for (let i = 0; i < 200 && processesMentioning(`sleep ${tag}`).length > 0; i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(processesMentioning(`sleep ${tag}`), [], 'the hung command and its background child are gone');
});

test('a spawner killed from outside (proc.ts\'s backstop, Ctrl-C) takes its command with it', async () => {
  if (noGcc()) return;
  const spawner = await startupSpawner();
  const tag = `888.${process.pid}`;
  const r = await run([spawner, '--timeout-ms', '60000', '--', '/bin/sleep', tag], { timeoutMs: 300 });
  assert.is(r.timedOut, true);
  assert.is(r.stdout, '', 'no report from a killed spawner');
  for (let i = 0; i < 200 && processesMentioning(`sleep ${tag}`).length > 0; i++) await new Promise((res) => setTimeout(res, 10));
  assert.equal(processesMentioning(`sleep ${tag}`), [], 'the command is in the spawner\'s group: the group kill ends it too');
});

test('native startup runs through the spawner: the pinned command named, the method recorded, exit after first output', async () => {
  if (noGcc()) return;
  if (!which('taskset')) return skip('taskset not installed (apt-get install util-linux)', ['taskset']);
  const spec = (i: number): InstanceSpec => ({ name: `isobench-it-spawner-${process.pid}-${i}`, cpus: 1, memoryMiB: 64, rootfs: '/', rootfsHash: 'host', options: {}, logDir: data(), hostChanges: testHost });
  let shots = 0;
  const r = await native.oneShot!(spec(shots++), ['/bin/echo', 'isobench-ready'], { timeoutMs: 10_000 });
  assert.equal(r.hostArgv, [which('taskset'), '-c', '0', '/bin/echo', 'isobench-ready']);
  const idle = {} as Instance;
  const metrics = await startup.run(idle, { marker: 'isobench-ready', timeoutS: 10 }, { cpus: 1, hostChanges: testHost, oneShot: (argv, o) => native.oneShot!(spec(shots++), argv, o) });
  const [first, exit] = metrics;
  assert.ok(first.value > 0 && exit.value >= first.value, `first output ${first.value} ms, exit ${exit.value} ms`);
  assert.match(first.note ?? '', /startup-spawner/, 'the sample says which clock timed it');
});

test.run();
