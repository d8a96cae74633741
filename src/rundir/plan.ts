// plan.json: the cells of the run and the seeded order of their instances.
import path from 'node:path';
import type { Plan } from '../types.ts';
import { RUN_FILES } from './formats.ts';
import { isRecord } from './journal.ts';
import { checkShape, readRunJson } from './json-file.ts';
import { plainName } from './names.ts';
import { RefusedInput } from './refused.ts';

/** Throws naming file and field unless value is a plan this isobench reads; cell ids, platforms and workloads are plain names. */
export function validatePlan(value: Record<string, unknown>, file: string): Plan {
  checkShape(file, value, { seed: 'number', cells: 'array', order: 'array' });
  if (!Number.isInteger(value.seed)) throw new RefusedInput(`${file}: seed: must be an integer`);
  (value.cells as unknown[]).forEach((c, i) => {
    if (!isRecord(c)) throw new RefusedInput(`${file}: cells[${i}]: expected an object`);
    plainName(c.id, 'cell', `${file}: cells[${i}].id`);
    plainName(c.platform, 'platform', `${file}: cells[${i}].platform`);
    plainName(c.workload, 'workload', `${file}: cells[${i}].workload`);
    if (typeof c.job !== 'string') throw new RefusedInput(`${file}: cells[${i}].job: expected a string`);
    if (!isRecord(c.params)) throw new RefusedInput(`${file}: cells[${i}].params: expected an object`);
  });
  (value.order as unknown[]).forEach((o, i) => {
    if (!isRecord(o) || !Number.isInteger(o.instance) || (o.instance as number) < 0) throw new RefusedInput(`${file}: order[${i}]: expected {cell, instance >= 0}`);
    plainName(o.cell, 'cell', `${file}: order[${i}].cell`);
  });
  return value as unknown as Plan;
}

export function readPlan(runDir: string): Plan {
  return validatePlan(readRunJson(runDir, 'plan', "is this a run directory written by 'isobench run'?"), path.join(runDir, RUN_FILES.plan));
}
