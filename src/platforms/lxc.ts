// LXC over the shared benchmark rootfs: our own config in a private lxcpath, `lxc-start` a sleeping init, `lxc-attach` each command;
// a one-shot start boots a system container whose init runs the command and powers the container off.
import { existsSync, promises as fsp, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../log.ts';
import { run, which } from '../proc.ts';
import type { Detection, ExecOptions, ExecResult, Instance, InstanceSpec, OneShotOptions, Platform, StartupClock } from '../types.ts';
import { parseCgroupMounts } from './cgroup-hybrid-fix.ts';
import { readProcTable, withDescendants } from './host-processes.ts';
import { CONTAINER_PATH, CPU_PERIOD_US, cpusetFor, KEEPALIVE_ARGS } from './oci-bundle.ts';
import { execKillingInside } from './exec-timeout.ts';
import { timedRun } from './startup-spawner.ts';

export type LxcNetwork = 'none' | 'host';
export type CgroupVersion = 'v1' | 'v2';

export interface LxcConfigInput {
  name: string;
  /** absolute path of the shared benchmark rootfs (mounted read-only) */
  rootfs: string;
  cpus: number;
  memoryMiB: number;
  hostCores: number;
  /** host directory bind-mounted read-write at /data */
  dataDir?: string;
  network: LxcNetwork;
  /** which cgroup keys this host takes: lxc.cgroup.* (v1 controllers, as on hybrid hosts) or lxc.cgroup2.* */
  cgroup: CgroupVersion;
  /** no console pty: the init writes to lxc-start's own stdout (a foreground one-shot start reads the marker there) */
  inheritStdio?: boolean;
}

export const lxcOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    network: {
      enum: ['none', 'host'],
      default: 'none',
      description: "'none': own network namespace with loopback only (lxc.net.0.type = empty); 'host': the host's network (type none)",
    },
  },
};

const APT_HINT = 'apt-get install lxc';
const START_TIMEOUT_MS = 60_000;
const CONTROL_TIMEOUT_MS = 20_000;

function checkInput(i: LxcConfigInput): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(i.name)) throw new Error(`lxc: name '${i.name}' must match [a-z0-9][a-z0-9-]*`);
  for (const [field, p] of [['rootfs', i.rootfs], ['dataDir', i.dataDir]] as const) {
    if (p === undefined) continue;
    if (!path.isAbsolute(p)) throw new Error(`lxc: ${field} '${p}' must be an absolute path`);
    // lxc.mount.entry is fstab syntax: whitespace would split the entry
    if (/\s/.test(p)) throw new Error(`lxc: ${field} '${p}' contains whitespace, which LXC's fstab-style entries cannot hold; use a path without spaces`);
  }
  if (!(i.cpus > 0)) throw new Error(`lxc: cpus must be > 0 (got ${i.cpus})`);
  if (!(i.memoryMiB > 0)) throw new Error(`lxc: memoryMiB must be > 0 (got ${i.memoryMiB})`);
  if (i.network !== 'none' && i.network !== 'host') throw new Error(`lxc: network '${String(i.network)}' is not supported (options.network: 'none' or 'host')`);
}

/** The container's config file text; no I/O. Limits as the OCI bundle sets them: first cores, CFS quota, memory limit. */
export function lxcConfig(i: LxcConfigInput): string {
  checkInput(i);
  const cpus = cpusetFor(i.cpus, i.hostCores);
  const quota = Math.round(i.cpus * CPU_PERIOD_US);
  const bytes = Math.round(i.memoryMiB * 1024 * 1024);
  const cg = i.cgroup === 'v1'
    ? [
        `lxc.cgroup.cpuset.cpus = ${cpus}`,
        `lxc.cgroup.cpu.cfs_period_us = ${CPU_PERIOD_US}`,
        `lxc.cgroup.cpu.cfs_quota_us = ${quota}`,
        `lxc.cgroup.memory.limit_in_bytes = ${bytes}`,
      ]
    : [
        `lxc.cgroup2.cpuset.cpus = ${cpus}`,
        `lxc.cgroup2.cpu.max = ${quota} ${CPU_PERIOD_US}`,
        `lxc.cgroup2.memory.max = ${bytes}`,
      ];
  return [
    '# written by isobench for one instance; removed with its lxcpath by stop()',
    `lxc.uts.name = ${i.name}`,
    `lxc.rootfs.path = dir:${i.rootfs}`,
    // one cached rootfs shared by every container, never copied: read-only, scratch space on tmpfs
    'lxc.rootfs.options = ro',
    'lxc.autodev = 1',
    'lxc.mount.auto = proc:mixed sys:ro',
    'lxc.mount.entry = tmpfs tmp tmpfs rw,nosuid,nodev,mode=1777 0 0',
    'lxc.mount.entry = tmpfs run tmpfs rw,nosuid,nodev,mode=755 0 0',
    ...(i.dataDir ? [`lxc.mount.entry = ${i.dataDir} data none rbind,rw 0 0`] : []),
    `lxc.net.0.type = ${i.network === 'host' ? 'none' : 'empty'}`,
    // what LXC's own common.conf drops
    'lxc.cap.drop = mac_admin mac_override sys_time sys_module sys_rawio',
    ...(i.inheritStdio ? ['lxc.console.path = none'] : []),
    ...cg,
    '',
  ].join('\n');
}

/** lxc.cgroup.* when the memory and cpuset controllers sit on v1 hierarchies (legacy or hybrid hosts), else lxc.cgroup2.*. */
export function cgroupVersionFor(mountinfo: string): CgroupVersion {
  const m = parseCgroupMounts(mountinfo);
  const v1 = new Set(m.v1.flatMap((h) => h.controllers));
  return v1.has('memory') && v1.has('cpuset') ? 'v1' : 'v2';
}

/** Host pids in the same pid namespace as the container's init, other than the init. */
function pidsInNamespaceOf(initPid: number): number[] {
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${initPid}/ns/pid`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === initPid) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) === ns) out.push(Number(e));
    } catch { /* exited, or a kernel thread */ }
  }
  return out;
}

/** The first ERROR lines of an LXC log (the cause; later ones only repeat that the start failed), else its tail. */
export function lxcLogCause(text: string, lines = 2): string {
  const errors = text.split('\n').filter((l) => / ERROR /.test(l)).map((l) => l.replace(/^.* ERROR\s+\S+ - \S+ - /, ''));
  return (errors.length ? errors.slice(0, lines) : text.trim().split('\n').slice(-lines)).join('; ');
}

async function logCause(file: string): Promise<string> {
  return lxcLogCause(await fsp.readFile(file, 'utf8').catch(() => ''));
}

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Hierarchies that hold LXC's shared lxc.pivot cgroup (its monitor creates it on first use and never removes it). */
async function hierarchiesWithPivot(): Promise<Set<string>> {
  const out = new Set<string>();
  for (const h of await fsp.readdir(CGROUP_ROOT).catch(() => [] as string[])) if (existsSync(path.join(CGROUP_ROOT, h, 'lxc.pivot'))) out.add(h);
  return out;
}

/** cgroups LXC names after the container (it removes them itself; left only after a crash), and lxc.pivot where we caused it. */
async function removeCgroups(name: string, pivotBefore: Set<string>): Promise<void> {
  for (const h of await fsp.readdir(CGROUP_ROOT).catch(() => [] as string[])) {
    const leaves = [`lxc.payload.${name}`, `lxc.monitor.${name}`, ...(pivotBefore.has(h) ? [] : ['lxc.pivot'])];
    // rmdir refuses a cgroup that still holds processes, so another container's pivot is never taken away; a monitor
    // that is just exiting keeps it busy for a moment, hence the retries
    for (const leaf of leaves) {
      for (let i = 0; i < 10; i++) {
        const code = await fsp.rmdir(path.join(CGROUP_ROOT, h, leaf)).then(() => 'ok', (e: NodeJS.ErrnoException) => e.code);
        if (code !== 'EBUSY') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }
}

const LXC_TOOLS = ['lxc-start', 'lxc-attach', 'lxc-stop', 'lxc-info', 'lxc-execute'] as const;
type LxcTool = (typeof LXC_TOOLS)[number];

function lxcTools(): Record<LxcTool, string> {
  const found = Object.fromEntries(LXC_TOOLS.map((b) => [b, which(b)])) as Record<LxcTool, string | null>;
  const missing = LXC_TOOLS.filter((b) => !found[b]);
  if (missing.length) throw new Error(`lxc: ${missing.join(', ')} not found on PATH (${APT_HINT})`);
  return found as Record<LxcTool, string>;
}

/** One container's files: its config in a private lxcpath named isobench-lxc-<name>-XXXXXX (reap finds it by that). */
interface Container {
  tools: Record<LxcTool, string>;
  name: string;
  lxcpath: string;
  configFile: string;
  logFile: string;
  /** -n NAME -P LXCPATH */
  at: string[];
  network: LxcNetwork;
  pivotBefore: Set<string>;
}

const lxcpathPrefix = (name: string) => `isobench-lxc-${name}`;

async function prepareContainer(spec: InstanceSpec, inheritStdio = false): Promise<Container> {
  const tools = lxcTools();
  const network = ((spec.options?.network as string | undefined) ?? spec.network ?? 'none') as LxcNetwork;
  const name = spec.name;
  const text = lxcConfig({
    name,
    rootfs: path.resolve(spec.rootfs),
    cpus: spec.cpus,
    memoryMiB: spec.memoryMiB,
    hostCores: os.cpus().length,
    dataDir: spec.dataDir ? path.resolve(spec.dataDir) : undefined,
    network,
    cgroup: cgroupVersionFor(await fsp.readFile('/proc/self/mountinfo', 'utf8')),
    inheritStdio,
  });
  await fsp.mkdir(spec.logDir, { recursive: true });
  const logFile = path.join(spec.logDir, `lxc-${name}.log`);
  await fsp.writeFile(logFile, ''); // so the cause quoted on failure is this start's
  const pivotBefore = await hierarchiesWithPivot();
  // a private lxcpath, so nothing lands in /var/lib/lxc
  const lxcpath = await fsp.mkdtemp(path.join(os.tmpdir(), `${lxcpathPrefix(name)}-`));
  const configFile = path.join(lxcpath, name, 'config');
  await fsp.mkdir(path.dirname(configFile));
  await fsp.writeFile(configFile, text);
  return { tools, name, lxcpath, configFile, logFile, at: ['-n', name, '-P', lxcpath], network, pivotBefore };
}

/** Stop the container, kill what survives, remove its cgroups and lxcpath; never throws. */
async function removeContainer(c: Pick<Container, 'name' | 'lxcpath' | 'pivotBefore'> & { stopTool: string }): Promise<void> {
  try {
    const at = ['-n', c.name, '-P', c.lxcpath];
    await run([c.stopTool, ...at, '-k'], { timeoutMs: CONTROL_TIMEOUT_MS });
    // what lxc-stop could not reach: processes naming the lxcpath (the monitor), given a moment to exit on their own
    const leftovers = () => readProcTable().filter((p) => p.argv.some((a) => a.includes(c.lxcpath)));
    let left = leftovers();
    for (let i = 0; i < 20 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = leftovers();
    }
    if (left.length) {
      log.warn(`lxc: ${c.name}: ${left.length} process(es) left after lxc-stop -k (${left.map((p) => p.pid).join(', ')}); killing them`);
      for (const p of left) try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await removeCgroups(c.name, c.pivotBefore);
    // never lxc-destroy: for a dir: rootfs it deletes the rootfs itself, which is the shared cached image
    await fsp.rm(c.lxcpath, { recursive: true, force: true });
  } catch (e) {
    log.warn(`lxc: removing ${c.name}: ${(e as Error).message}`);
  }
}

async function start(spec: InstanceSpec): Promise<Instance> {
  const c = await prepareContainer(spec);
  const { tools, name, at, logFile } = c;
  let initPid: number | undefined;
  let stopping: Promise<void> | undefined;
  // every caller, concurrent ones included, waits for the one cleanup
  const stop = (): Promise<void> => (stopping ??= removeContainer({ ...c, stopTool: tools['lxc-stop'] }));

  try {
    // stdio ignored: the daemonized monitor must not hold run()'s pipes; errors go to the -o log
    const r = await run([tools['lxc-start'], ...at, '-f', c.configFile, '-d', '-o', logFile, '-l', 'NOTICE', '--', ...KEEPALIVE_ARGS], {
      timeoutMs: START_TIMEOUT_MS,
      ignoreOutput: true,
      cwd: '/',
    });
    if (r.timedOut || r.code !== 0) {
      const why = r.timedOut ? `timed out after ${START_TIMEOUT_MS / 1000} s` : `exit ${r.code ?? r.signal}`;
      throw new Error(`lxc: could not start container ${name} (${why}); ${logFile}: ${(await logCause(logFile)) || '(empty)'}`);
    }
    const info = await run([tools['lxc-info'], ...at, '-pH'], { timeoutMs: CONTROL_TIMEOUT_MS });
    initPid = Number(info.stdout.trim()) || undefined;
    if (!initPid) throw new Error(`lxc: container ${name} started but lxc-info shows no init pid (${info.stderr.trim() || info.stdout.trim()}); ${logFile}: ${await logCause(logFile)}`);
  } catch (e) {
    await stop();
    throw e;
  }

  async function exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
    const env = Object.entries({ PATH: CONTAINER_PATH, HOME: '/root', ...opts?.env }).flatMap(([k, v]) => ['-v', `${k}=${v}`]);
    const timeoutMs = opts?.timeoutMs;
    // cwd '/': lxc-attach tries to enter the caller's working directory inside the container
    // what a timed-out command leaves inside: everything in the container's pid namespace but its init
    return execKillingInside([tools['lxc-attach'], ...at, '--clear-env', ...env, '--', ...argv], { timeoutMs, cwd: '/' }, () => {
      if (stopping || !initPid) return;
      for (const pid of pidsInNamespaceOf(initPid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    });
  }

  return {
    exec,
    network: c.network,
    address: c.network === 'host' ? '127.0.0.1' : undefined,
    dataPath: spec.dataDir ? '/data' : undefined,
    memoryDir: '/tmp', // lxc.mount.entry tmpfs
    // the monitor, the container's init and its children, and attached commands (children of lxc-attach on the host)
    hostPids: async () => {
      const table = readProcTable();
      const monitor = table.filter((p) => p.argv.some((a) => a.includes(c.lxcpath))).map((p) => p.pid);
      return [...new Set([...withDescendants(table, [...monitor, ...(initPid ? [initPid] : [])]), ...(initPid ? pidsInNamespaceOf(initPid) : [])])].sort((a, b) => a - b);
    },
    stop,
  };
}

/**
 * The system container's init (PID 1, as LXC's `lxc-start` runs it): the command, then, if it succeeded, a power-off as the
 * paper's init did (sync, reboot(POWER_OFF), which the kernel turns into the end of the container's pid namespace).
 * argv follows as "$@", so nothing in it is shell syntax.
 */
export const SYSTEM_INIT = ['/bin/sh', '-c', '"$@" && exec busybox poweroff -f', 'isobench-init'];

export type LxcOneShot = 'system' | 'execute';

/**
 * How a foreground system container's init ended, from lxc-start's INFO log (lxc-start -F exits 0 either way): powered off
 * (the kernel ends the pid namespace's init with SIGINT after reboot(POWER_OFF)), or exited or was killed otherwise.
 */
export function systemInitEnd(logText: string): { poweredOff: boolean; code: number | null; detail: string } {
  const line = logText.split('\n').reverse().find((l) => / - Child <\d+> ended /.test(l));
  if (!line) return { poweredOff: false, code: null, detail: 'the LXC log does not say how the init ended' };
  const detail = line.replace(/^.* - Child <\d+> /, 'init ');
  const status = / ended on error \((\d+)\)\s*$/.exec(line);
  return { poweredOff: / ended on signal Interrupt\(2\)\s*$/.test(line), code: status ? Number(status[1]) : null, detail };
}

/** The host command of a one-shot start (pure, for tests): a foreground system container, or lxc-execute. */
export function lxcOneShotArgv(kind: LxcOneShot, tools: Pick<Record<LxcTool, string>, 'lxc-start' | 'lxc-execute'>, c: Pick<Container, 'at' | 'configFile' | 'logFile'>, argv: string[]): string[] {
  if (argv.length === 0) throw new Error('lxc: oneShot needs a command');
  const common = [...c.at, '-f', c.configFile, '-o', c.logFile];
  return kind === 'system'
    // INFO: the level at which LXC logs how the init ended
    ? [tools['lxc-start'], ...common, '-l', 'INFO', '-F', '--', ...SYSTEM_INIT, ...argv]
    : [tools['lxc-execute'], ...common, '-l', 'NOTICE', '--', ...argv];
}

/** system: `lxc-start -F` of a system container whose init prints and powers off; execute: `lxc-execute` (LXC's own init runs argv). */
function oneShotBy(kind: LxcOneShot) {
  return async (spec: InstanceSpec, argv: string[], opts?: OneShotOptions): Promise<ExecResult> => {
    const c = await prepareContainer(spec, kind === 'system');
    try {
      const r = await timedRun(lxcOneShotArgv(kind, c.tools, c, argv), { timeoutMs: opts?.timeoutMs ?? START_TIMEOUT_MS, cwd: '/' });
      const append = (text: string) => `${r.stderr}${r.stderr && !r.stderr.endsWith('\n') ? '\n' : ''}${text}`;
      if (r.timedOut) return r;
      // LXC's own failure (no container ran) says why only in its log
      if (r.code !== 0) return { ...r, stderr: append(`${c.logFile}: ${await logCause(c.logFile)}`) };
      if (kind === 'execute') return r;
      const end = systemInitEnd(await fsp.readFile(c.logFile, 'utf8').catch(() => ''));
      // the init exits with the command's status when the command failed
      return end.poweredOff ? r : { ...r, code: end.code || 1, stderr: append(`lxc: the container's init did not power it off: ${end.detail} (${c.logFile})`) };
    } finally {
      await removeContainer({ ...c, stopTool: c.tools['lxc-stop'] });
    }
  };
}

/** Containers named namePrefix* that a crashed run left: found by their private lxcpaths. */
async function reap(namePrefix: string): Promise<string[]> {
  const tmp = os.tmpdir();
  const dirs = (await fsp.readdir(tmp).catch(() => [] as string[])).filter((d) => d.startsWith(lxcpathPrefix(namePrefix)) && /-[A-Za-z0-9]{6}$/.test(d));
  const names: string[] = [];
  for (const d of dirs) {
    const name = d.slice('isobench-lxc-'.length, -7);
    // an empty lxc.pivot goes too: whether it predates the crashed run is unknown, and LXC recreates it when it needs it
    await removeContainer({ name, lxcpath: path.join(tmp, d), pivotBefore: new Set(), stopTool: which('lxc-stop') ?? 'lxc-stop' });
    names.push(name);
  }
  return names;
}

export const LXC_STARTUP_CLOCKS: Record<LxcOneShot, StartupClock> = {
  system: {
    starts: "the startup-spawner's posix_spawn of `lxc-start -F` (config written beforehand)",
    firstOutput: "the marker's first byte on lxc-start's stdout (lxc.console.path = none: the init writes there directly)",
    exit: "lxc-start's exit, after the init powered the container off (reboot(2) in its pid namespace) and LXC tore it down",
    instance: 'a system container (own namespaces, cgroups, /dev, /proc, /sys) of the read-only benchmark rootfs; its init, /bin/sh as PID 1, runs /bin/echo <marker> and then busybox poweroff -f',
  },
  execute: {
    starts: "the startup-spawner's posix_spawn of `lxc-execute` (config written beforehand)",
    firstOutput: "the marker's first byte on lxc-execute's stdout",
    exit: "lxc-execute's exit, after the command exited and LXC tore the container down",
    instance: "an application container of the read-only benchmark rootfs: LXC's minimal init (lxc-init) as PID 1 runs /bin/echo <marker>; no init of the image runs",
  },
};

function lxcPlatform(id: string, kind: LxcOneShot, description: string): Platform {
  return {
    id,
    family: 'container',
    virtualization: 'none',
    inPaper: kind === 'system', // the paper's LXC row booted a system container
    description,
    optionsSchema: lxcOptionsSchema,
    packages: ['lxc'],
    async detect(): Promise<Detection> {
      const missing = LXC_TOOLS.filter((b) => !which(b));
      if (missing.length) return { available: false, reason: `${missing.join(', ')} not found on PATH (${APT_HINT})` };
      if (process.getuid?.() !== 0) return { available: false, reason: 'lxc-start needs root for a privileged container (run isobench as root)' };
      const v = await run([which('lxc-start')!, '--version'], { timeoutMs: CONTROL_TIMEOUT_MS });
      const version = v.stdout.trim().split('\n')[0];
      if (v.code !== 0 || !version) return { available: false, reason: `lxc-start --version failed: ${(v.stderr || v.stdout).trim()}` };
      const cgroup = cgroupVersionFor(await fsp.readFile('/proc/self/mountinfo', 'utf8').catch(() => ''));
      return { available: true, version, details: { cgroupKeys: cgroup === 'v1' ? 'lxc.cgroup.* (v1 controllers)' : 'lxc.cgroup2.*', oneShot: kind === 'system' ? 'lxc-start -F (system container, init powers off)' : 'lxc-execute (lxc-init runs the command)' } };
    },
    start,
    oneShot: oneShotBy(kind),
    startupClock: LXC_STARTUP_CLOCKS[kind],
    reap,
  };
}

/** The paper's LXC row: its start-up is a system container that boots its init, prints and powers off. */
export const lxc = lxcPlatform('lxc', 'system',
  'LXC (lxc-start with a sleeping init, lxc-attach per command) over the shared benchmark rootfs, private lxcpath; start-up: a system container whose init prints and powers off');

/** Not the paper's: LXC's application-container start (lxc-execute), kept to show what a system container's boot costs. */
export const lxcExecute = lxcPlatform('lxc-execute', 'execute',
  'LXC as lxc (same containers for every benchmark); start-up through lxc-execute, an application container with LXC\'s own minimal init, not the paper\'s system container');
