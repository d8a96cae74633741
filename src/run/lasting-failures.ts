// A platform x workload pair that failed in a way that will not change in this run (a hang until the timeout, a server
// that never answers there) is not measured again at full cost: its remaining instances are recorded as skipped.
import type { Cell, Sample } from '../types.ts';

export interface LastingFailures {
  /** why this cell's pair is known to fail, with a pointer to its first failure; undefined when it is not */
  known(cell: Cell): string | undefined;
  /** an instance's samples; returns the warning to print when the pair is now known to fail */
  observe(cell: Cell, instance: number, samples: readonly Sample[], logRel: string): string | null;
}

/** the error without its numbers: the same failure twice reads the same ("did not answer within 20 s (7 probes)") */
const shapeOf = (error: string) => error.replace(/[0-9]+(\.[0-9]+)?/g, '#');

export function lastingFailures(): LastingFailures {
  const known = new Map<string, string>();
  const last = new Map<string, { shape: string; where: string }>();
  // the same platform with other options (gVisor's network stacks) is another pair
  const pairOf = (c: Cell) => `${c.platform}\u0000${JSON.stringify(c.platformOptions)}\u0000${c.workload}`;
  return {
    known: (c) => known.get(pairOf(c)),
    observe(c, instance, samples, logRel) {
      const key = pairOf(c);
      if (samples.some((x) => x.status === 'ok')) {
        last.delete(key);
        return null;
      }
      const bad = samples.find((x) => x.status === 'timeout') ?? samples.find((x) => x.status === 'failed');
      if (!bad) return null;
      const where = `${c.workload}/${c.job} instance ${instance + 1}, log ${logRel}`;
      const pair = `${c.platform} · ${c.workload}`;
      if (bad.status === 'timeout') {
        known.set(key, `${pair} ran into its timeout in this run (${bad.error}); first failure: ${where}`);
      } else {
        const prev = last.get(key);
        if (!prev || prev.shape !== shapeOf(bad.error ?? '')) {
          last.set(key, { shape: shapeOf(bad.error ?? ''), where });
          return null;
        }
        known.set(key, `${pair} failed twice in a row the same way in this run (${bad.error}); first failure: ${prev.where}`);
      }
      return `${pair}: ${bad.status === 'timeout' ? 'a timeout' : 'the same failure twice'}; its remaining instances in this run are recorded as skipped`;
    },
  };
}
