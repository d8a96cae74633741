// The workload registry: one line per workload file.
import type { ClaimMeasures, Workload } from '../types.ts';
import { sysbenchCpu } from './sysbench-cpu.ts';
import { sysbenchMemory } from './sysbench-memory.ts';
import { stream } from './stream.ts';
import { fio } from './fio.ts';
import { iperf3 } from './iperf3.ts';
import { ffmpeg } from './ffmpeg.ts';
import { latencyRr } from './latency-rr.ts';
import { startup } from './startup.ts';
import { hap } from './hap.ts';
import { mysqlOltp } from './mysql-oltp.ts';
import { memcachedYcsb } from './memcached-ycsb.ts';

export const workloads: Workload[] = [
  sysbenchCpu,
  sysbenchMemory,
  stream,
  fio,
  iperf3,
  ffmpeg,
  latencyRr,
  startup,
  hap,
  mysqlOltp,
  memcachedYcsb,
];

export function workloadById(id: string): Workload | undefined {
  return workloads.find((w) => w.id === id);
}

/** The packages of the workloads that need a tool, for an error naming what to install ('fio coreutils'); undefined when none declares it. */
export function packageOfTool(tool: string): string | undefined {
  const lists = workloads.filter((w) => w.tools.includes(tool)).map((w) => w.packages ?? []);
  // what every workload using the tool installs holds it (sysbench, not hap's linux-perf)
  const common = lists.length ? lists.reduce((a, l) => a.filter((p) => l.includes(p))) : [];
  const pkgs = common.length ? common : [...new Set(lists.flat())];
  return pkgs.length ? pkgs.join(' ') : undefined;
}

/** Workloads the paper's claims name that isobench does not implement yet: their claims stay 'not run'. Delete an entry when its workload lands. */
export const plannedWorkloads: { id: string; claimMeasures: ClaimMeasures; why: string }[] = [];

/** What a claim may name, per workload id: each registered workload's declaration, and the planned ones'. */
export function claimMeasuresById(): Record<string, ClaimMeasures> {
  return Object.fromEntries([...workloads, ...plannedWorkloads].map((w) => [w.id, w.claimMeasures]));
}
