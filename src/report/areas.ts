// The report's areas: which workload belongs to which section, and how each workload is drawn.
import type { ClaimArea } from '../types.ts';

export interface AreaDef {
  id: ClaimArea;
  title: string;
  /** the workloads of this area, in the order they are shown */
  workloads: string[];
  /** one line: what the area measures (shown when nothing ran) */
  what: string;
}

/** Section order follows the paper: CPU, memory, disk, network, startup, isolation, then applications. */
export const AREAS: AreaDef[] = [
  { id: 'cpu', title: 'CPU', workloads: ['sysbench-cpu', 'ffmpeg'], what: 'CPU-bound work: sysbench cpu (prime numbers) and an ffmpeg H.264 → H.265 re-encode.' },
  { id: 'memory', title: 'Memory', workloads: ['stream', 'sysbench-memory'], what: 'memory bandwidth: the STREAM kernels and sysbench memory (random access).' },
  { id: 'disk', title: 'Disk I/O', workloads: ['fio'], what: "disk I/O with fio: sequential 128k reads and writes at queue depth 128, random 4k reads and writes at queue depth 1, direct I/O." },
  { id: 'network', title: 'Network', workloads: ['iperf3', 'latency-rr'], what: 'network throughput (iperf3, host to guest, one TCP stream) and request/response latency percentiles (TCP and UDP).' },
  { id: 'startup', title: 'Startup', workloads: ['startup'], what: 'start-up time, end to end: from process creation to the first output and to the exit of a fresh instance.' },
  { id: 'isolation', title: 'Isolation (HAP)', workloads: ['hap'], what: 'the Horizontal Attack Profile: distinct host kernel functions that the platform makes the host execute.' },
  { id: 'application', title: 'Applications', workloads: ['mysql-oltp', 'memcached-ycsb'], what: 'applications: MySQL (MariaDB) under sysbench oltp_read_write, memcached under YCSB mixes a, b, c and f.' },
];

export function areaOfWorkload(workload: string): AreaDef | undefined {
  return AREAS.find((a) => a.workloads.includes(workload));
}

/**
 * Metrics drawn in a workload's charts; the others are in its tables and summary.csv.
 * fio's P50/P99 latencies repeat what its means show, and would double the chart's height.
 */
const CHARTED: Record<string, string[]> = {
  fio: ['write_bw_mbps', 'read_bw_mbps', 'randwrite_iops', 'randread_iops', 'randwrite_clat_mean_us', 'randread_clat_mean_us'],
  // method_exact is a flag (1: ftrace, 0: sampled), in the table and the HAP note, not a measurement to chart
  hap: ['functions'],
};

/** The metrics of a workload that its charts draw, in the order they are drawn (the list's order where there is one). */
export function chartedMetrics(workload: string, metrics: string[]): string[] {
  const only = CHARTED[workload];
  return only ? only.filter((m) => metrics.includes(m)) : metrics;
}

/** Where the spread is the finding, the report draws distributions: every instance's value, or the percentile ladder. */
export type DistributionKind = 'strip' | 'percentiles';
const DISTRIBUTIONS: Record<string, DistributionKind> = { startup: 'strip', 'latency-rr': 'percentiles' };

export function distributionOf(workload: string): DistributionKind | undefined {
  return DISTRIBUTIONS[workload];
}

/** Workloads whose absolute values are the finding (a count of kernel functions), drawn as values besides the ratios. */
const VALUE_CHARTS = new Set(['hap']);

export function wantsValueChart(workload: string): boolean {
  return VALUE_CHARTS.has(workload);
}

/** latency-rr's percentile metrics, in ladder order */
export const PERCENTILE_METRICS: { metric: string; label: string }[] = [
  { metric: 'p50_us', label: 'P50' },
  { metric: 'p90_us', label: 'P90' },
  { metric: 'p99_us', label: 'P99' },
];

/** How the HAP values of these cells were obtained: from the samples' notes (src/workloads/hap.ts), else the parameters. */
export function hapMethod(cells: { key: string; params: Record<string, unknown> }[], notes: Record<string, string[]>): { exact: boolean; sampled: boolean; examples: string[] } {
  const seen = cells.flatMap((c) => notes[c.key] ?? []);
  const examples = [...new Set(seen.map((n) => n.replace(/;.*$/, '')))].slice(0, 2);
  const byNote = { exact: seen.some((n) => n.startsWith('exact')), sampled: seen.some((n) => n.startsWith('sampled')) };
  if (byNote.exact || byNote.sampled) return { ...byNote, examples };
  const methods = cells.map((c) => String(c.params.method ?? ''));
  return { exact: methods.includes('ftrace'), sampled: methods.includes('perf'), examples: [...new Set(methods.filter(Boolean).map((m) => `method: ${m}`))] };
}

/** Workloads swept over a parameter whose peak the area reports (the paper: native's MySQL throughput peaks at 110 threads). */
export const SWEEP_PEAKS: { workload: string; metric: string; param: string }[] = [
  { workload: 'mysql-oltp', metric: 'transactions_per_s', param: 'threads' },
];
