// The workload registry: one line per workload file.
import type { Workload } from '../types.ts';
import { sysbenchCpu } from './sysbench-cpu.ts';

export const workloads: Workload[] = [
  sysbenchCpu,
];

export function workloadById(id: string): Workload | undefined {
  return workloads.find((w) => w.id === id);
}
