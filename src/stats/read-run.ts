// Reading what the run stage wrote: samples.jsonl (tolerating a half-written last line), plan.json, environment.json.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { log } from '../log.ts';
import type { Environment, Plan, Sample } from '../types.ts';

const STATUSES = new Set(['ok', 'failed', 'timeout', 'skipped']);

/** Why one line of samples.jsonl is not a sample, or null when it is one. */
function sampleProblem(s: any): string | null {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) return 'not a JSON object';
  if (s.schema !== 1) return `schema is ${JSON.stringify(s.schema)}, this isobench reads schema 1`;
  for (const f of ['run', 'cell', 'platform', 'workload', 'job'] as const) {
    if (typeof s[f] !== 'string' || s[f] === '') return `field '${f}' must be a non-empty string`;
  }
  if (!STATUSES.has(s.status)) return `field 'status' is ${JSON.stringify(s.status)} (expected ok, failed, timeout or skipped)`;
  if (!Number.isInteger(s.instance) || s.instance < 0) return `field 'instance' must be an integer >= 0`;
  if (!Number.isInteger(s.iteration) || s.iteration < 0) return `field 'iteration' must be an integer >= 0`;
  if (s.attempt !== undefined && (!Number.isInteger(s.attempt) || s.attempt < 0)) return `field 'attempt' must be an integer >= 0 when present`;
  if (s.params === null || typeof s.params !== 'object' || Array.isArray(s.params)) return `field 'params' must be an object`;
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
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  const out: SampleLine[] = [];
  for (let i = 0; i <= last; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (e) {
      // the run was interrupted while appending: the measurement on this line never completed
      if (i === last) return { lines: out, halfWritten: { line: i + 1, text: line } };
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}); fix or delete this line`);
    }
    const problem = sampleProblem(parsed);
    if (problem) throw new Error(`${file}:${i + 1}: not a valid sample: ${problem}`);
    out.push({ index: i, text: line, sample: parsed as Sample });
  }
  return { lines: out };
}

/** Parse samples.jsonl text; `file` names the file in messages. */
export function parseSamples(text: string, file: string): Sample[] {
  const { lines, halfWritten } = parseSampleLines(text, file);
  if (halfWritten) log.warn(`${file}:${halfWritten.line}: dropping a half-written last line (the run was interrupted while writing it)`);
  return lines.map((l) => l.sample);
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read the ${what} (${code ?? (e as Error).message}); is this a run directory written by 'npm run run'?`);
  }
}

async function readJson(file: string, what: string): Promise<any> {
  const text = await readText(file, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: the ${what} is not valid JSON (${(e as Error).message})`);
  }
}

export async function readSamplesFile(file: string): Promise<Sample[]> {
  return parseSamples(await readText(file, 'samples'), file);
}

export async function readPlanFile(file: string): Promise<Plan> {
  const plan = await readJson(file, 'plan');
  if (plan?.schema !== 1) throw new Error(`${file}: schema is ${JSON.stringify(plan?.schema)}, this isobench reads plan schema 1`);
  if (!Number.isInteger(plan.seed)) throw new Error(`${file}: field 'seed' must be an integer`);
  if (!Array.isArray(plan.cells)) throw new Error(`${file}: field 'cells' must be an array`);
  if (!Array.isArray(plan.order)) throw new Error(`${file}: field 'order' must be an array`);
  return plan as Plan;
}

export async function readEnvironmentFile(file: string): Promise<Environment> {
  const env = await readJson(file, 'environment');
  if (env?.schema !== 1) throw new Error(`${file}: schema is ${JSON.stringify(env?.schema)}, this isobench reads environment schema 1`);
  if (!Array.isArray(env.platforms)) throw new Error(`${file}: field 'platforms' must be an array`);
  return env as Environment;
}

/** The experiment's description and repetitions from the copy kept in the run directory; {} when absent or unreadable (old runs stay analysable). */
export async function readExperimentMeta(file: string): Promise<{ description?: string; repetitions?: { instances: number; iterations: number } }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  let doc: any;
  try {
    doc = parseYaml(text);
  } catch (e) {
    log.warn(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]}); the analysis omits the description`);
    return {};
  }
  const out: { description?: string; repetitions?: { instances: number; iterations: number } } = {};
  if (typeof doc?.description === 'string') out.description = doc.description;
  const r = doc?.repetitions;
  if (Number.isInteger(r?.instances) && Number.isInteger(r?.iterations)) out.repetitions = { instances: r.instances, iterations: r.iterations };
  return out;
}
