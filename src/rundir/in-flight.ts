// logs/in-flight.json: the instance a session was measuring, so the next session can remove what a crash left running.
import path from 'node:path';
import { log } from '../log.ts';
import { RUN_FILES, type InFlight } from './formats.ts';
import { isRecord } from './journal.ts';
import { instancePrefix, plainName } from './names.ts';
import { RefusedInput } from './refused.ts';
import { readTextInside } from './untrusted.ts';

/**
 * The in-flight record of a run, or undefined when there is none or it cannot be read. Its namePrefix decides which
 * containers a reap kills, so it must be an isobench instance name: anything else is refused, and nothing is removed.
 */
export function readInFlightRecord(runDir: string): InFlight | undefined {
  const file = path.join(runDir, RUN_FILES.inFlight);
  let r: unknown;
  try {
    const text = readTextInside(runDir, RUN_FILES.inFlight, { maxBytes: 64 * 1024 });
    if (text === null) return undefined;
    r = JSON.parse(text);
  } catch (e) {
    if (e instanceof RefusedInput) throw e;
    log.warn(`${file}: unreadable (${(e as Error).message}); cannot tell which instance was in flight`);
    return undefined;
  }
  if (!isRecord(r) || !Number.isInteger(r.pid) || typeof r.session !== 'string') throw new RefusedInput(`${file}: not an in-flight record (needs session, pid, platform, namePrefix)`);
  plainName(r.platform, 'platform', `${file}: platform`);
  instancePrefix(r.namePrefix, file);
  return r as unknown as InFlight;
}
