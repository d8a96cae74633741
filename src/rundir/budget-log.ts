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

/** A run's budget log, or null when the run had no budget. */
export function readBudgetLog(runDir: string): BudgetLog | null {
  const text = readTextInside(runDir, RUN_FILES.budget, { maxBytes: LIMITS.journalBytes });
  return text === null ? null : parseBudgetLog(text, path.join(runDir, RUN_FILES.budget));
}
