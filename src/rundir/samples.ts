// samples.jsonl: one line per measured value (or failure), the raw data every number of a report comes from.
import { log } from '../log.ts';
import type { Sample } from '../types.ts';
import { FORMAT, LIMITS, RUN_FILES } from './formats.ts';
import { isRecord, parseJournal, PROTOTYPE_KEYS } from './journal.ts';
import { PLAIN_NAME, plainRelativePath } from './names.ts';
import { RefusedInput } from './refused.ts';
import { readTextInside } from './untrusted.ts';

const STATUSES = new Set(['ok', 'failed', 'timeout', 'skipped']);

/** Why a parsed line is not a sample, or null when it is one. */
export function sampleProblem(s: unknown): string | null {
  if (!isRecord(s)) return 'not a JSON object';
  if (typeof s.schema !== 'number' || s.schema > FORMAT.samples || s.schema < 1) return `schema is ${JSON.stringify(s.schema)}, this isobench reads samples schema 1 to ${FORMAT.samples}`;
  for (const f of ['run', 'cell', 'platform', 'workload', 'job'] as const) {
    if (typeof s[f] !== 'string' || s[f] === '') return `field '${f}' must be a non-empty string`;
  }
  // these become keys, paths and container names downstream: plain names only
  for (const f of ['run', 'cell', 'platform', 'workload'] as const) {
    if (!PLAIN_NAME.test(s[f] as string)) return `field '${f}' is ${JSON.stringify(s[f]).slice(0, 60)}, not a plain name (letters, digits, '.', '_', '-')`;
  }
  for (const f of ['job', 'metric', 'host'] as const) {
    if (typeof s[f] === 'string' && PROTOTYPE_KEYS.has(s[f] as string)) return `field '${f}' is '${s[f]}', a name isobench does not accept`;
  }
  if (s.host !== undefined && (typeof s.host !== 'string' || s.host === '' || s.host.length > 300)) return `field 'host' must be a non-empty string when present`;
  if (!STATUSES.has(s.status as string)) return `field 'status' is ${JSON.stringify(s.status)} (expected ok, failed, timeout or skipped)`;
  if (!Number.isInteger(s.instance) || (s.instance as number) < 0) return `field 'instance' must be an integer >= 0`;
  if (!Number.isInteger(s.iteration) || (s.iteration as number) < 0) return `field 'iteration' must be an integer >= 0`;
  if (s.attempt !== undefined && (!Number.isInteger(s.attempt) || (s.attempt as number) < 0)) return `field 'attempt' must be an integer >= 0 when present`;
  if (!isRecord(s.params)) return `field 'params' must be an object`;
  if (s.log !== undefined) {
    try { plainRelativePath(s.log, 'log name', ''); } catch { return `field 'log' is ${JSON.stringify(s.log).slice(0, 60)}, not a relative path of plain names`; }
  }
  if (s.status === 'ok') {
    if (typeof s.metric !== 'string' || s.metric === '') return `an ok sample needs a metric name`;
    if (typeof s.value !== 'number' || !Number.isFinite(s.value)) return `an ok sample needs a finite numeric value (got ${JSON.stringify(s.value)})`;
    if (typeof s.unit !== 'string') return `an ok sample needs a unit`;
    if (s.better !== 'higher' && s.better !== 'lower') return `field 'better' must be 'higher' or 'lower'`;
    if (s.resolution !== undefined && !(typeof s.resolution === 'number' && s.resolution > 0 && Number.isFinite(s.resolution))) return `field 'resolution' must be a number > 0 when present`;
  }
  return null;
}

/** One line of samples.jsonl: its 0-based index, its text and the sample it holds. */
export interface SampleLine {
  index: number;
  text: string;
  sample: Sample;
}

/** Parse samples.jsonl text line by line; a half-written last line is returned apart (not warned about). */
export function parseSampleLines(text: string, file: string): { lines: SampleLine[]; halfWritten?: { line: number; text: string } } {
  const { lines, halfWritten } = parseJournal(text, file);
  const out = lines.map((l) => {
    const problem = sampleProblem(l.value);
    if (problem) throw new RefusedInput(`${file}:${l.index + 1}: not a valid sample: ${problem}`);
    return { index: l.index, text: l.text, sample: l.value as Sample };
  });
  return halfWritten ? { lines: out, halfWritten } : { lines: out };
}

/** Parse samples.jsonl text; `file` names the file in messages; a half-written last line is dropped with a warning. */
export function parseSamples(text: string, file: string): Sample[] {
  const { lines, halfWritten } = parseSampleLines(text, file);
  if (halfWritten) log.warn(`${file}:${halfWritten.line}: dropping a half-written last line (the run was interrupted while writing it)`);
  return lines.map((l) => l.sample);
}

/** The text of a run's samples.jsonl, or null when it has none. */
export function readSamplesText(runDir: string): string | null {
  return readTextInside(runDir, RUN_FILES.samples, { maxBytes: LIMITS.journalBytes });
}

/** A run's samples; throws naming the file when it is missing or not valid. */
export function readSamples(runDir: string): Sample[] {
  const text = readSamplesText(runDir);
  const file = `${runDir.replace(/\/+$/, '')}/${RUN_FILES.samples}`;
  if (text === null) throw new Error(`${file}: cannot read the samples (ENOENT); is this a run directory written by 'isobench run'?`);
  return parseSamples(text, file);
}
