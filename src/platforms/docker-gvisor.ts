// Docker with gVisor's runsc (ptrace) as a registered runtime: the paper's gVisor row as users meet it, through dockerd.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { run, terminate, which } from '../proc.ts';
import type { Detection, HostChanges } from '../types.ts';
import { enginePlatform, type EngineNetwork } from './docker-cli.ts';
import { detectDocker } from './docker-runc.ts';
import { ensureCpusetParent, removeCgroupTree } from './cgroups.ts';
import { CGROUP_PARENT, dockerdStartedByUs, ensureDockerd, GVISOR_RUNTIMES, stopOurDockerd } from './dockerd.ts';

const id = 'docker-gvisor';

export interface HostProcess {
  pid: number;
  argv: string[];
}

/** Shim, sandbox, gofer (and any runsc helper) whose command line names this container id. */
export function leakedRunscProcesses(procs: HostProcess[], containerId: string): HostProcess[] {
  return procs.filter((p) => {
    const name = path.basename(p.argv[0] ?? '');
    return (name.startsWith('runsc') || name.startsWith('containerd-shim')) && p.argv.some((a) => a.includes(containerId));
  });
}

/** runsc's state directory, from a runsc process's `--root=` (Docker's is /var/run/docker/runtime-runc/moby). */
export function runscRoot(procs: HostProcess[]): string | undefined {
  for (const p of procs) {
    for (const a of p.argv) if (a.startsWith('--root=')) return a.slice('--root='.length);
  }
  return undefined;
}

/** Live processes (zombies excluded) with their argv, from /proc. */
export function listProcesses(): HostProcess[] {
  const out: HostProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat[stat.lastIndexOf(')') + 2] === 'Z') continue;
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (argv.length) out.push({ pid, argv });
    } catch { /* exited while we looked */ }
  }
  return out;
}

/** A failed `docker run --runtime=runsc…` can leave shim, sandbox and gofer running: delete the sandbox, then stop what remains. */
export async function stopLeakedRunsc(containerId: string): Promise<number> {
  let leaked = leakedRunscProcesses(listProcesses(), containerId);
  // after a normal `rm -f` the shim may still be exiting: give it a moment before calling it a leak
  for (let i = 0; i < 20 && leaked.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    leaked = leakedRunscProcesses(listProcesses(), containerId);
  }
  if (!leaked.length) return 0;
  log.warn(`${id}: container ${containerId.slice(0, 12)} left ${leaked.length} process(es) behind (${leaked.map((p) => `${path.basename(p.argv[0])}[${p.pid}]`).join(', ')}); stopping them`);
  const root = runscRoot(leaked);
  const runsc = which('runsc');
  if (root && runsc) await run([runsc, `--root=${root}`, 'delete', '--force', containerId], { timeoutMs: 30_000 });
  for (const p of leakedRunscProcesses(listProcesses(), containerId)) await terminate(p.pid, 5_000);
  const stuck = await removeCgroupTree(path.join(CGROUP_PARENT, containerId)); // a killed sandbox does not remove its cgroups
  if (stuck.length) log.warn(`${id}: cgroups of container ${containerId.slice(0, 12)} still hold tasks: ${stuck.join(', ')}`);
  return leaked.length;
}

function runtimeConfigHint(runsc: string): string {
  const runtimes = Object.fromEntries(Object.values(GVISOR_RUNTIMES).map((r) => [r.name, { path: runsc, runtimeArgs: r.runtimeArgs }]));
  return JSON.stringify({ runtimes });
}

export const dockerGvisor = enginePlatform({
  id,
  family: 'secure-container',
  description: 'Docker with gVisor runsc (ptrace platform) as its runtime; image imported from the benchmark rootfs',
  packages: ['docker.io', 'iptables', 'runsc'],
  cli: 'docker',
  networks: ['none', 'host'],
  networkNote: "Docker's bridge would need runsc's netstack, whose root-netns check misfires on kernels that namespace net.core sysctls (runsc < 2024-08); gvisor-ptrace with network: sandbox works around it, a Docker runtime entry does not yet",
  runtimeFor: (network: EngineNetwork) => GVISOR_RUNTIMES[network === 'host' ? 'host' : 'none'].name,
  async detect(): Promise<Detection> {
    const runsc = which('runsc');
    if (!runsc) return { available: false, reason: 'runsc not installed: apt-get install runsc' };
    const { detection, status } = await detectDocker();
    if (!detection.available) return detection;
    const version = /runsc version (\S+)/.exec((await run([runsc, '--version'], { timeoutMs: 10_000 })).stdout)?.[1];
    const missing = Object.values(GVISOR_RUNTIMES).map((r) => r.name).filter((n) => !status.runtimes.includes(n));
    if (status.running && !dockerdStartedByUs() && missing.length) {
      return {
        available: false,
        reason: `the running dockerd has no runtime ${missing.join(', ')}: add ${runtimeConfigHint(runsc)} to /etc/docker/daemon.json and reload it (kill -HUP $(cat /var/run/docker.pid)), or stop dockerd so isobench starts its own`,
      };
    }
    return {
      available: true,
      version: `${version ?? 'runsc (version unknown)'} (platform ptrace)`,
      details: { ...detection.details, docker: detection.version ?? '?', gvisorPlatform: 'ptrace', runtimes: Object.values(GVISOR_RUNTIMES).map((r) => r.name).join(', ') },
    };
  },
  async prepare(host: HostChanges) {
    await ensureDockerd(id, host);
    if (await ensureCpusetParent(CGROUP_PARENT)) {
      host.record(id, `created the cgroup v1 cpuset '${CGROUP_PARENT}' with the host's cpus and mems (runsc leaves it empty and --cpuset-cpus then fails)`, async () => {
        const stuck = await removeCgroupTree(CGROUP_PARENT);
        if (stuck.length) throw new Error(`cgroups still hold tasks: ${stuck.join(', ')}`);
      });
    }
  },
  release: stopOurDockerd,
  afterRemove: async (containerId) => { await stopLeakedRunsc(containerId); },
});
