// The budget's looks through the real claims evaluation (test/helpers/budget-sim.ts): the error rates of both verdicts at
// the bound, issue 12's rules at a look (a partly tested claim is never decided by its p-values), and what the final
// analysis says of a claim a look decided when every instance of the run says something else.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { budgetPlanner, type ClaimStatus } from '../../src/run/budget.ts';
import { CLAIMS_ALPHA, evaluateClaims, type SequentialRecord } from '../../src/claims/evaluate.ts';
import { parseClaims } from '../../src/claims/load.ts';
import { deriveSeed, seededRandom } from '../../src/stats/random.ts';
import { resolutionOf } from '../../src/stats/resolution.ts';
import type { Shape } from '../../src/stats/simulate.ts';
import { MAX_NEEDED_PER_SIDE, neededPerSide } from '../../src/stats/sequential.ts';
import type { Analysis, Environment, MetricSummary, Plan } from '../../src/types.ts';
import { SIM_BOUND, simClaims, simPairClaim, simulateBudgetRun } from '../helpers/budget-sim.ts';

const withDir = <T>(f: (dir: string) => T): T => {
  const dir = mkdtempSync(path.join(tmpdir(), 'isobench-budget-verdicts-'));
  try {
    return f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

/** the share of runs whose final verdict of each claim is each verdict */
function rates(ratios: Record<string, number>, shape: Shape, runs: number, label: string): Map<string, Record<string, number>> {
  const claims = simClaims(Object.keys(ratios));
  const random = seededRandom(deriveSeed(20261205, label));
  const out = new Map<string, Record<string, number>>();
  withDir((dir) => {
    for (let i = 0; i < runs; i++) {
      const r = simulateBudgetRun({ ratios, cv: 0.03, shape, budgetInstances: 40, random, file: path.join(dir, `b${i}.jsonl`), claims });
      for (const v of r.verdicts) {
        const t = out.get(v.id) ?? {};
        t[v.verdict] = (t[v.verdict] ?? 0) + 1 / runs;
        out.set(v.id, t);
      }
    }
  });
  return out;
}

const pct = (x: number | undefined) => `${((x ?? 0) * 100).toFixed(1)}%`;

for (const shape of ['normal', 'skewed'] as const) {
  test(`${shape} data, the true ratio on the bound: the final analysis says 'reproduced' and 'not reproduced' each in at most 2.5% of 400 runs (seeded)`, () => {
    const r = rates({ runc: SIM_BOUND }, shape, 400, `bound-${shape}`).get('runc-parity')!;
    assert.ok((r.reproduced ?? 0) <= 0.025, `false 'reproduced' ${pct(r.reproduced)}`);
    assert.ok((r['not reproduced'] ?? 0) <= 0.025, `false 'not reproduced' ${pct(r['not reproduced'])}`);
  });
}

test('two claims (Holm within each look): the one on its bound keeps both sizes, the one well inside is mostly reproduced', () => {
  const r = rates({ runc: SIM_BOUND, crun: 1.03 }, 'normal', 300, 'family');
  const bound = r.get('runc-parity')!;
  assert.ok((bound.reproduced ?? 0) <= 0.025, `false 'reproduced' ${pct(bound.reproduced)}`);
  assert.ok((bound['not reproduced'] ?? 0) <= 0.025, `false 'not reproduced' ${pct(bound['not reproduced'])}`);
  const inside = r.get('crun-parity')!;
  assert.ok((inside.reproduced ?? 0) >= 0.5, `the design has power: reproduced in ${pct(inside.reproduced)}`);
  assert.ok((inside['not reproduced'] ?? 0) <= 0.025);
});

test('a claim whose subject is not all measured is never decided at a look, however small its p (issue 12)', () => {
  withDir((dir) => {
    const file = path.join(dir, 'budget.jsonl');
    // crun never runs: the claim is partly tested, while runc alone holds with a tiny p
    const r = simulateBudgetRun({ ratios: { runc: 1.1 }, cv: 0.01, shape: 'normal', budgetInstances: 20, random: seededRandom(7), file, claims: simPairClaim() });
    const looks = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.kind === 'look');
    assert.ok(looks.length >= 2);
    for (const l of looks) {
      const c = l.claims.find((x: { id: string }) => x.id === 'pair-parity');
      assert.is.not(c.state, 'reproduced', `look ${l.look}: ${c.why}`);
    }
    assert.ok(looks.some((l) => /but the claim is partly tested at it, so the look does not decide it/.test(l.claims[0].why)), JSON.stringify(looks.map((l) => l.claims[0].why)));
    assert.is(r.verdicts[0].verdict, 'partly tested');
    assert.is(r.verdicts[0].decidedAt, undefined);
  });
});

test('a look decides a claim only when its verdict at the look\'s level is reproduced or not reproduced', () => {
  withDir((dir) => {
    const statuses: ClaimStatus[] = [
      { id: 'lost', p: { support: 1e-9, refute: 1 }, open: [], thin: [], verdict: 'inconclusive' },
      { id: 'ok', p: { support: 1e-9, refute: 1 }, open: [], thin: [], verdict: 'reproduced' },
    ];
    const levels: (number | undefined)[] = [];
    const planner = budgetPlanner({
      file: path.join(dir, 'b.jsonl'), oracle: (_s, _e, _p, level) => { levels.push(level); return statuses; }, env: () => ({}) as Environment, plan: {} as Plan,
      startMs: 0, deadlineMs: 10_000, costOf: () => 1000, now: () => 5000,
    });
    const look = planner.look(false);
    assert.ok(levels[0]! > 0 && Math.abs(levels[0]! - look.level) < 1e-15, 'the oracle is asked for the verdicts at the look\'s own level');
    assert.is(look.claims.find((c) => c.id === 'lost')!.state, 'undecided');
    assert.match(look.claims.find((c) => c.id === 'lost')!.why, /but the claim is inconclusive at it/);
    assert.is(look.claims.find((c) => c.id === 'ok')!.state, 'reproduced');
  });
});

// ---- the final analysis of a claim a look decided ----

function summary(platform: string, means: number[], lost?: MetricSummary['lost']): MetricSummary {
  const n = means.length;
  const mean = means.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(means.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return {
    platform, workload: 'sysbench-cpu', job: 'default', metric: 'events_per_s', unit: 'u', better: 'higher',
    n, iterations: n, failed: (lost?.failed.length ?? 0) + (lost?.timeout.length ?? 0), lost: lost ?? { failed: [], timeout: [], skipped: [] },
    mean, median: mean, sd, cv: sd / mean, ci: null, instanceMeans: means, instances: means.map((_, i) => i), outliers: [],
    cell: `c-${platform}`, params: {}, platformOptions: {}, resolution: resolutionOf(means), ratioToNative: null, emulated: false, network: 'host',
  };
}
const analysis = (summaries: MetricSummary[]): Analysis => ({
  schema: 1, run: 'r', experiment: { name: 'unit', description: '', file: 'x.yaml', sha256: '0', seed: 1 },
  repetitions: { instances: 5, iterations: 1 }, summaries, notRun: [], failures: [],
});
const env = { platforms: ['native', 'runc', 'crun'].map((id) => ({ id, family: id === 'native' ? 'native' : 'container', description: id, available: true, requested: true })) } as unknown as Environment;
const noisy = (x: number) => [x * 0.99, x * 1.01, x, x * 0.995, x * 1.005];
const record = (state: 'reproduced' | 'not reproduced'): SequentialRecord => ({
  looks: 4, finalLevel: 0.01, decided: new Map([['runc-parity', { state, look: 2, fraction: 0.3, level: 0.012, why: 'Holm-adjusted support p 0.001 <= this look\'s level 0.012' }]]),
});
const final = (summaries: MetricSummary[], state: 'reproduced' | 'not reproduced' = 'reproduced') =>
  evaluateClaims(analysis(summaries), env, simClaims(['runc']), CLAIMS_ALPHA, record(state)).verdicts[0];

test('decided at a look, inconclusive on every instance: the look\'s verdict stands, and the reason says both', () => {
  // runc / native 0.955, near the bound: the full data do not decide at the level left
  const v = final([summary('native', noisy(1000)), summary('runc', [940, 970, 955, 948, 962])]);
  assert.is(v.verdict, 'reproduced');
  assert.equal(v.decidedAt, { look: 2, fraction: 0.3, level: 0.012, state: 'reproduced' });
  assert.match(v.reason, /^decided reproduced at look 2 of the budget \(30% of its time\): Holm-adjusted support p 0\.001 <= this look's level 0\.012; with every instance of the run: /);
  assert.match(v.reason, /does not survive the correction|inconclusive|straddles|interval/);
  assert.is(v.neededPerSide, undefined);
});

test('decided reproduced at a look, but the cells then lost more than a fifth of their instances: not reproduced, inconclusive', () => {
  const v = final([summary('native', noisy(1000)), summary('runc', [940, 970, 955, 948, 962], { failed: [5], timeout: [6], skipped: [7] })]);
  assert.is(v.verdict, 'inconclusive');
  assert.equal(v.decidedAt?.state, 'reproduced');
  assert.match(v.reason, /^reproduced at look 2 .*; with every instance of the run the claim is inconclusive \(.*lost 3 of its 8 instances.*\), which stands: /);
});

test('decided at a look, the other way on every instance: that decision stands, and the reason says both', () => {
  const v = final([summary('native', noisy(1000)), summary('runc', noisy(800))]);
  assert.is(v.verdict, 'not reproduced');
  assert.equal(v.decidedAt?.state, 'reproduced');
  assert.match(v.reason, /^reproduced at look 2 .*; with every instance of the run the claim is not reproduced, which stands: /);
});

test('decided at a look, partly tested on every instance (a subject platform missing): partly tested', () => {
  const claims = parseClaims(simPairClaim().text.replace('pair-parity', 'runc-parity'), 'x.yaml');
  const v = evaluateClaims(analysis([summary('native', noisy(1000)), summary('runc', noisy(1000))]), env, claims, CLAIMS_ALPHA, record('reproduced')).verdicts[0];
  assert.is(v.verdict, 'partly tested');
  assert.match(v.reason, /with every instance of the run the claim is partly tested, which stands/);
});

// ---- "would need about N instances per side" ----

const side = (mean: number, cv: number, n: number) => ({ mean, sd: mean * cv, n, resolution: null });

test('the need: 80% power at the level asked for, with t at the n it plans (normal quantiles would plan too few)', () => {
  // ratio 1.05 against a bound 1.00, 3% per instance on each side: z alone gives ceil(7.85 · 0.0018 / 0.00238) = 6, whose
  // t test (10 df) has about 72% power; 8 per side (14 df, noncentrality 3.25) has about 84%, 7 about 79%
  const terms = [{ side: side(105, 0.03, 3), sign: 1 as const }, { side: side(100, 0.03, 3), sign: -1 as const }];
  const n = neededPerSide(terms, 1, 0.05);
  assert.is(n, 8, String(n));
  assert.ok(neededPerSide(terms, 1, 0.05 / 10) > n, 'a smaller level needs more');
  assert.ok(neededPerSide([{ side: side(110, 0.03, 3), sign: 1 }, terms[1]], 1, 0.05) < n, 'a farther bound needs fewer');
  assert.is(neededPerSide([{ side: side(100, 0.03, 3), sign: 1 }, terms[1]], 1, 0.05), Infinity, 'on the bound: no n');
});

test('an undecided claim next to its bound gets no number but says why; one farther away gets the number and its level', () => {
  const near = evaluateClaims(analysis([summary('native', noisy(1000)), summary('runc', noisy(950.5))]), env, simClaims(['runc'])).verdicts[0];
  assert.is(near.verdict, 'inconclusive');
  assert.is(near.neededPerSide, undefined);
  assert.match(near.reason, new RegExp(`a ratio sits on or next to its bound \\(runc / native: ratio 0\\.95\\d* against 0\\.95\\): no practical number of instances would decide it \\(more than ${MAX_NEEDED_PER_SIDE} per side\\)$`));
  const far = evaluateClaims(analysis([summary('native', [1000, 1040, 960]), summary('runc', [990, 1030, 950])]), env, simClaims(['runc'])).verdicts[0];
  assert.is(far.verdict, 'inconclusive', far.reason);
  assert.ok(far.neededPerSide! > 3 && far.neededPerSide! <= MAX_NEEDED_PER_SIDE, String(far.neededPerSide));
  assert.match(far.reason, /would need about \d+ instances per side \(from the observed spread and the distance to the bound, for 80% power at α = 0\.05 over 1 claim, Holm's worst case\)$/);
});

test.run();
