// The line journals of a run (samples.jsonl, logs/completed.jsonl, logs/adaptive.jsonl): one JSON record per line.
import { RefusedInput } from './refused.ts';
import { LIMITS } from './formats.ts';

export interface JournalLine {
  /** 0-based line index */
  index: number;
  text: string;
  value: unknown;
}

/**
 * Every non-empty line parsed as JSON. A last line that is not JSON is what a crash while appending leaves: it is
 * returned apart. Any other bad line, or a line over LIMITS.lineBytes, is an error naming file and line.
 */
export function parseJournal(text: string, file: string): { lines: JournalLine[]; halfWritten?: { line: number; text: string } } {
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  const out: JournalLine[] = [];
  for (let i = 0; i <= last; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    if (line.length > LIMITS.lineBytes) throw new RefusedInput(`${file}:${i + 1}: a line of ${line.length} characters, more than the ${LIMITS.lineBytes} a record may have`);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      if (i === last) return { lines: out, halfWritten: { line: i + 1, text: line } };
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}); fix or delete this line`);
    }
    out.push({ index: i, text: line, value });
  }
  return { lines: out };
}

/** Whether v is a plain JSON object (not null, not an array). */
export const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The names that, used as a key of a plain object, reach its prototype. */
export const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
