// The Docker daemon's lifecycle: use a running dockerd as it is, or start one (no systemd here) and undo everything it changed.
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { run, spawnDaemon, terminate, which } from '../proc.ts';
import type { HostChanges } from '../types.ts';
import { cgroupsPresent, removeCgroupTree } from './cgroups.ts';
import { removeNetfilterLeftovers, snapshotNetfilter, type NetfilterTable } from './netfilter.ts';

/** gVisor runtimes isobench registers in a dockerd it starts: runsc's own network must match Docker's (none or host). */
export const GVISOR_RUNTIMES: Record<'none' | 'host', { name: string; runtimeArgs: string[] }> = {
  none: { name: 'runsc-ptrace-none', runtimeArgs: ['--platform=ptrace', '--network=none'] },
  host: { name: 'runsc-ptrace-host', runtimeArgs: ['--platform=ptrace', '--network=host'] },
};

const SYSTEM_CONFIG = '/etc/docker/daemon.json';
const PIDFILE = '/var/run/docker.pid';
const EXEC_ROOT = '/var/run/docker';
const BRIDGE = 'docker0';
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
/** the parent cgroup dockerd (cgroupfs driver) puts containers under, in every hierarchy */
export const CGROUP_PARENT = 'docker';

export interface DockerdStatus {
  running: boolean;
  serverVersion?: string;
  clientVersion?: string;
  runtimes: string[];
  defaultRuntime?: string;
  /** the client's message when the daemon does not answer */
  error?: string;
}

/** Parse `docker info --format '{{json .}}'` (the client prints the JSON even when the daemon is down). */
export function parseDockerInfo(stdout: string, code: number | null, stderr = ''): DockerdStatus {
  let info: { ServerVersion?: string; Runtimes?: Record<string, unknown> | null; DefaultRuntime?: string; ClientInfo?: { Version?: string } } = {};
  try {
    info = JSON.parse(stdout.trim().split('\n')[0] || '{}');
  } catch { /* not JSON: treated as not running */ }
  const running = code === 0 && !!info.ServerVersion;
  return {
    running,
    serverVersion: info.ServerVersion || undefined,
    clientVersion: info.ClientInfo?.Version,
    runtimes: Object.keys(info.Runtimes ?? {}).sort(),
    defaultRuntime: info.DefaultRuntime || undefined,
    error: running ? undefined : (stderr.trim().split('\n').pop() || 'docker info failed'),
  };
}

export async function dockerdStatus(): Promise<DockerdStatus> {
  if (!which('docker')) return { running: false, runtimes: [], error: 'docker client not installed' };
  const r = await run(['docker', 'info', '--format', '{{json .}}'], { timeoutMs: 20_000 });
  return parseDockerInfo(r.stdout, r.timedOut ? null : r.code, r.stderr);
}

/** The config a dockerd started by isobench reads: the system's daemon.json plus the gVisor runtimes (when runsc is installed). */
export function dockerdConfig(system: Record<string, unknown> | null, runscPath: string | null): Record<string, unknown> {
  const config: Record<string, unknown> = { ...(system ?? {}) };
  if (runscPath) {
    const runtimes = { ...((config.runtimes as Record<string, unknown> | undefined) ?? {}) };
    for (const r of Object.values(GVISOR_RUNTIMES)) runtimes[r.name] = { path: runscPath, runtimeArgs: r.runtimeArgs };
    config.runtimes = runtimes;
  }
  return config;
}

export function dockerdArgv(configFile: string): string[] {
  return ['dockerd', '--config-file', configFile];
}

interface OurDaemon {
  pid: number;
  logFile: string;
  /** host state before the daemon ran, to remove what it leaves behind */
  before: { netfilter: NetfilterTable[] | null; bridge: boolean; execRoot: boolean; ipForward: string | null; cgroupParent: boolean };
  stopped: boolean;
}

let ours: OurDaemon | null = null;

export function dockerdStartedByUs(): { pid: number; logFile: string } | null {
  return ours && !ours.stopped ? { pid: ours.pid, logFile: ours.logFile } : null;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function readSystemConfig(): Record<string, unknown> | null {
  const text = readOrNull(SYSTEM_CONFIG);
  if (text === null) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${SYSTEM_CONFIG}: not valid JSON (${(e as Error).message}); fix it or move it away so dockerd can start`);
  }
}

function tail(file: string, lines = 8): string {
  return (readOrNull(file) ?? '').split('\n').slice(-lines).join('\n');
}

let starting: Promise<void> | null = null;

/** Use the running dockerd, or start one and wait until it answers (60 s); the start is recorded as a host change. */
export function ensureDockerd(by: string, host: HostChanges, timeoutMs = 60_000): Promise<void> {
  // two platforms preparing at once share one start
  starting ??= startDockerd(by, host, timeoutMs).finally(() => { starting = null; });
  return starting;
}

async function startDockerd(by: string, host: HostChanges, timeoutMs: number): Promise<void> {
  if (ours && !ours.stopped) return;
  if ((await dockerdStatus()).running) return; // someone else's daemon: use it, change nothing
  if (!which('dockerd') || !which('docker')) throw new Error(`${by}: docker.io not installed: apt-get install docker.io`);

  const dir = paths.dockerd();
  await fsp.mkdir(dir, { recursive: true });
  const configFile = path.join(dir, 'daemon.json');
  const logFile = path.join(dir, 'dockerd.log');
  await fsp.writeFile(configFile, `${JSON.stringify(dockerdConfig(readSystemConfig(), which('runsc')), null, 2)}\n`);
  const before = {
    netfilter: await snapshotNetfilter(),
    bridge: existsSync(`/sys/class/net/${BRIDGE}`),
    execRoot: existsSync(EXEC_ROOT),
    ipForward: readOrNull(IP_FORWARD),
    cgroupParent: cgroupsPresent(CGROUP_PARENT).length > 0,
  };
  await fsp.appendFile(logFile, `\n---- isobench ${by}: ${new Date().toISOString()} ----\n`);
  const daemon = spawnDaemon(dockerdArgv(configFile), logFile);
  ours = { pid: daemon.pid, logFile, before, stopped: false };
  let exitedEarly = false;
  void daemon.exited.then(() => { exitedEarly = true; });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await dockerdStatus()).running) break;
    if (exitedEarly || Date.now() > deadline) {
      await stopOurDockerd();
      const why = exitedEarly ? 'dockerd exited' : `dockerd did not answer within ${timeoutMs / 1000} s`;
      throw new Error(`${by}: ${why}; its log (${logFile}) ends with:\n${tail(logFile)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  host.record(by, `started dockerd (pid ${daemon.pid}, config ${configFile}, log ${logFile})`, stopOurDockerd);
}

/** Stop the dockerd this process started and remove what it left (pidfile, exec root, docker0, iptables, cgroups); idempotent, never throws. */
export async function stopOurDockerd(): Promise<void> {
  const d = ours;
  if (!d || d.stopped) return;
  d.stopped = true;
  await terminate(d.pid, 20_000, true);
  if (readOrNull(PIDFILE) === String(d.pid)) await fsp.rm(PIDFILE, { force: true });
  const problems: string[] = [];
  if (!d.before.execRoot && existsSync(EXEC_ROOT)) {
    // dockerd keeps the host network namespace bind-mounted under its exec root
    const mounts = (readOrNull('/proc/mounts') ?? '').split('\n').map((l) => l.split(' ')[1])
      .filter((m) => m && (m.startsWith(`${EXEC_ROOT}/`) || m.startsWith('/run/docker/'))).reverse();
    for (const m of mounts) {
      const r = await run(['umount', m], { timeoutMs: 10_000 });
      if (r.code !== 0) problems.push(`umount ${m}: ${r.stderr.trim()}`);
    }
    await fsp.rm(EXEC_ROOT, { recursive: true, force: true }).catch((e) => problems.push(`rm ${EXEC_ROOT}: ${(e as Error).message}`));
  }
  if (!d.before.bridge && existsSync(`/sys/class/net/${BRIDGE}`)) {
    const r = await run(['ip', 'link', 'delete', BRIDGE], { timeoutMs: 10_000 });
    if (r.code !== 0) problems.push(`ip link delete ${BRIDGE}: ${r.stderr.trim()}`);
  }
  if (d.before.netfilter) {
    problems.push(...(await removeNetfilterLeftovers(d.before.netfilter, { chainPrefix: 'DOCKER', bridge: BRIDGE })));
  }
  if (d.before.ipForward !== null && readOrNull(IP_FORWARD) !== d.before.ipForward) {
    await fsp.writeFile(IP_FORWARD, `${d.before.ipForward}\n`).catch((e) => problems.push(`restore ${IP_FORWARD}: ${(e as Error).message}`));
  }
  if (!d.before.cgroupParent) {
    problems.push(...(await removeCgroupTree(CGROUP_PARENT)).map((c) => `cgroup ${c} still holds tasks`));
  }
  if (problems.length) log.warn(`dockerd (pid ${d.pid}) stopped, but some of what it left could not be removed:\n  ${problems.join('\n  ')}`);
  else log.debug(`dockerd (pid ${d.pid}) stopped and its leftovers removed`);
}
