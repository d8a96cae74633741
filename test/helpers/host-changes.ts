// The host-change log of this test process: tests pass it where a run passes its session's, and undo it after their tests.
import { hostChangeLog, type HostChangeLog } from '../../src/run/host-changes.ts';

export const testHost: HostChangeLog = hostChangeLog();
