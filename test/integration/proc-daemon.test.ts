import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { liveProcessGroups, processAlive, spawnDaemon, terminate, type Daemon } from '../../src/proc.ts';

// the daemon is unref'd, so a timer keeps Node alive until its exit event arrives
const exitOf = (d: Daemon) => Promise.race([d.exited, new Promise((r) => setTimeout(() => r('no exit event within 5 s'), 5_000))]);

test('spawnDaemon returns at once, logs to the file, is tracked as live until terminate() ends it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-daemon-'));
  const logFile = path.join(dir, 'd.log');
  try {
    const d = spawnDaemon(['sh', '-c', 'echo started; exec sleep 30'], logFile);
    assert.ok(processAlive(d.pid));
    assert.ok(liveProcessGroups().includes(d.pid));
    for (let i = 0; i < 100 && !readFileSync(logFile, 'utf8').includes('started'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.is(readFileSync(logFile, 'utf8'), 'started\n');
    const t0 = Date.now();
    await terminate(d.pid, 5_000);
    assert.ok(Date.now() - t0 < 4_000, 'sleep dies on SIGTERM, no SIGKILL wait');
    assert.not.ok(processAlive(d.pid));
    assert.equal(await exitOf(d), { code: null, signal: 'SIGTERM' });
    assert.not.ok(liveProcessGroups().includes(d.pid));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('terminate() escalates to SIGKILL when SIGTERM is ignored', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-daemon-'));
  try {
    const d = spawnDaemon(['sh', '-c', "trap '' TERM; while :; do sleep 0.1; done"], path.join(dir, 'd.log'));
    await new Promise((r) => setTimeout(r, 200)); // let the trap be set
    await terminate(d.pid, 300, true);
    assert.not.ok(processAlive(d.pid));
    assert.equal(await exitOf(d), { code: null, signal: 'SIGKILL' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing binary is an error at once, not a silent daemon', () => {
  assert.throws(() => spawnDaemon(['/nonexistent/isobench-daemon'], path.join(os.tmpdir(), 'isobench-missing-daemon.log')), /could not be started/);
  rmSync(path.join(os.tmpdir(), 'isobench-missing-daemon.log'), { force: true });
});

test.run();
