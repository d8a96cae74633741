// HAP (Horizontal Attack Profile): distinct host kernel functions the platform's host processes run while a fixed workload runs.
import type { HostChanges, Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { formatArgv } from '../proc.ts';
import { ftraceFunctions, ftraceRefusal, perfSampledFunctions } from './kernel-trace.ts';

export type HapMethod = 'auto' | 'ftrace' | 'perf';

export interface HapParams {
  /** auto: the exact ftrace method where the kernel allows it, else the perf approximation; ftrace / perf: only that one */
  method: HapMethod;
  /** seconds the tracer observes */
  durationS: number;
  /** seconds the tracer may take to attach after the workload started (the workload runs attachS + durationS + 2 s) */
  attachS: number;
  /** perf sampling frequency (cpu-clock) */
  perfFrequencyHz: number;
  /** ftrace ring buffer per cpu */
  ftraceBufferKb: number;
  /** sysbench cpu threads of the fixed workload */
  sysbenchThreads: number;
  /** MiB written (fsync) and read back per round of the fixed workload's file loop */
  fileMiB: number;
}

/** Seconds the fixed workload runs: long enough that the tracing window falls inside it. */
export const workloadSeconds = (p: Pick<HapParams, 'attachS' | 'durationS'>) => p.attachS + p.durationS + 2;

/**
 * The fixed workload, one shell inside the instance: sysbench cpu in the background and, until the same deadline, a loop
 * that writes fileMiB to a file with fsync and reads it back (CPU, syscalls, page cache, block I/O). Integers only.
 */
export function hapWorkloadArgv(p: Pick<HapParams, 'attachS' | 'durationS' | 'sysbenchThreads' | 'fileMiB'>, dir: string): string[] {
  const seconds = Math.trunc(workloadSeconds(p));
  const file = `${dir}/isobench-hap.bin`;
  if (!/^\/[\w./-]*$/.test(file)) throw new Error(`hap: directory '${dir}' must be an absolute path without spaces or quotes`);
  const script = [
    `end=$(( $(date +%s) + ${seconds} ))`,
    `sysbench cpu --threads=${Math.trunc(p.sysbenchThreads)} --time=${seconds} run >/dev/null 2>&1 &`,
    `while [ "$(date +%s)" -lt "$end" ]; do dd if=/dev/zero of=${file} bs=1M count=${Math.trunc(p.fileMiB)} conv=fsync 2>/dev/null; cat ${file} >/dev/null; done`,
    `rm -f ${file}`,
    'wait',
  ].join('\n');
  return ['sh', '-c', script];
}

export interface HapResult {
  functions: string[];
  exact: boolean;
  note: string;
  /** the host-side tracing, as commands or tracefs writes (for the log) */
  tracer: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** the tracer attaches no sooner than this after the workload started, so its long-lived processes (sysbench) exist and are listed */
const SETTLE_MS = 1000;

/** Trace the pids with the method the parameters and the kernel allow; the note says which, with its numbers. */
async function traceKernelFunctions(p: HapParams, pids: () => Promise<number[]>, host: HostChanges): Promise<HapResult> {
  const refusal = p.method === 'perf' ? 'not tried' : await ftraceRefusal(host);
  if (refusal === undefined) {
    const listed = await pids();
    const c = await ftraceFunctions(listed, p.durationS, p.ftraceBufferKb, host);
    const lost = c.lost ? `; ${c.lost} entries lost to ring-buffer overwrite, so the count is a lower bound` : '';
    const unflagged = c.unflagged ? `; ${c.unflagged} entries without irq flags counted` : '';
    return {
      functions: [...c.functions].sort(),
      exact: true,
      tracer: `tracefs instance: set_ftrace_pid=${listed.join(' ')} (their threads), options/function-fork=1, options/irq-info=1, current_tracer=function, buffer_size_kb=${p.ftraceBufferKb}, tracing_on for ${p.durationS} s, then read trace`,
      note: `exact: ftrace function tracer on ${listed.length} host pids and their children for ${p.durationS} s; ${c.entries} entries, ${c.interruptEntries} in interrupt context left out${lost}${unflagged}`,
    };
  }
  if (p.method === 'ftrace') throw new WorkloadError(`hap: the ftrace function tracer is refused on this host (${refusal}); use method auto or perf for the sampled approximation`);
  const s = await perfSampledFunctions(pids, p.durationS, p.perfFrequencyHz);
  if (s.unknownKernelFrames > 0 && s.functions.size === 0) {
    throw new WorkloadError(`perf could not name any kernel frame (${s.unknownKernelFrames} unknown): are kernel symbols readable (/proc/kallsyms, kernel.kptr_restrict)?`);
  }
  const unknown = s.unknownKernelFrames ? `, ${s.unknownKernelFrames} kernel frames without a name` : '';
  return {
    functions: [...s.functions].sort(),
    exact: false,
    tracer: `${formatArgv(s.recordArgv)}; perf script -F comm,pid,tid,ip,sym,dso`,
    note: `sampled approximation: perf cpu-clock ${p.perfFrequencyHz} Hz for ${p.durationS} s, call chains, on ${s.pids.length} host pids and their children; ${s.samples} samples, ${s.kernelSamples} with kernel frames, ${s.interruptSamples} with interrupt frames cut${unknown}; ftrace function tracer ${p.method === 'perf' ? 'not tried (method: perf)' : `refused: ${refusal}`}`,
  };
}

export const hap: Workload = {
  id: 'hap',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => workloadSeconds(p as unknown as HapParams) + 2,
  description:
    "HAP (Horizontal Attack Profile): distinct host kernel functions run on behalf of the platform's host processes (Instance.hostPids and their children) while sysbench cpu and an fsync'd file write/read loop run inside; the paper's ftrace function tracer where the kernel allows it, else kernel call chains sampled with perf (a lower-bound approximation) — each sample's note says which",
  tools: ['sysbench'],
  packages: ['sysbench', 'linux-perf'],
  // a count of kernel functions is the finding itself; method_exact says how it was obtained
  report: { area: 'isolation', charts: ['value'], counts: ['functions'], flags: ['method_exact'] },
  metrics: [
    { name: 'functions', unit: 'functions', better: 'lower', description: 'distinct host kernel functions executed (interrupt work left out)', resolution: 1 },
    { name: 'method_exact', unit: 'flag', better: 'higher', description: '1: ftrace function tracer (the paper\'s method); 0: sampled approximation with perf', resolution: 1 },
  ],
  claimMeasures: { jobs: ['default'], metrics: ['functions'] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      method: { enum: ['auto', 'ftrace', 'perf'], default: 'auto', description: "auto: ftrace's function tracer where allowed, else perf sampling; ftrace or perf: only that" },
      durationS: { type: 'integer', minimum: 1, maximum: 3600, default: 10, description: 'seconds traced' },
      attachS: { type: 'integer', minimum: 2, maximum: 600, default: 3, description: 'seconds the tracer may take to attach after the workload started' },
      perfFrequencyHz: { type: 'integer', minimum: 1, maximum: 100000, default: 999, description: 'perf cpu-clock sampling frequency (fallback method)' },
      ftraceBufferKb: { type: 'integer', minimum: 1024, maximum: 4194304, default: 131072, description: 'ftrace ring buffer per cpu, KiB (exact method; at most 4194304 = 4 GiB per cpu)' },
      sysbenchThreads: { type: 'integer', minimum: 1, maximum: 4096, default: 1, description: 'sysbench cpu threads of the fixed workload' },
      fileMiB: { type: 'integer', minimum: 1, maximum: 65536, default: 16, description: 'MiB written with fsync and read back per loop round' },
    },
  },
  async run(instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as HapParams;
    const hostPids = instance.hostPids?.bind(instance);
    if (!hostPids) throw new WorkloadError("this platform does not expose its host processes (Instance.hostPids); HAP not measurable");
    const before = new Set(await hostPids());
    const t0 = Date.now();
    let settled = false;
    const argv = hapWorkloadArgv(p, instance.dataPath ?? '/tmp');
    const work = instance.exec(argv, { timeoutMs: (workloadSeconds(p) + 120) * 1000 });
    work.then(() => { settled = true; }, () => { settled = true; });
    // the workload's processes appear as host processes on containers and native; inside gVisor or a VM they do not,
    // and the platform's own processes (sandbox, VMM) are what run it, so waiting is bounded
    while (!settled && Date.now() - t0 < (p.attachS * 1000) / 2) {
      if ((await hostPids()).some((pid) => !before.has(pid))) break;
      await sleep(50);
    }
    await sleep(Math.max(0, t0 + SETTLE_MS - Date.now()));
    if (settled) {
      const r = await work;
      throw new WorkloadError(`hap: the fixed workload ended before tracing began (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`, r.stdout + r.stderr);
    }
    let result: HapResult;
    try {
      result = await traceKernelFunctions(p, hostPids, ctx.hostChanges);
    } catch (e) {
      await work.catch(() => undefined); // the next iteration must not overlap this one's workload
      throw e;
    }
    const window = (Date.now() - t0) / 1000;
    const r = await work;
    if (r.timedOut || r.code !== 0) {
      throw new WorkloadError(`hap: the fixed workload failed (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}): ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`, r.stdout + r.stderr);
    }
    if (window > workloadSeconds(p)) {
      throw new WorkloadError(`hap: tracing ended ${window.toFixed(1)} s after the workload started, after its ${workloadSeconds(p)} s: raise attachS`);
    }
    if (!result.functions.length) throw new WorkloadError(`hap: no kernel function observed (${result.note})`);
    ctx.log?.(`# hap: ${result.functions.length} distinct kernel functions — ${result.note}\n# hap workload: ${formatArgv(argv)}\n# hap tracer: ${result.tracer}\n--- hap functions\n${result.functions.join('\n')}\n`);
    return [
      { name: 'functions', value: result.functions.length, unit: 'functions', better: 'lower', note: result.note },
      { name: 'method_exact', value: result.exact ? 1 : 0, unit: 'flag', better: 'higher', note: result.note },
    ];
  },
};
