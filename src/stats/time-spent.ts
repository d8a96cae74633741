// Where a run's time went: start, measured and stop per platform and per workload, from the completion markers' times;
// and how a budgeted run spent its budget, from logs/budget.jsonl.
import type { BudgetLog } from '../rundir/budget-log.ts';
import { isFirstStage } from '../rundir/completed.ts';
import type { Completion } from '../rundir/formats.ts';
import type { BudgetSpent, Environment, Plan, TimeRow, TimeSpent } from '../types.ts';

const s1 = (ms: number) => Math.round(ms / 100) / 10;

/** null when no marker carries times (runs made before issue 18) */
export function timeSpent(completions: readonly Completion[], plan: Plan, env: Environment): TimeSpent | null {
  const timed = completions.filter((c) => c.timing);
  if (timed.length === 0) return null;
  const cells = new Map(plan.cells.map((c) => [c.id, c]));
  const rows = (keyOf: (c: Completion) => string): TimeRow[] => {
    const by = new Map<string, { instances: number; start: number; measured: number; stop: number }>();
    for (const c of timed) {
      const k = keyOf(c);
      const r = by.get(k) ?? { instances: 0, start: 0, measured: 0, stop: 0 };
      r.instances++;
      r.start += c.timing!.startMs;
      r.measured += c.timing!.measureMs;
      r.stop += c.timing!.stopMs;
      by.set(k, r);
    }
    return [...by].map(([key, r]) => ({ key, instances: r.instances, startS: s1(r.start), measuredS: s1(r.measured), stopS: s1(r.stop) }))
      .sort((a, b) => b.startS + b.measuredS + b.stopS - (a.startS + a.measuredS + a.stopS) || (a.key < b.key ? -1 : 1));
  };
  const instancesMs = timed.reduce((a, c) => a + c.timing!.startMs + c.timing!.measureMs + c.timing!.stopMs, 0);
  const ends = completions.map((c) => Date.parse(c.endedAt)).filter(Number.isFinite);
  const end = env.endedAt ? Date.parse(env.endedAt) : Math.max(...ends);
  const wallMs = Math.max(instancesMs, end - Date.parse(env.startedAt));
  return {
    wallS: s1(wallMs),
    instancesS: s1(instancesMs),
    waitingS: s1(wallMs - instancesMs),
    byPlatform: rows((c) => cells.get(c.cell)?.platform ?? c.cell),
    byWorkload: rows((c) => cells.get(c.cell)?.workload ?? c.cell),
  };
}

export function budgetSpent(budgetS: number, log: BudgetLog, completions: readonly Completion[]): BudgetSpent {
  // a gift counts once it was measured: not when its pair turned out known to fail (skipped), nor when an interrupted
  // session never finished it (its resume gives it again); the last gift of an instance names the claims it served
  const measured = new Set(completions.filter((c) => c.status !== 'skipped').map((c) => `${c.cell}\u0000${c.instance}`));
  const gifts = new Map<string, BudgetLog['gives'][number]>();
  for (const g of log.gives) if (measured.has(`${g.cell}\u0000${g.instance}`)) gifts.set(`${g.cell}\u0000${g.instance}`, g);
  const byClaim = new Map<string, number>();
  for (const g of gifts.values()) for (const claim of g.claims) byClaim.set(claim, (byClaim.get(claim) ?? 0) + 1);
  const notGiven = new Map<string, number>();
  for (const c of completions) if (c.adaptive === 'budget') notGiven.set(c.why ?? 'not given', (notGiven.get(c.why ?? 'not given') ?? 0) + 1);
  const last = log.looks.at(-1);
  return {
    budgetS,
    firstStage: completions.filter(isFirstStage).length,
    given: gifts.size,
    byClaim: [...byClaim].map(([claim, instances]) => ({ claim, instances })).sort((a, b) => b.instances - a.instances || (a.claim < b.claim ? -1 : 1)),
    notGiven: [...notGiven].map(([why, instances]) => ({ why, instances })).sort((a, b) => b.instances - a.instances),
    looks: log.looks.length,
    finalLevel: last ? last.level : 0,
  };
}
