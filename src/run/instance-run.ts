// One fresh platform instance: start it, run the workload's iterations, stop it — always — and return the samples.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { killGroup, liveProcessGroups, formatArgv } from '../proc.ts';
import type { Cell, ExecResult, Experiment, HostChanges, Instance, Platform, Sample, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { appendNoFollow } from '../rundir/write.ts';

export interface MeasureArgs {
  platform: Platform;
  workload: Workload;
  cell: Cell;
  instance: number;
  experiment: Experiment;
  rootfs: { dir: string; hash: string };
  runDir: string;
  hostChanges: HostChanges;
  base: Omit<Sample, 'iteration' | 'metric' | 'value' | 'unit' | 'better' | 'status' | 'startedAt' | 'endedAt'>;
  onStarted?: (instance: Instance) => void;
  /** where the instance's time went: start, measured, stop (ms); called once it is stopped */
  onTiming?: (t: { startMs: number; measureMs: number; stopMs: number }) => void;
  /** stores the sample; a throw (the store cannot be written) stops the measurement and is rethrown after the instance stopped */
  onSample: (s: Sample) => void;
}

/** Every instance of one measurement (the long-lived one and one-shot siblings) has a name starting with this. */
export function instanceNamePrefix(cellId: string, instance: number, pid = process.pid): string {
  return `isobench-${cellId}-${instance}-${pid}`;
}

/** The log of one attempt, relative to the run directory; a retry gets its own file. */
export function instanceLogPath(cellId: string, instance: number, attempt = 0): string {
  return path.join('logs', cellId, attempt > 0 ? `instance-${instance}-attempt-${attempt}.log` : `instance-${instance}.log`);
}

class Timeout extends Error {}

/** Platforms (id + options) that have had an instance in this session: the next one-shot of one of them is warm. */
const startedThisSession = new Set<string>();
const platformKey = (platform: Platform, cell: Cell) => `${platform.id}\u0000${JSON.stringify(cell.platformOptions ?? {})}`;
/** Note that this platform has started an instance in this session; true when it is the first. */
function firstOfSession(platform: Platform, cell: Cell): boolean {
  const key = platformKey(platform, cell);
  if (startedThisSession.has(key)) return false;
  startedThisSession.add(key);
  return true;
}

/** What a workload that measures only one-shot instances gets as its instance: nothing runs in it. */
function noInstance(platform: Platform): Instance {
  return {
    exec: async () => { throw new Error(`${platform.id}: this workload measures fresh one-shot instances only; there is no long-lived instance to run commands in`); },
    stop: async () => undefined,
  };
}

/** Prefix of the error of a sample whose instance never started. */
export const START_FAILED = 'start:';

/** True when an instance's samples say it never started. */
export function neverStarted(samples: Sample[]): boolean {
  return samples.length > 0 && samples.every((x) => x.status !== 'ok' && (x.error ?? '').startsWith(START_FAILED));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Timeout(`${what} did not finish within ${ms / 1000} s`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** Wraps an instance so every command, its output and exit code land in the instance's log file. */
function recording(inner: Instance, logFile: string, commands: string[][]): Instance {
  return {
    ...inner,
    async exec(argv, opts) {
      commands.push(argv);
      const r: ExecResult = await inner.exec(argv, opts);
      appendNoFollow(logFile, [
        `$ ${formatArgv(argv)}`,
        `# host: ${formatArgv(r.hostArgv)}`,
        `# exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} in ${r.ms.toFixed(1)} ms`,
        r.stdout && `--- stdout\n${r.stdout.trimEnd()}`,
        r.stderr && `--- stderr\n${r.stderr.trimEnd()}`,
        '',
      ].filter(Boolean).join('\n') + '\n');
      return r;
    },
    stop: inner.stop,
  };
}

export async function measureInstance(a: MeasureArgs): Promise<Sample[]> {
  const { cell, experiment: exp } = a;
  const attempt = a.base.attempt ?? 0;
  const logRel = instanceLogPath(cell.id, a.instance, attempt);
  const logFile = path.join(a.runDir, logRel);
  mkdirSync(path.dirname(logFile), { recursive: true });
  // a resumed run measures an interrupted instance again: the log says where the new measurement begins
  appendNoFollow(logFile, `# ${new Date().toISOString()} instance ${a.instance}, attempt ${attempt}, isobench pid ${process.pid}\n`);
  const name = instanceNamePrefix(cell.id, a.instance);
  // a fresh instance gets a fresh data directory (a re-run must not see an interrupted one's files)
  const dataDir = path.join(a.runDir, 'scratch', `${cell.id}-${a.instance}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const out: Sample[] = [];
  let storeError: unknown; // the store failed: measure nothing more, stop the instance, rethrow
  let abandoned = false; // set on cell timeout or store failure, so the measuring loop writes nothing more
  const emit = (s: Sample) => {
    if (storeError !== undefined) return;
    try {
      a.onSample(s);
      out.push(s);
    } catch (e) {
      storeError = e;
      abandoned = true;
    }
  };
  const groupsBefore = new Set(liveProcessGroups());
  let instance: Instance | undefined;
  const t0 = new Date().toISOString();
  const clock = { begin: Date.now(), started: 0, measured: 0 };
  const timing = (end = Date.now()) => a.onTiming?.({
    startMs: (clock.started || end) - clock.begin,
    measureMs: clock.started ? (clock.measured || end) - clock.started : 0,
    stopMs: clock.measured ? end - clock.measured : 0,
  });
  let iteration = 0;
  const failure = (status: 'failed' | 'timeout', error: string, startedAt: string) => emit({
    ...a.base, iteration, metric: null, value: null, unit: null, better: null, status, error, log: logRel,
    network: instance?.network, ...(instance?.settings ? { platformSettings: instance.settings } : {}), startedAt, endedAt: new Date().toISOString(),
  });

  const spec = (instanceName: string) => ({
    name: instanceName, cpus: exp.resources.cpus, memoryMiB: exp.resources.memoryMiB, rootfs: a.rootfs.dir, rootfsHash: a.rootfs.hash,
    dataDir, options: cell.platformOptions, logDir: path.dirname(logFile),
    ports: a.workload.guestPorts?.(cell.params), hostChanges: a.hostChanges,
  });
  let oneShots = 0;
  let iterationCommands: string[][] = [];
  const ctx: WorkloadContext = { cpus: exp.resources.cpus, hostChanges: a.hostChanges, log: (text) => appendNoFollow(logFile, text.endsWith('\n') ? text : `${text}\n`) };
  if (a.platform.oneShot) {
    const oneShot = a.platform.oneShot.bind(a.platform);
    ctx.oneShot = async (argv, opts) => {
      const firstStart = firstOfSession(a.platform, cell);
      const r = await oneShot(spec(`${name}-s${oneShots++}`), argv, opts);
      iterationCommands.push(r.hostArgv); // the sample names the host command that made the fresh instance
      appendNoFollow(logFile, [
        `$ (fresh instance${firstStart ? ', the first of this platform in this session' : ''}) ${formatArgv(argv)}`,
        `# host: ${formatArgv(r.hostArgv)}`,
        ...(r.method ? [`# ${r.method}`] : []),
        `# exit ${r.code ?? r.signal} in ${r.ms.toFixed(1)} ms, first output at ${r.firstOutputMs?.toFixed(1) ?? '-'} ms`,
        '',
      ].join('\n'));
      return { ...r, firstStart };
    };
  }
  const oneShotOnly = a.workload.oneShotOnly === true && ctx.oneShot !== undefined;

  try {
    if (!oneShotOnly) firstOfSession(a.platform, cell);
    const started = oneShotOnly ? Promise.resolve(noInstance(a.platform)) : a.platform.start(spec(name));
    // A start that outlives its timeout may still resolve later: stop what it made.
    let startTimedOut = false;
    started.then((late) => { if (startTimedOut) void late.stop(); }, () => undefined);
    instance = await withTimeout(started, exp.timeouts.startS * 1000, `${a.platform.id} start`).catch((e) => {
      if (e instanceof Timeout) startTimedOut = true;
      throw e;
    });
    a.onStarted?.(instance);
    clock.started = Date.now();
  } catch (e) {
    appendNoFollow(logFile, `# start failed: ${(e as Error).message}\n`);
    failure(e instanceof Timeout ? 'timeout' : 'failed', `${START_FAILED} ${(e as Error).message}`, t0);
    killNewGroups(groupsBefore);
    removeScratch(dataDir, logFile);
    timing();
    if (storeError !== undefined) throw storeError;
    return out;
  }

  const measure = async () => {
    for (; iteration < (cell.iterations ?? exp.repetitions.iterations) && !abandoned; iteration++) {
      const startedAt = new Date().toISOString();
      const commands: string[][] = [];
      iterationCommands = commands;
      try {
        const metrics = await a.workload.run(recording(instance!, logFile, commands), cell.params, ctx);
        const endedAt = new Date().toISOString();
        if (abandoned) return;
        for (const m of metrics) {
          // the value's own resolution, else the one its workload declares for the metric
          const resolution = m.resolution ?? a.workload.metrics.find((x) => x.name === m.name)?.resolution;
          emit({ ...a.base, iteration, metric: m.name, value: m.value, unit: m.unit, better: m.better, status: 'ok', ...(m.note ? { note: m.note } : {}), ...(resolution ? { resolution } : {}),
            ...(m.firstStart ? { firstStart: true as const } : {}),
            network: instance!.network, ...(instance!.settings ? { platformSettings: instance!.settings } : {}), commands, log: logRel, startedAt, endedAt });
        }
      } catch (e) {
        if (abandoned) return;
        const msg = e instanceof WorkloadError ? e.message : `unexpected error: ${(e as Error).message}`;
        failure('failed', msg, startedAt);
      }
    }
  };
  try {
    await withTimeout(measure(), exp.timeouts.cellS * 1000, `${a.workload.id} on ${a.platform.id}`);
  } catch (e) {
    if (!abandoned) {
      abandoned = true;
      failure('timeout', (e as Error).message, t0);
    }
  } finally {
    clock.measured = Date.now();
    await instance.stop().catch((e: Error) => appendNoFollow(logFile, `# stop failed: ${e.message}\n`));
    killNewGroups(groupsBefore);
    removeScratch(dataDir, logFile);
    timing();
  }
  if (storeError !== undefined) throw storeError;
  return out;
}

/** The instance's data directory goes with the instance (disk benchmarks leave large files). */
function removeScratch(dir: string, logFile: string) {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    try { appendNoFollow(logFile, `# could not remove ${dir}: ${(e as Error).message}\n`); } catch { /* the disk may be full */ }
  }
}

/** Processes this instance started and nobody stopped (a hung exec after a timeout) are killed. */
function killNewGroups(before: Set<number>) {
  for (const pid of liveProcessGroups()) if (!before.has(pid)) killGroup(pid);
}
