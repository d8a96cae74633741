// The report's areas, read from the workload registry: each workload declares its area and how it is drawn (Workload.report).
import type { ClaimArea, MetricSpec, ReportChartKind, WorkloadReport } from '../types.ts';
import { workloadById, workloads } from '../workloads/index.ts';

export interface AreaDef {
  id: ClaimArea | 'other';
  title: string;
  /** the workloads of this area, in registry order */
  workloads: string[];
  /** one line: what the area measures */
  what: string;
}

/** Section order and words follow the paper; which workloads belong where is the registry's business. */
const AREA_TITLES: { id: ClaimArea; title: string; what: string }[] = [
  { id: 'cpu', title: 'CPU', what: 'CPU-bound work' },
  { id: 'memory', title: 'Memory', what: 'memory bandwidth' },
  { id: 'disk', title: 'Disk I/O', what: 'disk I/O, direct, sequential and random' },
  { id: 'network', title: 'Network', what: 'network throughput and request/response latency' },
  { id: 'startup', title: 'Startup', what: 'start-up time of a fresh instance, end to end' },
  { id: 'isolation', title: 'Isolation (HAP)', what: 'the Horizontal Attack Profile: distinct host kernel functions the platform makes the host execute' },
  { id: 'application', title: 'Applications', what: 'applications under load' },
];

/** The paper's areas with the registry's workloads; workloads the registry does not know go to "Other measurements". */
export function reportAreas(extraWorkloads: string[] = []): AreaDef[] {
  const areas: AreaDef[] = AREA_TITLES.map((a) => ({ ...a, workloads: workloads.filter((w) => w.report.area === a.id).map((w) => w.id) }));
  const others = [...new Set(extraWorkloads)].filter((w) => !workloadById(w));
  if (others.length) areas.push({ id: 'other', title: 'Other measurements', workloads: others, what: "workloads that belong to none of the paper's areas" });
  return areas;
}

export function areaTitle(id: string): string {
  return AREA_TITLES.find((a) => a.id === id)?.title ?? id;
}

export function areaOfWorkload(workload: string): ClaimArea | undefined {
  return workloadById(workload)?.report.area;
}

const NO_REPORT: WorkloadReport = { area: 'cpu', charts: ['ratio'] };

/** A workload's report declaration; one the registry does not know (an old run) is drawn as ratios. */
export function reportOf(workload: string): WorkloadReport {
  return workloadById(workload)?.report ?? NO_REPORT;
}

export function drawsChart(workload: string, kind: ReportChartKind): boolean {
  return reportOf(workload).charts.includes(kind);
}

/** The metrics its figures draw, in the declared order; counts and flags are never drawn as ratios. */
export function chartedMetrics(workload: string, metrics: string[]): string[] {
  const r = reportOf(workload);
  if (r.charted) return r.charted.filter((m) => metrics.includes(m));
  return metrics.filter((m) => !r.flags?.includes(m));
}

export function isCount(workload: string, metric: string): boolean {
  return reportOf(workload).counts?.includes(metric) ?? false;
}

export function isFlag(workload: string, metric: string): boolean {
  return reportOf(workload).flags?.includes(metric) ?? false;
}

/** The registry's description of a metric, for axis and panel titles. */
export function metricSpec(workload: string, metric: string): MetricSpec | undefined {
  return workloadById(workload)?.metrics.find((m) => m.name === metric);
}

/** A metric as a reader names it: the registry's description ("randwrite: mean completion latency"), else its id. */
export function metricName(workload: string, metric: string): string {
  return metricSpec(workload, metric)?.description?.replace(/\s*\([^)]*\)\s*$/, '') ?? metric;
}

/** Workloads swept over a parameter whose peak the area reports (the paper: native's MySQL throughput peaks at 110 threads). */
export const SWEEP_PEAKS: { workload: string; metric: string; param: string }[] = [
  { workload: 'mysql-oltp', metric: 'transactions_per_s', param: 'threads' },
];
