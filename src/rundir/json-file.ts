// The JSON files of a run (plan.json, environment.json, analysis.json): read through the one rule, version checked.
import path from 'node:path';
import { FORMAT, LIMITS, RUN_FILES, type RunFile } from './formats.ts';
import { isRecord } from './journal.ts';
import { RefusedInput } from './refused.ts';
import { readTextInside } from './untrusted.ts';

type JsonFile = 'plan' | 'environment' | 'analysis';

/** The parsed object of runDir's plan/environment/analysis file; `fix` says what to do when it is missing. */
export function readRunJson(runDir: string, name: JsonFile, fix: string): Record<string, unknown> {
  const file = path.join(runDir, RUN_FILES[name]);
  const text = readTextInside(runDir, RUN_FILES[name], { maxBytes: LIMITS.jsonBytes });
  if (text === null) throw new Error(`${file}: cannot read (ENOENT); ${fix}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RefusedInput(`${file}: the ${name} is not valid JSON (${(e as Error).message}); re-create it with the stage that writes it`);
  }
  if (!isRecord(value)) throw new RefusedInput(`${file}: expected a JSON object`);
  checkVersion(file, name, value.schema);
  return value;
}

/** Versions 1..FORMAT[name] are read; a newer one was written by a newer isobench. */
export function checkVersion(file: string, name: RunFile, schema: unknown): void {
  const current = FORMAT[name];
  if (typeof schema === 'number' && Number.isInteger(schema) && schema >= 1 && schema <= current) return;
  const newer = typeof schema === 'number' && schema > current;
  throw new RefusedInput(`${file}: schema is ${JSON.stringify(schema)}, this isobench reads ${name} schema 1${current > 1 ? ` to ${current}` : ''}${newer ? ' (written by a newer isobench: update isobench)' : ''}`);
}

export type Kind = 'string' | 'array' | 'object' | 'number';

/** Throws RefusedInput naming file and field unless each field has its kind. */
export function checkShape(file: string, obj: Record<string, unknown>, fields: Record<string, Kind>): void {
  for (const [field, kind] of Object.entries(fields)) {
    const v = obj[field];
    const ok = kind === 'array' ? Array.isArray(v) : kind === 'object' ? isRecord(v) : typeof v === kind;
    if (!ok) throw new RefusedInput(`${file}: ${field}: expected a${kind === 'array' || kind === 'object' ? 'n' : ''} ${kind}, found ${JSON.stringify(v)?.slice(0, 60) ?? 'nothing'}`);
  }
}
