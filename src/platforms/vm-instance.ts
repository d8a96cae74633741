// What every VM platform shares: the guest image, the VMM process, the agent channel, a one-shot boot timed on the serial
// console, and a stop that leaves nothing behind.
import { promises as fsp, existsSync, mkdtempSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { guestOverlay, stage1Entries } from '../images/guest-init.ts';
import { guestKernel, type GuestKernel, type KernelChoice } from '../images/guest-kernel.ts';
import { buildInitramfs, buildStandaloneInitramfs, type CpioEntry, type Initramfs } from '../images/initramfs.ts';
import { guestModules } from '../images/kernel-modules.ts';
import { buildRootDisk, type RootDisk } from '../images/root-disk.ts';
import { planRootfs } from '../images/rootfs.ts';
import { log } from '../log.ts';
import { formatArgv, processAlive, spawnDaemon, terminate } from '../proc.ts';
import type { ExecResult, Instance, InstanceSpec, NetworkMode, OneShotOptions, ProvisionContext, StartupClock } from '../types.ts';
import { readProcTable, withDescendants } from './host-processes.ts';
import { guestChannel, type ChannelOptions } from './guest-channel.ts';
import { commandScript, parseOneShotConsole } from './serial-protocol.ts';
import { clockOf, timedRun } from './startup-spawner.ts';
import { staticBusybox } from './vm-probe.ts';

export interface VmGuest {
  kernel: GuestKernel;
  /** the whole guest (root 'initramfs'), or stage 1 that mounts the root disk (root 'disk') */
  initramfs: Initramfs;
  rootDisk?: RootDisk;
}

/** where the guest's root filesystem lives: in RAM (initramfs) or on a read-only ext4 virtio-blk disk */
export type GuestRoot = 'initramfs' | 'disk';
export const guestRootSchema = { enum: ['initramfs', 'disk'], default: 'initramfs', description: "'initramfs': the benchmark rootfs unpacked into guest RAM; 'disk': a read-only ext4 root disk (virtio-blk) mounted by a small stage-1 initramfs" };

/** Host binaries (with their libraries) added to the guest beyond the workload's tools, e.g. socat for a vsock agent. */
async function hostToolsOverlay(tools: string[]): Promise<CpioEntry[]> {
  if (tools.length === 0) return [];
  const entries = await planRootfs(tools);
  return entries.map((e): CpioEntry => (e.kind === 'dir'
    ? { path: e.dest, kind: 'dir', mode: e.mode }
    : e.kind === 'symlink'
      ? { path: e.dest, kind: 'symlink', target: e.target }
      : e.content !== undefined
        ? { path: e.dest, kind: 'file', mode: e.mode, data: Buffer.from(e.content) }
        : { path: e.dest, kind: 'file', mode: e.mode, source: e.source! }));
}

/** A VM platform's provision step: the guest of each option set built (all cached by content), one line each. */
export async function provisionGuests(
  ctx: ProvisionContext, guestOf: (options: Record<string, unknown>) => { kernel: KernelChoice; modules?: string; extraTools: string[]; root: GuestRoot },
  more?: (guest: VmGuest, options: Record<string, unknown>) => Promise<void>,
): Promise<string[]> {
  const lines: string[] = [];
  for (const options of ctx.options) {
    const g = guestOf(options);
    const guest = await prepareGuest({ rootfs: ctx.rootfs.dir, rootfsHash: ctx.rootfs.hash }, g.kernel, g.modules, g.extraTools, g.root);
    await more?.(guest, options);
    lines.push(`guest kernel ${guest.kernel.release} (${guest.kernel.source}), ${g.root === 'disk' ? `root disk ${guest.rootDisk?.hash.slice(0, 12)} + stage-1 initramfs` : 'initramfs'} ${guest.initramfs.hash.slice(0, 12)}`);
  }
  return [...new Set(lines)];
}

/** The kernel and the guest image (rootfs + init + agent + modules [+ extra host tools]) for an instance; all cached. */
export async function prepareGuest(spec: Pick<InstanceSpec, 'rootfs' | 'rootfsHash'>, kernelChoice: KernelChoice, modulesDir?: string, extraTools: string[] = [], root: GuestRoot = 'initramfs'): Promise<VmGuest> {
  if (!spec.rootfs) throw new Error('VM guest: the instance spec has no rootfs directory (the scheduler builds it with src/images/rootfs.ts)');
  const kernel = await guestKernel(kernelChoice, modulesDir);
  const modules = await guestModules(kernel.modulesDir);
  const overlay = [...(await hostToolsOverlay(extraTools)), ...guestOverlay(modules)];
  if (root === 'initramfs') return { kernel, initramfs: await buildInitramfs(spec.rootfs, spec.rootfsHash, overlay) };
  const busybox = staticBusybox();
  if (!busybox) throw new Error('VM guest: booting from a root disk needs a static busybox for stage 1 (apt-get install busybox-static)');
  const rootDisk = await buildRootDisk(spec.rootfs, spec.rootfsHash, overlay);
  return { kernel, initramfs: await buildStandaloneInitramfs(stage1Entries(busybox, modules)), rootDisk };
}

function tcpFree(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => {
      const got = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(got));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => { sock.close(); resolve(false); });
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

/** a port free for both TCP and UDP (QEMU forwards both), or null */
async function listenOn(port: number): Promise<number | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const got = await tcpFree(port);
    if (got === null) return null;
    if (await udpFree(got)) return got;
    if (port !== 0) return null;
  }
  return null;
}

/**
 * A port on 127.0.0.1 free for TCP and UDP right now, for user-mode networking's forwards: the guest's own port number when
 * free (so a workload that ignores Instance.ports still reaches the guest), else any.
 */
export async function freePort(preferred?: number): Promise<number> {
  if (preferred) {
    const same = await listenOn(preferred);
    if (same) return same;
  }
  const any = await listenOn(0);
  if (!any) throw new Error('no free TCP port on 127.0.0.1');
  return any;
}

/** A private directory for sockets and VMM files; short, because unix socket paths are limited to 107 bytes. */
export function vmWorkDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'isobench-vm-'));
}

export async function tail(file: string, lines = 15): Promise<string> {
  try {
    const text = await fsp.readFile(file, 'utf8');
    return text.replace(/\r/g, '').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface VmLaunch {
  platform: string;
  argv: string[];
  /** removed at stop (sockets, generated configs) */
  workDir: string;
  /** the guest's console, and the VMM's own stdout/stderr (both kept in the instance's log directory) */
  consoleLog: string;
  vmmLog: string;
  channel: ChannelOptions;
  bootTimeoutMs: number;
  network: NetworkMode;
  address?: string;
  ports?: Record<number, number>;
  dataPath?: string;
  /** a tmpfs directory in the guest (the Linux guests' init mounts one at /tmp) */
  memoryDir?: string;
  /** undo what was made for this VM (data disk, TAP), newest first; each runs even if another fails */
  cleanup: (() => Promise<void>)[];
}

async function runCleanup(l: Pick<VmLaunch, 'platform' | 'workDir' | 'cleanup'>): Promise<void> {
  for (const undo of [...l.cleanup].reverse()) {
    try { await undo(); } catch (e) { log.warn(`${l.platform}: cleanup: ${(e as Error).message}`); }
  }
  await fsp.rm(l.workDir, { recursive: true, force: true });
}

/** Start the VMM, wait for the guest agent, and return the instance; on failure nothing is left and the error carries the console's last lines. */
export async function launchVm(l: VmLaunch): Promise<Instance> {
  await fsp.writeFile(l.vmmLog, `# ${formatArgv(l.argv)}\n`, { flag: 'a' });
  let daemon;
  try {
    daemon = spawnDaemon(l.argv, l.vmmLog);
  } catch (e) {
    await runCleanup(l);
    throw e;
  }
  let exited = false;
  void daemon.exited.then(() => { exited = true; });
  const alive = () => !exited && processAlive(daemon.pid);
  const channel = guestChannel(l.channel);

  const kill = async () => {
    channel.close();
    await terminate(daemon.pid, 2_000, true);
  };

  try {
    await channel.ready(l.bootTimeoutMs, alive);
  } catch (e) {
    await kill();
    await runCleanup(l);
    const consoleTail = await tail(l.consoleLog);
    const vmmTail = l.vmmLog === l.consoleLog ? '' : await tail(l.vmmLog, 8);
    throw new Error([
      `${l.platform}: the guest did not come up: ${(e as Error).message}`,
      consoleTail && `last console lines (${l.consoleLog}):\n${consoleTail}`,
      vmmTail && `last VMM lines (${l.vmmLog}):\n${vmmTail}`,
    ].filter(Boolean).join('\n'));
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      try {
        await channel.powerOff();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([daemon.exited, new Promise((r) => { timer = setTimeout(r, 15_000); })]);
        clearTimeout(timer);
      } finally {
        await kill();
        await runCleanup(l);
      }
    })();
    return stopping;
  };

  return {
    exec: (argv, opts) => channel.exec(argv, opts),
    address: l.address,
    ports: l.ports,
    network: l.network,
    dataPath: l.dataPath,
    memoryDir: l.memoryDir,
    stop,
    // the VMM and what it forked, plus its vhost kernel threads (named vhost-<pid>): the host side of the guest
    hostPids: async () => {
      const table = readProcTable();
      const vhost = table.filter((p) => p.comm === `vhost-${daemon.pid}`).map((p) => p.pid);
      return [...new Set([...withDescendants(table, [daemon.pid]), ...vhost])].sort((a, b) => a - b);
    },
  };
}

/** What a VM's one-shot start measures (docs/STARTUP.md); `instance` names the VMM's machine and the guest. */
export function vmStartupClock(instance: string): StartupClock {
  return {
    starts: "the startup-spawner's posix_spawn of the VMM process (kernel, initramfs and VMM configuration prepared beforehand)",
    firstOutput: "the marker line on the guest's serial console, read from the VMM's stdout on the host: the guest init's first act",
    exit: 'the VMM process exit, after the guest halted (poweroff, or reboot where the VMM exits on reset)',
    instance,
  };
}

/** The guest parameters of a one-shot start: argv as the init's first act (exec, so its exit code is the command's). */
export function oneShotGuest(argv: string[]): { oneShotScript: string } {
  return { oneShotScript: commandScript(argv) };
}

export interface VmOneShotLaunch {
  platform: string;
  /** the VMM, with the guest's serial console on its stdout */
  argv: string[];
  workDir: string;
  /** where the console is kept (appended after the boot) */
  consoleLog: string;
  /** the guest kernel (release and where it came from) and its command line, recorded with every sample */
  kernel: string;
  cmdline: string;
  /** undo what was made for this VM, newest first */
  cleanup: (() => Promise<void>)[];
}

/**
 * Boot one guest whose init runs the command first and then halts: ms is VMM spawn to VMM exit, firstOutputMs (and markerMs)
 * VMM spawn to the marker line on the console. stdout is what the command printed (kernel lines left out), code its exit code.
 */
export async function bootOnce(l: VmOneShotLaunch, opts: OneShotOptions = {}): Promise<ExecResult> {
  let r: ExecResult;
  try {
    r = await timedRun(l.argv, { timeoutMs: opts.timeoutMs ?? 120_000, ...(opts.marker !== undefined ? { marker: opts.marker } : {}) });
  } finally {
    await runCleanup(l);
  }
  await fsp.appendFile(l.consoleLog, `# ${formatArgv(l.argv)}\n${r.stdout}${r.stderr ? `\n# VMM stderr:\n${r.stderr}` : ''}\n`);
  const method = `clock: ${clockOf(r)} of the VMM to the marker on the serial console, and to VMM exit; kernel ${l.kernel}; boot args: ${l.cmdline}`;
  const guest = parseOneShotConsole(r.stdout);
  const base = { ...r, stdout: guest.output, firstOutputMs: r.markerMs, method };
  if (r.timedOut || r.code !== 0) {
    const why = r.timedOut ? 'did not exit within the timeout' : `exited with ${r.code ?? r.signal}`;
    return { ...base, stderr: `${r.stderr}\n${l.platform}: the VMM ${why}; last console lines (${l.consoleLog}):\n${await tail(l.consoleLog, 8)}` };
  }
  if (guest.code === null) {
    return { ...base, code: 1, stderr: `${r.stderr}\n${l.platform}: the guest halted without reporting the command's exit code; last console lines (${l.consoleLog}):\n${await tail(l.consoleLog, 8)}` };
  }
  return { ...base, code: guest.code };
}

/** Give build a work directory and a cleanup list, boot what it describes once, and leave nothing behind. */
export async function oneShotVm(build: (workDir: string, cleanup: (() => Promise<void>)[]) => Promise<VmOneShotLaunch>, opts?: OneShotOptions): Promise<ExecResult> {
  const workDir = vmWorkDir();
  const cleanup: (() => Promise<void>)[] = [];
  let launch: VmOneShotLaunch;
  try {
    launch = await build(workDir, cleanup);
  } catch (e) {
    for (const undo of [...cleanup].reverse()) await undo().catch(() => undefined);
    await fsp.rm(workDir, { recursive: true, force: true });
    throw e;
  }
  return bootOnce(launch, opts);
}

/** Give build a work directory and a cleanup list; if it fails before launchVm took them over, undo what it made. */
export async function startVm(build: (workDir: string, cleanup: (() => Promise<void>)[]) => Promise<Instance>): Promise<Instance> {
  const workDir = vmWorkDir();
  const cleanup: (() => Promise<void>)[] = [];
  try {
    return await build(workDir, cleanup);
  } catch (e) {
    if (existsSync(workDir)) { // launchVm removes it when it cleaned up itself
      for (const undo of [...cleanup].reverse()) await undo().catch(() => undefined);
      await fsp.rm(workDir, { recursive: true, force: true });
    }
    throw e;
  }
}
