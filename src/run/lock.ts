// One run at a time per host: two runs would disturb each other's measurements.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { paths } from '../paths.ts';
import { processAlive } from '../proc.ts';
import { explainFsError } from './durable.ts';

export interface RunLock {
  release(): void;
  /** the run whose holder died without releasing the lock (crash, kill -9), when this lock was taken over from it */
  takenOver?: { run: string; pid: number };
}

export function acquireRunLock(runId: string): RunLock {
  const file = paths.lock();
  const mine = JSON.stringify({ pid: process.pid, run: runId });
  let takenOver: RunLock['takenOver'];
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, mine, { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${file}: cannot create the run lock: ${explainFsError(e)}`);
    let other: { pid?: number; run?: string } = {};
    try { other = JSON.parse(readFileSync(file, 'utf8')); } catch { /* half-written lock: treat as stale */ }
    if (other.pid && other.pid !== process.pid && processAlive(other.pid)) {
      throw new Error(`another isobench run is in progress: run ${other.run} (pid ${other.pid}, ${paths.run(String(other.run))}); ` +
        `wait for it or stop it with 'kill -INT ${other.pid}' — two runs at once would disturb each other's measurements`);
    }
    // The process that held it is gone (crash, kill -9): take it over.
    writeFileSync(file, mine);
    if (other.pid && other.run) takenOver = { run: other.run, pid: other.pid };
  }
  let released = false;
  return {
    takenOver,
    release() {
      if (released) return;
      released = true;
      // only our own lock: never remove one a later run took over
      try {
        if (readFileSync(file, 'utf8') === mine) rmSync(file, { force: true });
      } catch { /* already gone */ }
    },
  };
}
