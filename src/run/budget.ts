// A run with a time budget (experiment `budget`): after every cell's minimum, each instance goes to the cell where it most
// narrows an interval that still straddles a claim's bound, with group-sequential looks at the claims (docs/ARCHITECTURE.md).
import { CLAIMS_ALPHA, claimLook, MAX_NEEDED_PER_SIDE, neededPerSide, pocockSpent } from '../stats/sequential.ts';
import { sideSe, type Side } from '../stats/ratio.ts';
import { appendNoFollow } from '../rundir/write.ts';
import type { BudgetGift, BudgetLook, ClaimState, Completion } from '../rundir/formats.ts';
import { isBudgetedCell } from '../experiment/plan.ts';
import type { Cell, Environment, Experiment, Plan, Sample } from '../types.ts';
import type { PendingInstance } from './resume.ts';

export type { BudgetGift, BudgetLook, ClaimState };

/** what the looks spend in all: the claims' own α (src/stats/sequential.ts), never a copy of it */
export const BUDGET_ALPHA = CLAIMS_ALPHA;

/** after the first look, a look at the claims each time this fraction of the budget has passed (and one at the end) */
export const LOOK_STEP = 0.1;

/** One side of an open comparison: a cell's instance means, summarised. */
export interface ClaimSide extends Side {
  cell: string;
}

/** A testable comparison of a claim: the product of its sides' means with signs, its nearest bound, and its p. */
export interface OpenComparison {
  label: string;
  terms: { side: ClaimSide; sign: 1 | -1 }[];
  bound: number;
  /** the smaller of its support and refutation p (not adjusted): open while above the level left per claim */
  p: number;
}

/** A claim as the planner sees it at a look (built by src/claims/looks.ts from the interim analysis). */
export interface ClaimStatus {
  id: string;
  /** Holm-adjusted p-values of the claim on the data so far (null: nothing testable yet) */
  p: { support: number; refute: number } | null;
  open: OpenComparison[];
  /** cells with fewer than 2 instance values on a side of one of its comparisons: no test until they have more */
  thin: string[];
  /**
   * the claim's verdict at the level the oracle was asked for (src/claims/evaluate.ts, issue 12's rules: a partly tested
   * claim, or one whose cells lost too many instances, is never decided by its p-values alone); absent: p decides
   */
  verdict?: string;
}

/** The claims on the samples so far (their verdicts at `level` when given); injected by the CLI, since claims and analysis come after the run stage. */
export type ClaimOracle = (samples: readonly Sample[], env: Environment, plan: Plan, level?: number) => ClaimStatus[];

/** Estimated ms of one more instance of a cell (src/run/estimate.ts: this run's own times first). */
export type CostOf = (cell: string) => number;

export interface BudgetPlanner {
  observe(sample: Sample): void;
  /** a look at the claims; the final one spends what is left of α */
  look(final: boolean): BudgetLook;
  /** whether a look is due by the budget's clock */
  lookDue(): boolean;
  /** the next instance to give among cells with one left, or null (nothing undecided that the time left can help) */
  next(candidates: ReadonlySet<string>): { cell: string; claims: string[]; why: string } | null;
  give(cell: string, instance: number, claims: string[], why: string): void;
  /** ms of the budget left */
  leftMs(): number;
  states(): Map<string, { state: ClaimState; neededPerSide?: number }>;
}

export interface BudgetOptions {
  file: string;
  oracle: ClaimOracle;
  env: () => Environment;
  plan: Plan;
  startMs: number;
  deadlineMs: number;
  costOf: CostOf;
  /** what earlier sessions of this run spent, looked at and decided (a resume: src/run/budget-resume.ts) */
  spentBefore?: number;
  looksBefore?: number;
  lastFractionBefore?: number;
  decidedBefore?: ReadonlyMap<string, 'reproduced' | 'not reproduced'>;
  now?: () => number;
}

export function budgetPlanner(o: BudgetOptions): BudgetPlanner {
  const now = o.now ?? Date.now;
  const samples: Sample[] = [];
  let spent = o.spentBefore ?? 0;
  let looks = o.looksBefore ?? 0;
  let lastFraction = o.lastFractionBefore ?? -Infinity;
  let current: ClaimStatus[] = [];
  const state = new Map<string, { state: ClaimState; neededPerSide?: number }>([...(o.decidedBefore ?? [])].map(([id, st]) => [id, { state: st }]));
  const write = (line: object) => appendNoFollow(o.file, `${JSON.stringify(line)}\n`);
  const fraction = () => Math.min(1, Math.max(0, (now() - o.startMs) / Math.max(1, o.deadlineMs - o.startMs)));
  const tested = () => current.filter((c) => c.p !== null).length;

  /** the level left for the last look, over Holm's worst case for the family */
  const levelLeft = () => Math.max(1e-6, (BUDGET_ALPHA - spent) / Math.max(1, tested()));
  /** instances per side a comparison needs at that level */
  const need = (c: OpenComparison) => neededPerSide(c.terms, c.bound, levelLeft());
  /** the level a look now would have, over Holm's worst case for the family */
  const levelNow = () => Math.max(0, pocockSpent(BUDGET_ALPHA, fraction()) - spent) / Math.max(1, tested());
  /** comparisons a look now would not decide: the ones more instances still serve */
  const openOf = (c: ClaimStatus) => c.open.filter((x) => x.p > levelNow());
  /** ms the instances still missing for `need` would take */
  const costToDecide = (c: OpenComparison, n: number) => {
    if (!Number.isFinite(n)) return Infinity;
    const cells = new Map(c.terms.map((t) => [t.side.cell, t.side.n]));
    return [...cells].reduce((ms, [cell, have]) => ms + Math.max(0, n - have) * o.costOf(cell), 0);
  };

  return {
    observe: (s) => { samples.push(s); },
    lookDue: () => fraction() >= lastFraction + LOOK_STEP,
    leftMs: () => o.deadlineMs - now(),
    states: () => state,
    look(final) {
      // the last look spends what is left only when the budget is spent: a run that ends early because its comparisons
      // closed looks at its time's share, as any look (spending the rest there would test at a data-chosen moment)
      const f = final && now() >= o.deadlineMs ? 1 : fraction();
      lastFraction = f;
      const total = pocockSpent(BUDGET_ALPHA, f);
      const level = Math.max(0, total - spent);
      spent = Math.max(spent, total);
      // the verdicts at this look's level: a look decides a claim only as the analysis would at that level
      current = o.oracle(samples, o.env(), o.plan, level);
      looks++;
      const claims: BudgetLook['claims'] = [];
      for (const c of current) {
        const before = state.get(c.id)?.state;
        if (before === 'reproduced' || before === 'not reproduced') {
          claims.push({ id: c.id, state: before, why: 'decided at an earlier look' });
          continue;
        }
        if (!c.p) {
          state.set(c.id, { state: 'untested' });
          claims.push({ id: c.id, state: 'untested', why: 'nothing testable in this run yet' });
          continue;
        }
        const p = { support: c.p.support, refute: c.p.refute };
        const crossed = claimLook(p, level);
        // p crossing the level is not enough: a partly tested claim, or one on cells that lost too many instances, stays open
        const outcome = c.verdict === undefined || (crossed === 'holds' && c.verdict === 'reproduced') || (crossed === 'fails' && c.verdict === 'not reproduced') ? crossed : 'continue';
        const blocked = crossed !== 'continue' && outcome === 'continue' ? `Holm-adjusted ${crossed === 'holds' ? 'support' : 'refutation'} p ${fmtP(crossed === 'holds' ? p.support : p.refute)} <= this look's level ${fmtP(level)}, but the claim is ${c.verdict} at it, so the look does not decide it; ` : '';
        if (outcome !== 'continue') {
          const s: ClaimState = outcome === 'holds' ? 'reproduced' : 'not reproduced';
          state.set(c.id, { state: s });
          claims.push({ id: c.id, state: s, ...p, why: `Holm-adjusted ${outcome === 'holds' ? 'support' : 'refutation'} p ${fmtP(outcome === 'holds' ? p.support : p.refute)} <= this look's level ${fmtP(level)}` });
          continue;
        }
        const needs = openOf(c).map((x) => ({ x, n: need(x) }));
        const n = needs.length > 0 ? Math.max(...needs.map((y) => y.n)) : undefined;
        const affordable = needs.some((y) => costToDecide(y.x, y.n) <= o.deadlineMs - now());
        const s: ClaimState = needs.length > 0 && !affordable ? 'futile' : 'undecided';
        const perSide = n !== undefined && n <= MAX_NEEDED_PER_SIDE ? { neededPerSide: n } : {};
        state.set(c.id, { state: s, ...perSide });
        const why = blocked + (needs.length === 0 ? 'every comparison is decided at the level left, but the claim\'s p-values have not crossed this look\'s level'
          : `${n! <= MAX_NEEDED_PER_SIDE ? `would need about ${n} instances per side at the level left` : `a ratio sits on or next to its bound: no practical number of instances decides it (more than ${MAX_NEEDED_PER_SIDE} per side)`}${!affordable ? ', more than the budget left can pay for' : ''}`);
        claims.push({ id: c.id, state: s, ...p, ...perSide, why });
      }
      const line: BudgetLook = { schema: 1, kind: 'look', look: looks, at: new Date(now()).toISOString(), fraction: round(f), spentAlpha: spent, level, final, claims };
      write(line);
      return line;
    },
    next(candidates) {
      // the intervals as they are now (a refresh spends no α: only looks decide)
      current = o.oracle(samples, o.env(), o.plan);
      const left = o.deadlineMs - now();
      // a comparison without a second value on a side has no interval at all: the cheapest such cell comes first
      const thin = current.filter((c) => state.get(c.id)?.state !== 'reproduced' && state.get(c.id)?.state !== 'not reproduced')
        .flatMap((c) => c.thin.filter((cell) => candidates.has(cell) && o.costOf(cell) <= left).map((cell) => ({ cell, claim: c.id })));
      if (thin.length > 0) {
        const cheapest = thin.reduce((a, b) => (o.costOf(b.cell) < o.costOf(a.cell) || (o.costOf(b.cell) === o.costOf(a.cell) && b.cell < a.cell) ? b : a));
        const claims = [...new Set(thin.filter((t) => t.cell === cheapest.cell).map((t) => t.claim))];
        return { cell: cheapest.cell, claims, why: `fewer than 2 instance values on a side of a comparison of ${claims.join(', ')}: no interval yet` };
      }
      const score = new Map<string, { gain: number; claims: Set<string>; labels: Set<string> }>();
      for (const c of current) {
        if (state.get(c.id)?.state !== 'undecided') continue;
        for (const x of openOf(c)) {
          if (costToDecide(x, need(x)) > left) continue; // the budget cannot decide this one: spend nothing on it
          // one pooled spread for every side of the comparison: which side gets the instance depends on the counts and the
          // costs only, never on which side's spread happened to look large (that choice would bias the spread it keeps)
          const unit = x.terms.reduce((a, t) => a + t.side.n * relVar(t.side), 0) / x.terms.length;
          const se = (ns: number[]) => Math.sqrt(ns.reduce((a, k) => a + unit / k, 0));
          const ns = x.terms.map((t) => t.side.n);
          // a comparison close to its decision (few instances still needed) comes before one far from it
          const weight = 1 / Math.max(1, need(x));
          x.terms.forEach((t, i) => {
            if (!candidates.has(t.side.cell) || o.costOf(t.side.cell) > left) return;
            const gain = (weight * (se(ns) - se(ns.map((k, j) => (j === i ? k + 1 : k))))) / o.costOf(t.side.cell);
            const entry = score.get(t.side.cell) ?? { gain: 0, claims: new Set<string>(), labels: new Set<string>() };
            entry.gain += gain;
            entry.claims.add(c.id);
            entry.labels.add(`${c.id} (${x.label})`);
            score.set(t.side.cell, entry);
          });
        }
      }
      let best: [string, { gain: number; claims: Set<string>; labels: Set<string> }] | null = null;
      for (const e of [...score].sort(([a], [b]) => (a < b ? -1 : 1))) if (e[1].gain > 0 && (!best || e[1].gain > best[1].gain)) best = e;
      if (!best) return null;
      return { cell: best[0], claims: [...best[1].claims].sort(), why: `narrows the most per second an interval straddling a bound: ${[...best[1].labels].join('; ')}` };
    },
    give(cell, instance, claims, why) {
      write({ schema: 1, kind: 'give', at: new Date(now()).toISOString(), cell, instance, claims, why } satisfies BudgetGift);
    },
  };
}

/** a side's relative variance of its mean (se/mean)², its standard error at least its resolution */
function relVar(s: Side): number {
  return (sideSe(s) / s.mean) ** 2;
}

const round = (x: number) => Number(x.toPrecision(6));
const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : String(Number(p.toPrecision(3))));

/** What spending a budget needs from the run session (src/run/scheduler.ts). */
export interface BudgetRun {
  exp: Experiment;
  runnable: PendingInstance[];
  cells: Map<string, Cell>;
  /** measure one instance, its marker saying which stage gave it and why (false: it was skipped, e.g. its pair is known to fail) */
  runOne(p: PendingInstance, given: Required<Pick<Completion, 'stage' | 'why'>>): Promise<boolean>;
  /** mark an instance not given: a completion marker without samples, so a resume does not run it */
  skip(p: PendingInstance, why: string): void;
  stopping(): boolean;
  planner: BudgetPlanner | null;
  log(line: string): void;
}

/** The first stage (every cell its repetitions.instances, in the plan's interleaved order), then the planner's choices. */
export async function spendBudget(r: BudgetRun, leftMs: () => number): Promise<void> {
  const budgeted = (p: PendingInstance) => isBudgetedCell(r.exp, r.cells.get(p.cell)!);
  const min = r.exp.repetitions.instances;
  const first = r.runnable.filter((p) => !budgeted(p) || p.instance < min);
  const queue = new Map<string, PendingInstance[]>();
  for (const p of r.runnable.filter((x) => budgeted(x) && x.instance >= min).sort((a, b) => a.instance - b.instance)) queue.set(p.cell, [...(queue.get(p.cell) ?? []), p]);
  for (const p of first) {
    if (r.stopping()) return;
    if (leftMs() <= 0) r.skip(p, 'the budget was spent before this instance of the first stage');
    else await r.runOne(p, { stage: 'first', why: `first stage: every cell gets ${min} instance(s)` });
  }
  const rest = (why: string) => {
    for (const ps of queue.values()) for (const p of ps) if (!r.stopping()) r.skip(p, why);
    queue.clear();
  };
  if (!r.planner) return rest('no claims were given to spend the budget on');
  if (r.stopping()) return;
  let look = r.planner.look(false);
  r.log(lookText(look));
  while (!r.stopping() && leftMs() > 0) {
    if (r.planner.lookDue()) r.log(lookText((look = r.planner.look(false))));
    const pick = r.planner.next(new Set([...queue].filter(([, ps]) => ps.length > 0).map(([c]) => c)));
    if (!pick) break;
    const p = queue.get(pick.cell)!.shift()!;
    r.planner.give(p.cell, p.instance, pick.claims, pick.why);
    if (!(await r.runOne(p, { stage: 'given', why: pick.why }))) {
      for (const q of queue.get(pick.cell) ?? []) if (!r.stopping()) r.skip(q, 'not given: this cell\'s platform and workload are known to fail in this run');
      queue.delete(pick.cell);
    }
  }
  if (r.stopping()) return;
  look = r.planner.look(true);
  r.log(lookText(look));
  rest(leftMs() <= 0 ? 'not given: the budget was spent' : 'not given: no undecided claim that the budget left could decide rests on this cell');
}

function lookText(l: BudgetLook): string {
  const count = (st: ClaimState) => l.claims.filter((c) => c.state === st).length;
  return `  look ${l.look}${l.final ? ' (last)' : ''} at ${Math.round(l.fraction * 100)}% of the budget, level ${l.level.toPrecision(2)}: `
    + `${count('reproduced')} reproduced, ${count('not reproduced')} not reproduced, ${count('undecided')} undecided, ${count('futile')} beyond the budget`;
}
