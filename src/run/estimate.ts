// What a run will cost before it runs: each cell's instances times the start, measure and stop times of this host
// (data/cache/timings.json, kept from earlier runs), or the workload's declared duration where this host has none yet.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { paths } from '../paths.ts';
import { writeJsonAtomic } from '../rundir/write.ts';
import { isBudgetedCell } from '../experiment/plan.ts';
import type { Cell, Experiment, Plan, Workload } from '../types.ts';
import { formatDuration } from './duration.ts';

/** a start or stop this host has never timed: a container's order of magnitude */
export const DEFAULT_START_MS = 1500;
export const DEFAULT_STOP_MS = 500;
/** a workload that declares no duration */
export const DEFAULT_MEASURE_S = 10;

interface Mean { ms: number; n: number }

/** data/cache/timings.json: running means per platform (start, stop) and per platform + workload + job (measured) */
export interface HostTimings {
  schema: 1;
  start: Record<string, Mean>;
  stop: Record<string, Mean>;
  measure: Record<string, Mean>;
  /** the last detection on this host: which platforms can run here */
  platforms?: Record<string, { available: boolean; reason?: string }>;
}

export interface InstanceTiming { startMs: number; measureMs: number; stopMs: number }

const empty = (): HostTimings => ({ schema: 1, start: {}, stop: {}, measure: {} });
const measureKey = (c: Pick<Cell, 'platform' | 'workload' | 'job'>) => `${c.platform} ${c.workload}/${c.job}`;

/** The host's timings, or none when absent or unreadable (an estimate falls back to declared durations). */
export function readHostTimings(file = paths.timings()): HostTimings {
  try {
    const t = JSON.parse(readFileSync(file, 'utf8')) as HostTimings;
    if (t && t.schema === 1 && t.start && t.stop && t.measure) return t;
  } catch { /* absent or garbled: estimate from declared durations */ }
  return empty();
}

/** Fold this run's instance times into the host's (a running mean, newer runs weighing as much as older ones). */
export function recordHostTimings(runs: { cell: Cell; timing: InstanceTiming }[], file = paths.timings()): void {
  if (runs.length === 0) return;
  const t = readHostTimings(file);
  const add = (m: Record<string, Mean>, key: string, ms: number) => {
    const old = m[key] ?? { ms: 0, n: 0 };
    const n = Math.min(old.n + 1, 50); // caps the weight of the past: the host may have changed
    m[key] = { ms: Math.round(old.ms + (ms - old.ms) / n), n };
  };
  for (const { cell, timing } of runs) {
    add(t.start, cell.platform, timing.startMs);
    add(t.stop, cell.platform, timing.stopMs);
    add(t.measure, measureKey(cell), timing.measureMs);
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeJsonAtomic(file, t);
}

/** Keep which platforms the last run found available, for `isobench plan` without --detect. */
export function recordDetection(records: { id: string; available: boolean; reason?: string }[], file = paths.timings()): void {
  const t = readHostTimings(file);
  t.platforms = { ...(t.platforms ?? {}), ...Object.fromEntries(records.map((r) => [r.id, { available: r.available, ...(r.reason ? { reason: r.reason } : {}) }])) };
  mkdirSync(path.dirname(file), { recursive: true });
  writeJsonAtomic(file, t);
}

/** ms of one instance of a cell: this host's times where known, else the declared duration and default start/stop */
export function instanceEstimateMs(cell: Cell, workload: Workload | undefined, host: HostTimings): { ms: number; from: 'host' | 'declared' } {
  const measured = host.measure[measureKey(cell)];
  const start = host.start[cell.platform]?.ms ?? DEFAULT_START_MS;
  const stop = host.stop[cell.platform]?.ms ?? DEFAULT_STOP_MS;
  if (measured) return { ms: start + measured.ms + stop, from: 'host' };
  const iterations = cell.iterations ?? 1;
  const declared = (workload?.expectedS?.(cell.params) ?? DEFAULT_MEASURE_S) * 1000 * iterations;
  return { ms: start + declared + stop, from: 'declared' };
}

export interface PlanEstimate {
  cells: number;
  instances: number;
  ms: number;
  /** cells whose estimate comes from this host's own times */
  fromHost: number;
  byPlatform: { platform: string; cells: number; instances: number; ms: number }[];
  /** a budgeted run: its cap, and how many of the instances are the first stage every cell gets */
  budgetS?: number;
}

/**
 * The cost of a plan on the available platforms: a budgeted run's first stage (repetitions.instances per cell) is what it
 * must pay; the budget then caps the total.
 */
export function estimatePlan(exp: Experiment, plan: Plan, available: (platform: string) => boolean, workloadOf: (id: string) => Workload | undefined, host = readHostTimings()): PlanEstimate {
  const by = new Map<string, { platform: string; cells: number; instances: number; ms: number }>();
  let fromHost = 0;
  for (const cell of plan.cells.filter((c) => available(c.platform))) {
    const n = isBudgetedCell(exp, cell) ? exp.repetitions.instances : cell.instances ?? exp.repetitions.instances;
    const e = instanceEstimateMs(cell, workloadOf(cell.workload), host);
    if (e.from === 'host') fromHost++;
    const row = by.get(cell.platform) ?? { platform: cell.platform, cells: 0, instances: 0, ms: 0 };
    row.cells++;
    row.instances += n;
    row.ms += n * e.ms;
    by.set(cell.platform, row);
  }
  const byPlatform = [...by.values()];
  const sum = (k: 'cells' | 'instances' | 'ms') => byPlatform.reduce((a, r) => a + r[k], 0);
  return { cells: sum('cells'), instances: sum('instances'), ms: sum('ms'), fromHost, byPlatform, ...(exp.budgetS !== undefined ? { budgetS: exp.budgetS } : {}) };
}

/** The estimate as printed by `isobench plan` and before `run`. */
export function formatEstimate(e: PlanEstimate): string[] {
  const w = Math.max(8, ...e.byPlatform.map((r) => r.platform.length));
  const lines = [`${'platform'.padEnd(w)}  cells  instances  estimated`];
  for (const r of e.byPlatform) lines.push(`${r.platform.padEnd(w)}  ${String(r.cells).padStart(5)}  ${String(r.instances).padStart(9)}  ${formatDuration(r.ms).padStart(9)}`);
  lines.push(`${'total'.padEnd(w)}  ${String(e.cells).padStart(5)}  ${String(e.instances).padStart(9)}  ${formatDuration(e.ms).padStart(9)}`);
  const source = e.fromHost === e.cells ? 'times measured on this host' : e.fromHost === 0 ? 'declared durations (this host has timed none of these cells yet)' : `times measured on this host for ${e.fromHost} of ${e.cells} cells, declared durations for the rest`;
  lines.push(`estimated from ${source}`);
  if (e.budgetS !== undefined) {
    lines.push(e.ms > e.budgetS * 1000
      ? `budget ${formatDuration(e.budgetS * 1000)}: less than the first stage (${e.instances} instances); instances past the budget are skipped`
      : `budget ${formatDuration(e.budgetS * 1000)}: the first stage above, then up to ${formatDuration(e.budgetS * 1000 - e.ms)} more on the cells that undecided claims rest on`);
  }
  return lines;
}
