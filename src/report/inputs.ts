// Reads what the report needs from a run directory, with errors that name the file, the field and the fix.
import { existsSync, readFileSync } from 'node:fs';
import { runFiles } from '../paths.ts';
import { parseSamples } from '../stats/read-run.ts';
import type { Analysis, Environment, Plan } from '../types.ts';

/** cell id (with '@host' in a merged run) -> instance number -> the log files (relative to the run directory) that its samples name */
export type SampleLogs = Record<string, Record<number, string[]>>;

/** The key of a cell's logs: in a merged run two hosts share cell ids. */
export const logKey = (cell: string, host?: string): string => (host ? `${cell}@${host}` : cell);

export interface ReportInputs {
  analysis: Analysis;
  environment: Environment;
  plan: Plan;
  /** the experiment file's bytes as run */
  experimentText: string;
  /** where each instance's samples were logged, for the appendix; null when samples.jsonl is absent */
  sampleLogs: SampleLogs | null;
  /** logKey(cell, host) -> the distinct notes of its samples (how a value was obtained: HAP exact or sampled) */
  sampleNotes: Record<string, string[]>;
}

export function readRunInputs(runDir: string): ReportInputs {
  const files = runFiles(runDir);
  const analysis = readJson(files.analysis, 'run `npm run analyze -- --run <id>` first') as Analysis;
  const environment = readJson(files.environment, 'the run stage writes it; re-run the experiment') as Environment;
  const plan = readJson(files.plan, 'the run stage writes it; re-run the experiment') as Plan;
  const experimentText = readText(files.experiment, 'the run stage copies the experiment file there; re-run the experiment');
  checkShape(files.analysis, analysis, { schema: 'schema1', run: 'string', summaries: 'array', notRun: 'array', failures: 'array', experiment: 'object', repetitions: 'object' });
  checkShape(files.environment, environment, { schema: 'schema1', run: 'string', startedAt: 'string', host: 'object', platforms: 'array', tools: 'object', noise: 'object', isobench: 'object' });
  checkShape(files.plan, plan, { schema: 'schema1', cells: 'array', order: 'array' });
  if (environment.run !== analysis.run) {
    throw new Error(`${files.environment}: run: '${environment.run}' differs from analysis.json's '${analysis.run}'; both files must come from the same run directory`);
  }
  const index = existsSync(files.samples) ? indexSamples(readText(files.samples, 'the run stage writes it'), files.samples) : null;
  return { analysis, environment, plan, experimentText, sampleLogs: index?.logs ?? null, sampleNotes: index?.notes ?? {} };
}

/** Notes kept per cell: enough to say how the values were obtained, not every sample's numbers. */
const NOTES_PER_CELL = 3;

/** Only log paths and a few notes are kept: the report draws from analysis.json, and links each figure back to its samples. */
export function indexSamples(text: string, file: string): { logs: SampleLogs; notes: Record<string, string[]> } {
  const logs: SampleLogs = {};
  const notes: Record<string, string[]> = {};
  for (const s of parseSamples(text, file)) {
    const key = logKey(s.cell, s.host);
    const byInstance = (logs[key] ??= {});
    const list = (byInstance[s.instance] ??= []);
    if (s.log && !list.includes(s.log)) list.push(s.log);
    if (s.note) {
      const mine = (notes[key] ??= []);
      if (mine.length < NOTES_PER_CELL && !mine.includes(s.note)) mine.push(s.note);
    }
  }
  return { logs, notes };
}

function readText(file: string, fix: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read (${code ?? (e as Error).message}); ${fix}`);
  }
}

function readJson(file: string, fix: string): unknown {
  const text = readText(file, fix);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); re-create it with the stage that writes it`);
  }
}

type Kind = 'string' | 'array' | 'object' | 'schema1';

function checkShape(file: string, value: unknown, fields: Record<string, Kind>): void {
  if (typeof value !== 'object' || value === null) throw new Error(`${file}: expected a JSON object`);
  const obj = value as Record<string, unknown>;
  for (const [field, kind] of Object.entries(fields)) {
    const v = obj[field];
    const ok = kind === 'schema1' ? v === 1
      : kind === 'array' ? Array.isArray(v)
      : kind === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v)
      : typeof v === kind;
    if (!ok) {
      const expected = kind === 'schema1' ? 'schema version 1 (this isobench reads only version 1)' : `a ${kind}`;
      throw new Error(`${file}: ${field}: expected ${expected}, found ${JSON.stringify(v) ?? 'nothing'}`);
    }
  }
}
