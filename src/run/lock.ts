// One run at a time per host: two runs would disturb each other's measurements.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { paths } from '../paths.ts';

export interface RunLock { release(): void }

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireRunLock(runId: string): RunLock {
  const file = paths.lock();
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, JSON.stringify({ pid: process.pid, run: runId }), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    let other: { pid?: number; run?: string } = {};
    try { other = JSON.parse(readFileSync(file, 'utf8')); } catch { /* half-written lock: treat as stale */ }
    if (other.pid && alive(other.pid)) {
      throw new Error(`another isobench run is in progress (run ${other.run}, pid ${other.pid}); wait for it or stop it — two runs would disturb each other's measurements`);
    }
    // The process that held it is gone (crash, kill -9): take it over.
    writeFileSync(file, JSON.stringify({ pid: process.pid, run: runId }));
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      rmSync(file, { force: true });
    },
  };
}
