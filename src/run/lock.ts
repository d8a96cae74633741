// One run at a time per host: two runs would disturb each other's measurements.
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { paths } from '../paths.ts';
import { PLAIN_NAME, RefusedInput } from '../rundir/index.ts';
import { processAlive } from '../proc.ts';
import { CREATE_NEW, explainFsError, writeFileAtomic } from '../rundir/write.ts';

/** Create the lock file with `text`; EEXIST when any file, directory or link is there already (never followed). */
function createLock(file: string, text: string): void {
  const fd = openSync(file, CREATE_NEW, 0o644);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

/** The lock's text, read without following a link; a link or anything but a small regular file is an error. */
function readLock(file: string): string {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return '';
  if (!st.isFile()) throw new RefusedInput(`${file}: the run lock is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; isobench never writes through it — remove it (rm ${file}) if no run is in progress`);
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (fstatSync(fd).size > 4096) throw new Error(`${file}: the run lock is larger than a lock; remove it if no run is in progress`);
    const buf = Buffer.alloc(4096);
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

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
    createLock(file, mine);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${file}: cannot create the run lock: ${explainFsError(e)}`);
    const text = readLock(file);
    let other: { pid?: number; run?: string } = {};
    try { other = JSON.parse(text); } catch { /* half-written lock: treat as stale */ }
    if (other.pid && other.pid !== process.pid && processAlive(other.pid)) {
      throw new Error(`another isobench run is in progress: run ${other.run} (pid ${other.pid}, ${paths.run(String(other.run))}); ` +
        `wait for it or stop it with 'kill -INT ${other.pid}' — two runs at once would disturb each other's measurements`);
    }
    // The process that held it is gone (crash, kill -9): take it over (rename replaces the file, never a link's target).
    writeFileAtomic(file, mine);
    // the run id becomes a path (its in-flight record is reaped): only a plain name is taken over
    if (other.pid && typeof other.run === 'string' && PLAIN_NAME.test(other.run)) takenOver = { run: other.run, pid: other.pid };
  }
  let released = false;
  return {
    takenOver,
    release() {
      if (released) return;
      released = true;
      // only our own lock: never remove one a later run took over
      try {
        if (readLock(file) === mine) rmSync(file, { force: true });
      } catch { /* already gone */ }
    },
  };
}
