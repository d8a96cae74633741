// Host changes a platform or workload makes (a daemon started, a cgroup mounted): one log per run session, passed in,
// recorded for environment.json and undone at the end.
import { log } from '../log.ts';
import type { HostChange, HostChanges } from '../types.ts';

interface Pending extends HostChange {
  undo: () => Promise<void>;
}

/** The session's log: what platforms and workloads record, undone (newest first) by undo(). */
export interface HostChangeLog extends HostChanges {
  /** undo every change, newest first; a failed undo is reported and recorded, never thrown */
  undo(): Promise<void>;
  /** the changes as environment.json lists them */
  list(): HostChange[];
}

export function hostChangeLog(): HostChangeLog {
  const changes: Pending[] = [];
  return {
    record(by, what, undo) {
      log.info(`${by}: ${what} (will be undone at the end)`);
      changes.push({ by, what, undone: false, undo });
    },
    async undo() {
      for (const c of [...changes].reverse()) {
        if (c.undone) continue;
        try {
          await c.undo();
          c.undone = true;
        } catch (e) {
          log.warn(`could not undo '${c.what}' (${c.by}): ${(e as Error).message}`);
        }
      }
    },
    list: () => changes.map(({ by, what, undone }) => ({ by, what, undone })),
  };
}
