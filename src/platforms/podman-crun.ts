// Podman (daemonless) with crun, image imported from the benchmark rootfs; needs the hybrid-cgroup fix and explicit rlimits here.
import { run, which } from '../proc.ts';
import type { Detection } from '../types.ts';
import { log } from '../log.ts';
import { ensureHybridCgroupFix, hybridCgroupFixPlan } from './cgroup-hybrid-fix.ts';
import { cgroupsPresent, removeCgroupTree } from './cgroups.ts';
import { enginePlatform, hardLimit, readSelfLimits } from './docker-cli.ts';

const id = 'podman-crun';

/**
 * Podman's default rlimits (nofile 1048576, nproc 32768) exceed what root may set without CAP_SYS_RESOURCE on such hosts:
 * give the container this process's own open-files limit (what native gets) and 4096 processes.
 */
export function podmanUlimitArgs(limitsText: string): string[] {
  const nofile = hardLimit(limitsText, 'Max open files') ?? 1024;
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', 'nproc=4096:4096'];
}

/** podman (cgroupfs manager) puts conmon and containers under this parent cgroup and never removes it */
const CGROUP_PARENT = 'libpod_parent';
let parentBefore: boolean | null = null;

export const podmanCrun = enginePlatform({
  id,
  family: 'container',
  description: 'Podman (daemonless, conmon) with the crun runtime; image imported from the benchmark rootfs',
  packages: ['podman', 'crun'],
  cli: 'podman',
  networks: ['bridge', 'host', 'none'],
  runtimeFor: () => 'crun',
  extraRunArgs: () => podmanUlimitArgs(readSelfLimits()),
  async detect(): Promise<Detection> {
    if (!which('podman')) return { available: false, reason: 'podman not installed: apt-get install podman' };
    if (!which('crun')) return { available: false, reason: 'crun not installed: apt-get install crun' };
    const podman = await run(['podman', 'version', '--format', '{{.Client.Version}}'], { timeoutMs: 20_000 });
    const crun = await run(['crun', '--version'], { timeoutMs: 10_000 });
    if (podman.code !== 0) return { available: false, reason: `podman version failed: ${(podman.stderr || podman.stdout).trim()}` };
    const details: Record<string, string> = { runtime: crun.stdout.split('\n')[0].trim() || 'crun (version unknown)' };
    const fix = await hybridCgroupFixPlan().catch(() => []);
    if (fix.length) details.hostFix = `prepare() mounts ${fix.map((p) => `${p.controller} at ${p.dir}`).join(', ')} (cgroup v1; crun refuses hybrid mode otherwise), undone at the end`;
    return { available: true, version: podman.stdout.trim(), details };
  },
  async prepare(host) {
    parentBefore ??= cgroupsPresent(CGROUP_PARENT).length > 0;
    await ensureHybridCgroupFix(id, host);
  },
  // no daemon to stop; the cgroup fix is undone with the run's host changes
  async release() {
    if (parentBefore === false) {
      const stuck = await removeCgroupTree(CGROUP_PARENT);
      if (stuck.length) log.warn(`${id}: cgroups still hold tasks, left in place: ${stuck.join(', ')}`);
    }
    parentBefore = null;
  },
});
