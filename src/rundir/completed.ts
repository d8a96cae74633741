// logs/completed.jsonl: one completion marker per finished attempt of an instance (written after its samples).
import { FORMAT, LIMITS, RUN_FILES, type Completion } from './formats.ts';
import { isRecord, parseJournal } from './journal.ts';
import { PLAIN_NAME } from './names.ts';
import { RefusedInput } from './refused.ts';
import { readTextInside } from './untrusted.ts';

const STATUSES = new Set(['ok', 'failed', 'timeout', 'skipped']);

function isCompletion(c: unknown): c is Completion {
  return isRecord(c) && typeof c.schema === 'number' && c.schema >= 1 && c.schema <= FORMAT.completed
    && typeof c.cell === 'string' && PLAIN_NAME.test(c.cell)
    && Number.isInteger(c.instance) && (c.instance as number) >= 0
    && Number.isInteger(c.attempt) && (c.attempt as number) >= 0
    && Number.isInteger(c.samples) && (c.samples as number) >= 0 && STATUSES.has(c.status as string);
}

/** Parse completed.jsonl; a half-written last line (a crash while writing it) is returned apart, other bad lines are errors. */
export function parseCompletions(text: string, file: string): { completions: Completion[]; halfWritten?: number } {
  const { lines, halfWritten } = parseJournal(text, file);
  const completions = lines.map((l) => {
    if (!isCompletion(l.value)) throw new RefusedInput(`${file}:${l.index + 1}: not a completion marker (needs schema 1, cell (a plain name), instance, attempt, samples, status)`);
    return l.value;
  });
  return halfWritten ? { completions, halfWritten: halfWritten.line } : { completions };
}

/**
 * Whether a budgeted run's first stage gave this instance: its `stage`; a marker written before that field says so only
 * in its reason ("first stage: every cell gets 2 instance(s)"), which is read for it.
 */
export function isFirstStage(c: Completion): boolean {
  return c.stage !== undefined ? c.stage === 'first' : typeof c.why === 'string' && c.why.startsWith('first stage');
}

/** The text of a run's logs/completed.jsonl, or null when it has none. */
export function readCompletionsText(runDir: string): string | null {
  return readTextInside(runDir, RUN_FILES.completed, { maxBytes: LIMITS.journalBytes });
}
