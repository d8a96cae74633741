// analysis.json: what the analyze stage computed; the report draws every number from it.
import path from 'node:path';
import type { Analysis } from '../types.ts';
import { RUN_FILES } from './formats.ts';
import { isRecord, PROTOTYPE_KEYS } from './journal.ts';
import { checkShape, readRunJson } from './json-file.ts';
import { PLAIN_NAME } from './names.ts';
import { RefusedInput } from './refused.ts';

const SUMMARY_STRINGS = ['platform', 'workload', 'job', 'metric', 'unit'] as const;
/** absent in analyses of older isobench versions; a string when present */
const OPTIONAL_STRINGS = ['cell', 'host'] as const;
const SUMMARY_NUMBERS = ['n', 'mean'] as const;

/**
 * Throws naming file and field unless value is an analysis this isobench reads. The names and numbers that reach
 * charts are checked to be plain strings and numbers here, so an object never reaches Vega.
 */
export function validateAnalysis(value: Record<string, unknown>, file: string): Analysis {
  checkShape(file, value, { run: 'string', summaries: 'array', notRun: 'array', failures: 'array', experiment: 'object', repetitions: 'object' });
  if (value.ratioMethod !== undefined && typeof value.ratioMethod !== 'string') throw new RefusedInput(`${file}: ratioMethod: expected a string, found ${JSON.stringify(value.ratioMethod)?.slice(0, 60)}`);
  if (value.bootstrap !== undefined && !isRecord(value.bootstrap)) throw new RefusedInput(`${file}: bootstrap: expected an object (analyses before issue 12)`);
  (value.summaries as unknown[]).forEach((s, i) => {
    const at = `${file}: summaries[${i}]`;
    if (!isRecord(s)) throw new RefusedInput(`${at}: expected an object`);
    for (const f of SUMMARY_STRINGS) {
      if (typeof s[f] !== 'string') throw new RefusedInput(`${at}.${f}: expected a string, found ${JSON.stringify(s[f])?.slice(0, 60) ?? 'nothing'}`);
      if (PROTOTYPE_KEYS.has(s[f] as string)) throw new RefusedInput(`${at}.${f}: '${s[f]}' is a name isobench does not accept`);
    }
    if (!PLAIN_NAME.test(s.platform as string)) throw new RefusedInput(`${at}.platform: ${JSON.stringify(s.platform).slice(0, 60)} is not a plain name (a platform id)`);
    for (const f of OPTIONAL_STRINGS) {
      if (s[f] !== undefined && typeof s[f] !== 'string') throw new RefusedInput(`${at}.${f}: expected a string, found ${JSON.stringify(s[f])?.slice(0, 60)}`);
    }
    for (const f of SUMMARY_NUMBERS) {
      if (typeof s[f] !== 'number') throw new RefusedInput(`${at}.${f}: expected a number, found ${JSON.stringify(s[f])?.slice(0, 60) ?? 'nothing'}`);
    }
    if (!Array.isArray(s.instanceMeans) || !s.instanceMeans.every((x) => typeof x === 'number')) throw new RefusedInput(`${at}.instanceMeans: expected a list of numbers`);
  });
  (value.notRun as unknown[]).forEach((n, i) => {
    if (!isRecord(n) || typeof n.platform !== 'string' || typeof n.reason !== 'string') throw new RefusedInput(`${file}: notRun[${i}]: expected {platform, reason} strings`);
  });
  return value as unknown as Analysis;
}

export function readAnalysis(runDir: string): Analysis {
  return validateAnalysis(readRunJson(runDir, 'analysis', 'run `npm run analyze -- --run <id>` first'), path.join(runDir, RUN_FILES.analysis));
}
