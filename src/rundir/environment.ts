// environment.json: where and with what the run was measured (host, tools, platforms, host changes, resumes, merges).
import path from 'node:path';
import type { Environment } from '../types.ts';
import { RUN_FILES } from './formats.ts';
import { isRecord } from './journal.ts';
import { checkShape, readRunJson } from './json-file.ts';
import { plainName } from './names.ts';
import { RefusedInput } from './refused.ts';

/** Throws naming file and field unless value is an environment this isobench reads. */
export function validateEnvironment(value: Record<string, unknown>, file: string): Environment {
  checkShape(file, value, { platforms: 'array' });
  if (value.run !== undefined) plainName(value.run, 'run id', `${file}: run`);
  if (value.host !== undefined && !isRecord(value.host)) throw new RefusedInput(`${file}: host: expected an object`);
  if (value.tools !== undefined && !isRecord(value.tools)) throw new RefusedInput(`${file}: tools: expected an object`);
  (value.platforms as unknown[]).forEach((p, i) => {
    if (!isRecord(p)) throw new RefusedInput(`${file}: platforms[${i}]: expected an object`);
    plainName(p.id, 'platform', `${file}: platforms[${i}].id`);
  });
  return value as unknown as Environment;
}

export function readEnvironment(runDir: string): Environment {
  return validateEnvironment(readRunJson(runDir, 'environment', "is this a run directory written by 'isobench run'?"), path.join(runDir, RUN_FILES.environment));
}
