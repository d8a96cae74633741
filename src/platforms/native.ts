// The baseline: the command runs directly on the host, pinned to the first `cpus` cores as the paper did with taskset.
import os from 'node:os';
import { run, which } from '../proc.ts';
import type { Instance, InstanceSpec, Platform } from '../types.ts';

function cpuList(cpus: number): string {
  const n = Math.min(cpus, os.cpus().length);
  return n <= 1 ? '0' : `0-${n - 1}`;
}

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
    const pin = ['taskset', '-c', cpuList(spec.cpus)];
    return {
      network: 'host',
      address: '127.0.0.1',
      dataPath: spec.dataDir,
      exec: (argv, opts) => run([...pin, ...argv], { timeoutMs: opts?.timeoutMs, env: opts?.env }),
      async stop() { /* nothing was started */ },
    };
  },
};
