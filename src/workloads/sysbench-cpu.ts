// sysbench cpu: prime-number verification, the paper's first CPU benchmark (events per second).
import type { Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { execOrThrow } from './exec.ts';

export interface SysbenchCpuParams {
  maxPrime: number;
  time: number; // seconds
  threads: number | 'cpus';
}

export function sysbenchCpuArgv(p: SysbenchCpuParams, cpus: number): string[] {
  const threads = p.threads === 'cpus' ? cpus : p.threads;
  return ['sysbench', 'cpu', `--cpu-max-prime=${p.maxPrime}`, `--threads=${threads}`, `--time=${p.time}`, 'run'];
}

/** events/s from sysbench's report; throws on anything that is not a complete report. */
export function parseSysbenchCpu(stdout: string): number {
  if (!/General statistics:/.test(stdout)) {
    throw new WorkloadError('sysbench output has no "General statistics" section (incomplete run)', stdout);
  }
  const m = /events per second:\s+([0-9]+(?:\.[0-9]+)?)\s*$/m.exec(stdout);
  if (!m) throw new WorkloadError('sysbench output has no "events per second" line', stdout);
  const value = Number(m[1]);
  if (!Number.isFinite(value) || value <= 0) throw new WorkloadError(`sysbench reported ${m[1]} events/s`, stdout);
  return value;
}

export const sysbenchCpu: Workload = {
  id: 'sysbench-cpu',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => Number(p.time),
  description: 'sysbench cpu: verify primes up to maxPrime for a fixed time',
  tools: ['sysbench'],
  packages: ['sysbench'],
  report: { area: 'cpu', charts: ['ratio'] },
  metrics: [{ name: 'events_per_s', unit: 'events/s', better: 'higher', description: 'prime verification events per second' }],
  claimMeasures: { jobs: ['default'], metrics: ['events_per_s'] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxPrime: { type: 'integer', minimum: 3, maximum: 10000000, default: 20000, description: '--cpu-max-prime' },
      time: { type: 'integer', minimum: 1, maximum: 86400, default: 10, description: 'seconds (--time)' },
      threads: {
        anyOf: [{ type: 'integer', minimum: 1, maximum: 4096 }, { const: 'cpus' }],
        default: 1,
        description: "worker threads, or 'cpus' for the instance's cpu count",
      },
    },
  },
  async run(instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as SysbenchCpuParams;
    const r = await execOrThrow(instance, sysbenchCpuArgv(p, ctx.cpus), { timeoutMs: (p.time + 60) * 1000 });
    return [{ name: 'events_per_s', value: parseSysbenchCpu(r.stdout), unit: 'events/s', better: 'higher' }];
  },
};
