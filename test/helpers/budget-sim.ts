// A budgeted run of one claim in simulation, through the real planner (src/run/budget.ts), the real claims oracle
// (src/stats/analyze.ts budgetOracle: analysis, Holm, verdicts) and the real final analysis of logs/budget.jsonl.
import { readFileSync } from 'node:fs';
import { budgetPlanner } from '../../src/run/budget.ts';
import { CLAIMS_ALPHA, evaluateClaims } from '../../src/claims/evaluate.ts';
import { parseClaims, type LoadedClaims } from '../../src/claims/load.ts';
import { parseBudgetLog } from '../../src/rundir/budget-log.ts';
import { analyzeSamples, budgetOracle, sequentialRecord } from '../../src/stats/analyze.ts';
import type { Random } from '../../src/stats/random.ts';
import { instanceMean, type DataModel, type Shape } from '../../src/stats/simulate.ts';
import type { ClaimVerdict, Environment, Plan, Sample } from '../../src/types.ts';

export const SIM_BOUND = 0.95;
const COST_MS = 1000;
const params = { maxPrime: 20000, time: 10, threads: 1 };
const PLATFORMS = ['native', 'runc', 'crun'] as const;

export const simPlan: Plan = {
  schema: 1, experiment: 'sim', seed: 1,
  cells: PLATFORMS.map((p) => ({ id: `c-${p}`, platform: p, platformOptions: {}, workload: 'sysbench-cpu', job: 'default', params })),
  order: [],
};

export const simEnv = {
  schema: 1, run: 'sim', startedAt: '2026-01-01T00:00:00Z',
  host: { hostname: 'h', cpuModel: 'c', cores: 2, memoryMiB: 1024, kernel: '6', distribution: 'd', arch: 'x64' },
  noise: { loadavg: [0, 0, 0] }, tools: {}, hostChanges: [], isobench: { version: '0', commit: '0', dirty: false },
  experiment: { file: 'sim.yaml', sha256: '0' }, node: 'v20',
  platforms: PLATFORMS.map((id) => ({ id, family: id === 'native' ? 'native' : 'container', description: id, available: true, requested: true })),
} as unknown as Environment;

/** claims on sysbench-cpu, each 'platform / native >= 0.95' (as cpu-parity's lower bound) */
export function simClaims(platforms: readonly string[]): LoadedClaims {
  const one = (p: string) => `  - id: ${p}-parity\n    claim: x\n    provenance: { kind: text, where: w }\n    area: cpu\n    subject: { platforms: [${p}] }\n    test:\n      kind: ratio-range\n      low: ${SIM_BOUND}\n      platforms: [${p}]\n      measures: [{ workload: sysbench-cpu, metric: events_per_s }]\n`;
  return parseClaims(`schema: 1\nclaims:\n${platforms.map(one).join('')}`, 'sim-claims.yaml');
}

export interface SimRun {
  /** the final analysis' verdict of each claim */
  verdicts: ClaimVerdict[];
  instances: number;
}

/**
 * One budgeted run: every cell 2 instances, then the planner's choices until the budget (in instances) is spent or it
 * gives nothing more; the true ratio of each platform to native, instance spread `cv`, normal or startup-like skewed data.
 */
export function simulateBudgetRun(o: { ratios: Record<string, number>; cv: number; shape: Shape; budgetInstances: number; random: Random; file: string; claims: LoadedClaims }): SimRun {
  const model = (level: number): DataModel => ({ shape: o.shape, level, cv: o.cv, iterationCv: 0, iterations: 1 });
  const models: Record<string, DataModel> = { 'c-native': model(1000) };
  for (const [p, r] of Object.entries(o.ratios)) models[`c-${p}`] = model(1000 * r);
  const cells = Object.keys(models);
  const samples: Sample[] = [];
  const count = new Map<string, number>();
  let clock = 0;
  const planner = budgetPlanner({
    file: o.file, oracle: budgetOracle(o.claims), env: () => simEnv, plan: simPlan, startMs: 0, deadlineMs: o.budgetInstances * COST_MS,
    costOf: () => COST_MS, now: () => clock,
  });
  const measure = (cell: string) => {
    const c = simPlan.cells.find((x) => x.id === cell)!;
    const instance = count.get(cell) ?? 0;
    count.set(cell, instance + 1);
    const s: Sample = {
      schema: 1, run: 'sim', cell, platform: c.platform, workload: c.workload, job: c.job, params, instance, iteration: 0,
      metric: 'events_per_s', value: instanceMean(models[cell], o.random), unit: 'events/s', better: 'higher', status: 'ok', network: 'host',
      commands: [], startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:01Z',
    };
    samples.push(s);
    planner.observe(s);
    clock += COST_MS;
  };
  for (let k = 0; k < 2; k++) for (const cell of cells) measure(cell);
  planner.look(false);
  while (clock < o.budgetInstances * COST_MS) {
    if (planner.lookDue()) planner.look(false);
    const pick = planner.next(new Set(cells));
    if (!pick) break;
    measure(pick.cell);
  }
  planner.look(true);
  const log = parseBudgetLog(readFileSync(o.file, 'utf8'), o.file);
  const analysis = analyzeSamples(samples, simPlan, simEnv);
  return { verdicts: evaluateClaims(analysis, simEnv, o.claims, CLAIMS_ALPHA, sequentialRecord(log)).verdicts, instances: samples.length };
}

/** one claim about runc and crun together ('all': both must hold) */
export function simPairClaim(): LoadedClaims {
  return parseClaims(`schema: 1\nclaims:\n  - id: pair-parity\n    claim: x\n    provenance: { kind: text, where: w }\n    area: cpu\n    subject: { platforms: [runc, crun] }\n    test:\n      kind: ratio-range\n      low: ${SIM_BOUND}\n      platforms: [runc, crun]\n      measures: [{ workload: sysbench-cpu, metric: events_per_s }]\n`, 'sim-pair.yaml');
}
