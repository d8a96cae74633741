// Adaptive plans compared by what they cost (instances) and what they keep (coverage), never by the half-width that an
// adaptive plan meets by construction: a seeded simulation of the plans, then real runs of the plans in alternating order.
import { parseExperiment } from '../src/experiment/load.ts';
import { runExperiment } from '../src/run/scheduler.ts';
import { analyzeRun } from '../src/stats/analyze.ts';
import { meanInterval } from '../src/stats/interval.ts';
import { deriveSeed, seededRandom, type Random } from '../src/stats/random.ts';
import { twoStageLook } from '../src/stats/sequential.ts';
import { instanceMean, trueMean, type DataModel, type Shape } from '../src/stats/simulate.ts';

export interface PlanRow {
  plan: string;
  data: string;
  /** mean instances spent per cell */
  instances: number;
  /** share of cells whose 95% interval of the mean covers the true (simulated) or pooled (real) mean */
  coverage: number;
  cells: number;
}

type Plan = { name: string; next: (means: number[]) => boolean };

/** the rules compared: a fixed plan, the old rule (stop at the first narrow interval) and the two-stage plan */
function plans(first: number, max: number, target: number, fixed: number): Plan[] {
  return [
    { name: `fixed ${fixed}`, next: (xs) => xs.length < fixed },
    {
      name: `first narrow interval (min ${first}, max ${max})`,
      next: (xs) => {
        if (xs.length < first) return true;
        const ci = meanInterval(xs)!;
        const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
        return xs.length < max && (ci.high - ci.low) / 2 / Math.abs(mean) > target;
      },
    },
    { name: `two-stage (first ${first}, max ${max})`, next: (xs) => twoStageLook(xs, { firstStage: first, maxInstances: max, target }).action === 'continue' },
  ];
}

function cell(plan: Plan, model: DataModel, random: Random): number[] {
  const xs: number[] = [];
  while (plan.next(xs)) xs.push(instanceMean(model, random));
  return xs;
}

/** Simulated cells per plan and data shape; the plans take turns, in an order that rotates each round. */
export function simulatePlans(rounds = 1000, seed = 1): PlanRow[] {
  const rows: PlanRow[] = [];
  const settings: { shape: Shape; first: number; max: number; target: number; fixed: number }[] = [
    { shape: 'normal', first: 3, max: 30, target: 0.02, fixed: 10 },
    { shape: 'skewed', first: 30, max: 300, target: 0.02, fixed: 100 },
    { shape: 'skewed', first: 3, max: 300, target: 0.02, fixed: 10 },
  ];
  for (const st of settings) {
    const model: DataModel = { shape: st.shape, level: 100, cv: 0.05, iterationCv: 0.03, iterations: 1 };
    const ps = plans(st.first, st.max, st.target, st.fixed);
    const random = seededRandom(deriveSeed(seed, `bench-adaptive/${st.shape}/${st.first}`));
    const acc = ps.map(() => ({ n: 0, covered: 0 }));
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < ps.length; k++) {
        const i = (k + r) % ps.length;
        const xs = cell(ps[i], model, random);
        const ci = meanInterval(xs);
        acc[i].n += xs.length;
        if (ci && ci.low <= trueMean(model) && trueMean(model) <= ci.high) acc[i].covered++;
      }
    }
    ps.forEach((p, i) => rows.push({ plan: p.name, data: st.shape === 'normal' ? 'normal, cv 5%' : 'skewed (1 in 7 1.6x slower)', instances: acc[i].n / rounds, coverage: acc[i].covered / rounds, cells: rounds }));
  }
  return rows;
}

function experimentText(name: string, repetitions: string, seconds: number): string {
  return `name: ${name}\nseed: 1\nrepetitions: ${repetitions}\nresources: {cpus: 1}\nplatforms: [native]\n` +
    `workloads:\n  - id: sysbench-cpu\n    params: {maxPrime: 10000, time: ${seconds}, threads: 1}\n`;
}

/**
 * Real runs on this host (native sysbench cpu), adaptive and fixed alternating: instances spent per run, and how many
 * runs' intervals cover the mean pooled over every run of both plans (the best estimate of the truth there is).
 */
export async function realPlans(rounds = 2, opts = { target: 0.02, min: 3, max: 15, fixed: 10, seconds: 1 }): Promise<PlanRow[]> {
  const adaptive = `{adaptive: {targetHalfWidth: ${opts.target}, minInstances: ${opts.min}, maxInstances: ${opts.max}, budgetS: 600}}`;
  const fixed = `{instances: ${opts.fixed}, iterations: 1}`;
  const runs: { plan: string; means: number[] }[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['adaptive', 'fixed'] : ['fixed', 'adaptive'];
    for (const plan of order) {
      const name = `bench-${plan}-${r}`;
      const res = await runExperiment(parseExperiment(`${name}.yaml`, experimentText(name, plan === 'adaptive' ? adaptive : fixed, opts.seconds)));
      const s = (await analyzeRun(res.runDir)).summaries[0];
      if (!s) throw new Error(`${name}: the run produced no ok value (is sysbench installed?)`);
      runs.push({ plan, means: s.instanceMeans });
    }
  }
  const all = runs.flatMap((x) => x.means);
  const pooled = all.reduce((a, b) => a + b, 0) / all.length;
  return ['adaptive', 'fixed'].map((plan) => {
    const mine = runs.filter((x) => x.plan === plan);
    const covered = mine.filter((x) => { const ci = meanInterval(x.means); return ci !== null && ci.low <= pooled && pooled <= ci.high; }).length;
    return {
      plan: plan === 'adaptive' ? `two-stage (first ${opts.min}, max ${opts.max}, ±${opts.target * 100}%)` : `fixed ${opts.fixed}`,
      data: 'native sysbench cpu, this host', instances: mine.reduce((a, x) => a + x.means.length, 0) / mine.length, coverage: covered / mine.length, cells: mine.length,
    };
  });
}

export function formatPlans(rows: PlanRow[]): string {
  return [
    `  ${'plan'.padEnd(40)}${'data'.padEnd(32)}${'instances'.padStart(10)}${'coverage'.padStart(10)}${'cells'.padStart(7)}`,
    ...rows.map((r) => `  ${r.plan.padEnd(40)}${r.data.padEnd(32)}${r.instances.toFixed(1).padStart(10)}${`${(r.coverage * 100).toFixed(1)}%`.padStart(10)}${String(r.cells).padStart(7)}`),
  ].join('\n');
}
