// The workload registry: one line per workload file.
import type { Workload } from '../types.ts';
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
