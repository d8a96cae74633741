// sysbench memory: random-access 1 KiB block writes, the paper's second memory benchmark (MiB/s).
import type { Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { execOrThrow } from './exec.ts';

export interface SysbenchMemoryParams {
  accessMode: 'rnd' | 'seq';
  blockSize: string; // sysbench size syntax: 1K, 1M
  totalSize: string; // stops early if reached before `time`
  time: number; // seconds
  threads: number;
}

export function sysbenchMemoryArgv(p: SysbenchMemoryParams): string[] {
  return [
    'sysbench', 'memory',
    `--memory-access-mode=${p.accessMode}`,
    `--threads=${p.threads}`,
    `--memory-block-size=${p.blockSize}`,
    `--memory-total-size=${p.totalSize}`,
    `--time=${p.time}`,
    'run',
  ];
}

/** MiB/s from sysbench's report; throws on anything that is not a complete report. */
export function parseSysbenchMemory(stdout: string): number {
  // the transfer line comes before the statistics, so a run killed in between must not count: its last line must be whole
  if (!/General statistics:/.test(stdout) || !/execution time \(avg\/stddev\):\s+[0-9.]+\/[0-9.]+\n/.test(stdout)) {
    throw new WorkloadError('sysbench memory output does not end with a complete statistics section (incomplete run)', stdout);
  }
  const m = /^\s*[0-9]+(?:\.[0-9]+)? MiB transferred \(([0-9]+(?:\.[0-9]+)?) MiB\/sec\)\s*$/m.exec(stdout);
  if (!m) throw new WorkloadError('sysbench memory output has no "MiB transferred (… MiB/sec)" line', stdout);
  const value = Number(m[1]);
  if (!Number.isFinite(value) || value <= 0) throw new WorkloadError(`sysbench memory reported ${m[1]} MiB/sec`, stdout);
  return value;
}

export const sysbenchMemory: Workload = {
  id: 'sysbench-memory',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => Number(p.time),
  description: 'sysbench memory: write 1 KiB blocks at random addresses for a fixed time, one thread',
  tools: ['sysbench'],
  packages: ['sysbench'],
  report: { area: 'memory', charts: ['ratio'] },
  metrics: [{ name: 'throughput', unit: 'MiB/s', better: 'higher', description: 'memory written per second' }],
  claimMeasures: { jobs: ['default'], metrics: ['throughput'] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      accessMode: { enum: ['rnd', 'seq'], default: 'rnd', description: '--memory-access-mode (the paper: rnd)' },
      blockSize: { type: 'string', pattern: '^([0-9]{1,7}K?|[0-9]{1,4}M|1G)$', default: '1K', description: '--memory-block-size, allocated per thread; at most 1G' },
      totalSize: {
        type: 'string',
        pattern: '^[0-9]{1,6}[KMGT]?$',
        default: '100G',
        description: '--memory-total-size (sysbench default 100G; the run ends at whichever of this and time comes first)',
      },
      time: { type: 'integer', minimum: 1, maximum: 86400, default: 15, description: 'seconds (--time)' },
      threads: { type: 'integer', minimum: 1, maximum: 4096, default: 1, description: '--threads' },
    },
  },
  async run(instance: Instance, params: Params, _ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as SysbenchMemoryParams;
    const r = await execOrThrow(instance, sysbenchMemoryArgv(p), { timeoutMs: (p.time + 60) * 1000 });
    return [{ name: 'throughput', value: parseSysbenchMemory(r.stdout), unit: 'MiB/s', better: 'higher' }];
  },
};
