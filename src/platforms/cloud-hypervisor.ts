// Cloud Hypervisor from generated arguments (checked against its documented syntax): vmlinux via PVH, initramfs, virtio-pci disk, TAP, agent on vsock.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createDataDisk, removeDataDisk } from '../images/data-disk.ts';
import { AGENT_VSOCK_PORT, guestCmdline } from '../images/guest-init.ts';
import { guestVmlinux, type GuestKernel } from '../images/guest-kernel.ts';
import { run, which } from '../proc.ts';
import type { Detection, ExecResult, Instance, InstanceSpec, OneShotOptions, Platform } from '../types.ts';
import { checkCloudHypervisorArgv, cloudHypervisorSupport, loadSyntax } from './cloud-hypervisor-syntax.ts';
import { detectKvmVmm, socatProblem } from './kvm-vmm.ts';
import { createTap, removeTap } from './tap-network.ts';
import { guestRootSchema, launchVm, oneShotGuest, oneShotVm, prepareGuest, provisionGuests, startVm, vmStartupClock, type GuestRoot } from './vm-instance.ts';
import { probeBoot, probeInitramfs, probeKey, type ProbeResult } from './vm-probe.ts';

export const CLOUD_HYPERVISOR_INSTALL_HINT =
  '`isobench setup --provision cloud-hypervisor` downloads cloud-hypervisor-static (v53.0) from https://github.com/cloud-hypervisor/cloud-hypervisor/releases, checks its sha256 and installs it as /usr/local/bin/cloud-hypervisor; it needs a working /dev/kvm';

/** 'cloud-hypervisor v53.0' -> '53.0' */
export function parseCloudHypervisorVersion(stdout: string): string | null {
  return /cloud-hypervisor v?(\d+\.\d+(?:\.\d+)?\S*)/.exec(stdout)?.[1] ?? null;
}

export interface ChLaunch {
  binary: string;
  kernel: string;
  initramfs: string;
  cmdline: string;
  cpus: number;
  memoryMiB: number;
  /** read-only root disk, before the data disk */
  rootDisk?: string;
  disk?: { path: string; direct: boolean };
  tap?: { name: string; mac: string };
  vsock?: { cid: number; socket: string };
  /** the guest's serial console (ttyS0) goes to this file; absent: to Cloud Hypervisor's stdout (a one-shot boot) */
  consoleFile?: string;
  logFile?: string;
}

/** The argv for a launch (pure, so tests check it against the documented syntax). */
export function cloudHypervisorArgv(l: ChLaunch): string[] {
  // Cloud Hypervisor splits option values on ',': a path holding one would be misread
  for (const p of [l.rootDisk, l.disk?.path, l.vsock?.socket, l.consoleFile, l.tap?.name]) {
    if (p?.includes(',')) throw new Error(`cloud-hypervisor: '${p}' contains a comma, which its option syntax cannot carry (use another path)`);
  }
  const argv = [
    l.binary,
    '--kernel', l.kernel,
    '--initramfs', l.initramfs,
    '--cmdline', l.cmdline,
    '--cpus', `boot=${l.cpus}`,
    '--memory', `size=${l.memoryMiB}M`,
  ];
  if (l.rootDisk) argv.push('--disk', `path=${l.rootDisk},readonly=on`);
  if (l.disk) argv.push('--disk', `path=${l.disk.path},direct=${l.disk.direct ? 'on' : 'off'}`);
  if (l.tap) argv.push('--net', `tap=${l.tap.name},mac=${l.tap.mac}`);
  if (l.vsock) argv.push('--vsock', `cid=${l.vsock.cid},socket=${l.vsock.socket}`);
  argv.push('--serial', l.consoleFile ? `file=${l.consoleFile}` : 'tty', '--console', 'off');
  if (l.logFile) argv.push('--log-file', l.logFile);
  return argv;
}

export const cloudHypervisorOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kernel: { type: 'string', maxLength: 4096, default: 'package', description: "'package', 'host' or a host path that is read (recorded with the cell in plan.json); Cloud Hypervisor boots the vmlinux (PVH entry) unpacked from it" },
    modules: { type: 'string', maxLength: 4096, description: 'host path: lib/modules/<release> of a kernel given as a path, read into the guest (recorded with the cell in plan.json)' },
    network: { enum: ['tap', 'none'], default: 'tap', description: "'tap': a TAP device on a host bridge" },
    diskMiB: { type: 'integer', minimum: 64, maximum: 4194304, default: 8192, description: 'size of the data disk (sparse ext4 file on real disk, /data in the guest)' },
    direct: { type: 'boolean', default: true, description: 'open the data disk with O_DIRECT (direct=on)' },
    bootTimeout: { type: 'integer', minimum: 5, maximum: 3600, default: 60, description: 'seconds for the guest agent to answer' },
    root: guestRootSchema,
  },
};

/** What start() generates, with placeholder paths: checked against an unsupported version's stored syntax to say what differs. */
function sampleArgv(): string[] {
  return cloudHypervisorArgv({
    binary: 'cloud-hypervisor', kernel: '/vmlinux', initramfs: '/initramfs', cmdline: 'console=ttyS0', cpus: 2, memoryMiB: 1024,
    disk: { path: '/data.ext4', direct: true }, tap: { name: 'tap0', mac: '06:00:00:00:00:01' }, vsock: { cid: 3, socket: '/vsock.sock' }, consoleFile: '/console.log',
  });
}

/** The installed release's syntax, or an error naming why it cannot be driven. */
function syntaxFor(version: string): string {
  const s = cloudHypervisorSupport(version, sampleArgv());
  if (!s.ok) throw new Error(`cloud-hypervisor: ${s.reason}`);
  return s.syntax;
}

async function probeCloudHypervisor(bin: string, kernel: GuestKernel, version: string): Promise<ProbeResult> {
  const key = probeKey({ vmm: 'cloud-hypervisor', vmmVersion: version, accel: 'kvm', guestKernel: kernel.release });
  // the console on stdout (--serial tty) so the probe reads it like QEMU's
  const argv = [bin, '--kernel', await guestVmlinux(kernel), '--initramfs', await probeInitramfs('poweroff'), '--cmdline', 'console=ttyS0 panic=-1 rdinit=/init',
    '--cpus', 'boot=1', '--memory', 'size=256M', '--serial', 'tty', '--console', 'off'];
  const problems = checkCloudHypervisorArgv(argv, loadSyntax(syntaxFor(version)));
  if (problems.length) throw new Error(`cloud-hypervisor: the probe arguments do not match ${version}'s syntax: ${problems.join('; ')}`);
  return probeBoot(key, argv, 30_000);
}

export const cloudHypervisor: Platform = {
  id: 'cloud-hypervisor',
  family: 'hypervisor',
  virtualization: 'hardware',
  inPaper: true,
  description: 'Cloud Hypervisor from generated arguments: Linux guest via PVH, virtio-pci block and TAP network, agent on vsock',
  optionsSchema: cloudHypervisorOptionsSchema,
  packages: ['socat', 'e2fsprogs', 'busybox-static', 'iproute2'], // the VMM itself is not packaged in Debian (see detect())

  async detect(): Promise<Detection> {
    return detectKvmVmm({
      id: 'cloud-hypervisor', binary: 'cloud-hypervisor', installHint: CLOUD_HYPERVISOR_INSTALL_HINT, versionArgv: ['--version'],
      parseVersion: parseCloudHypervisorVersion,
      versionProblem: (version) => { const s = cloudHypervisorSupport(version, sampleArgv()); return s.ok ? null : s.reason; },
      versionDetails: (version): Record<string, string> => {
        const s = cloudHypervisorSupport(version);
        return s.ok ? { argvSyntax: `data/cloud-hypervisor/${s.syntax}/options.json` } : {};
      },
      probe: (kernel, version) => probeCloudHypervisor(which('cloud-hypervisor')!, kernel, version),
    });
  },

  provision(ctx) {
    return provisionGuests(ctx, (options) => {
      const o = options as { kernel?: string; modules?: string; root?: GuestRoot };
      return { kernel: o.kernel ?? 'package', modules: o.modules, extraTools: ['socat'], root: o.root ?? 'initramfs' };
    });
  },
  async start(spec: InstanceSpec): Promise<Instance> {
    const o = spec.options as { kernel?: string; modules?: string; network?: 'tap' | 'none'; diskMiB?: number; direct?: boolean; bootTimeout?: number; root?: GuestRoot };
    const bin = which('cloud-hypervisor');
    if (!bin) throw new Error(`cloud-hypervisor: not found on PATH: ${CLOUD_HYPERVISOR_INSTALL_HINT}`);
    const socat = socatProblem();
    if (socat) throw new Error(`cloud-hypervisor: ${socat}`);
    const v = await run([bin, '--version'], { timeoutMs: 10_000 });
    const installed = parseCloudHypervisorVersion(`${v.stdout}\n${v.stderr}`);
    if (!installed) throw new Error(`cloud-hypervisor: ${bin} --version printed no version`);
    const syntax = syntaxFor(installed);
    const guest = await prepareGuest(spec, o.kernel ?? 'package', o.modules, ['socat'], o.root ?? 'initramfs');
    const kernel = await guestVmlinux(guest.kernel);
    const consoleLog = path.join(spec.logDir, `${spec.name}.console.log`);
    const vmmLog = path.join(spec.logDir, `${spec.name}.cloud-hypervisor.log`);
    return startVm(async (workDir, cleanup) => {
      let disk: ChLaunch['disk'];
      if (spec.dataDir) {
        const file = await createDataDisk(spec.dataDir, o.diskMiB ?? 8192);
        cleanup.push(() => removeDataDisk(file));
        disk = { path: file, direct: o.direct ?? true };
      }
      let tap: ChLaunch['tap'];
      let address: string | undefined;
      let ip: { address?: string; gateway?: string } = {};
      if ((o.network ?? 'tap') === 'tap') {
        const t = await createTap('cloud-hypervisor', spec.name, spec.hostChanges);
        cleanup.push(() => removeTap(t.name));
        tap = { name: t.name, mac: t.mac };
        address = t.guestAddress;
        ip = { address: t.guestCidr, gateway: t.gateway };
      }
      const vsockSocket = path.join(workDir, 'vsock.sock');
      const argv = cloudHypervisorArgv({
        binary: bin, kernel, initramfs: guest.initramfs.file, rootDisk: guest.rootDisk?.file, cpus: spec.cpus, memoryMiB: spec.memoryMiB, disk, tap,
        cmdline: guestCmdline({ vsockPort: AGENT_VSOCK_PORT, rootDevice: guest.rootDisk ? 'vda' : undefined, dataDevice: disk ? (guest.rootDisk ? 'vdb' : 'vda') : undefined, ...ip }),
        vsock: { cid: 3, socket: vsockSocket }, consoleFile: consoleLog,
      });
      const problems = checkCloudHypervisorArgv(argv, loadSyntax(syntax));
      if (problems.length) throw new Error(`cloud-hypervisor: generated arguments do not match ${syntax}'s documented syntax: ${problems.join('; ')}`);
      await fsp.appendFile(vmmLog, `# cloud-hypervisor ${installed}; argv checked against data/cloud-hypervisor/${syntax}/options.json\n`);
      return launchVm({
        platform: 'cloud-hypervisor', argv, workDir, consoleLog, vmmLog, bootTimeoutMs: (o.bootTimeout ?? 60) * 1000,
        channel: { socketPath: vsockSocket, vsockPort: AGENT_VSOCK_PORT, label: `cloud-hypervisor:${spec.name}` },
        network: tap ? 'tap' : 'none', address, dataPath: disk ? '/data' : undefined, memoryDir: '/tmp', cleanup,
      });
    });
  },
};

/** startup: a fresh VM whose init runs argv first and then powers off; the serial console on Cloud Hypervisor's stdout. */
cloudHypervisor.oneShot = async (spec: InstanceSpec, argv: string[], opts?: OneShotOptions): Promise<ExecResult> => {
  const o = spec.options as { kernel?: string; modules?: string; network?: 'tap' | 'none'; root?: GuestRoot };
  const bin = which('cloud-hypervisor');
  if (!bin) throw new Error(`cloud-hypervisor: not found on PATH: ${CLOUD_HYPERVISOR_INSTALL_HINT}`);
  const guest = await prepareGuest(spec, o.kernel ?? 'package', o.modules, [], o.root ?? 'initramfs');
  const kernel = await guestVmlinux(guest.kernel);
  return oneShotVm(async (workDir, cleanup) => {
    let tap: ChLaunch['tap'];
    if ((o.network ?? 'tap') === 'tap') {
      const t = await createTap('cloud-hypervisor', spec.name, spec.hostChanges);
      cleanup.push(() => removeTap(t.name));
      tap = { name: t.name, mac: t.mac };
    }
    const cmdline = guestCmdline({ rootDevice: guest.rootDisk ? 'vda' : undefined, ...oneShotGuest(argv) });
    const vmmArgv = cloudHypervisorArgv({ binary: bin, kernel, initramfs: guest.initramfs.file, rootDisk: guest.rootDisk?.file, cpus: spec.cpus, memoryMiB: spec.memoryMiB, tap, cmdline });
    const problems = checkCloudHypervisorArgv(vmmArgv);
    if (problems.length) throw new Error(`cloud-hypervisor: generated arguments do not match the documented syntax: ${problems.join('; ')}`);
    return { platform: 'cloud-hypervisor', argv: vmmArgv, workDir, consoleLog: path.join(spec.logDir, `${spec.name}.console.log`), kernel: `${guest.kernel.release} (${guest.kernel.source}), as vmlinux`, cmdline, cleanup };
  }, opts);
};
cloudHypervisor.startupClock = vmStartupClock('a fresh Cloud Hypervisor VM: the Linux guest kernel as vmlinux (PVH entry), the benchmark rootfs as initramfs with isobench\'s init, whose first act runs /bin/echo <marker>, then poweroff -f; the TAP device when configured; no data disk, no vsock');
