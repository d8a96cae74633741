// What every VM platform shares: the guest image, the VMM process, the agent channel, and a stop that leaves nothing behind.
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
import type { ExecResult, Instance, InstanceSpec, NetworkMode, ProvisionContext } from '../types.ts';
import { readProcTable, withDescendants } from './host-processes.ts';
import { guestChannel, type ChannelOptions } from './guest-channel.ts';
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

async function runCleanup(l: VmLaunch): Promise<void> {
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

/**
 * A one-shot start for a VM platform: boot a fresh guest, run argv through its agent, power it off. firstOutputMs is
 * creation to the command's output arriving on the host (boot + agent + the command), ms creation to the VMM's exit.
 */
export function oneShotByBoot(start: (spec: InstanceSpec) => Promise<Instance>) {
  return async (spec: InstanceSpec, argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult> => {
    const t0 = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const instance = await start(spec);
    let r: ExecResult;
    try {
      r = await instance.exec(argv, opts);
    } catch (e) {
      await instance.stop();
      throw e;
    }
    const firstOutputMs = r.stdout ? since() : undefined;
    await instance.stop();
    return { ...r, ms: since(), firstOutputMs };
  };
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
