// An experiment's `budget: 15m`: the form experiments/schema.json gives it (its one definition) and what it is in seconds.
import { readFileSync } from 'node:fs';
import { paths } from '../paths.ts';

let pattern: RegExp | undefined;

/** the schema's own pattern: the loader validates a file against that schema, a run's copy is checked against it here */
function budgetPattern(): RegExp {
  pattern ??= new RegExp(JSON.parse(readFileSync(paths.schema, 'utf8')).properties.budget.pattern);
  return pattern;
}

/** '15m' -> 900; null when the text is not a budget (a run's copy may be old or edited by hand) */
export function budgetSeconds(text: unknown): number | null {
  if (typeof text !== 'string' || !budgetPattern().test(text)) return null;
  return Number(text.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[text.slice(-1) as 's' | 'm' | 'h'];
}
