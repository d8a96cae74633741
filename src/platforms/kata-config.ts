// Kata Containers as data: the per-instance configuration.toml, the ctr command lines, and what doctor says is missing. No I/O.
import type { Detection } from '../types.ts';
import { CONTAINER_PATH } from './oci-bundle.ts';

export type KataSharedFs = 'virtio-9p' | 'virtio-fs';

/** containerd's name for Kata's shim v2 (containerd runs containerd-shim-kata-v2 from its PATH) */
export const KATA_RUNTIME = 'io.containerd.kata.v2';
export const DEFAULT_CONTAINERD_ADDRESS = '/run/containerd/containerd.sock';
/** containerd namespace for everything isobench creates, so it never touches the user's containers */
export const CTR_NAMESPACE = 'isobench';

export const KATA_INSTALL_HINT =
  'Kata Containers is not packaged in Debian: `isobench setup --provision kata` installs the Go runtime release tarball ' +
  '(kata-go-static-<version>-amd64.tar.zst from https://github.com/kata-containers/kata-containers/releases, unpacked with ' +
  '`tar --zstd -xf … -C /` into /opt/kata, kata-runtime and containerd-shim-kata-v2 linked into /usr/local/bin). ' +
  'Archives are .tar.zst since 3.21 (.tar.xz before); since 4.1 kata-static holds only runtime-rs, which has no virtio-9p, ' +
  'and kata-runtime with the Go shim come in kata-go-static';

/** The oldest containerd whose ctr has `run --runtime-config-path` (added in containerd 1.5). */
export const CTR_MIN_VERSION = '1.5';

/** 'ctr github.com/containerd/containerd 1.6.20~ds1' -> '1.6.20~ds1' */
export function parseCtrVersion(out: string): string | null {
  return /^ctr \S+ v?(\d+\.\d+\S*)/m.exec(out)?.[1] ?? null;
}

/** Whether `ctr run --help` lists the flag kataRunArgv passes. */
export function ctrHasRuntimeConfigPath(runHelp: string): boolean {
  return /^\s*--runtime-config-path\b/m.test(runHelp);
}

/** The shim's own version line (Go: src/runtime/cmd/containerd-shim-kata-v2/main.go; Rust: src/runtime-rs/crates/shim/src/bin/main.rs). */
export function parseKataShimVersion(out: string): { runtime: 'go' | 'rust'; version: string } | null {
  const m = /containerd shim \((Golang|Rust)\): id: "?[^",]+"?, version: ([^,\s]+)/.exec(out);
  return m ? { runtime: m[1] === 'Rust' ? 'rust' : 'go', version: m[2] } : null;
}

/** What `kata-runtime kata-env --json` says (format 1.0.x, src/runtime/cmd/kata-runtime/kata-env.go). */
export interface KataEnv {
  runtimeVersion?: string;
  configPath?: string;
  hypervisorPath?: string;
  hypervisorVersion?: string;
  machineType?: string;
  sharedFs?: string;
  virtiofsDaemon?: string;
  vmContainerCapable?: boolean;
}

export function parseKataEnv(json: string): KataEnv {
  const e = JSON.parse(json) as {
    Runtime?: { Version?: { Version?: { Semver?: unknown } }; Config?: { Path?: unknown } };
    Hypervisor?: { Path?: unknown; Version?: unknown; MachineType?: unknown; SharedFS?: unknown; VirtioFSDaemon?: unknown };
    Host?: { VMContainerCapable?: unknown };
  } | null;
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return {
    runtimeVersion: str(e?.Runtime?.Version?.Version?.Semver),
    configPath: str(e?.Runtime?.Config?.Path),
    hypervisorPath: str(e?.Hypervisor?.Path),
    hypervisorVersion: str(e?.Hypervisor?.Version)?.split('\n')[0].trim(),
    machineType: str(e?.Hypervisor?.MachineType),
    sharedFs: str(e?.Hypervisor?.SharedFS),
    virtiofsDaemon: str(e?.Hypervisor?.VirtioFSDaemon),
    vmContainerCapable: typeof e?.Host?.VMContainerCapable === 'boolean' ? e.Host.VMContainerCapable : undefined,
  };
}

export interface KataConfigInput {
  sharedFs: KataSharedFs;
  cpus: number;
  memoryMiB: number;
  /** where the base configuration came from, for the header and errors */
  source: string;
}

/** vCPUs of the VM: whole CPUs, at least one (Kata takes an integer) */
export function kataVcpus(cpus: number): number {
  return Math.max(1, Math.ceil(cpus));
}

const SECTION = /^\s*\[([^\]]+)\]\s*(#.*)?$/;

/**
 * The installed Kata configuration (TOML text) with [hypervisor.qemu]'s shared_fs, default_vcpus and default_memory set for
 * this instance; every other line is kept as it is, so paths to kernel, image and virtiofsd stay the installation's own.
 */
export function kataConfigToml(base: string, o: KataConfigInput): string {
  if (!(o.cpus > 0)) throw new Error(`kata: cpus must be > 0 (got ${o.cpus})`);
  if (!(o.memoryMiB >= 1)) throw new Error(`kata: memoryMiB must be >= 1 (got ${o.memoryMiB})`);
  const lines = base.split('\n');
  const sections = lines.map((l, i) => ({ i, name: SECTION.exec(l)?.[1]?.trim() })).filter((s) => s.name);
  const hypervisors = sections.filter((s) => s.name!.startsWith('hypervisor.')).map((s) => s.name!);
  const start = sections.find((s) => s.name === 'hypervisor.qemu');
  if (!start) {
    throw new Error(`kata: ${o.source} has no [hypervisor.qemu] section (it configures ${hypervisors.join(', ') || 'no hypervisor'}); ` +
      "kata-9p and kata-virtiofs use QEMU: set options.config to Kata's configuration-qemu.toml");
  }
  const end = sections.find((s) => s.i > start.i)?.i ?? lines.length;
  const body = lines.slice(start.i + 1, end);
  const keyAt = (key: string) => body.findIndex((l) => new RegExp(`^\\s*${key}\\s*=`).test(l));
  if (o.sharedFs === 'virtio-fs') {
    const d = keyAt('virtio_fs_daemon');
    if (d < 0 || /=\s*""\s*$/.test(body[d])) {
      throw new Error(`kata: ${o.source} [hypervisor.qemu] sets no virtio_fs_daemon, which shared_fs = "virtio-fs" needs (install virtiofsd and set its path there)`);
    }
  }
  const want: [string, string][] = [
    ['shared_fs', `"${o.sharedFs}"`],
    ['default_vcpus', String(kataVcpus(o.cpus))],
    ['default_memory', String(Math.round(o.memoryMiB))],
  ];
  const added: string[] = [];
  for (const [key, value] of want) {
    const at = keyAt(key);
    if (at >= 0) body[at] = `${key} = ${value}`;
    else added.push(`${key} = ${value}`);
  }
  return [
    `# generated by isobench from ${o.source}: [hypervisor.qemu] shared_fs, default_vcpus, default_memory set for one instance`,
    ...lines.slice(0, start.i + 1),
    ...added,
    ...body,
    ...lines.slice(end),
  ].join('\n');
}

export interface CtrTarget {
  ctr: string;
  /** containerd socket */
  address: string;
}

const ctrBase = (t: CtrTarget) => [t.ctr, '--address', t.address, '--namespace', CTR_NAMESPACE];

export interface KataRunInput extends CtrTarget {
  name: string;
  /** the generated configuration.toml, handed to the shim as its runtime options' ConfigPath */
  configPath: string;
  rootfs: string;
  dataDir?: string;
  /** the container's init (it sleeps; commands run beside it with `task exec`), or a one-shot's workload */
  init: string[];
  /** run init in the foreground with its output on ctr's stdout and remove the container when it exits (startup timing) */
  oneShot?: boolean;
}

/** `ctr run` of a detached container on the shared rootfs directory (read-only) with Kata's shim and our configuration. */
export function kataRunArgv(i: KataRunInput): string[] {
  for (const [field, p] of [['rootfs', i.rootfs], ['dataDir', i.dataDir], ['configPath', i.configPath]] as const) {
    if (p !== undefined && (!p.startsWith('/') || /[,\s]/.test(p))) {
      throw new Error(`kata: ${field} '${p}' must be an absolute path without commas or whitespace (ctr --mount syntax)`);
    }
  }
  return [
    ...ctrBase(i),
    'run', ...(i.oneShot ? ['--rm'] : ['--detach', '--null-io']),
    '--runtime', KATA_RUNTIME,
    '--runtime-config-path', i.configPath,
    '--read-only',
    // with --rootfs there is no image config, so no PATH: every exec inherits these
    '--env', `PATH=${CONTAINER_PATH}`, '--env', 'HOME=/root',
    // the root is the cached image shared by every instance, so scratch space is tmpfs (inside the VM)
    '--mount', 'type=tmpfs,src=tmpfs,dst=/tmp,options=nosuid:nodev:mode=1777',
    ...(i.dataDir ? ['--mount', `type=bind,src=${i.dataDir},dst=/data,options=rbind:rw`] : []),
    '--rootfs', i.rootfs,
    i.name,
    ...i.init,
  ];
}

/** `ctr task exec`; ctr has no --env for exec, so variables go through the image's `env`. */
export function kataExecArgv(t: CtrTarget, name: string, execId: string, argv: string[], env: Record<string, string> = {}): string[] {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [...ctrBase(t), 'task', 'exec', '--exec-id', execId, name, ...(vars.length ? ['env', ...vars] : []), ...argv];
}

/** Kill one exec'd process inside the VM (what a timed-out exec leaves running). */
export function kataKillExecArgv(t: CtrTarget, name: string, execId: string): string[] {
  return [...ctrBase(t), 'task', 'kill', '--exec-id', execId, '--signal', 'SIGKILL', name];
}

/** Commands that remove the container, in order: kill the task, delete it, delete the container. */
export function kataStopArgvs(t: CtrTarget, name: string): string[][] {
  return [
    [...ctrBase(t), 'task', 'kill', '--all', '--signal', 'SIGKILL', name],
    [...ctrBase(t), 'task', 'delete', '--force', name],
    [...ctrBase(t), 'container', 'delete', name],
  ];
}

/** What detect() found on the host, as plain data. */
export interface KataFacts {
  kataRuntime: string | null;
  shim: string | null;
  ctr: string | null;
  /** `ctr --version`'s version, and whether `ctr run --help` lists --runtime-config-path (undefined: not checked) */
  ctrVersion?: string;
  ctrConfigPath?: boolean;
  /** `containerd-shim-kata-v2 --version`: which runtime and version the shim is (what actually runs the sandbox) */
  shimVersion?: { runtime: 'go' | 'rust'; version: string };
  shimVersionError?: string;
  /** undefined when containerd answered; else why not */
  containerdError?: string;
  containerdAddress: string;
  /** undefined when /dev/kvm can be opened read-write; else why not */
  kvmError?: string;
  /** `kata-runtime check` output when it failed */
  checkError?: string;
  env?: KataEnv;
  envError?: string;
  /** for kata-9p: whether the hypervisor offers a virtio-9p device (undefined: not checked) */
  hypervisorHas9p?: boolean;
  /** for kata-virtiofs: whether the virtiofsd that the configuration names exists */
  virtiofsdExists?: boolean;
}

/** Doctor's verdict for one variant: every missing piece, each with its fix, in one reason. */
export function diagnoseKata(sharedFs: KataSharedFs, f: KataFacts): Detection {
  const missing: string[] = [];
  const details: Record<string, string> = { sharedFs };
  if (!f.kataRuntime) missing.push('kata-runtime not found (on PATH or /opt/kata/bin)');
  if (!f.shim) missing.push(`containerd-shim-kata-v2 not on PATH (containerd starts it for --runtime ${KATA_RUNTIME})`);
  if (!f.kataRuntime || !f.shim) missing[missing.length - 1] += `; ${KATA_INSTALL_HINT}`;
  if (!f.ctr) missing.push('ctr not found (apt-get install containerd)');
  else if (f.ctrConfigPath === false) {
    missing.push(`ctr ${f.ctrVersion ?? '(version unknown)'} has no \`run --runtime-config-path\`, which hands the shim isobench's configuration: containerd >= ${CTR_MIN_VERSION} is needed (apt-get install containerd from a newer release)`);
  }
  else if (f.containerdError) missing.push(`containerd is not answering at ${f.containerdAddress} (${f.containerdError}): start containerd, or set options.address to its socket`);
  if (f.shimVersion?.runtime === 'rust') {
    missing.push(`containerd-shim-kata-v2 ${f.shimVersion.version} is runtime-rs (Rust), which has no virtio-9p and reads another configuration format; isobench drives the Go shim: install kata-go-static (\`isobench setup --provision kata\`)`);
  } else if (f.shim && f.shimVersionError) missing.push(`containerd-shim-kata-v2 --version: ${f.shimVersionError}`);
  if (f.kvmError) missing.push(`${f.kvmError}: Kata runs each container in a KVM virtual machine (bare metal, or a VM with nested virtualisation)`);
  if (f.checkError) missing.push(`kata-runtime check failed: ${f.checkError}`);
  if (f.envError) missing.push(`kata-runtime kata-env --json failed: ${f.envError}`);
  const env = f.env;
  if (env) {
    if (env.configPath) details.config = env.configPath;
    if (env.hypervisorPath) details.hypervisor = `${env.hypervisorPath}${env.hypervisorVersion ? ` (${env.hypervisorVersion})` : ''}`;
    if (env.sharedFs) details.installedSharedFs = env.sharedFs;
    if (env.hypervisorPath && !/qemu/.test(env.hypervisorPath.split('/').pop() ?? '')) {
      details.note = `the installed default hypervisor is ${env.hypervisorPath}; isobench generates a QEMU configuration (options.config selects the base)`;
    }
    if (env.vmContainerCapable === false) missing.push('kata-env reports the host is not VM-container capable (CPU virtualisation extensions or kernel modules missing)');
  }
  if (sharedFs === 'virtio-9p' && f.hypervisorHas9p === false) {
    missing.push(`the hypervisor ${env?.hypervisorPath ?? ''} has no virtio-9p device: recent Kata releases dropped 9p; use a Kata release whose QEMU still has it (2.x), or kata-virtiofs`);
  }
  if (sharedFs === 'virtio-fs' && f.virtiofsdExists === false) {
    missing.push(`virtiofsd ${env?.virtiofsDaemon ?? ''} named by the Kata configuration does not exist (it ships in Kata's release tarball under /opt/kata/libexec)`);
  }
  if (f.ctrVersion) details.ctr = f.ctrVersion;
  if (env?.runtimeVersion) details.kataRuntime = env.runtimeVersion;
  // the shim runs the sandbox, so its version is the one recorded; kata-runtime only reports the environment
  const shim = f.shimVersion ? `containerd-shim-kata-v2 ${f.shimVersion.version} (${f.shimVersion.runtime === 'go' ? 'Go' : 'Rust'})` : undefined;
  if (missing.length) return { available: false, reason: missing.join('; '), details, ...(shim ? { version: shim } : {}) };
  const version = [
    shim ?? 'containerd-shim-kata-v2 (version unknown)',
    `hypervisor ${env?.hypervisorVersion ?? env?.hypervisorPath ?? '?'}`,
    `shared_fs ${sharedFs}`,
  ].join(', ');
  return { available: true, version, details };
}
