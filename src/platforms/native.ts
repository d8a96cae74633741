// The baseline: the command runs directly on the host, pinned to the first `cpus` cores as the paper did with taskset.
import os from 'node:os';
import { liveProcessGroups, run, which } from '../proc.ts';
import type { Instance, InstanceSpec, Platform } from '../types.ts';
import { inProcessGroups, readProcTable } from './host-processes.ts';

function cpuList(cpus: number): string {
  const n = Math.min(cpus, os.cpus().length);
  return n <= 1 ? '0' : `0-${n - 1}`;
}

const pinArgv = (cpus: number) => ['taskset', '-c', cpuList(cpus)];

export const native: Platform = {
  id: 'native',
  family: 'native',
  description: 'the host itself, pinned with taskset (the baseline)',
  packages: ['util-linux'],
  async detect() {
    const taskset = which('taskset');
    return taskset
      ? { available: true, version: `${os.type()} ${os.release()}` }
      : { available: false, reason: 'taskset not found (apt-get install util-linux)' };
  },
  async start(spec: InstanceSpec): Promise<Instance> {
    const pin = pinArgv(spec.cpus);
    // Native has no container to name its processes: each exec gets its own process group (run() spawns detached,
    // taskset execs in place), so the groups started here are "the instance" — with any background child they left.
    const groups = new Set<number>();
    return {
      network: 'host',
      address: '127.0.0.1',
      dataPath: spec.dataDir,
      exec(argv, opts) {
        const before = new Set(liveProcessGroups());
        const pending = run([...pin, ...argv], { timeoutMs: opts?.timeoutMs, env: opts?.env });
        // run() registers the new group synchronously, so the one group that appeared is this exec's
        for (const g of liveProcessGroups()) if (!before.has(g)) groups.add(g);
        return pending;
      },
      async hostPids() {
        return inProcessGroups(readProcTable(), groups);
      },
      async stop() {
        // nothing was started but what exec left running in the background (a server): end those groups, and only
        // groups that still have members (a pgid is not reused while its group lives, a bare pid may be)
        const table = readProcTable();
        for (const g of groups) {
          if (!table.some((p) => p.pgid === g)) continue;
          try { process.kill(-g, 'SIGKILL'); } catch { /* gone meanwhile */ }
        }
        groups.clear();
      },
    };
  },
  /** A fresh "instance" of native is a new pinned process: creation to exit and to first output, as run() measures. */
  async oneShot(spec, argv, opts) {
    return run([...pinArgv(spec.cpus), ...argv], { timeoutMs: opts?.timeoutMs });
  },
};
