// Running a benchmark command inside an instance and turning a failed exit into a WorkloadError.
import type { ExecOptions, ExecResult, Instance } from '../types.ts';
import { WorkloadError } from '../types.ts';

export async function execOrThrow(instance: Instance, argv: string[], opts?: ExecOptions): Promise<ExecResult> {
  const r = await instance.exec(argv, opts);
  if (r.timedOut) throw new WorkloadError(`${argv[0]} timed out after ${opts?.timeoutMs} ms`, r.stdout + r.stderr);
  if (r.code !== 0) {
    const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
    const how = r.code === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.code}`;
    throw new WorkloadError(`${argv[0]} failed (${how})${tail ? `: ${tail}` : ''}`, r.stdout + r.stderr);
  }
  return r;
}

/** Where a host-side client reaches a server listening on guestPort inside the instance (the platform may forward it). */
export function serverEndpoint(instance: Instance, guestPort: number, workload: string): { address: string; port: number } {
  if (!instance.address) {
    throw new WorkloadError(`${workload} needs a server reachable from the host, but this instance has no address (network '${instance.network ?? '?'}'): give the platform options.network host or bridge (user or tap for VMs)`);
  }
  return { address: instance.address, port: instance.ports?.[guestPort] ?? guestPort };
}
