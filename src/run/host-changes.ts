// Host changes a platform makes (a daemon started, a cgroup mounted): recorded for environment.json, undone at the end.
import { log } from '../log.ts';
import type { HostChange } from '../types.ts';

interface Pending extends HostChange {
  undo: () => Promise<void>;
}

const changes: Pending[] = [];

/** Record a change that was just made, with the function that undoes it. */
export function recordHostChange(by: string, what: string, undo: () => Promise<void>): void {
  log.info(`${by}: ${what} (will be undone at the end)`);
  changes.push({ by, what, undone: false, undo });
}

/** Undo every change, newest first; a failed undo is reported and recorded, never thrown. */
export async function undoHostChanges(): Promise<void> {
  for (const c of [...changes].reverse()) {
    if (c.undone) continue;
    try {
      await c.undo();
      c.undone = true;
    } catch (e) {
      log.warn(`could not undo '${c.what}' (${c.by}): ${(e as Error).message}`);
    }
  }
}

export function hostChanges(): HostChange[] {
  return changes.map(({ by, what, undone }) => ({ by, what, undone }));
}
