// A resumed budgeted run continues its budget, its looks and its α where the interrupted session left them (src/run/budget.ts).
import { decidedAtLooks, type BudgetLog } from '../rundir/budget-log.ts';
import type { Completion } from '../rundir/formats.ts';
import { ResumeRefused } from './resume.ts';

/** What earlier sessions of a budgeted run left: budget time used, α spent, looks made, claims decided. */
export interface BudgetBefore {
  usedMs: number;
  spentBefore?: number;
  looksBefore?: number;
  lastFraction?: number;
  decided: Map<string, 'reproduced' | 'not reproduced'>;
}

/**
 * The budget time earlier sessions used: per session, from its start to the last instance it completed (a session killed
 * between instances used no more than that). Session starts: the run's, then each resume's (the current one last).
 */
export function budgetUsedMs(sessionStarts: readonly string[], completions: readonly Completion[]): number {
  const starts = sessionStarts.map((s) => Date.parse(s)).filter((t) => Number.isFinite(t));
  let used = 0;
  for (let i = 0; i < starts.length - 1; i++) {
    const ends = completions.map((c) => Date.parse(c.endedAt)).filter((t) => t >= starts[i] && t < starts[i + 1]);
    if (ends.length > 0) used += Math.max(...ends) - starts[i];
  }
  return used;
}

/**
 * What a resume of a budgeted run starts from. A run whose last look was final has spent its design: more instances could
 * only be tested by spending α at a moment its data chose (a retry of its failures after seeing the verdicts), so it is refused.
 */
export function budgetBefore(log: BudgetLog | null, usedMs: number): BudgetBefore {
  const decided = new Map([...decidedAtLooks(log?.looks ?? [])].map(([id, d]) => [id, d.state]));
  const last = log?.looks.at(-1);
  if (last?.final) {
    throw new ResumeRefused(`this budgeted run made its last look at the claims (look ${last.look}, ${Math.round(last.fraction * 100)}% of its budget, α spent ${Number(last.spentAlpha.toPrecision(3))}): measuring more now would test at a moment its results chose; start a new run instead (isobench run --experiment FILE)`);
  }
  return { usedMs, decided, ...(last ? { spentBefore: last.spentAlpha, looksBefore: last.look, lastFraction: last.fraction } : {}) };
}
