// The baseline: the command runs directly on the host, pinned to the first `cpus` cores as the paper did with taskset.
import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, which } from '../proc.ts';
import type { Instance, InstanceSpec, Platform } from '../types.ts';
import { processesWithEnv } from './host-processes.ts';
import { timedRun } from './startup-spawner.ts';

/** Set on every command a native instance runs: its processes, and whatever they leave in the background, carry it. */
export const NATIVE_INSTANCE_ENV = 'ISOBENCH_INSTANCE';

function cpuList(cpus: number): string {
  const n = Math.min(cpus, os.cpus().length);
  return n <= 1 ? '0' : `0-${n - 1}`;
}

const pinArgv = (cpus: number) => ['taskset', '-c', cpuList(cpus)];

/** the host's tmpfs for an instance's in-memory directory */
const SHM = '/dev/shm';
const TMPFS_MAGIC = 0x01021994;

/** A fresh directory on the host's tmpfs for this instance (fio fileSystem memory), or undefined when /dev/shm is not a tmpfs. */
function makeMemoryDir(name: string): string | undefined {
  try {
    if (statfsSync(SHM).type !== TMPFS_MAGIC) return undefined;
    const dir = path.join(SHM, `isobench-${name}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    return dir;
  } catch {
    return undefined;
  }
}

export const native: Platform = {
  id: 'native',
  family: 'native',
  virtualization: 'none',
  inPaper: true,
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
    // Native has no container to name its processes: the environment mark does (HAP traces them, stop ends them)
    const mine = () => processesWithEnv(NATIVE_INSTANCE_ENV, spec.name);
    const memoryDir = makeMemoryDir(spec.name);
    return {
      network: 'host',
      address: '127.0.0.1',
      dataPath: spec.dataDir,
      memoryDir,
      exec: (argv, opts) => run([...pin, ...argv], { timeoutMs: opts?.timeoutMs, env: { ...opts?.env, [NATIVE_INSTANCE_ENV]: spec.name } }),
      hostPids: async () => mine(),
      async stop() {
        // nothing was started but what exec left running in the background (a server): end it
        for (const pid of mine()) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone meanwhile */ }
        }
        if (memoryDir) rmSync(memoryDir, { recursive: true, force: true });
      },
    };
  },
  startupClock: {
    starts: "the startup-spawner's posix_spawn of the pinned process (taskset, found on PATH beforehand)",
    firstOutput: "the marker's first byte on the process's stdout",
    exit: "the process's exit",
    instance: 'a host process: /bin/echo <marker>, pinned to the instance cpus',
  },
  /** A fresh "instance" of native is a new pinned process: spawn to first output and to exit, on the startup-spawner's clock. */
  async oneShot(spec, argv, opts) {
    return timedRun([...pinArgv(spec.cpus), ...argv], { timeoutMs: opts?.timeoutMs });
  },
};
