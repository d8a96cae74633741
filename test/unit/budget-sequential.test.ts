// The budget's sequential design in simulation (src/run/budget.ts): with the true ratio on a claim's bound, the planner's
// looks (Pocock-type spending over the budget's time) call the claim reproduced at most α/2 = 2.5% of the time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { budgetPlanner, type ClaimStatus } from '../../src/run/budget.ts';
import { deriveSeed, seededRandom, type Random } from '../../src/stats/random.ts';
import { boundTest, logRatio, untestable } from '../../src/stats/ratio.ts';
import { claimLook, pocockSpent } from '../../src/stats/sequential.ts';
import { instanceMean, sideOf, type DataModel } from '../../src/stats/simulate.ts';
import type { Environment, Plan, Sample } from '../../src/types.ts';

const BOUND = 0.95; // the claim: ratio >= 0.95, as cpu-parity's lower bound
const COST_MS = 1000; // every instance costs the same: the budget is a number of instances
const model = (level: number): DataModel => ({ shape: 'normal', level, cv: 0.03, iterationCv: 0, iterations: 1 });

/** one budgeted run of one claim on two cells ('a' over 'b'), the real planner deciding what to run and when to look */
function simulateRun(trueRatio: number, budgetInstances: number, random: Random, file: string): 'reproduced' | 'not reproduced' | 'open' {
  const values: Record<string, number[]> = { a: [], b: [] };
  const models: Record<string, DataModel> = { a: model(100 * trueRatio), b: model(100) };
  const oracle = (): ClaimStatus[] => {
    const a = sideOf(values.a);
    const b = sideOf(values.b);
    // two instances can leave a mean indistinguishable from 0: then nothing is testable yet, as in the claims' evaluation
    const p = untestable(a, b) ? { support: 1, refute: 1 } : boundTest(logRatio(a, b), BOUND, 'low');
    return [{ id: 'claim', p, thin: [], open: [{ label: 'a / b', bound: BOUND, p: Math.min(p.support, p.refute), terms: [{ side: { cell: 'a', ...a }, sign: 1 }, { side: { cell: 'b', ...b }, sign: -1 }] }] }];
  };
  let clock = 0;
  const planner = budgetPlanner({
    file, oracle, env: () => ({}) as Environment, plan: {} as Plan, startMs: 0, deadlineMs: budgetInstances * COST_MS, costOf: () => COST_MS, now: () => clock,
  });
  const measure = (cell: string) => { values[cell].push(instanceMean(models[cell], random)); clock += COST_MS; };
  for (let k = 0; k < 2; k++) { measure('a'); measure('b'); } // the first stage: two instances each
  planner.observe({} as Sample);
  planner.look(false);
  while (clock < budgetInstances * COST_MS) {
    if (planner.lookDue()) planner.look(false);
    const pick = planner.next(new Set(['a', 'b']));
    if (!pick) break;
    measure(pick.cell);
  }
  planner.look(true);
  const s = planner.states().get('claim')!.state;
  return s === 'reproduced' || s === 'not reproduced' ? s : 'open';
}

function rate(trueRatio: number, runs: number, label: string): { reproduced: number; notReproduced: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'isobench-budget-sim-'));
  try {
    const random = seededRandom(deriveSeed(20261205, label));
    let reproduced = 0;
    let notReproduced = 0;
    for (let i = 0; i < runs; i++) {
      const out = simulateRun(trueRatio, 24, random, path.join(dir, `budget-${i}.jsonl`));
      if (out === 'reproduced') reproduced++;
      if (out === 'not reproduced') notReproduced++;
    }
    return { reproduced: reproduced / runs, notReproduced: notReproduced / runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('Pocock-type spending: 0 at the start, α at the end, increasing, more than O\'Brien-Fleming early', () => {
  assert.is(pocockSpent(0.05, 0), 0);
  assert.is(pocockSpent(0.05, 1), 0.05);
  assert.ok(pocockSpent(0.05, 0.3) < pocockSpent(0.05, 0.6));
  assert.ok(Math.abs(pocockSpent(0.05, 0.5) - 0.05 * Math.log(1 + (Math.E - 1) / 2)) < 1e-15);
  assert.equal(claimLook({ support: 0.001, refute: 1 }, 0.002), 'holds');
  assert.equal(claimLook({ support: 1, refute: 0.001 }, 0.002), 'fails');
  assert.equal(claimLook({ support: 0.01, refute: 0.5 }, 0.002), 'continue');
});

test('the true ratio on the bound: the budget\'s looks call the claim reproduced in at most 2.5% of 500 runs (seeded)', () => {
  const r = rate(BOUND, 500, 'size');
  assert.ok(r.reproduced <= 0.025, `size of 'reproduced' ${(r.reproduced * 100).toFixed(1)}%`);
});

test('the same looks, each at the full α, would not keep the size: the simulation can tell', () => {
  // the naive rule decides at every look with α = 0.05 instead of the spending increment
  const random = seededRandom(deriveSeed(20261205, 'naive'));
  let reproduced = 0;
  const runs = 500;
  for (let i = 0; i < runs; i++) {
    const values: Record<string, number[]> = { a: [], b: [] };
    const models: Record<string, DataModel> = { a: model(100 * BOUND), b: model(100) };
    let decided = false;
    for (let n = 2; n <= 12 && !decided; n++) {
      while (values.a.length < n) values.a.push(instanceMean(models.a, random));
      while (values.b.length < n) values.b.push(instanceMean(models.b, random));
      const [a, b] = [sideOf(values.a), sideOf(values.b)];
      decided = !untestable(a, b) && claimLook(boundTest(logRatio(a, b), BOUND, 'low'), 0.05) === 'holds';
    }
    if (decided) reproduced++;
  }
  assert.ok(reproduced / runs > 0.025, `the naive rule's size ${(reproduced / runs * 100).toFixed(1)}% should exceed 2.5%`);
});

test('a true ratio well inside the bound is mostly reproduced within the budget (the design has power)', () => {
  const r = rate(1.02, 200, 'power');
  assert.ok(r.reproduced >= 0.5, `reproduced in ${(r.reproduced * 100).toFixed(0)}% of runs`);
  assert.ok(r.notReproduced <= 0.025);
});

test.run();
