import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { parseSpawnerReport, resolveCommand, resultOfReport, SETTLE_MS, spawnerArgv, timedRun } from '../../src/platforms/startup-spawner.ts';
import { which } from '../../src/proc.ts';

const fixture = (f: string) => readFileSync(path.join(root, 'test', 'fixtures', 'startup-spawner', f), 'utf8');
const echo = ['/usr/bin/taskset', '-c', '0', '/bin/echo', 'isobench-ready'];

test('argv: the spawner\'s flags, then -- and the command untouched', () => {
  assert.equal(spawnerArgv('/c/startup-spawner', ['/bin/echo', 'a b', '--', '-x'], { timeoutMs: 5000, marker: '-m', maxOutputBytes: 64 }), [
    '/c/startup-spawner', '--timeout-ms', '5000', '--marker', '-m', '--max-output', '64', '--settle-ms', String(SETTLE_MS), '--', '/bin/echo', 'a b', '--', '-x',
  ]);
  assert.not.ok(spawnerArgv('/s', ['/bin/true'], { timeoutMs: 1 }).includes('--marker'), 'no marker flag without a marker');
});

test('argv: no command, or a timeout that is not a positive whole number, is refused', () => {
  assert.throws(() => spawnerArgv('/s', [], { timeoutMs: 1000 }), /empty argv/);
  assert.throws(() => spawnerArgv('/s', ['/bin/true'], { timeoutMs: 0 }), /timeoutMs must be a positive integer/);
  assert.throws(() => spawnerArgv('/s', ['/bin/true'], { timeoutMs: 1.5 }), /timeoutMs must be a positive integer/);
});

test('the program is found on PATH before the clock; a path or an unknown name is left as given', () => {
  assert.equal(resolveCommand(['sh', '-c', 'true']), [which('sh')!, '-c', 'true']);
  assert.equal(resolveCommand(['/bin/echo', 'x']), ['/bin/echo', 'x']);
  assert.equal(resolveCommand(['isobench-no-such-program']), ['isobench-no-such-program']);
});

test('a real report: times in ms from ns, the output decoded, the real command named, the spawner in the method', () => {
  const r = resultOfReport(parseSpawnerReport(fixture('echo-marker.json')), echo, 99, 'isobench-ready');
  assert.is(r.stdout, 'isobench-ready\n');
  assert.is(r.code, 0);
  assert.is(r.signal, null);
  assert.is(r.firstOutputMs, 7.129188);
  assert.is(r.markerMs, 7.129188);
  assert.is(r.ms, 7.385302);
  assert.is(r.timedOut, false);
  assert.equal(r.hostArgv, echo);
  assert.match(r.method!, /startup-spawner \(posix_spawn, CLOCK_MONOTONIC/);
});

test('markerMs is given only when a marker was watched for', () => {
  assert.not.ok('markerMs' in resultOfReport(parseSpawnerReport(fixture('echo-marker.json')), echo, 99));
  const unseen = resultOfReport(parseSpawnerReport(fixture('capped.json')), echo, 99, 'isobench-ready');
  assert.ok('markerMs' in unseen && unseen.markerMs === undefined, 'watched for and not seen');
});

test('a timeout: no exit time (the elapsed time stands in), killed, what was printed kept', () => {
  const r = resultOfReport(parseSpawnerReport(fixture('timeout.json')), ['/bin/sh'], 310.5);
  assert.is(r.timedOut, true);
  assert.is(r.signal, 'SIGKILL');
  assert.is(r.code, null);
  assert.is(r.ms, 310.5);
  assert.is(r.stdout, 'started\n');
});

test('a command that cannot start is exit 127 with the reason; exit codes and signals come through', () => {
  const missing = resultOfReport(parseSpawnerReport(fixture('spawn-error.json')), ['/no/such/command'], 2);
  assert.is(missing.code, 127);
  assert.match(missing.stderr, /spawn \/no\/such\/command: No such file or directory/);
  assert.is(missing.firstOutputMs, undefined);
  const three = resultOfReport(parseSpawnerReport(fixture('exit-3.json')), ['/bin/sh'], 2);
  assert.equal([three.code, three.signal, three.stderr], [3, null, 'oops\n']);
  const term = resultOfReport(parseSpawnerReport(fixture('sigterm.json')), ['/bin/sh'], 2);
  assert.equal([term.code, term.signal], [null, 'SIGTERM']);
});

test('output past the cap is dropped with a marker naming how much', () => {
  const r = resultOfReport(parseSpawnerReport(fixture('capped.json')), ['/bin/echo'], 2);
  assert.is(r.stdout, 'isob\n[isobench: 11 more bytes of stdout dropped]');
});

test('anything but one well-formed report line is refused, naming the field', () => {
  const ok = JSON.parse(fixture('echo-marker.json')) as Record<string, unknown>;
  const line = (patch: Record<string, unknown>) => JSON.stringify({ ...ok, ...patch });
  assert.throws(() => parseSpawnerReport(''), /expected one JSON line, got nothing/);
  assert.throws(() => parseSpawnerReport(`${line({})}\n${line({})}`), /expected one JSON line, got 2 lines/);
  assert.throws(() => parseSpawnerReport('{"spawner":1,'), /not JSON/);
  assert.throws(() => parseSpawnerReport(line({ spawner: 2 })), /lacks "spawner": 1/);
  assert.throws(() => parseSpawnerReport(line({ first_output_ns: -1 })), /first_output_ns: expected a non-negative integer or null/);
  assert.throws(() => parseSpawnerReport(line({ exit_ns: 1.5 })), /exit_ns/);
  assert.throws(() => parseSpawnerReport(line({ pid: null })), /pid: expected a non-negative integer, got null/);
  assert.throws(() => parseSpawnerReport(line({ stdout_b64: 'a$==' })), /stdout_b64: expected base64/);
  assert.throws(() => parseSpawnerReport(line({ timed_out: 'no' })), /timed_out: expected true or false/);
  assert.throws(() => parseSpawnerReport(line({ marker_ns: 1 })), /marker_ns 1 before first_output_ns/);
  assert.throws(() => parseSpawnerReport(line({ exit_ns: null })), /no exit_ns/);
  assert.throws(() => parseSpawnerReport(line({ signal: 9 })), /exactly one of code and signal/);
  assert.throws(() => parseSpawnerReport(line({ stdout_bytes: 2 })), /more bytes than it counted/);
});

test('without a spawner (no gcc) the command still runs, and the method says Node\'s spawn() was timed and why', async () => {
  const r = await timedRun(['/bin/echo', 'isobench-ready'], { timeoutMs: 10_000 }, () => Promise.reject(new Error('startup-spawner: cannot run gcc (apt-get install gcc libc6-dev)')));
  assert.is(r.code, 0);
  assert.is(r.stdout, 'isobench-ready\n');
  assert.ok(r.firstOutputMs! > 0);
  assert.match(r.method!, /^clock: Node's spawn\(\) .*fork of isobench included \(the startup-spawner could not be built: startup-spawner: cannot run gcc/);
});

test('a spawner that gives no report is a failed run of the command, never a time', async () => {
  const r = await timedRun(['/bin/echo', 'x'], { timeoutMs: 10_000 }, async () => '/bin/false');
  assert.is(r.code, 1);
  assert.is(r.firstOutputMs, undefined);
  assert.match(r.stderr, /expected one JSON line, got nothing/);
  assert.equal(r.hostArgv, ['/bin/echo', 'x']);
});

test.run();
