// The one process runner: argv arrays only (no shell), timeouts that kill the whole process group.
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from './log.ts';
import type { ExecResult } from './types.ts';

export interface RunOptions {
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string | Buffer;
  /** do not capture output (for daemons and detached runtimes whose stdio must not be held) */
  ignoreOutput?: boolean;
  /** pass output straight to ours instead of capturing it (long provisioning steps the user watches) */
  inheritOutput?: boolean;
  /** cap on captured bytes per stream; the rest is dropped with a marker */
  maxOutputBytes?: number;
  /** a line to watch stdout for (a console carries other lines first): its arrival time becomes the result's markerMs */
  markerLine?: string;
}

/** Finds the first whole line equal to `marker` in a stream that arrives in chunks (lines end in \n, a \r before it is dropped). */
export function lineWatcher(marker: string): (chunk: string) => boolean {
  let partial = ''; // the unfinished last line, or as much of it as could still equal the marker
  let seen = false;
  return (chunk) => {
    if (seen) return true;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    // a line already longer than the marker and its \r can never equal it: keep a stub that stays too long
    if (partial.length > marker.length + 1) partial = '\u0000'.repeat(marker.length + 2);
    seen = lines.some((l) => l.replace(/\r$/, '') === marker);
    return seen;
  };
}

const live = new Set<number>();

/** Process groups still running, so a signal handler can kill them. */
export function liveProcessGroups(): number[] {
  return [...live];
}

export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
  } catch {
    try { process.kill(pid, signal); } catch { /* already gone */ }
  }
}

/** Run argv[0] with argv[1..] as arguments; never throws for a non-zero exit. */
export function run(argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
  if (argv.length === 0) throw new Error('run: empty argv');
  const max = opts.maxOutputBytes ?? 16 * 1024 * 1024;
  log.debug(`$ ${formatArgv(argv)}`);
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', ...(opts.inheritOutput ? ['inherit', 'inherit'] as const : opts.ignoreOutput ? ['ignore', 'ignore'] as const : ['pipe', 'pipe'] as const)],
      detached: true, // own process group, so a timeout kills grandchildren too
    });
    if (child.pid) live.add(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let firstOutputMs: number | undefined;
    let markerMs: number | undefined;
    const watch = opts.markerLine !== undefined ? lineWatcher(opts.markerLine) : undefined;
    child.stdout?.on('data', (b: Buffer) => {
      const now = Number(process.hrtime.bigint() - t0) / 1e6;
      firstOutputMs ??= now;
      if (watch && markerMs === undefined && watch(b.toString('latin1'))) markerMs = now;
      if (outLen < max) out.push(b);
      outLen += b.length;
    });
    child.stderr?.on('data', (b: Buffer) => { if (errLen < max) err.push(b); errLen += b.length; });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          if (child.pid) killGroup(child.pid);
        }, opts.timeoutMs)
      : undefined;
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (timer) clearTimeout(timer);
      if (child.pid) live.delete(child.pid);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let stderr = Buffer.concat(err).toString('utf8');
      if (errLen > max) stderr += `\n[isobench: ${errLen - max} more bytes of stderr dropped]`;
      if (spawnError) stderr += `${stderr ? '\n' : ''}${spawnError.message}`;
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
        code: spawnError ? 127 : code,
        signal,
        ms,
        timedOut,
        hostArgv: argv,
        firstOutputMs,
        ...(watch ? { markerMs } : {}),
      });
    };
    child.on('error', (e) => finish(null, null, e));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** Like run, but throws a readable error on a non-zero exit or timeout. */
export async function runOk(argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
  const r = await run(argv, opts);
  if (r.timedOut) throw new Error(`${formatArgv(argv)}: timed out after ${opts.timeoutMs} ms`);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n');
    throw new Error(`${formatArgv(argv)}: exit ${r.code ?? r.signal}${tail ? `: ${tail}` : ''}`);
  }
  return r;
}

export interface Daemon {
  pid: number;
  /** resolves when the daemon exits (never rejects); awaiting it alone does not keep Node alive (the daemon is unref'd) */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start a long-running process in its own process group with stdout+stderr appended to logFile; not awaited, tracked as live. */
export function spawnDaemon(argv: string[], logFile: string, opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): Daemon {
  if (argv.length === 0) throw new Error('spawnDaemon: empty argv');
  log.debug(`$ ${formatArgv(argv)} >>${logFile} &`);
  const fd = openSync(logFile, 'a');
  let child;
  try {
    child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('error', () => resolve({ code: 127, signal: null }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  if (!child.pid) throw new Error(`${argv[0]}: could not be started (is it installed?)`);
  const pid = child.pid;
  live.add(pid);
  void exited.then(() => live.delete(pid));
  child.unref(); // a daemon must not keep this process alive; stop it explicitly
  return { pid, exited };
}

/** a daemon's exit; a timer keeps this process alive meanwhile (spawnDaemon unrefs the child, so Node would end first) */
export async function exitOf(d: Daemon): Promise<Awaited<Daemon['exited']>> {
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    return await d.exited;
  } finally {
    clearInterval(keepAlive);
  }
}

/** True while pid exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM, wait up to graceMs for the process to go, then SIGKILL its process group (or the process). Never throws. */
export async function terminate(pid: number, graceMs = 10_000, group = false): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try { process.kill(pid, sig); } catch { /* already gone */ }
  };
  if (!processAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!processAlive(pid)) return;
  log.debug(`pid ${pid} ignored SIGTERM for ${graceMs} ms: SIGKILL`);
  if (group) killGroup(pid);
  else signal('SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (processAlive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
}

/** Full path of an executable on PATH, or null. */
export function which(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/local/sbin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return null;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** argv shown for humans (methods section, logs); quoting only for display, never executed. */
export function formatArgv(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
