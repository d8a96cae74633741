// A server process inside an instance (MariaDB, memcached): started in the background, probed from the host, stopped.
import type { Instance } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { execOrThrow } from './exec.ts';

export interface ServerProcess {
  /** what it is, for messages: 'mariadbd' */
  name: string;
  /** pid inside the instance's pid namespace */
  pid: string;
  /** the server's own log file inside the instance, read into a failed sample */
  logPath: string;
}

/**
 * Start argv in the background inside the instance, its output into logPath, and return its pid.
 * The script is constant; argv and logPath reach it as positional parameters, never as shell syntax.
 */
export async function startServer(instance: Instance, name: string, argv: string[], logPath: string): Promise<ServerProcess> {
  // output redirected: a background child holding exec's pipes would keep the exec from returning
  const script = 'log="$1"; shift; "$@" >>"$log" 2>&1 & echo $!';
  const r = await execOrThrow(instance, ['sh', '-c', script, 'sh', logPath, ...argv], { timeoutMs: 30_000 });
  const pid = r.stdout.trim();
  if (!/^[0-9]+$/.test(pid)) throw new WorkloadError(`${name} did not start (printed '${pid.slice(0, 80)}' instead of its pid)`, r.stdout + r.stderr);
  return { name, pid, logPath };
}

/** The state letter of /proc/PID/stat ('R', 'S', 'Z', …), or undefined when there is no such process. */
export function procState(stat: string): string | undefined {
  return /\) ([A-Za-z]) /.exec(stat.slice(stat.lastIndexOf(')') - 1))?.[1];
}

/** Alive and not a zombie: an orphaned server is reparented to the instance's init, which may never reap it. */
export async function serverAlive(instance: Instance, s: ServerProcess): Promise<boolean> {
  const r = await instance.exec(['cat', `/proc/${s.pid}/stat`], { timeoutMs: 30_000 });
  const state = r.code === 0 ? procState(r.stdout) : undefined;
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** The last lines of the server's own log, for an error message ('' when it cannot be read). */
export async function serverLogTail(instance: Instance, s: Pick<ServerProcess, 'logPath'>, lines = 12): Promise<string> {
  const r = await instance.exec(['tail', '-n', String(lines), s.logPath], { timeoutMs: 30_000 }).catch(() => undefined);
  return r && r.code === 0 ? r.stdout.trimEnd() : '';
}

/** A WorkloadError carrying the server's log: a failed sample shows what the server itself said. */
export async function withServerLog(instance: Instance, s: Pick<ServerProcess, 'logPath'> & { name: string }, message: string, output = ''): Promise<WorkloadError> {
  const tail = await serverLogTail(instance, s);
  const last = tail.split('\n').filter((l) => /error|fatal|abort|can't|cannot|failed/i.test(l)).slice(-2).map((l) => l.trim()).join(' | ');
  return new WorkloadError(`${message}${last ? `; ${s.name} log: ${last}` : ''}`, `${output}${output ? '\n' : ''}--- ${s.name} log (${s.logPath}), last lines\n${tail}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ask politely (SIGTERM: MariaDB flushes and closes its files), wait up to graceS, then SIGKILL. */
export async function stopServer(instance: Instance, s: ServerProcess, graceS = 60): Promise<void> {
  await instance.exec(['kill', '-TERM', s.pid], { timeoutMs: 30_000 }).catch(() => undefined);
  const deadline = Date.now() + graceS * 1000;
  while (Date.now() < deadline) {
    if (!(await serverAlive(instance, s).catch(() => false))) return;
    await sleep(250);
  }
  await instance.exec(['kill', '-KILL', s.pid], { timeoutMs: 30_000 }).catch(() => undefined);
}

export type ProbeResult = { ready: true; detail: string } | { ready: false; why: string; fatal?: boolean };

/**
 * Probe from the host until the server answers, the server process has exited, or waitS has passed.
 * A fatal probe answer (the server answered with an error) ends the wait at once.
 */
export async function waitUntilServing(
  instance: Instance, s: ServerProcess, probe: () => Promise<ProbeResult>, waitS: number,
): Promise<string> {
  const deadline = Date.now() + waitS * 1000;
  let last = '';
  for (let attempt = 1; ; attempt++) {
    const r = await probe();
    if (r.ready) return r.detail;
    last = r.why;
    if (r.fatal) throw await withServerLog(instance, s, `${s.name} answered with an error: ${r.why}`);
    if (!(await serverAlive(instance, s))) throw await withServerLog(instance, s, `${s.name} exited before it served (last probe: ${last})`);
    if (Date.now() > deadline) throw await withServerLog(instance, s, `${s.name} did not accept connections within ${waitS} s (${attempt} probes; last: ${last})`);
    await sleep(250);
  }
}
