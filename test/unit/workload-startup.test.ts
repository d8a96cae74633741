import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError, type ExecResult, type Instance } from '../../src/types.ts';
import { workloadById } from '../../src/workloads/index.ts';
import { parseStartup, startup, startupArgv } from '../../src/workloads/startup.ts';
import { testHost } from '../helpers/host-changes.ts';

const isWorkloadError = (e: Error) => e instanceof WorkloadError;

const fixture = (f: string) => JSON.parse(readFileSync(path.join(root, 'test', 'fixtures', 'startup', f), 'utf8')) as ExecResult;
const MARKER = 'isobench-ready';
const idle = { exec: async () => { throw new Error('the startup workload must not use the long-lived instance'); }, stop: async () => {} } as unknown as Instance;

test('argv: the image\'s echo prints the marker', () => {
  assert.equal(startupArgv({ marker: MARKER }), ['/bin/echo', MARKER]);
});

test('times from real one-shot runs: first output, then exit', () => {
  assert.equal(parseStartup(fixture('native-echo.json'), MARKER), { firstOutputMs: 40.968681, exitMs: 41.307174 });
  assert.equal(parseStartup(fixture('runc-echo.json'), MARKER), { firstOutputMs: 149.28868, exitMs: 152.252718 });
});

test('a runtime that cannot start the command, a timeout, and silence are failures', () => {
  assert.throws(() => parseStartup(fixture('runc-missing-command.json'), MARKER), (e: Error) => e instanceof WorkloadError && /exit 1.*no such file or directory/.test(e.message));
  assert.throws(() => parseStartup(fixture('runc-timeout.json'), MARKER), (e: Error) => e instanceof WorkloadError && /did not exit within the timeout/.test(e.message));
  assert.throws(() => parseStartup(fixture('native-silent.json'), MARKER), (e: Error) => e instanceof WorkloadError && /without printing 'isobench-ready'/.test(e.message));
});

test('another output than the marker, or a first-output time after the exit, is refused', () => {
  const ok = fixture('native-echo.json');
  assert.throws(() => parseStartup({ ...ok, stdout: 'isobench-rea' }, MARKER), isWorkloadError);
  assert.throws(() => parseStartup({ ...ok, firstOutputMs: undefined }, MARKER), /no usable first-output time/);
  assert.throws(() => parseStartup({ ...ok, firstOutputMs: ok.ms + 1 }, MARKER), /no usable first-output time/);
});

test('no one-shot start on the platform: a WorkloadError that says so', async () => {
  try {
    await startup.run(idle, { marker: MARKER, timeoutS: 5 }, { cpus: 1, hostChanges: testHost });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof WorkloadError, String(e));
    assert.match((e as Error).message, /no one-shot start.*startup not measurable/);
  }
});

test('run: one fresh instance per iteration, with the timeout, two metrics', async () => {
  const calls: { argv: string[]; timeoutMs?: number }[] = [];
  const metrics = await startup.run(idle, { marker: MARKER, timeoutS: 7 }, {
    cpus: 1,
    hostChanges: testHost,
    oneShot: async (argv, opts) => { calls.push({ argv, timeoutMs: opts?.timeoutMs }); return fixture('runc-echo.json'); },
  });
  assert.equal(calls, [{ argv: ['/bin/echo', MARKER], timeoutMs: 7000 }]);
  assert.equal(metrics.map((m) => [m.name, m.value, m.better]), [['first_output_ms', 149.28868, 'lower'], ['exit_ms', 152.252718, 'lower']]);
  assert.is(workloadById('startup'), startup);
});

test.run();
