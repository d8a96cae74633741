// OSv unikernels: an image the user builds with OSv's own tooling, booted once per command with that command as OSv's command line.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { paths } from '../paths.ts';
import { which } from '../proc.ts';
import type { Detection, ExecResult, Instance, InstanceSpec, OneShotOptions, Platform } from '../types.ts';
import { firecrackerConfig, firecrackerSupport, validateFirecrackerConfig } from './firecracker-config.ts';
import { kvmProblem } from './qemu-vm.ts';
import { clockOf, timedRun } from './startup-spawner.ts';
import { createTap, removeTap, type Tap } from './tap-network.ts';
import { vmStartupClock, vmWorkDir } from './vm-instance.ts';

/**
 * Where isobench looks for an OSv build when options.image is not given (scripts/provision/osv.mjs puts it there): the
 * QEMU build (all drivers, ACPI) at osv/{usr.img,loader-stripped.elf}, the Firecracker build at osv/firecracker/ (raw image,
 * loader built with drivers_profile=virtio-mmio, so without ACPI: its power-off is the i8042 reset Firecracker exits on).
 */
export const osvDefaultDir = () => path.join(paths.cache(), 'osv');
export const osvFirecrackerDir = () => path.join(osvDefaultDir(), 'firecracker');

/** Where OSv's scripts/manifest_from_host.sh places an executable it is given: /<name> (and libraries in /usr/lib). */
export const OSV_MANIFEST_BIN_DIR = '/';

export interface OsvOptions {
  image: string;
  kernel: string;
  binDir: string;
  network: 'tap' | 'none';
  bootTimeout: number;
}

export const osvOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    image: { type: 'string', maxLength: 4096, description: 'host path: OSv disk image, read (recorded with the cell in plan.json); built with OSv\'s scripts/build (build/last/usr.img; raw for Firecracker: usr.raw). Default: <data>/cache/osv/usr.img (Firecracker: <data>/cache/osv/firecracker/usr.raw), as `isobench setup --provision osv` builds them' },
    kernel: { type: 'string', maxLength: 4096, description: 'host path: OSv kernel, read (recorded with the cell in plan.json; build/last/loader-stripped.elf). Default: loader-stripped.elf beside the image' },
    binDir: { type: 'string', maxLength: 256, default: OSV_MANIFEST_BIN_DIR, description: "where a bare command name (sysbench) lives inside the image: '/' is where OSv's manifest_from_host.sh puts executables" },
    network: { enum: ['tap', 'none'], default: 'tap', description: "'tap': a TAP device on a host bridge, OSv configured with --ip/--defaultgw" },
    bootTimeout: { type: 'integer', minimum: 5, maximum: 3600, default: 60, description: 'seconds added to each command\'s timeout for boot and power-off' },
  },
};

export function osvOptions(o: Record<string, unknown>, raw: boolean): OsvOptions {
  const image = (o.image as string) ?? (raw ? path.join(osvFirecrackerDir(), 'usr.raw') : path.join(osvDefaultDir(), 'usr.img'));
  return {
    image,
    kernel: (o.kernel as string) ?? path.join(path.dirname(image), 'loader-stripped.elf'),
    binDir: (o.binDir as string) ?? OSV_MANIFEST_BIN_DIR,
    network: (o.network as OsvOptions['network']) ?? 'tap',
    bootTimeout: (o.bootTimeout as number) ?? 60,
  };
}

/** OSv's command line quoting: double quotes around words with spaces or quotes (OSv's parser understands "..." with \\ escapes). */
export function osvQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`;
}

/** The OSv command line for argv: network options first, then the program (bare names resolved in binDir). */
export function osvCmdline(argv: string[], o: { binDir: string; tap?: Pick<Tap, 'guestAddress' | 'gateway'>; nopci?: boolean }): string {
  if (argv.length === 0) throw new Error('osv: empty argv');
  const prog = argv[0].includes('/') ? argv[0] : path.posix.join(o.binDir, argv[0]);
  const pre: string[] = [];
  if (o.nopci) pre.push('--nopci');
  if (o.tap) pre.push(`--ip=eth0,${o.tap.guestAddress},255.255.255.0`, `--defaultgw=${o.tap.gateway}`, `--nameserver=${o.tap.gateway}`);
  return [...pre, ...[prog, ...argv.slice(1)].map(osvQuote)].join(' ');
}

/** What the program printed: the console after OSv's "Cmdline:" line, without the power-off trailer. */
export function osvProgramOutput(console: string): { output: string; failed: boolean } {
  const lines = console.replace(/\r/g, '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('Cmdline:'));
  const body = start >= 0 ? lines.slice(start + 1) : lines;
  const out = body.filter((l) => !/^(Powering off\.|Booted up in |OSv v)/.test(l));
  const failed = /(^|\n)(Aborted|Assertion failed|page fault outside application|Failed to load object)/.test(console);
  return { output: out.join('\n'), failed };
}

export interface OsvVmm {
  id: 'osv-qemu' | 'osv-firecracker';
  description: string;
  rawImage: boolean;
  binary: string;
  installHint: string;
  /** the VMM argv that boots one OSv VM running cmdline (files go in workDir); vmmVersion from versionOf */
  argv: (o: { bin: string; kernel: string; image: string; cmdline: string; cpus: number; memoryMiB: number; tap?: Tap; workDir: string; vmmVersion?: string }) => Promise<string[]>;
  /** the installed VMM's version, and why it cannot be driven (null: it can) */
  versionOf?: (bin: string) => Promise<{ version: string | null; problem: string | null; details?: Record<string, string> }>;
  /** Debian packages the platform needs beyond the VMM */
  packages?: string[];
}

const OSV_HINT = '`isobench setup --provision osv` builds both OSv images with OSv\'s own scripts (docs/platforms-vm.md, "OSv")';

export function osvPlatform(v: OsvVmm): Platform {
  /** One boot of the image running argv: the console is the VMM's stdout, where the host watches for the marker. */
  async function boot(spec: InstanceSpec, o: OsvOptions, bin: string, vmmVersion: string | undefined, tap: Tap | undefined, workDir: string, argv: string[], timeoutMs: number, marker?: string): Promise<ExecResult> {
    const cmdline = osvCmdline(argv, { binDir: o.binDir, tap, nopci: v.id === 'osv-firecracker' });
    const host = await v.argv({ bin, kernel: o.kernel, image: o.image, cmdline, cpus: spec.cpus, memoryMiB: spec.memoryMiB, tap, workDir, vmmVersion });
    const r = await timedRun(host, { timeoutMs, ...(marker !== undefined ? { marker } : {}) });
    await fsp.appendFile(path.join(spec.logDir, `${spec.name}.osv-console.log`), r.stdout + r.stderr);
    const { output, failed } = osvProgramOutput(r.stdout);
    const method = `clock: ${clockOf(r)} of the VMM to the marker on the serial console, and to VMM exit; OSv kernel ${path.basename(o.kernel)}, image ${path.basename(o.image)}; command line: ${cmdline}`;
    return { ...r, stdout: output, code: r.timedOut ? null : r.code !== 0 ? r.code : failed ? 1 : 0, method, ...(marker !== undefined ? { firstOutputMs: r.markerMs } : {}) };
  }

  /** The VMM binary and its version, once the image and kernel exist and the version is one isobench can drive. */
  async function checkFiles(o: OsvOptions): Promise<{ bin: string; vmmVersion: string | undefined }> {
    const bin = which(v.binary);
    if (!bin) throw new Error(`${v.id}: ${v.binary} not found (${v.installHint})`);
    for (const [what, f] of [['image', o.image], ['kernel', o.kernel]]) {
      if (!existsSync(f)) throw new Error(`${v.id}: options.${what}: ${f} does not exist (${OSV_HINT})`);
    }
    const vmm = v.versionOf ? await v.versionOf(bin) : undefined;
    if (vmm?.problem) throw new Error(`${v.id}: ${vmm.problem}`);
    return { bin, vmmVersion: vmm?.version ?? undefined };
  }

  return {
    id: v.id,
    family: 'unikernel',
    virtualization: 'hardware',
    inPaper: true,
    description: v.description,
    optionsSchema: osvOptionsSchema,
    packages: v.packages,

    async detect(): Promise<Detection> {
      const o = osvOptions({}, v.rawImage);
      const missing: string[] = [];
      const bin = which(v.binary);
      let vmm: Awaited<ReturnType<NonNullable<OsvVmm['versionOf']>>> | undefined;
      if (!bin) missing.push(`${v.binary} not found (${v.installHint})`);
      else if (v.versionOf) {
        vmm = await v.versionOf(bin);
        if (vmm.problem) missing.push(vmm.problem);
      }
      const kvm = await kvmProblem();
      if (kvm) missing.push(kvm);
      if (!existsSync(o.image)) missing.push(`no OSv image at ${o.image}: ${OSV_HINT}, or set options.image`);
      else if (!existsSync(o.kernel)) missing.push(`no OSv kernel at ${o.kernel} (${OSV_HINT})`);
      const build = path.join(path.dirname(o.image), 'osv-build.txt');
      const details: Record<string, string> = { image: o.image, kernel: o.kernel, ...(vmm?.details ?? {}) };
      if (existsSync(build)) details.osvBuild = (await fsp.readFile(build, 'utf8')).trim().split('\n')[0];
      const version = [`OSv image ${path.basename(o.image)}`, vmm?.version && `${v.binary} ${vmm.version}`].filter(Boolean).join(', ');
      if (missing.length) return { available: false, reason: missing.join('; '), ...(vmm?.version ? { version } : {}), details };
      return { available: true, version, details };
    },

    startupClock: vmStartupClock(`a fresh OSv VM on ${v.id === 'osv-firecracker' ? 'Firecracker' : 'QEMU/KVM'} booting the user's OSv image with /bin/echo <marker> as its command line (the image must hold an echo program; the paper's OSv scripts ran native-example and waited for OSv's own "Cmdline:" line instead); OSv powers off when the program ends`),

    async oneShot(spec: InstanceSpec, argv: string[], opts?: OneShotOptions): Promise<ExecResult> {
      const o = osvOptions(spec.options, v.rawImage);
      const { bin, vmmVersion } = await checkFiles(o);
      const tap = o.network === 'tap' ? await createTap(v.id, spec.name, spec.hostChanges) : undefined;
      const workDir = vmWorkDir();
      try {
        return await boot(spec, o, bin, vmmVersion, tap, workDir, argv, opts?.timeoutMs ?? o.bootTimeout * 1000, opts?.marker);
      } finally {
        if (tap) await removeTap(tap.name);
        await fsp.rm(workDir, { recursive: true, force: true });
      }
    },

    async start(spec: InstanceSpec): Promise<Instance> {
      const o = osvOptions(spec.options, v.rawImage);
      const { bin, vmmVersion } = await checkFiles(o);
      const tap = o.network === 'tap' ? await createTap(v.id, spec.name, spec.hostChanges) : undefined;
      const workDir = vmWorkDir();
      let n = 0;
      return {
        network: tap ? 'tap' : 'none',
        address: tap?.guestAddress,
        // a unikernel runs one program: each command is a fresh boot of the image with that command line
        async exec(argv, opts): Promise<ExecResult> {
          const { method: _, ...r } = await boot(spec, o, bin, vmmVersion, tap, path.join(workDir, String(n++)), argv, (opts?.timeoutMs ?? 600_000) + o.bootTimeout * 1000);
          return r;
        },
        async stop() {
          if (tap) await removeTap(tap.name);
          await fsp.rm(workDir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** OSv on QEMU/KVM as the paper ran it: virtio-blk image, vhost TAP networking, OSv's loader as -kernel. */
export async function osvQemuArgv(o: Parameters<OsvVmm['argv']>[0]): Promise<string[]> {
  const argv = [o.bin, '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-M', 'pc,accel=kvm', '-cpu', 'host',
    '-smp', String(o.cpus), '-m', `${o.memoryMiB}M`, '-serial', 'stdio',
    '-kernel', o.kernel, '-append', o.cmdline,
    '-drive', `file=${o.image},if=none,id=hd0,cache=none,aio=native`, '-device', 'virtio-blk-pci,id=blk0,drive=hd0'];
  if (o.tap) argv.push('-netdev', `tap,id=net0,ifname=${o.tap.name},script=no,downscript=no${existsSync('/dev/vhost-net') ? ',vhost=on' : ''}`, '-device', `virtio-net-pci,netdev=net0,mac=${o.tap.mac}`);
  return argv;
}

/** OSv on Firecracker: a config file with OSv's loader as the kernel and the raw image as a plain drive (as OSv's scripts/firecracker.py does). */
export async function osvFirecrackerArgv(o: Parameters<OsvVmm['argv']>[0]): Promise<string[]> {
  const config = firecrackerConfig({ kernel: o.kernel, bootArgs: o.cmdline, dataDisk: o.image, cpus: o.cpus, memoryMiB: o.memoryMiB, tap: o.tap && { name: o.tap.name, mac: o.tap.mac } });
  const support = o.vmmVersion ? firecrackerSupport(o.vmmVersion, undefined, 'osv') : undefined;
  if (support && !support.ok) throw new Error(`osv-firecracker: ${support.reason}`);
  const schema = support?.ok ? support.schema.version : undefined;
  const problems = validateFirecrackerConfig(config, schema);
  if (problems.length) throw new Error(`osv-firecracker: generated configuration does not match Firecracker ${schema ?? ''}'s API schema: ${problems.join('; ')}`);
  await fsp.mkdir(o.workDir, { recursive: true });
  const file = path.join(o.workDir, 'config.json');
  await fsp.writeFile(file, JSON.stringify(config, null, 2));
  return [o.bin, '--no-api', '--config-file', file];
}

