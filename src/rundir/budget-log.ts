// logs/budget.jsonl: a budgeted run's looks at the claims and the instances it gave (src/run/budget.ts), read by the analysis.
import path from 'node:path';
import { LIMITS, RUN_FILES, type BudgetGift, type BudgetLook } from './formats.ts';
import { isRecord, parseJournal } from './journal.ts';
import { PLAIN_NAME } from './names.ts';
import { RefusedInput } from './refused.ts';
import { readTextInside } from './untrusted.ts';

export interface BudgetLog {
  looks: BudgetLook[];
  gives: BudgetGift[];
}

const STATES = new Set(['reproduced', 'not reproduced', 'undecided', 'futile', 'untested']);

function isLook(v: Record<string, unknown>): boolean {
  return v.kind === 'look' && Number.isInteger(v.look) && typeof v.fraction === 'number' && typeof v.spentAlpha === 'number' && typeof v.level === 'number'
    && typeof v.final === 'boolean' && Array.isArray(v.claims)
    && v.claims.every((c) => isRecord(c) && typeof c.id === 'string' && STATES.has(c.state as string) && typeof c.why === 'string');
}

/** The looks and gifts in the text of logs/budget.jsonl; a half-written last line is dropped (its look is made again), other bad lines are errors. */
export function parseBudgetLog(text: string, file: string): BudgetLog {
  const out: BudgetLog = { looks: [], gives: [] };
  for (const { index, value } of parseJournal(text, file).lines) {
    if (isRecord(value) && value.schema === 1 && isLook(value)) out.looks.push(value as unknown as BudgetLook);
    else if (isRecord(value) && value.schema === 1 && value.kind === 'give' && typeof value.cell === 'string' && PLAIN_NAME.test(value.cell) && Number.isInteger(value.instance) && Array.isArray(value.claims) && value.claims.every((c) => typeof c === 'string') && typeof value.why === 'string') out.gives.push(value as unknown as BudgetGift);
    else throw new RefusedInput(`${file}:${index + 1}: not a budget record (needs schema 1 and kind look (look, fraction, spentAlpha, level, final, claims) or give (cell, instance, claims, why))`);
  }
  return out;
}

/** A claim's decision at a look: the first look that decided it (later looks only carry it over, src/run/budget.ts). */
export interface LookDecision {
  state: 'reproduced' | 'not reproduced';
  look: number;
  fraction: number;
  level: number;
  why: string;
}

/** Each claim the looks decided, at the look that decided it: a resume keeps it decided, the analysis keeps its verdict. */
export function decidedAtLooks(looks: readonly BudgetLook[]): Map<string, LookDecision> {
  const decided = new Map<string, LookDecision>();
  for (const l of looks) {
    for (const c of l.claims) {
      if ((c.state === 'reproduced' || c.state === 'not reproduced') && !decided.has(c.id)) decided.set(c.id, { state: c.state, look: l.look, fraction: l.fraction, level: l.level, why: c.why });
    }
  }
  return decided;
}

/** A run's budget log, or null when the run had no budget. */
export function readBudgetLog(runDir: string): BudgetLog | null {
  const text = readTextInside(runDir, RUN_FILES.budget, { maxBytes: LIMITS.journalBytes });
  return text === null ? null : parseBudgetLog(text, path.join(runDir, RUN_FILES.budget));
}
