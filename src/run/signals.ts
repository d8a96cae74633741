// Ctrl-C and SIGTERM: clean up once, then exit 130/143; a second Ctrl-C forces.
import { log } from '../log.ts';
import { killGroup, liveProcessGroups } from '../proc.ts';

/**
 * Installs the handler; returns a function that removes it. `cleanup` runs on the first signal; `onForce` (synchronous,
 * e.g. release the lock and say how to resume) runs on the second, before everything is killed.
 */
export function onInterrupt(cleanup: (signal: NodeJS.Signals) => Promise<void>, onForce?: () => void): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (stopping) {
      log.warn('second interrupt: killing everything now, cleanup skipped');
      for (const pid of liveProcessGroups()) killGroup(pid);
      try { onForce?.(); } catch (e) { log.error(`${(e as Error).message}`); }
      process.exit(code);
    }
    stopping = true;
    cleanup(signal)
      .catch((e: Error) => log.error(`cleanup: ${e.message}`))
      .finally(() => {
        for (const pid of liveProcessGroups()) killGroup(pid);
        process.exit(code);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
