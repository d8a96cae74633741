// Firecracker from a generated --config-file: vmlinux + initramfs, the data disk as virtio-blk, a TAP, the agent on vsock.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createDataDisk, removeDataDisk } from '../images/data-disk.ts';
import { AGENT_VSOCK_PORT, guestCmdline } from '../images/guest-init.ts';
import { guestVmlinux, type GuestKernel } from '../images/guest-kernel.ts';
import { paths } from '../paths.ts';
import { run, which } from '../proc.ts';
import type { Detection, ExecResult, Instance, InstanceSpec, OneShotOptions, Platform } from '../types.ts';
import { describeSchemaChoice, firecrackerConfig, firecrackerSupport, validateFirecrackerConfig, type FirecrackerInput } from './firecracker-config.ts';
import { detectKvmVmm, socatProblem } from './kvm-vmm.ts';
import { createTap, removeTap } from './tap-network.ts';
import { guestRootSchema, launchVm, oneShotGuest, oneShotVm, prepareGuest, provisionGuests, startVm, vmStartupClock, type GuestRoot } from './vm-instance.ts';
import { probeBoot, probeInitramfs, probeKey, type ProbeResult } from './vm-probe.ts';

export const FIRECRACKER_INSTALL_HINT =
  '`isobench setup --provision firecracker` downloads firecracker-v1.16.1-x86_64.tgz from https://github.com/firecracker-microvm/firecracker/releases, checks its sha256 and installs release-v1.16.1-x86_64/firecracker-v1.16.1-x86_64 as /usr/local/bin/firecracker; it needs a working /dev/kvm';

/** 'Firecracker v1.16.1' -> '1.16.1' */
export function parseFirecrackerVersion(stdout: string): string | null {
  return /Firecracker v(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1] ?? null;
}

export const firecrackerOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    kernel: { type: 'string', maxLength: 4096, default: 'package', description: "'package', 'host' or a host path that is read (bzImage or vmlinux; recorded with the cell in plan.json); a bzImage is unpacked to vmlinux, which Firecracker loads" },
    modules: { type: 'string', maxLength: 4096, description: 'host path: lib/modules/<release> of a kernel given as a path, read into the guest (recorded with the cell in plan.json)' },
    network: { enum: ['tap', 'none'], default: 'tap', description: "'tap': a TAP device on a host bridge (Firecracker has no user-mode networking)" },
    diskMiB: { type: 'integer', minimum: 64, maximum: 4194304, default: 8192, description: 'size of the data disk (sparse ext4 file on real disk, /data in the guest)' },
    driveCache: { enum: ['Unsafe', 'Writeback'], default: 'Unsafe', description: "Firecracker's cache_type for the data disk" },
    ioEngine: { enum: ['Sync', 'Async'], default: 'Sync', description: "Firecracker's io_engine for the data disk ('Async' = io_uring, host kernel 5.10.51+)" },
    bootTimeout: { type: 'integer', minimum: 5, maximum: 3600, default: 60, description: 'seconds for the guest agent to answer' },
    root: guestRootSchema,
  },
};

const GUEST_CID = 3;

/** What start() generates, with placeholder paths: what an unsupported version's schema is checked against to say what differs. */
function sampleConfig(): Record<string, unknown> {
  return firecrackerConfig({
    kernel: '/vmlinux', initrd: '/initramfs', bootArgs: 'console=ttyS0', dataDisk: '/data.ext4', cpus: 2, memoryMiB: 1024,
    tap: { name: 'tap0', mac: '06:00:00:00:00:01' }, vsock: { cid: GUEST_CID, udsPath: '/vsock.sock' },
  });
}

/** Boot the probe initramfs once under Firecracker (cached). */
async function probeFirecracker(bin: string, kernel: GuestKernel, version: string): Promise<ProbeResult> {
  const dir = paths.vmProbes();
  await fsp.mkdir(dir, { recursive: true });
  const key = probeKey({ vmm: 'firecracker', vmmVersion: version, accel: 'kvm', guestKernel: kernel.release });
  const cfgFile = path.join(dir, `${key}.config.json`);
  const cfg = firecrackerConfig({ kernel: await guestVmlinux(kernel), initrd: await probeInitramfs(), bootArgs: 'console=ttyS0 reboot=k panic=-1 rdinit=/init', cpus: 1, memoryMiB: 256 });
  const support = firecrackerSupport(version);
  const problems = support.ok ? validateFirecrackerConfig(cfg, support.schema.version) : [];
  if (problems.length) throw new Error(`firecracker: the probe configuration does not match Firecracker ${version}'s API schema: ${problems.join('; ')}`);
  await fsp.writeFile(cfgFile, JSON.stringify(cfg, null, 2));
  return probeBoot(key, [bin, '--no-api', '--config-file', cfgFile], 30_000);
}

export const firecracker: Platform = {
  id: 'firecracker',
  family: 'hypervisor',
  virtualization: 'hardware',
  inPaper: true,
  description: 'Firecracker microVM from a generated config file: Linux guest, virtio-mmio block and TAP network, agent on vsock',
  optionsSchema: firecrackerOptionsSchema,
  packages: ['socat', 'e2fsprogs', 'busybox-static', 'iproute2'], // the VMM itself is not packaged in Debian (see detect())

  async detect(): Promise<Detection> {
    return detectKvmVmm({
      id: 'firecracker', binary: 'firecracker', installHint: FIRECRACKER_INSTALL_HINT, versionArgv: ['--version'],
      parseVersion: parseFirecrackerVersion,
      versionProblem: (version) => { const s = firecrackerSupport(version, sampleConfig()); return s.ok ? null : s.reason; },
      versionDetails: (version): Record<string, string> => { const s = firecrackerSupport(version); return s.ok ? { configSchema: describeSchemaChoice(version, s.schema) } : {}; },
      probe: (kernel, version) => probeFirecracker(which('firecracker')!, kernel, version),
    });
  },

  provision(ctx) {
    return provisionGuests(ctx, (options) => {
      const o = options as { kernel?: string; modules?: string; root?: GuestRoot };
      return { kernel: o.kernel ?? 'package', modules: o.modules, extraTools: ['socat'], root: o.root ?? 'initramfs' };
    }, async (guest) => { await guestVmlinux(guest.kernel); });
  },
  async start(spec: InstanceSpec): Promise<Instance> {
    const o = spec.options as { kernel?: string; modules?: string; network?: 'tap' | 'none'; diskMiB?: number; driveCache?: 'Unsafe' | 'Writeback'; ioEngine?: 'Sync' | 'Async'; bootTimeout?: number; root?: GuestRoot };
    const bin = which('firecracker');
    if (!bin) throw new Error(`firecracker: not found on PATH: ${FIRECRACKER_INSTALL_HINT}`);
    const socat = socatProblem();
    if (socat) throw new Error(`firecracker: ${socat}`);
    const installed = parseFirecrackerVersion((await run([bin, '--version'], { timeoutMs: 10_000 })).stdout);
    if (!installed) throw new Error(`firecracker: ${bin} --version printed no version`);
    const support = firecrackerSupport(installed, sampleConfig());
    if (!support.ok) throw new Error(`firecracker: ${support.reason}`);
    const schema = support.schema;
    const guest = await prepareGuest(spec, o.kernel ?? 'package', o.modules, ['socat'], o.root ?? 'initramfs');
    const vmlinux = await guestVmlinux(guest.kernel);
    const vmmLog = path.join(spec.logDir, `${spec.name}.firecracker.log`);
    return startVm(async (workDir, cleanup) => {
      const input: FirecrackerInput = {
        kernel: vmlinux, initrd: guest.initramfs.file, rootDisk: guest.rootDisk?.file, bootArgs: '', cpus: spec.cpus, memoryMiB: spec.memoryMiB,
        driveCache: o.driveCache, ioEngine: o.ioEngine,
        vsock: { cid: GUEST_CID, udsPath: path.join(workDir, 'vsock.sock') },
      };
      if (spec.dataDir) {
        const file = await createDataDisk(spec.dataDir, o.diskMiB ?? 8192);
        cleanup.push(() => removeDataDisk(file));
        input.dataDisk = file;
      }
      let address: string | undefined;
      let ip: { address?: string; gateway?: string } = {};
      if ((o.network ?? 'tap') === 'tap') {
        const tap = await createTap('firecracker', spec.name, spec.hostChanges);
        cleanup.push(() => removeTap(tap.name));
        input.tap = { name: tap.name, mac: tap.mac };
        address = tap.guestAddress;
        ip = { address: tap.guestCidr, gateway: tap.gateway };
      }
      const rootDevice = input.rootDisk ? 'vda' : undefined;
      const dataDevice = input.dataDisk ? (input.rootDisk ? 'vdb' : 'vda') : undefined;
      input.bootArgs = guestCmdline({ vsockPort: AGENT_VSOCK_PORT, rootDevice, dataDevice, halt: 'reboot', ...ip }, 'ttyS0', ['reboot=k']);
      const config = firecrackerConfig(input);
      const problems = validateFirecrackerConfig(config, schema.version);
      if (problems.length) throw new Error(`firecracker: generated configuration does not match Firecracker ${schema.version}'s API schema: ${problems.join('; ')}`);
      const cfgFile = path.join(workDir, 'config.json');
      await fsp.writeFile(cfgFile, `${JSON.stringify(config, null, 2)}\n`);
      await fsp.copyFile(cfgFile, path.join(spec.logDir, `${spec.name}.firecracker.json`)); // kept with the logs: what ran
      await fsp.appendFile(vmmLog, `# Firecracker ${installed}; config validated against ${describeSchemaChoice(installed, schema)}\n`);
      const argv = [bin, '--no-api', '--id', spec.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 64), '--config-file', cfgFile];
      return launchVm({
        platform: 'firecracker', argv, workDir, consoleLog: vmmLog, vmmLog, bootTimeoutMs: (o.bootTimeout ?? 60) * 1000,
        channel: { socketPath: path.join(workDir, 'vsock.sock'), vsockPort: AGENT_VSOCK_PORT, label: `firecracker:${spec.name}` },
        network: input.tap ? 'tap' : 'none', address, dataPath: input.dataDisk ? '/data' : undefined, memoryDir: '/tmp', cleanup,
      });
    });
  },
};

/**
 * startup: a fresh microVM whose init runs argv first and then reboots (Firecracker exits on the guest's reset); the serial
 * console is Firecracker's stdout, its own log goes to a file. No vsock, no data disk; the TAP when the options ask for one.
 */
firecracker.oneShot = async (spec: InstanceSpec, argv: string[], opts?: OneShotOptions): Promise<ExecResult> => {
  const o = spec.options as { kernel?: string; modules?: string; network?: 'tap' | 'none'; root?: GuestRoot };
  const bin = which('firecracker');
  if (!bin) throw new Error(`firecracker: not found on PATH: ${FIRECRACKER_INSTALL_HINT}`);
  const installed = parseFirecrackerVersion((await run([bin, '--version'], { timeoutMs: 10_000 })).stdout);
  if (!installed) throw new Error(`firecracker: ${bin} --version printed no version`);
  const support = firecrackerSupport(installed, sampleConfig());
  if (!support.ok) throw new Error(`firecracker: ${support.reason}`);
  const schema = support.schema;
  const guest = await prepareGuest(spec, o.kernel ?? 'package', o.modules, [], o.root ?? 'initramfs');
  const vmlinux = await guestVmlinux(guest.kernel);
  const logPath = path.join(spec.logDir, `${spec.name}.firecracker.log`);
  return oneShotVm(async (workDir, cleanup) => {
    await fsp.writeFile(logPath, '', { flag: 'a' }); // Firecracker opens its log path, it does not create it
    const bootArgs = guestCmdline({ rootDevice: guest.rootDisk ? 'vda' : undefined, halt: 'reboot', ...oneShotGuest(argv) }, 'ttyS0', ['reboot=k']);
    const input: FirecrackerInput = { kernel: vmlinux, initrd: guest.initramfs.file, rootDisk: guest.rootDisk?.file, bootArgs, cpus: spec.cpus, memoryMiB: spec.memoryMiB, logPath };
    if ((o.network ?? 'tap') === 'tap') {
      const tap = await createTap('firecracker', spec.name, spec.hostChanges);
      cleanup.push(() => removeTap(tap.name));
      input.tap = { name: tap.name, mac: tap.mac };
    }
    const config = firecrackerConfig(input);
    const problems = validateFirecrackerConfig(config, schema.version);
    if (problems.length) throw new Error(`firecracker: generated configuration does not match Firecracker ${schema.version}'s API schema: ${problems.join('; ')}`);
    const cfgFile = path.join(workDir, 'config.json');
    await fsp.writeFile(cfgFile, `${JSON.stringify(config, null, 2)}\n`);
    await fsp.copyFile(cfgFile, path.join(spec.logDir, `${spec.name}.firecracker.json`));
    const vmmArgv = [bin, '--no-api', '--id', spec.name.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 64), '--config-file', cfgFile];
    return { platform: 'firecracker', argv: vmmArgv, workDir, consoleLog: path.join(spec.logDir, `${spec.name}.console.log`), kernel: `${guest.kernel.release} (${guest.kernel.source}), as vmlinux`, cmdline: bootArgs, cleanup };
  }, opts);
};
firecracker.startupClock = vmStartupClock('a fresh Firecracker microVM (virtio-mmio): the Linux guest kernel as vmlinux, the benchmark rootfs as initramfs with isobench\'s init, whose first act runs /bin/echo <marker>, then reboot -f (Firecracker exits on the reset); the TAP device when configured; no data disk, no vsock');
