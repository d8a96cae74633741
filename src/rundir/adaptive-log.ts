// logs/adaptive.jsonl: why each adaptive cell stopped (written by src/run/adaptive.ts, read by the analysis).
import path from 'node:path';
import { LIMITS, RUN_FILES, type AdaptiveDecision } from './formats.ts';
import { isRecord, parseJournal } from './journal.ts';
import { PLAIN_NAME } from './names.ts';
import { RefusedInput } from './refused.ts';
import { readTextInside } from './untrusted.ts';

/** The last decision per cell in the text of logs/adaptive.jsonl (a resume may decide a cell again); bad lines are errors. */
export function parseAdaptiveLog(text: string, file: string): Map<string, AdaptiveDecision> {
  const out = new Map<string, AdaptiveDecision>();
  // a half-written last line: that decision is made again by a resume
  for (const { index, value: d } of parseJournal(text, file).lines) {
    if (!isRecord(d) || typeof d.cell !== 'string' || !PLAIN_NAME.test(d.cell) || !['planned', 'precise', 'max', 'budget'].includes(d.reason as string) || typeof d.target !== 'number') {
      throw new RefusedInput(`${file}:${index + 1}: not an adaptive decision (needs cell (a plain name), reason planned|max|budget, target)`);
    }
    out.set(d.cell, d as unknown as AdaptiveDecision);
  }
  return out;
}

export function readAdaptiveLog(runDir: string): Map<string, AdaptiveDecision> {
  const text = readTextInside(runDir, RUN_FILES.adaptive, { maxBytes: LIMITS.journalBytes });
  return text === null ? new Map() : parseAdaptiveLog(text, path.join(runDir, RUN_FILES.adaptive));
}
