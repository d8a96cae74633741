// One-shot start-up timing without Node's fork in the window: a small C spawner (startup-spawner.c) starts the command
// with posix_spawn and times it with CLOCK_MONOTONIC, as hyperfine -N does; it is itself launched through proc.ts.
import path from 'node:path';
import { constants } from 'node:os';
import { compileCTool } from '../images/c-tool.ts';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { run, which } from '../proc.ts';
import type { ExecResult } from '../types.ts';

export const STARTUP_SPAWNER = 'startup-spawner';
export const startupSpawnerSource = path.join(paths.root, 'src', 'platforms', 'startup-spawner', 'startup-spawner.c');
const CFLAGS = ['-O2', '-std=c11', '-Wall'];

/** captured bytes per stream, as proc.ts's run() (a VM's console is the largest output a one-shot has) */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** proc.ts's own timeout, past the spawner's: only a spawner that hangs itself reaches it */
const BACKSTOP_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 120_000;
/** the spawner waits this long before its clock starts, so Node's work after forking it (copy-on-write faults) is over */
export const SETTLE_MS = 10;

export const SPAWNER_METHOD =
  `clock: isobench's startup-spawner (posix_spawn, CLOCK_MONOTONIC, as hyperfine -N; started ${SETTLE_MS} ms after the spawner, its own start outside): just before the spawn of the host command to its first stdout byte (or marker line) and to its exit`;

/** Which clock timed a result: the first words of a one-shot's method, for platforms that write their own (VMs). */
export function clockOf(r: Pick<ExecResult, 'method'>): string {
  return r.method?.startsWith("clock: isobench's startup-spawner") ? "the startup-spawner's posix_spawn" : "Node's spawn() (no startup-spawner: gcc missing)";
}

export interface TimedRunOptions {
  timeoutMs?: number;
  /** a line to watch stdout for: its arrival becomes markerMs */
  marker?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** The spawner's command line for argv (pure, for tests): flags first, then `--` and argv untouched. */
export function spawnerArgv(spawner: string, argv: string[], opts: { timeoutMs: number; marker?: string; maxOutputBytes?: number; settleMs?: number }): string[] {
  if (argv.length === 0) throw new Error(`${STARTUP_SPAWNER}: empty argv`);
  if (!Number.isInteger(opts.timeoutMs) || opts.timeoutMs <= 0) throw new Error(`${STARTUP_SPAWNER}: timeoutMs must be a positive integer, got ${opts.timeoutMs}`);
  return [
    spawner,
    '--timeout-ms', String(opts.timeoutMs),
    ...(opts.marker !== undefined ? ['--marker', opts.marker] : []),
    '--max-output', String(opts.maxOutputBytes ?? MAX_OUTPUT_BYTES),
    '--settle-ms', String(opts.settleMs ?? SETTLE_MS),
    '--', ...argv,
  ];
}

/** One line of the spawner's stdout, as it prints it. */
export interface SpawnerReport {
  pid: number;
  spawnError: string | null;
  firstOutputNs: number | null;
  markerNs: number | null;
  exitNs: number | null;
  code: number | null;
  signal: number | null;
  timedOut: boolean;
  stdout: Buffer;
  stdoutBytes: number;
  stderr: Buffer;
  stderrBytes: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Reads the spawner's JSON line; throws naming the field on anything else (a wrong time is never stored). */
export function parseSpawnerReport(text: string): SpawnerReport {
  const line = text.trim();
  if (!line || line.includes('\n')) throw new Error(`${STARTUP_SPAWNER}: expected one JSON line, got ${line ? `${line.split('\n').length} lines` : 'nothing'}`);
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(line) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${STARTUP_SPAWNER}: report is not JSON (${(e as Error).message}): ${line.slice(0, 200)}`);
  }
  if (typeof j !== 'object' || j === null || j.spawner !== 1) throw new Error(`${STARTUP_SPAWNER}: report lacks "spawner": 1 (another program's output?)`);
  const count = (k: string, nullable: boolean): number | null => {
    const v = j[k];
    if (v === null && nullable) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`${STARTUP_SPAWNER}: report field ${k}: expected a non-negative integer${nullable ? ' or null' : ''}, got ${JSON.stringify(v)}`);
    return v;
  };
  const bytes = (k: string): Buffer => {
    const v = j[k];
    if (typeof v !== 'string' || v.length % 4 !== 0 || !BASE64.test(v)) throw new Error(`${STARTUP_SPAWNER}: report field ${k}: expected base64, got ${JSON.stringify(v)?.slice(0, 80)}`);
    return Buffer.from(v, 'base64');
  };
  if (typeof j.timed_out !== 'boolean') throw new Error(`${STARTUP_SPAWNER}: report field timed_out: expected true or false, got ${JSON.stringify(j.timed_out)}`);
  if (j.spawn_error !== null && typeof j.spawn_error !== 'string') throw new Error(`${STARTUP_SPAWNER}: report field spawn_error: expected a string or null`);
  const r: SpawnerReport = {
    pid: count('pid', false)!,
    spawnError: j.spawn_error as string | null,
    firstOutputNs: count('first_output_ns', true),
    markerNs: count('marker_ns', true),
    exitNs: count('exit_ns', true),
    code: count('code', true),
    signal: count('signal', true),
    timedOut: j.timed_out,
    stdout: bytes('stdout_b64'),
    stdoutBytes: count('stdout_bytes', false)!,
    stderr: bytes('stderr_b64'),
    stderrBytes: count('stderr_bytes', false)!,
  };
  // the spawner's own invariants: a time it printed out of order is a broken spawner, not a measurement
  if (r.markerNs !== null && (r.firstOutputNs === null || r.markerNs < r.firstOutputNs)) throw new Error(`${STARTUP_SPAWNER}: marker_ns ${r.markerNs} before first_output_ns ${r.firstOutputNs}`);
  if (!r.timedOut && !r.spawnError && r.exitNs === null) throw new Error(`${STARTUP_SPAWNER}: report has no exit_ns although the command neither timed out nor failed to spawn`);
  if (!r.spawnError && !r.timedOut && (r.code === null) === (r.signal === null)) throw new Error(`${STARTUP_SPAWNER}: report must give exactly one of code and signal, got code ${r.code}, signal ${r.signal}`);
  if (r.stdout.length > r.stdoutBytes || r.stderr.length > r.stderrBytes) throw new Error(`${STARTUP_SPAWNER}: report holds more bytes than it counted`);
  return r;
}

const signalName = (n: number): string => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
const ms = (ns: number) => ns / 1e6;
const dropped = (stream: string, total: number, kept: number) => (total > kept ? `\n[isobench: ${total - kept} more bytes of ${stream} dropped]` : '');

/** The report as an ExecResult for `hostArgv` (the command the spawner ran, not the spawner). */
export function resultOfReport(r: SpawnerReport, hostArgv: string[], elapsedMs: number, marker?: string): ExecResult {
  let stderr = r.stderr.toString('utf8') + dropped('stderr', r.stderrBytes, r.stderr.length);
  if (r.spawnError) stderr += `${stderr ? '\n' : ''}spawn ${hostArgv[0]}: ${r.spawnError}`;
  return {
    stdout: r.stdout.toString('utf8') + dropped('stdout', r.stdoutBytes, r.stdout.length),
    stderr,
    code: r.spawnError ? 127 : r.code, // 127 as proc.ts's run() gives for a command that could not start
    signal: r.signal === null ? null : signalName(r.signal),
    // a timed-out or unstartable command has no exit time: the elapsed time stands in, as in run()
    ms: r.exitNs !== null ? ms(r.exitNs) : elapsedMs,
    timedOut: r.timedOut,
    hostArgv,
    ...(r.firstOutputNs !== null ? { firstOutputMs: ms(r.firstOutputNs) } : {}),
    ...(marker !== undefined ? { markerMs: r.markerNs === null ? undefined : ms(r.markerNs) } : {}),
    method: SPAWNER_METHOD,
  };
}

/** argv with its program found on PATH now, before the clock: a PATH search is isobench's step, not the platform's (hyperfine is given a path too). */
export function resolveCommand(argv: string[]): string[] {
  if (argv.length === 0) throw new Error(`${STARTUP_SPAWNER}: empty argv`);
  if (argv[0].includes('/')) return argv;
  const found = which(argv[0]);
  return found ? [found, ...argv.slice(1)] : argv; // not found: the spawn fails and says so
}

/** the build failures already warned about */
const warned = new Set<string>();

/** per cache directory: ISOBENCH_DATA may change within a process (the test runner's suites) */
const built = new Map<string, Promise<string>>();

/** The compiled spawner, built once per process and cache (cached on disk by content); rejects when gcc is missing. */
export function startupSpawner(): Promise<string> {
  const cache = paths.cache();
  if (!built.has(cache)) built.set(cache, compileCTool({ name: STARTUP_SPAWNER, source: startupSpawnerSource, cflags: CFLAGS }));
  return built.get(cache)!;
}

/**
 * Run argv once, timed by the spawner: firstOutputMs, markerMs and ms are its clock, from just before its posix_spawn.
 * Without gcc the command runs through proc.ts's run() and the result's method says that Node's spawn() was timed.
 * `build` gives the spawner's path (a test passes one that fails, as a host without gcc does).
 */
export async function timedRun(command: string[], opts: TimedRunOptions = {}, build: () => Promise<string> = startupSpawner): Promise<ExecResult> {
  const timeoutMs = Math.ceil(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const argv = resolveCommand(command);
  let spawner: string;
  try {
    spawner = await build();
  } catch (e) {
    const why = (e as Error).message;
    if (!warned.has(why)) log.warn(`${why}; start-up times fall back to Node's spawn(), which counts its fork of isobench inside the window`);
    warned.add(why); // once per process: every sample's note says it again
    const r = await run(argv, { timeoutMs, env: opts.env, cwd: opts.cwd, ...(opts.marker !== undefined ? { markerLine: opts.marker } : {}) });
    return { ...r, method: `clock: Node's spawn() of the host command to its first stdout byte and to its exit, fork of isobench included (the startup-spawner could not be built: ${why})` };
  }
  const r = await run(spawnerArgv(spawner, argv, { timeoutMs, marker: opts.marker }), { timeoutMs: timeoutMs + BACKSTOP_MS, env: opts.env, cwd: opts.cwd });
  let report: SpawnerReport;
  try {
    report = parseSpawnerReport(r.stdout);
  } catch (e) {
    // the spawner itself failed (bad flags, killed by the backstop): the command's outcome is unknown, so it failed
    return { stdout: '', stderr: `${(e as Error).message}\n${r.stderr}`.trim(), code: r.code === 0 ? 1 : r.code, signal: r.signal, ms: r.ms, timedOut: r.timedOut, hostArgv: argv, method: SPAWNER_METHOD };
  }
  const spawnerNote = r.stderr.trim() ? `\n${STARTUP_SPAWNER}: ${r.stderr.trim()}` : '';
  const result = resultOfReport(report, argv, r.ms, opts.marker);
  return spawnerNote ? { ...result, stderr: result.stderr + spawnerNote } : result;
}
