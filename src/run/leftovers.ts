// What a crashed run (kill -9, power loss) leaves running: processes it spawned and the instance it was measuring.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { platformById } from '../platforms/index.ts';
import type { Platform } from '../types.ts';
import { processAlive, terminate } from '../proc.ts';
import { instancePrefix, readInFlightRecord, type InFlight } from '../rundir/index.ts';
import { writeJsonAtomic } from '../rundir/write.ts';

/** Every process a run spawns inherits this variable, so a later session can find what a crashed one left running. */
export const SESSION_VAR = 'ISOBENCH_SESSION';

export type { InFlight };

/** Mark this process (and so everything it spawns from now on) as a session of runId. */
export function markSession(runId: string): string {
  const session = `${runId}:${process.pid}`;
  process.env[SESSION_VAR] = session;
  return session;
}

export function writeInFlight(file: string, r: InFlight): void {
  writeJsonAtomic(file, r);
}

export function clearInFlight(file: string): void {
  rmSync(file, { force: true });
}

/** pid and session of every process whose environment names a session of runId other than this process's. */
export function sessionProcesses(runId: string): { pid: number; session: string }[] {
  const out: { pid: number; session: string }[] = [];
  const prefix = `${SESSION_VAR}=${runId}:`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    const v = environ.split('\0').find((kv) => kv.startsWith(prefix));
    if (v) out.push({ pid: Number(entry), session: v.slice(SESSION_VAR.length + 1) });
  }
  return out;
}

const sessionPid = (session: string) => Number(session.slice(session.lastIndexOf(':') + 1));

/** A session is live while its pid runs isobench (a pid reused by another program does not count). */
function sessionAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!processAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('isobench');
  } catch {
    return false;
  }
}

/** The in-flight record in runDir's logs/ (validated: its namePrefix is an isobench instance name), or undefined. */
export function readInFlight(file: string): InFlight | undefined {
  return readInFlightRecord(path.dirname(path.dirname(file)));
}

/** Remove the instance an in-flight record names, through its platform; returns the names removed. */
export async function reapInFlight(r: InFlight, lookup: (id: string) => Platform | undefined = platformById): Promise<string[]> {
  const platform = lookup(r.platform);
  if (!platform?.reap) return []; // such a platform's instances are processes: the session marker finds them
  try {
    return await platform.reap(instancePrefix(r.namePrefix, `in-flight record of ${r.session}`));
  } catch (e) {
    log.warn(`${r.platform}: could not remove instance ${r.namePrefix}*: ${(e as Error).message}`);
    return [];
  }
}

/**
 * Stop what dead sessions of runId left behind: the instance that logs/in-flight.json names (through its platform's
 * reap), and processes carrying a dead session's marker. A live session's processes are never touched.
 * Returns one line per thing removed.
 */
export async function reapLeftovers(runId: string, inFlightFile: string, lookup: (id: string) => Platform | undefined = platformById): Promise<string[]> {
  const removed: string[] = [];
  const r = readInFlight(inFlightFile);
  if (r && sessionAlive(r.pid) && r.pid !== process.pid) throw new Error(`${inFlightFile}: isobench pid ${r.pid} is still measuring run ${runId}; stop it first`);
  if (r) for (const name of await reapInFlight(r, lookup)) removed.push(`${r.platform} instance ${name}`);
  clearInFlight(inFlightFile);
  for (const p of sessionProcesses(runId)) {
    if (sessionAlive(sessionPid(p.session))) continue; // a live session owns it
    let argv = '';
    try { argv = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' '); } catch { /* gone */ }
    await terminate(p.pid, 3_000, true);
    removed.push(`process ${p.pid} (${argv.slice(0, 80)}) of session ${p.session}`);
  }
  return removed;
}
