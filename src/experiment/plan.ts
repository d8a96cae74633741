// Expand an experiment into cells with stable ids, and order their instances interleaved in a seeded random order.
import { createHash } from 'node:crypto';
import type { Cell, Experiment, Plan, PlannedInstance } from '../types.ts';
import { deriveSeed, seededRandom } from '../stats/random.ts';
import { BUDGET_MAX_INSTANCES, sweepCombinations } from './load.ts';

/** JSON with object keys sorted at every level, so equal descriptions hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A cell's id: 12 hex digits of the sha256 of what it measures (not of where it sits in the file). */
export function cellId(c: Omit<Cell, 'id'>, resources: Experiment['resources']): string {
  const desc = { platform: c.platform, platformOptions: c.platformOptions, workload: c.workload, job: c.job, params: c.params, resources };
  return createHash('sha256').update(canonicalJson(desc)).digest('hex').slice(0, 12);
}

export function expandCells(exp: Experiment): Cell[] {
  const cells: Cell[] = [];
  for (const p of exp.platforms) {
    for (const w of exp.workloads) {
      if (p.workloads && !p.workloads.includes(w.id)) continue;
      for (const job of w.jobs) {
        for (const combo of sweepCombinations(w.sweep)) {
          const sweepName = Object.entries(combo).map(([k, v]) => `${k}=${v}`).join(',');
          const c = {
            platform: p.id,
            platformOptions: p.options,
            workload: w.id,
            job: sweepJobName(job.name, sweepName),
            params: { ...w.params, ...job.params, ...combo },
          };
          // repetitions are not part of the id: more instances of a cell measure the same thing
          cells.push({ id: cellId(c, exp.resources), ...c,
            instances: w.repetitions?.instances ?? exp.repetitions.adaptive?.maxInstances ?? (exp.budgetS !== undefined ? Math.max(BUDGET_MAX_INSTANCES, exp.repetitions.instances) : exp.repetitions.instances),
            iterations: w.repetitions?.iterations ?? exp.repetitions.iterations });
        }
      }
    }
  }
  return cells;
}

/** Whether a cell stops adaptively: the experiment asks for it and the cell's workload sets no instances of its own. */
export function isAdaptiveCell(exp: Experiment, cell: Pick<Cell, 'workload'>): boolean {
  return exp.repetitions.adaptive !== undefined && exp.workloads.find((w) => w.id === cell.workload)?.repetitions?.instances === undefined;
}

/** Whether a budgeted run decides this cell's instances (src/run/budget.ts): the workload sets no instances of its own. */
export function isBudgetedCell(exp: Experiment, cell: Pick<Cell, 'workload'>): boolean {
  return exp.budgetS !== undefined && exp.workloads.find((w) => w.id === cell.workload)?.repetitions?.instances === undefined;
}

/** Fisher-Yates with a seeded generator: the same seed gives the same order on every machine. */
export function seededShuffle<T>(items: T[], seed: number): T[] {
  const out = [...items];
  const random = seededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.index(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Instance k of every cell runs before instance k+1 of any cell, each round shuffled:
 * slow drift of the host (thermal, background load) then spreads over all platforms alike.
 */
export function orderInstances(cells: Cell[], instances: number, seed: number): PlannedInstance[] {
  const order: PlannedInstance[] = [];
  const count = (c: Cell) => c.instances ?? instances;
  const rounds = Math.max(0, ...cells.map(count));
  for (let k = 0; k < rounds; k++) {
    const round = seededShuffle(cells.filter((c) => count(c) > k).map((c) => c.id), deriveSeed(seed, `order-round-${k}`));
    for (const cell of round) order.push({ cell, instance: k });
  }
  return order;
}

export function makePlan(exp: Experiment, experimentFile: string): Plan {
  const cells = expandCells(exp);
  return { schema: 1, experiment: experimentFile, seed: exp.seed, cells, order: orderInstances(cells, exp.repetitions.instances, exp.seed) };
}

/** A cell's job name: the job's own, with the sweep's values appended ('threads=10', 'tcp:threads=10'). */
export function sweepJobName(job: string, sweepName: string): string {
  return sweepName ? (job === 'default' ? sweepName : `${job}:${sweepName}`) : job;
}

/** The job a cell's job name was made from (job names are ids, so '=' and ':' come from a sweep only). */
export function baseJob(cellJob: string): string {
  if (cellJob.includes(':')) return cellJob.slice(0, cellJob.indexOf(':'));
  return cellJob.includes('=') ? 'default' : cellJob;
}
