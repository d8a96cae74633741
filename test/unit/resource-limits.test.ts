import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { platforms } from '../../src/platforms/index.ts';
import { workloads } from '../../src/workloads/index.ts';

/** Every number without a maximum, every array without a bound, every free string without a length or pattern. */
function unbounded(o: any, at: string, out: string[]): string[] {
  if (!o || typeof o !== 'object') return out;
  const numeric = o.type === 'number' || o.type === 'integer';
  if (numeric && o.maximum === undefined && o.exclusiveMaximum === undefined) out.push(`${at}: no maximum`);
  if (o.type === 'array' && o.maxItems === undefined && !(o.uniqueItems && o.items?.enum)) out.push(`${at}: no maxItems`);
  if (o.type === 'string' && o.enum === undefined && o.pattern === undefined && o.maxLength === undefined) out.push(`${at}: no maxLength or pattern`);
  if (o.type === 'string' && /\bpath\b/i.test(o.description ?? '') && !/host path/.test(o.description ?? '') && !/inside the image/.test(o.description ?? '')) out.push(`${at}: a path option that does not say it reads a host path`);
  for (const [k, v] of Object.entries(o)) unbounded(v, `${at}/${k}`, out);
  return out;
}

test('every platform option and workload parameter has a stated bound, and path options say they read a host path', () => {
  const problems = [
    ...platforms.flatMap((p) => unbounded(p.optionsSchema, p.id, [])),
    ...workloads.flatMap((w) => unbounded(w.paramsSchema, w.id, [])),
  ];
  assert.equal(problems, []);
});

test.run();
