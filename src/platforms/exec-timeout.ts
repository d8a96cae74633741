// Running a command inside an instance through a host-side client (runc exec, runsc exec, lxc-attach, ctr task exec).
import { run, type RunOptions } from '../proc.ts';
import type { ExecResult } from '../types.ts';

/**
 * The timeout kills the host-side client, but the command inside the instance is not our child (and may hold the
 * output pipes): `killInside` is called at the same moment to end it there, and awaited before returning.
 */
export async function execKillingInside(argv: string[], opts: RunOptions, killInside: () => Promise<unknown> | void): Promise<ExecResult> {
  const pending = run(argv, opts);
  let killing: Promise<unknown> | void | undefined;
  const timer = opts.timeoutMs ? setTimeout(() => { killing = killInside(); }, opts.timeoutMs) : undefined;
  const r = await pending;
  if (timer) clearTimeout(timer);
  await killing;
  return r;
}
