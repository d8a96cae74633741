// Which host kernel functions a set of processes makes the kernel run: ftrace's function tracer (exact), perf stack samples (approximate).
import { createReadStream, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { formatArgv, processAlive, run, runOk, which } from '../proc.ts';
import { WorkloadError, type HostChanges } from '../types.ts';

// ---------------------------------------------------------------- interrupts

/** Hard- and soft-interrupt handlers (and NMI): a frame like this and everything it called is interrupt work. */
const INTERRUPT_HANDLER = /^(__)?(sysvec_\w+|common_interrupt|spurious_interrupt|exc_nmi|default_do_nmi|irq_exit_rcu|irq_exit|handle_softirqs|do_softirq\w*|__do_softirq|do_IRQ|smp_apic_timer_interrupt|apic_timer_interrupt|handle_irq_event\w*|irq_enter\w*)$/;
/** Interrupt entry stubs: not counted, and not the end of the task's own work (the return path, e.g. a reschedule, is the task's). */
const INTERRUPT_STUB = /^(asm_sysvec_\w+|asm_common_interrupt|asm_spurious_interrupt|asm_exc_nmi|ret_from_intr)$/;

/**
 * Kernel frames of one stack (leaf first) that are the task's own work: walking from the root, entry stubs of interrupts
 * are skipped and the first interrupt handler cuts the stack (it and all it called ran in interrupt context).
 */
export function taskContextFrames(leafFirst: string[]): { kept: string[]; dropped: number } {
  const kept: string[] = [];
  for (let i = leafFirst.length - 1; i >= 0; i--) {
    const f = leafFirst[i];
    if (INTERRUPT_STUB.test(f)) continue;
    if (INTERRUPT_HANDLER.test(f)) return { kept, dropped: i + 1 }; // frames 0..i: the handler and what it called
    kept.push(f);
  }
  return { kept, dropped: 0 };
}

// ---------------------------------------------------------------- perf script

export interface PerfKernelStacks {
  functions: Set<string>;
  /** samples in the output */
  samples: number;
  /** samples with at least one kernel frame */
  kernelSamples: number;
  /** kernel frames perf could not name */
  unknownKernelFrames: number;
  /** samples whose kernel part was (partly) interrupt work, cut off */
  interruptSamples: number;
}

const KERNEL_SPACE = 0xffff800000000000n;

function isKernelFrame(ip: string, dso: string): boolean {
  if (dso === '[vsyscall]' || ip.length < 16) return false;
  try {
    return BigInt(`0x${ip}`) >= KERNEL_SPACE;
  } catch {
    return false;
  }
}

/**
 * Distinct kernel functions in `perf script -F comm,pid,tid,ip,sym,dso` output of a `perf record -g` capture: every kernel
 * frame of every call chain (not only the sampled leaf), interrupt work left out (taskContextFrames).
 */
export function parsePerfScript(text: string): PerfKernelStacks {
  const r: PerfKernelStacks = { functions: new Set(), samples: 0, kernelSamples: 0, unknownKernelFrames: 0, interruptSamples: 0 };
  let chain: string[] = [];
  let inSample = false;
  const flush = () => {
    if (!inSample) return;
    if (chain.length) r.kernelSamples++;
    const { kept, dropped } = taskContextFrames(chain);
    if (dropped > 0) r.interruptSamples++;
    for (const f of kept) {
      if (f === '[unknown]') r.unknownKernelFrames++;
      else r.functions.add(f);
    }
    chain = [];
    inSample = false;
  };
  for (const line of text.split('\n')) {
    if (!line.trim()) { flush(); continue; }
    if (!/^\s/.test(line)) {
      flush();
      if (!/^\S.*\s\d+\/\d+\s*$/.test(line)) throw new WorkloadError(`perf script: unexpected sample header '${line.slice(0, 120)}' (expected 'comm pid/tid')`, text.slice(0, 4000));
      r.samples++;
      inSample = true;
      continue;
    }
    // the dso may itself hold parentheses: '(/memfd:runsc-memory (deleted))' under gVisor
    const frame = /^\s+([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$/.exec(line);
    if (!frame || !inSample) throw new WorkloadError(`perf script: unreadable call-chain line '${line.trim().slice(0, 120)}'`, text.slice(0, 4000));
    if (isKernelFrame(frame[1], frame[3])) chain.push(frame[2].replace(/\+0x[0-9a-f]+$/, ''));
  }
  flush();
  return r;
}

/** Samples perf record says it wrote ("[ perf record: Captured and wrote 0.416 MB perf.data (2976 samples) ]"). */
export function parsePerfRecord(stderr: string): number {
  const m = /Captured and wrote [0-9.]+ \w+ .*\((\d+) samples\)/.exec(stderr);
  if (!m) {
    const why = stderr.trim().split('\n').filter((l) => l.trim()).slice(0, 3).join(' | ');
    throw new WorkloadError(`perf record wrote no samples${why ? `: ${why}` : ''}`, stderr);
  }
  return Number(m[1]);
}

// ---------------------------------------------------------------- ftrace trace text

export interface FtracePrefix {
  task: string;
  pid: number;
  cpu: number;
  /** irq-info flags ('d.h1.'; 4 characters before Linux 5.x added migrate-disable), absent when the option is off */
  flags?: string;
  /** what follows the timestamp: 'func <-parent' for the function tracer, 'event: fields' for events */
  rest: string;
}

/** The common prefix of every line in a `trace` file ('task-pid [cpu] flags timestamp: …'); undefined for headers. */
export function parseFtracePrefix(line: string): FtracePrefix | undefined {
  if (line.startsWith('#')) return undefined;
  const m = /^\s*(.+)-(\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(\d+)\]\s+(?:([.A-Za-z0-9]{4,6})\s+)?\d+\.\d+:\s+(.*?)\s*$/.exec(line);
  if (!m) return undefined;
  return { task: m[1].trim(), pid: Number(m[2]), cpu: Number(m[3]), flags: m[4], rest: m[5] };
}

export interface FtraceEntry extends Omit<FtracePrefix, 'rest'> {
  func: string;
  parent?: string;
}

/** One line of the function tracer's `trace` output ('func <-parent'); undefined for headers and other tracers' lines. */
export function parseFtraceLine(line: string): FtraceEntry | undefined {
  const p = parseFtracePrefix(line);
  const m = p && /^(\S+)(?:\s+<-(\S+))?$/.exec(p.rest);
  if (!p || !m) return undefined;
  const { rest: _rest, ...prefix } = p;
  return { ...prefix, func: m[1], parent: m[2] };
}

/** In hardirq, softirq or NMI context, by the irq-info flags' third character. */
export function inInterruptContext(flags: string | undefined): boolean {
  return flags !== undefined && flags.length >= 3 && 'ZzHhs'.includes(flags[2]);
}

export interface FtraceCount {
  functions: Set<string>;
  entries: number;
  interruptEntries: number;
  /** entries the ring buffer overwrote (the count is then a lower bound) */
  lost: number;
  /** entries without irq-info flags, so their context is unknown */
  unflagged: number;
}

/** A streaming counter over the lines of a function-tracer `trace` file. */
export function ftraceCounter() {
  const c: FtraceCount = { functions: new Set(), entries: 0, interruptEntries: 0, lost: 0, unflagged: 0 };
  return {
    line(l: string) {
      const header = /entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/.exec(l);
      if (header) { c.lost += Math.max(0, Number(header[2]) - Number(header[1])); return; }
      const lost = /LOST (\d+) EVENTS/.exec(l);
      if (lost) { c.lost += Number(lost[1]); return; }
      const e = parseFtraceLine(l);
      if (!e) return;
      c.entries++;
      if (e.flags === undefined) c.unflagged++;
      if (inInterruptContext(e.flags)) { c.interruptEntries++; return; }
      c.functions.add(e.func);
    },
    result: () => c,
  };
}

// ---------------------------------------------------------------- host side: tracefs and ftrace

const TRACEFS_DEFAULT = '/sys/kernel/tracing';

/** Where tracefs is mounted, from /proc/mounts text. */
export function tracefsMountPoint(mounts: string): string | undefined {
  for (const l of mounts.split('\n')) {
    const [, dir, type] = l.split(' ');
    if (type === 'tracefs') return dir;
  }
  return undefined;
}

let mounting: Promise<string> | undefined;

/** tracefs, mounted (and recorded as a host change, undone at the end of the run) when it is not. */
function tracefs(host: HostChanges): Promise<string> {
  mounting ??= (async () => {
    const mounted = tracefsMountPoint(readFileSync('/proc/mounts', 'utf8'));
    if (mounted) return mounted;
    await runOk(['mount', '-t', 'tracefs', 'nodev', TRACEFS_DEFAULT], { timeoutMs: 20_000 });
    host.record('hap', `mounted tracefs at ${TRACEFS_DEFAULT}`, async () => {
      await runOk(['umount', TRACEFS_DEFAULT], { timeoutMs: 20_000 });
      mounting = undefined; // the next run mounts it again
    });
    return TRACEFS_DEFAULT;
  })().catch((e) => { mounting = undefined; throw e; });
  return mounting;
}

let instanceCounter = 0;

/** A private ftrace instance (own ring buffer and tracer), so the global tracer and other users are left alone. */
async function withTraceInstance<T>(host: HostChanges, use: (dir: string) => Promise<T>): Promise<T> {
  const root = await tracefs(host);
  const dir = path.join(root, 'instances', `isobench-${process.pid}-${instanceCounter++}`);
  await fsp.mkdir(dir);
  try {
    return await use(dir);
  } finally {
    await fsp.writeFile(path.join(dir, 'tracing_on'), '0').catch(() => undefined);
    await fsp.writeFile(path.join(dir, 'current_tracer'), 'nop').catch(() => undefined);
    await fsp.rmdir(dir).catch(() => undefined);
  }
}

/** 'EPERM (operation not permitted)' from Node's "EPERM: operation not permitted, open '…'" */
const errText = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  const what = String(err.message ?? e).replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return err.code ? `${err.code} (${what})` : what;
};

let probed: Promise<string | undefined> | undefined;

/**
 * Whether this kernel lets us run the function tracer on chosen pids: undefined when it does, else why not (kernel
 * lockdown refuses set_ftrace_pid with EPERM). Probed once per process, on our own pid, in a private instance.
 */
export function ftraceRefusal(host: HostChanges): Promise<string | undefined> {
  probed ??= (async () => {
    try {
      await withTraceInstance(host, async (dir) => {
        for (const [file, value] of [['set_ftrace_pid', String(process.pid)], ['current_tracer', 'function']] as const) {
          try {
            await fsp.writeFile(path.join(dir, file), value);
          } catch (e) {
            throw new Error(`writing ${path.join(dir, file)}: ${errText(e)}`);
          }
        }
      });
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  })();
  return probed;
}

/** Thread ids of these processes (ftrace filters by task, and a multi-threaded VMM or sysbench has many). */
export function threadIds(pids: number[]): number[] {
  const out = new Set<number>();
  for (const pid of pids) {
    try {
      for (const t of readdirSync(`/proc/${pid}/task`)) out.add(Number(t));
    } catch { /* exited */ }
  }
  return [...out].sort((a, b) => a - b);
}

/** The paper's method: the function tracer on these tasks (and what they fork) for durationS, counted from the buffer. */
export async function ftraceFunctions(pids: number[], durationS: number, bufferKb: number, host: HostChanges): Promise<FtraceCount> {
  return withTraceInstance(host, async (dir) => {
    const write = async (file: string, value: string) => {
      try {
        await fsp.writeFile(path.join(dir, file), value);
      } catch (e) {
        throw new WorkloadError(`ftrace: writing '${value.slice(0, 60)}' to ${path.join(dir, file)}: ${errText(e)}`);
      }
    };
    const tids = threadIds(pids);
    if (!tids.length) throw new WorkloadError(`ftrace: none of the pids ${pids.join(', ')} is alive`);
    await write('tracing_on', '0');
    await write('buffer_size_kb', String(bufferKb));
    await write('set_ftrace_pid', tids.join(' '));
    await write('options/function-fork', '1'); // children forked while tracing are traced too
    await write('options/irq-info', '1'); // the flags that tell interrupt context apart
    await write('current_tracer', 'function');
    await write('tracing_on', '1');
    await new Promise((r) => setTimeout(r, durationS * 1000));
    await write('tracing_on', '0');
    const counter = ftraceCounter();
    const lines = createInterface({ input: createReadStream(path.join(dir, 'trace')), crlfDelay: Infinity });
    for await (const l of lines) counter.line(l);
    return counter.result();
  });
}

// ---------------------------------------------------------------- host side: perf

export interface PerfSampling extends PerfKernelStacks {
  recorded: number;
  /** the processes perf attached to */
  pids: number[];
  recordArgv: string[];
}

/** ms since a process started, from /proc/<pid>/stat field 22 (clock ticks since boot, USER_HZ = 100 on Linux). */
function processAgeMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return uptimeS * 1000 - startTicks * 10;
  } catch {
    return undefined;
  }
}

/**
 * The live processes, without those younger than 250 ms: a shell loop's `date` or `dd` is gone before perf attaches and
 * makes perf refuse the whole list; they are children of a listed shell, so perf's inheritance samples them anyway.
 */
function settledProcesses(pids: number[]): number[] {
  const live = pids.filter(processAlive);
  const settled = live.filter((pid) => (processAgeMs(pid) ?? 0) >= 250);
  return settled.length ? settled : live;
}

export function perfRecordArgv(pids: number[], durationS: number, frequencyHz: number, output: string): string[] {
  return ['perf', 'record', '-g', '-e', 'cpu-clock', '-F', String(frequencyHz), '-p', pids.join(','), '-o', output, '--', 'sleep', String(durationS)];
}

export function perfScriptArgv(input: string): string[] {
  return ['perf', 'script', '-i', input, '-F', 'comm,pid,tid,ip,sym,dso'];
}

/**
 * The fallback: sample the call chains of these processes (and what they fork) with perf's cpu-clock for durationS and
 * keep the kernel functions. pids() is asked again when a process vanished between listing and attaching.
 */
export async function perfSampledFunctions(pids: () => Promise<number[]>, durationS: number, frequencyHz: number): Promise<PerfSampling> {
  if (!which('perf')) throw new WorkloadError('perf not found on the host (apt-get install linux-perf)');
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'isobench-hap-'));
  const data = path.join(dir, 'perf.data');
  try {
    let rec;
    let argv: string[] = [];
    let live: number[] = [];
    for (let attempt = 1; ; attempt++) {
      live = settledProcesses(await pids());
      if (!live.length) throw new WorkloadError('perf: none of the platform\'s host processes is alive');
      argv = perfRecordArgv(live, durationS, frequencyHz, data);
      rec = await run(argv, { timeoutMs: (durationS + 60) * 1000 });
      // perf -p refuses the whole list when one process exited between listing and attaching: list again
      if (rec.code === 0 || attempt >= 5 || !/No such process/.test(rec.stderr)) break;
    }
    if (rec.timedOut) throw new WorkloadError(`${formatArgv(argv)}: timed out`, rec.stderr);
    if (rec.code !== 0) {
      const why = rec.stderr.trim().split('\n').filter((l) => l.trim()).slice(0, 3).join(' | ');
      throw new WorkloadError(`perf record failed (exit ${rec.code ?? rec.signal}): ${why}`, rec.stderr);
    }
    const recorded = parsePerfRecord(rec.stderr);
    const script = await run(perfScriptArgv(data), { timeoutMs: 600_000, maxOutputBytes: 1024 * 1024 * 1024 });
    if (script.code !== 0) throw new WorkloadError(`perf script failed (exit ${script.code ?? script.signal}): ${script.stderr.trim().split('\n')[0] ?? ''}`, script.stderr);
    const stacks = parsePerfScript(script.stdout);
    if (stacks.samples < recorded) throw new WorkloadError(`perf script showed ${stacks.samples} of the ${recorded} samples recorded (output truncated?)`);
    return { ...stacks, recorded, pids: live, recordArgv: argv };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
