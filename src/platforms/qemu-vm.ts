// QEMU as a platform: pc or microvm, KVM or TCG (software emulation); one VM per instance, commands through the guest agent;
// a one-shot start boots a guest whose init runs the command first, with the console on QEMU's stdout.
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { createDataDisk, removeDataDisk } from '../images/data-disk.ts';
import { guestCmdline } from '../images/guest-init.ts';
import { defaultGuestKernel, type GuestKernel } from '../images/guest-kernel.ts';
import { run, which } from '../proc.ts';
import type { Detection, ExecResult, Family, Instance, InstanceSpec, NetworkMode, OneShotOptions, Platform } from '../types.ts';
import { createTap, removeTap, tapUnavailable } from './tap-network.ts';
import { freePort, guestRootSchema, launchVm, oneShotGuest, oneShotVm, prepareGuest, provisionGuests, startVm, vmStartupClock, type GuestRoot } from './vm-instance.ts';
import { probeBoot, probeInitramfs, probeKey, type ProbeResult } from './vm-probe.ts';

export const QEMU_BINARY = 'qemu-system-x86_64';

export type Accel = 'kvm' | 'tcg';
export type QemuMachine = 'pc' | 'microvm';

/** microvm: the PIT is needed to boot at all (plain microvm hangs), and the second IO-APIC drops the agent line's interrupts under TCG */
export const MICROVM_OPTIONS = 'pit=on,ioapic2=off';



export interface QemuOptions {
  kernel: string;
  modules?: string;
  network: 'auto' | 'user' | 'tap' | 'none';
  forwardPorts: number[];
  diskMiB: number;
  diskCache: 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe';
  bootTimeout: number;
  cpuModel?: string;
  root: GuestRoot;
}

export const qemuOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kernel: { type: 'string', maxLength: 4096, default: 'package', description: "'package' (the distribution's cloud kernel, fetched with apt-get download), 'host' (/boot of the running kernel), or the host path of a bzImage that is read (recorded with the cell in plan.json)" },
    modules: { type: 'string', maxLength: 4096, description: 'host path: lib/modules/<release> directory of the kernel given as a path (virtio drivers built as modules), read into the guest (recorded with the cell in plan.json)' },
    network: { enum: ['auto', 'tap', 'user', 'none'], default: 'auto', description: "'tap': a TAP device on a host bridge, as the paper; 'user': QEMU user-mode networking with forwarded ports; 'auto': tap where the host allows it (root, /dev/net/tun), else user; 'none'" },
    forwardPorts: { type: 'array', maxItems: 64, uniqueItems: true, items: { type: 'integer', minimum: 1, maximum: 65535 }, description: 'extra guest ports (TCP and UDP) reachable from the host with user-mode networking, besides those the workload declares; the same host port when free, else another (Instance.ports)' },
    diskMiB: { type: 'integer', minimum: 64, maximum: 4194304, default: 8192, description: 'size of the virtio-blk data disk (a sparse ext4 file on real disk, mounted at /data)' },
    diskCache: { enum: ['none', 'writeback', 'writethrough', 'directsync', 'unsafe'], default: 'none', description: "QEMU's cache mode for the data disk ('none' = O_DIRECT on the host)" },
    bootTimeout: { type: 'integer', minimum: 5, maximum: 3600, default: 120, description: 'seconds for the guest agent to answer' },
    cpuModel: { type: 'string', pattern: '^[A-Za-z0-9_.,=+-]+$', description: "-cpu model (default: 'host' with KVM, 'max' with TCG)" },
    root: guestRootSchema,
  },
};

export function qemuOptions(o: Record<string, unknown>): QemuOptions {
  return {
    kernel: (o.kernel as string) ?? 'package',
    modules: o.modules as string | undefined,
    network: (o.network as QemuOptions['network']) ?? 'auto',
    forwardPorts: (o.forwardPorts as number[]) ?? [],
    diskMiB: (o.diskMiB as number) ?? 8192,
    diskCache: (o.diskCache as QemuOptions['diskCache']) ?? 'none',
    bootTimeout: (o.bootTimeout as number) ?? 120,
    cpuModel: o.cpuModel as string | undefined,
    root: (o.root as GuestRoot) ?? 'initramfs',
  };
}

export type QemuNet =
  | { mode: 'user'; forwards: { guest: number; host: number }[] }
  | { mode: 'tap'; ifname: string; mac: string; vhost: boolean }
  | { mode: 'none' };

export interface QemuLaunchSpec {
  name: string;
  accel: Accel;
  machine: QemuMachine;
  cpus: number;
  memoryMiB: number;
  cpuModel?: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  /** the console (ttyS0) into this file, and the agent's line (ttyS1) on this socket; absent: a one-shot boot, console on stdout, no agent */
  consoleLog?: string;
  channelSocket?: string;
  /** read-only root disk (vda); the data disk then is vdb */
  rootDisk?: string;
  disk?: { file: string; cache: QemuOptions['diskCache'] };
  net: QemuNet;
}

/** The QEMU command line for a launch (pure, so tests can read it). */
export function qemuArgv(l: QemuLaunchSpec): string[] {
  const mmio = l.machine === 'microvm';
  const machine = mmio ? `microvm,${MICROVM_OPTIONS},accel=${l.accel}` : `pc,accel=${l.accel}`;
  const argv = [
    QEMU_BINARY, '-name', l.name, '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-M', machine, '-cpu', l.cpuModel ?? (l.accel === 'kvm' ? 'host' : 'max'),
    '-smp', String(l.cpus), '-m', `${l.memoryMiB}M`,
    '-kernel', l.kernel, '-initrd', l.initrd, '-append', l.cmdline,
  ];
  if (l.consoleLog && l.channelSocket) {
    // ttyS0: the kernel console into a file; ttyS1: the agent's line on a unix socket
    argv.push('-chardev', `file,id=console,path=${l.consoleLog}`, '-serial', 'chardev:console',
      '-chardev', `socket,id=agent,path=${l.channelSocket},server=on,wait=off`, '-device', 'isa-serial,chardev=agent,index=1');
  } else {
    // one-shot: ttyS0 on stdout, where the host watches for the marker as it arrives
    argv.push('-serial', 'stdio');
  }
  if (l.rootDisk) {
    argv.push('-drive', `file=${l.rootDisk},format=raw,if=none,id=root,readonly=on`, '-device', `${mmio ? 'virtio-blk-device' : 'virtio-blk-pci'},drive=root`);
  }
  if (l.disk) {
    const aio = l.disk.cache === 'none' || l.disk.cache === 'directsync' ? 'native' : 'threads';
    argv.push('-drive', `file=${l.disk.file},format=raw,if=none,id=data,cache=${l.disk.cache},aio=${aio}`,
      '-device', `${mmio ? 'virtio-blk-device' : 'virtio-blk-pci'},drive=data`);
  }
  const nic = mmio ? 'virtio-net-device' : 'virtio-net-pci';
  if (l.net.mode === 'user') {
    const fwd = l.net.forwards.map((f) => `,hostfwd=tcp:127.0.0.1:${f.host}-:${f.guest},hostfwd=udp:127.0.0.1:${f.host}-:${f.guest}`).join('');
    argv.push('-netdev', `user,id=net0${fwd}`, '-device', `${nic},netdev=net0`);
  } else if (l.net.mode === 'tap') {
    argv.push('-netdev', `tap,id=net0,ifname=${l.net.ifname},script=no,downscript=no${l.net.vhost ? ',vhost=on' : ''}`,
      '-device', `${nic},netdev=net0,mac=${l.net.mac}`);
  }
  return argv;
}

/** QEMU's version line ('QEMU emulator version 7.2.22 (Debian ...)' -> '7.2.22'), or null. */
export function parseQemuVersion(stdout: string): string | null {
  return /QEMU emulator version (\S+)/.exec(stdout)?.[1] ?? null;
}

/** Why /dev/kvm cannot be used, with the fix; null when it can be opened. */
export function kvmDeviceProblem(): string | null {
  if (!existsSync('/dev/kvm')) {
    return 'no /dev/kvm: hardware virtualization is off or not exposed (enable VT-x/AMD-V in the firmware and load kvm_intel or kvm_amd; in a cloud VM, pick an instance type with nested virtualization)';
  }
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return '/dev/kvm is not accessible to this user (add the user to group kvm, or run as root)';
  }
  return null;
}

async function qemuVersion(): Promise<string | null> {
  if (!which(QEMU_BINARY)) return null;
  const r = await run([QEMU_BINARY, '--version'], { timeoutMs: 10_000 });
  return parseQemuVersion(r.stdout);
}

/** Boot the tiny probe guest under accel (cached per host kernel, QEMU version and guest kernel). */
export async function probeQemu(accel: Accel, kernel: GuestKernel, version: string, refresh = false): Promise<ProbeResult> {
  const initrd = await probeInitramfs();
  const key = probeKey({ vmm: 'qemu', vmmVersion: version, accel, guestKernel: kernel.release });
  const argv = [
    QEMU_BINARY, '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-M', `pc,accel=${accel}`,
    '-cpu', accel === 'kvm' ? 'host' : 'max', '-smp', '1', '-m', '256M', '-kernel', kernel.image, '-initrd', initrd,
    '-append', 'console=ttyS0 panic=-1 reboot=k rdinit=/init', '-serial', 'stdio',
  ];
  return probeBoot(key, argv, accel === 'kvm' ? 30_000 : 120_000, refresh);
}

/**
 * Clock arguments for a TCG guest. Its TSC is the host's TSC (constant here), but the kernel's clocksource watchdog compares
 * it with PIT-driven jiffies, whose ticks TCG delivers late under load, and then demotes the TSC to 4 ms jiffies (fio saw
 * latencies of 0 or 4 ms): tsc=reliable keeps the TSC. microvm also has no HPET or PM timer, so its boot-time calibration
 * against the PIT fails on a busy host and the boot hangs: the frequency the pc-machine probe guest measured is passed.
 * KVM guests use kvm-clock and get nothing.
 */
async function tcgClockArgs(v: QemuVariant, kernel: GuestKernel): Promise<string[]> {
  if (v.accel !== 'tcg') return [];
  if (v.machine !== 'microvm') return ['tsc=reliable'];
  const version = await qemuVersion();
  const probe = version ? await probeQemu('tcg', kernel, version) : undefined;
  if (!probe?.tscMHz) throw new Error(`${v.id}: the probe guest reported no TSC frequency, which microvm needs under TCG${probe ? ` (see ${probe.file})` : ''}`);
  return ['tsc=reliable', `tsc_early_khz=${Math.round(probe.tscMHz * 1000)}`];
}

/** Why KVM cannot run guests here: no usable /dev/kvm, or QEMU's KVM probe guest did not boot (cached); null when it can, or cannot be checked. */
export async function kvmProblem(): Promise<string | null> {
  const dev = kvmDeviceProblem();
  if (dev) return dev;
  const version = await qemuVersion();
  if (!version) return null;
  let kernel: GuestKernel;
  try { kernel = await defaultGuestKernel(); } catch { return null; }
  const p = await probeQemu('kvm', kernel, version);
  return p.ok ? null : `/dev/kvm exists but a test guest does not boot under KVM (QEMU probe: ${p.reason}; ${p.file}): run on bare metal or in a VM with nested virtualization`;
}

export interface QemuVariant {
  id: string;
  accel: Accel;
  machine: QemuMachine;
  family?: Family;
  description: string;
}

export function probeReason(accel: Accel, p: ProbeResult): string {
  const last = p.tail ? ` (last output: ${p.tail.split('\n').slice(-2).join(' | ')})` : '';
  const hint = accel === 'kvm'
    ? '/dev/kvm exists but cannot run a stock kernel here (e.g. a paravirtual nested KVM such as kvm_pvm); run on bare metal or in a VM with nested virtualization (kvm_intel nested=1 / kvm_amd nested=1)'
    : 'QEMU could not boot the guest kernel in software emulation';
  return `${p.reason}${last}: ${hint}. Verdict cached in ${p.file} (delete it to probe again)`;
}

export function qemuPlatform(v: QemuVariant): Platform {
  const emulated = v.accel === 'tcg';
  const platform: Platform = {
    id: v.id,
    family: v.family ?? 'hypervisor',
    description: v.description,
    virtualization: emulated ? 'emulated' : 'hardware',
    inPaper: !emulated, // the paper ran QEMU on KVM only
    optionsSchema: qemuOptionsSchema,
    packages: ['qemu-system-x86', 'e2fsprogs', 'busybox-static'],

    async detect(): Promise<Detection> {
      const version = await qemuVersion();
      if (!version) return { available: false, reason: `${QEMU_BINARY} not found (apt-get install qemu-system-x86)` };
      if (v.accel === 'kvm') {
        const problem = kvmDeviceProblem();
        if (problem) return { available: false, version: `QEMU ${version}`, reason: problem };
      }
      let kernel: GuestKernel;
      try {
        kernel = await defaultGuestKernel();
      } catch (e) {
        return { available: false, version: `QEMU ${version}`, reason: (e as Error).message };
      }
      const probe = await probeQemu(v.accel, kernel, version);
      const details = {
        accelerator: emulated ? 'TCG (software emulation)' : 'KVM',
        machine: v.machine === 'microvm' ? `microvm,${MICROVM_OPTIONS}` : 'pc',
        guestKernel: `${kernel.release} (${kernel.source})`,
        probe: probe.ok ? `test guest booted in ${probe.seconds} s (${probe.at})` : `failed: ${probe.reason}`,
      };
      if (!probe.ok) return { available: false, version: `QEMU ${version}`, reason: probeReason(v.accel, probe), details };
      return { available: true, version: `QEMU ${version} (${emulated ? 'TCG' : 'KVM'}), guest ${kernel.release}`, details };
    },

    provision(ctx) {
      return provisionGuests(ctx, (options) => {
        const o = qemuOptions(options);
        return { kernel: o.kernel, modules: o.modules, extraTools: [], root: o.root };
      }, async (guest) => { await tcgClockArgs(v, guest.kernel); }); // microvm under TCG needs the probe guest's TSC frequency
    },

    async start(spec: InstanceSpec): Promise<Instance> {
      const guest = await prepare(spec);
      return startVm(async (workDir, cleanup) => {
        const vm = await launchSpec(spec, guest, workDir, cleanup);
        return launchVm({
          platform: v.id, argv: vm.argv, workDir, consoleLog: vm.consoleLog, vmmLog: vm.vmmLog, bootTimeoutMs: vm.o.bootTimeout * 1000,
          channel: { socketPath: vm.channelSocket!, label: `${v.id}:${spec.name}` },
          network: vm.network, address: vm.address, ports: vm.ports, dataPath: vm.dataPath, memoryDir: '/tmp', cleanup,
        });
      });
    },

    startupClock: vmStartupClock(`a fresh QEMU ${v.machine === 'microvm' ? `microvm (${MICROVM_OPTIONS})` : 'pc'} VM under ${emulated ? 'TCG software emulation' : 'KVM'}: the Linux guest kernel, the benchmark rootfs as initramfs (or the root disk stage 1 mounts) with isobench's init, whose first act runs /bin/echo <marker>, then poweroff -f; the configured network device; no data disk, no agent`),

    async oneShot(spec: InstanceSpec, argv: string[], opts?: OneShotOptions): Promise<ExecResult> {
      const guest = await prepare(spec);
      return oneShotVm(async (workDir, cleanup) => {
        const vm = await launchSpec({ ...spec, dataDir: undefined }, guest, workDir, cleanup, argv);
        return { platform: v.id, argv: vm.argv, workDir, consoleLog: vm.consoleLog, kernel: `${guest.kernel.release} (${guest.kernel.source})`, cmdline: vm.cmdline, cleanup };
      }, opts);
    },
  };

  async function prepare(spec: InstanceSpec) {
    const o = qemuOptions(spec.options);
    if (o.network === 'tap' && tapUnavailable()) throw new Error(`${v.id}: options.network 'tap': ${tapUnavailable()}`);
    return prepareGuest(spec, o.kernel, o.modules, [], o.root);
  }

  /** The QEMU command line of one instance (a one-shot boot of oneShotArgv when given), and what it made on the host. */
  async function launchSpec(spec: InstanceSpec, guest: Awaited<ReturnType<typeof prepareGuest>>, workDir: string, cleanup: (() => Promise<void>)[], oneShotArgv?: string[]) {
    const o = qemuOptions(spec.options);
    const mode = o.network === 'auto' ? (tapUnavailable() ? 'user' : 'tap') : o.network;
    const consoleLog = path.join(spec.logDir, `${spec.name}.console.log`);
    const vmmLog = path.join(spec.logDir, `${spec.name}.qemu.log`);
    let disk: QemuLaunchSpec['disk'];
    if (spec.dataDir) {
      const file = await createDataDisk(spec.dataDir, o.diskMiB);
      cleanup.push(() => removeDataDisk(file));
      disk = { file, cache: o.diskCache };
    }
    let net: QemuNet = { mode: 'none' };
    let address: string | undefined;
    let ports: Record<number, number> | undefined;
    let ip: { address?: string; gateway?: string } = {};
    if (mode === 'user') {
      const forwards = [];
      for (const guestPort of [...new Set([...(spec.ports ?? []), ...o.forwardPorts])].sort((x, y) => x - y)) forwards.push({ guest: guestPort, host: await freePort(guestPort) });
      net = { mode: 'user', forwards };
      address = '127.0.0.1';
      ports = Object.fromEntries(forwards.map((f) => [f.guest, f.host]));
      ip = { address: '10.0.2.15/24', gateway: '10.0.2.2' }; // QEMU's user-mode network defaults
    } else if (mode === 'tap') {
      const tap = await createTap(v.id, spec.name, spec.hostChanges);
      cleanup.push(() => removeTap(tap.name));
      net = { mode: 'tap', ifname: tap.name, mac: tap.mac, vhost: v.accel === 'kvm' && existsSync('/dev/vhost-net') };
      address = tap.guestAddress;
      ip = { address: tap.guestCidr, gateway: tap.gateway };
    }
    const channelSocket = oneShotArgv ? undefined : path.join(workDir, 'agent.sock');
    const rootDevice = guest.rootDisk ? 'vda' : undefined;
    const dataDevice = disk ? (guest.rootDisk ? 'vdb' : 'vda') : undefined;
    const params = oneShotArgv ? { rootDevice, ...oneShotGuest(oneShotArgv) } : { channel: 'ttyS1', rootDevice, dataDevice, ...ip };
    const cmdline = guestCmdline(params, 'ttyS0', await tcgClockArgs(v, guest.kernel));
    const argv = qemuArgv({
      name: spec.name, accel: v.accel, machine: v.machine, cpus: spec.cpus, memoryMiB: spec.memoryMiB, cpuModel: o.cpuModel,
      kernel: guest.kernel.image, initrd: guest.initramfs.file, rootDisk: guest.rootDisk?.file, cmdline,
      ...(channelSocket ? { consoleLog, channelSocket } : {}), disk, net,
    });
    const network: NetworkMode = mode;
    return { o, argv, cmdline, consoleLog, vmmLog, channelSocket, network, address, ports, dataPath: disk ? '/data' : undefined };
  }
  return platform;
}
