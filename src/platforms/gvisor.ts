// gVisor's runsc driven directly on an OCI bundle, one Platform per runsc platform (ptrace, kvm, systrap) from one factory.
import { constants, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../log.ts';
import { run, terminate, which } from '../proc.ts';
import type { Detection, ExecOptions, ExecResult, Instance, InstanceSpec, Platform } from '../types.ts';
import { readProcTable, withDescendants, type ProcEntry } from './host-processes.ts';
import { ociConfigForSpec, writeOciBundle, type OciConfig } from './oci-bundle.ts';
import { execKillingInside } from './exec-timeout.ts';
import { timedRun } from './startup-spawner.ts';
import { createGuestNetwork, reapGuestNetworks, removeGuestNetwork, type GuestNetwork } from './guest-netns.ts';

export type RunscPlatform = 'ptrace' | 'kvm' | 'systrap';
/** 'sandbox': gVisor's own network stack (netstack), as Docker + runsc ran in the paper; 'host': hostinet (the host kernel's stack) */
export type GvisorNetwork = 'none' | 'host' | 'sandbox';

const INSTALL_HINT = 'apt-get install runsc, or a current release from https://gvisor.dev/docs/user_guide/install/';
const DEFAULT_START_TIMEOUT_S = 60;
const CONTROL_TIMEOUT_MS = 20_000;

export const gvisorOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    network: {
      enum: ['none', 'host', 'sandbox'],
      default: 'none',
      description:
        "'none': netstack with loopback only; 'sandbox': gVisor's own network stack (netstack, runsc's default and the paper's) on a veth pair " +
        "into a network namespace isobench creates and removes (198.19.128.0/17); 'host': runsc --network=host (hostinet: the host kernel's stack, not netstack)",
    },
    debug: { type: 'boolean', default: false, description: "runsc --debug with --debug-log into the instance's log directory" },
    startTimeoutS: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 3600,
      default: DEFAULT_START_TIMEOUT_S,
      description: 'how long `runsc run --detach` may take before the start counts as failed and everything it made is removed',
    },
  },
};

/** Platforms an installed runsc offers, from the `-platform` line of `runsc flags` ("ptrace (default), kvm."). */
export function parseRunscPlatforms(flagsText: string): string[] {
  const m = /-platform string\s*\n\s*specifies which platform to use:\s*([^\n]*)/.exec(flagsText);
  if (!m) return [];
  return m[1]
    .replace(/\(default\)/g, '')
    .split(/[,.]/)
    .map((s) => s.trim())
    .filter((s) => /^[a-z0-9-]+$/.test(s));
}

/** "0.0~20221219.0" from "runsc version 0.0~20221219.0". */
export function parseRunscVersion(versionText: string): string | undefined {
  return /runsc version (\S+)/.exec(versionText)?.[1];
}

/** Sandbox pids from `runsc ps --format json`: a list of pids ([1,2]) in runsc 20221219, process records in others. */
export function parseRunscPs(json: string): number[] {
  const list = (JSON.parse(json) ?? []) as (number | { PID?: number; pid?: number })[];
  return list.map((p) => (typeof p === 'number' ? p : p.PID ?? p.pid)).filter((p): p is number => Number.isInteger(p));
}

/**
 * How the sandbox reaches its files, pinned rather than left to the release's defaults (they changed after 2022: overlay
 * of the root by default, directfs): the root exclusive, volumes (/data) shared through the Gofer, no overlay. These were
 * runsc's defaults in the paper's time and in Debian's 20221219.
 */
export const RUNSC_FILE_FLAGS = { fileAccess: 'exclusive', fileAccessMounts: 'shared', overlay2: 'none' } as const;

/** Global runsc flags for one instance: its own state root, the platform, the network, file access, logs into the instance's log dir. */
export function runscGlobalArgs(o: { root: string; platform: RunscPlatform; network: GvisorNetwork; logFile: string; debugLogDir?: string }): string[] {
  return [
    `--root=${o.root}`,
    `--platform=${o.platform}`,
    `--network=${o.network}`,
    `--file-access=${RUNSC_FILE_FLAGS.fileAccess}`,
    `--file-access-mounts=${RUNSC_FILE_FLAGS.fileAccessMounts}`,
    `--overlay2=${RUNSC_FILE_FLAGS.overlay2}`,
    `--log=${o.logFile}`,
    '--log-format=text',
    ...(o.debugLogDir ? ['--debug', `--debug-log=${o.debugLogDir.endsWith('/') ? o.debugLogDir : `${o.debugLogDir}/`}`] : []),
  ];
}

/** options.network wins over spec.network; anything but none/host/sandbox is refused with the fix named. */
export function gvisorNetwork(id: string, spec: Pick<InstanceSpec, 'network' | 'options'>): GvisorNetwork {
  const n = (spec.options?.network as string | undefined) ?? spec.network ?? 'none';
  if (n !== 'none' && n !== 'host' && n !== 'sandbox') {
    throw new Error(`${id}: network '${n}' is not supported (options.network: 'none', 'host' or 'sandbox')`);
  }
  return n;
}

/** Release date (yyyymmdd) from a runsc version: "0.0~20221219.0" (Debian), "release-20240729.0" (upstream). */
export function runscReleaseDate(version: string | undefined): number | undefined {
  const m = /(?:^|[~-])(20\d{6})(?:\.|$)/.exec(version ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * runsc before 2024-08 refuses netstack when /proc/sys/net/core/rmem_default exists, which it took to mean "root netns";
 * kernels since 6.x show that sysctl in every netns. The /proc/sys/net entry itself is global (not per netns), so a
 * tmpfs over it in a private mount namespace hides the file from that runsc process only; the sandbox makes its own /proc.
 */
export function needsRootNetnsWorkaround(version: string | undefined): boolean {
  const date = runscReleaseDate(version);
  return date === undefined || date < 20240801;
}

/** argv that runs `runsc <args>` with /proc/sys/net hidden in a private mount namespace (values pass as "$@", never as shell syntax). */
export function hiddenNetSysctlArgv(runscArgv: string[]): string[] {
  return [
    'unshare', '--mount', '--propagation', 'private',
    'sh', '-c', 'mount -t tmpfs -o size=4k,mode=555 isobench-hidden /proc/sys/net && exec "$@"', 'isobench-netstack',
    ...runscArgv,
  ];
}

/** The bundle of a netstack sandbox: the network namespace isobench made, joined by path (runsc copies its veth into netstack). */
export function withNetnsPath(config: OciConfig, netnsPath: string): OciConfig {
  const namespaces = config.linux.namespaces.filter((n) => n.type !== 'network');
  return { ...config, linux: { ...config.linux, namespaces: [...namespaces, { type: 'network', path: netnsPath }] } };
}

/** What a sandbox ran with, recorded with every sample (the network stack and the file path decide what is measured). */
export function gvisorSettings(o: { version?: string; platform: RunscPlatform; network: GvisorNetwork; guest?: GuestNetwork; workaround?: boolean }): Record<string, string> {
  const date = runscReleaseDate(o.version);
  const network = {
    none: 'none: netstack with loopback only',
    host: "host: hostinet, the host kernel's network stack (not gVisor's netstack)",
    sandbox: `sandbox: gVisor's netstack on veth ${o.guest?.guestVeth ?? '?'} in netns ${o.guest?.netns ?? '?'} (guest ${o.guest?.guestAddress ?? '?'}/30)` +
      (o.workaround ? '; runsc ran with /proc/sys/net hidden (its root-netns check misfires on this kernel)' : ''),
  }[o.network];
  return {
    runsc: o.version ?? 'unknown',
    platform: o.platform,
    network,
    fileAccess: RUNSC_FILE_FLAGS.fileAccess,
    fileAccessMounts: RUNSC_FILE_FLAGS.fileAccessMounts,
    overlay: RUNSC_FILE_FLAGS.overlay2,
    dataMount:
      '/data: host bind mount served by the Gofer (cache=remote_revalidating); ' +
      (date !== undefined && date < 20230501
        ? "O_DIRECT is not passed to the host file (google/gvisor#3626), so direct I/O there goes through the host's page cache"
        : "whether O_DIRECT reaches the host file is not verified for this release (it did not in 20221219, google/gvisor#3626)"),
    memoryDir: "/tmp: the sandbox's own tmpfs, in the sentry's memory",
  };
}

/**
 * The runc/crun bundle with a flat cgroup path: runsc creates intermediate v1 cgroups without copying cpuset.cpus/mems
 * from their parent, so a nested leaf's cpuset write is refused (EACCES) unless its parent is the root.
 */
export function gvisorBundleConfig(base: OciConfig, name: string): OciConfig {
  return { ...base, linux: { ...base.linux, cgroupsPath: `/isobench-${name}` } };
}

/** runsc processes (sandbox, gofer, helpers) whose command line names this state root. */
export function runscProcessesOf(table: ProcEntry[], stateRoot: string): ProcEntry[] {
  return table.filter((p) => path.basename(p.argv[0] ?? '').startsWith('runsc') && p.argv.some((a) => a.includes(stateRoot)));
}

async function tail(file: string, lines = 5): Promise<string> {
  try {
    return (await fsp.readFile(file, 'utf8')).trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function kvmUsable(): Promise<string | undefined> {
  try {
    await fsp.access('/dev/kvm', constants.R_OK | constants.W_OK);
    return undefined;
  } catch (e) {
    return `/dev/kvm is not usable (${(e as NodeJS.ErrnoException).code}): the kvm platform needs hardware virtualisation exposed to this host`;
  }
}

/** cgroups runsc made for this sandbox under each hierarchy (it removes them itself unless it was killed). */
async function removeCgroups(name: string): Promise<void> {
  const base = '/sys/fs/cgroup';
  for (const h of await fsp.readdir(base).catch(() => [] as string[])) {
    const dir = path.join(base, h, `isobench-${name}`);
    await fsp.rmdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') log.warn(`could not remove cgroup ${dir}: ${e.message}`);
    });
  }
}

/** SIGKILL every process in the sandbox except its init (what a timed-out exec left running inside). */
async function killStrays(bin: string, global: string[], name: string): Promise<void> {
  const ps = await run([bin, ...global, 'ps', '--format', 'json', name], { timeoutMs: CONTROL_TIMEOUT_MS });
  let pids: number[] = [];
  try {
    pids = parseRunscPs(ps.stdout).filter((p) => p !== 1);
  } catch {
    log.warn(`${name}: could not list the sandbox's processes after a timeout: ${(ps.stderr || ps.stdout).trim()}`);
  }
  for (const pid of pids) await run([bin, ...global, 'kill', '--pid', String(pid), name, 'KILL'], { timeoutMs: CONTROL_TIMEOUT_MS });
}

/** One sandbox's files: bundle and state root under a temp area named isobench-<id>-<name>-XXXXXX (reap finds it by that). */
interface Sandbox {
  bin: string;
  name: string;
  area: string;
  bundle: string;
  stateRoot: string;
  global: string[];
  logFile: string;
  network: GvisorNetwork;
  /** netstack's network namespace and veth pair, removed with the sandbox */
  guest?: GuestNetwork;
  /** run runsc's `run` with /proc/sys/net hidden (see needsRootNetnsWorkaround) */
  hideNetSysctl: boolean;
  settings: Record<string, string>;
}

const areaPrefix = (id: string, name: string) => `isobench-${id}-${name}`;
/** inside a sandbox's area: the guest network it owns, so reap can remove it after a crash */
const GUEST_FILE = 'guest-netns.json';

/** Kill and delete the sandbox, then whatever runsc left (a sandbox that never booted has no state to delete); never throws. */
async function removeSandbox(id: string, s: Pick<Sandbox, 'bin' | 'name' | 'area' | 'stateRoot' | 'global' | 'guest'>): Promise<void> {
  try {
    await run([s.bin, ...s.global, 'kill', s.name, 'KILL'], { timeoutMs: CONTROL_TIMEOUT_MS });
    await run([s.bin, ...s.global, 'delete', '--force', s.name], { timeoutMs: CONTROL_TIMEOUT_MS });
    const left = runscProcessesOf(readProcTable(), s.stateRoot);
    await Promise.all(left.map((p) => terminate(p.pid, 2_000)));
    if (left.length) log.debug(`${id}: ${s.name}: killed ${left.length} runsc process(es) that delete left`);
    await removeCgroups(s.name);
    if (s.guest) await removeGuestNetwork(s.guest);
    await fsp.rm(s.area, { recursive: true, force: true });
  } catch (e) {
    log.warn(`${id}: removing sandbox ${s.name}: ${(e as Error).message}`);
  }
}

export function gvisorPlatform(platform: RunscPlatform): Platform {
  const id = `gvisor-${platform}`;
  let versionOnce: Promise<string | undefined> | undefined;

  function binary(): string {
    const bin = which('runsc');
    if (!bin) throw new Error(`${id}: runsc not found on PATH (${INSTALL_HINT})`);
    return bin;
  }

  function runscVersion(bin: string): Promise<string | undefined> {
    versionOnce ??= run([bin, '--version'], { timeoutMs: CONTROL_TIMEOUT_MS }).then((v) => parseRunscVersion(v.stdout));
    return versionOnce;
  }

  /** Bundle, state root and (netstack) network namespace of one sandbox; `args` replaces the keep-alive init (a one-shot sandbox runs its workload as init). */
  async function prepareSandbox(spec: InstanceSpec, args?: string[]): Promise<Sandbox> {
    const bin = binary();
    const network = gvisorNetwork(id, spec);
    const version = await runscVersion(bin);
    // /data is a bind mount: where gVisor's Gofer sits (what the paper measured); the sandbox's own /tmp is a tmpfs
    let config = gvisorBundleConfig(ociConfigForSpec(spec, network === 'host' ? 'host' : 'none'), spec.name);
    if (args) config.process.args = args;
    await fsp.mkdir(spec.logDir, { recursive: true });
    const logFile = path.join(spec.logDir, `${id}-${spec.name}.log`);
    await fsp.writeFile(logFile, ''); // so the tail quoted on failure is this start's
    const area = await fsp.mkdtemp(path.join(os.tmpdir(), `${areaPrefix(id, spec.name)}-`));
    const bundle = path.join(area, 'bundle');
    const stateRoot = path.join(area, 'root'); // per instance, so nothing is left in /var/run/runsc
    const global = runscGlobalArgs({
      root: stateRoot,
      platform,
      network,
      logFile,
      debugLogDir: spec.options?.debug ? path.join(spec.logDir, `${id}-${spec.name}-debug`) : undefined,
    });
    let guest: GuestNetwork | undefined;
    try {
      await fsp.mkdir(stateRoot);
      if (network === 'sandbox') {
        guest = await createGuestNetwork(id, spec.name, spec.hostChanges);
        await fsp.writeFile(path.join(area, GUEST_FILE), JSON.stringify(guest));
        config = withNetnsPath(config, guest.netnsPath);
      }
      await writeOciBundle(bundle, config);
    } catch (e) {
      if (guest) await removeGuestNetwork(guest);
      await fsp.rm(area, { recursive: true, force: true });
      throw e;
    }
    const hideNetSysctl = network === 'sandbox' && needsRootNetnsWorkaround(version);
    const settings = gvisorSettings({ version, platform, network, guest, workaround: hideNetSysctl });
    return { bin, name: spec.name, area, bundle, stateRoot, global, logFile, network, guest, hideNetSysctl, settings };
  }

  /** argv of `runsc run` for this sandbox (through the netstack workaround where it is needed) */
  function runArgv(s: Sandbox, detach: boolean): string[] {
    const argv = [s.bin, ...s.global, 'run', ...(detach ? ['--detach'] : []), '--bundle', s.bundle, s.name];
    return s.hideNetSysctl ? hiddenNetSysctlArgv(argv) : argv;
  }

  async function detect(): Promise<Detection> {
    const bin = which('runsc');
    if (!bin) return { available: false, reason: `runsc not found on PATH (${INSTALL_HINT})` };
    if (process.getuid?.() !== 0) return { available: false, reason: 'runsc needs root here (run isobench as root)' };
    const v = await run([bin, '--version'], { timeoutMs: CONTROL_TIMEOUT_MS });
    const version = parseRunscVersion(v.stdout) ?? (v.stdout.split('\n')[0].trim() || 'unknown');
    const f = await run([bin, 'flags'], { timeoutMs: CONTROL_TIMEOUT_MS });
    const offered = parseRunscPlatforms(f.stderr + f.stdout);
    const details: Record<string, string> = { platform, offered: offered.join(', ') || 'unknown (runsc flags shows no -platform line)' };
    if (offered.length && !offered.includes(platform)) {
      return {
        available: false,
        version,
        details,
        reason: `runsc ${version} offers the platforms ${offered.join(', ')}, not ${platform} (systrap is in gVisor releases from mid-2023: install one from https://gvisor.dev/docs/user_guide/install/)`,
      };
    }
    if (platform === 'kvm') {
      const why = await kvmUsable();
      if (why) return { available: false, version, details, reason: why };
      details.note = 'on nested or paravirtual KVM the sandbox can spin at 100 % CPU without booting; the start timeout then ends it and it is recorded as a timeout';
    }
    return { available: true, version: `${version} (platform ${platform})`, details };
  }

  async function start(spec: InstanceSpec): Promise<Instance> {
    const startTimeoutMs = Number(spec.options?.startTimeoutS ?? DEFAULT_START_TIMEOUT_S) * 1000;
    const s = await prepareSandbox(spec);
    const { bin, name, global } = s;
    let stopping: Promise<void> | undefined;
    // every caller, concurrent ones included, waits for the one cleanup
    const stop = (): Promise<void> => (stopping ??= removeSandbox(id, s));

    try {
      // stdio ignored: the detached sandbox inherits it and a held pipe would keep run() waiting; errors go to --log
      const r = await run(runArgv(s, true), { timeoutMs: startTimeoutMs, ignoreOutput: true });
      if (r.timedOut || r.code !== 0) {
        const why = r.timedOut ? `timed out after ${startTimeoutMs / 1000} s` : `exit ${r.code ?? r.signal}`;
        throw new Error(`${id}: could not start sandbox ${name} (${why}); ${s.logFile}: ${(await tail(s.logFile)) || '(empty)'}`);
      }
    } catch (e) {
      await stop();
      throw e;
    }

    async function exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
      const env = Object.entries(opts?.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
      const timeoutMs = opts?.timeoutMs;
      // runsc donates the output pipes to the sandbox: the process inside must be killed there
      return execKillingInside([bin, ...global, 'exec', ...env, name, ...argv], { timeoutMs }, () => { if (!stopping) return killStrays(bin, global, name); });
    }

    return {
      exec,
      network: s.network,
      address: s.network === 'host' ? '127.0.0.1' : s.guest?.guestAddress,
      dataPath: spec.dataDir ? '/data' : undefined,
      memoryDir: '/tmp',
      settings: s.settings,
      // sandbox and gofer, and under ptrace the stub processes the sandbox forks to run the application
      hostPids: async () => {
        const table = readProcTable();
        return withDescendants(table, runscProcessesOf(table, s.stateRoot).map((p) => p.pid));
      },
      stop,
    };
  }

  /** `runsc run` in the foreground with argv as the sandbox's init: creation to exit and to first output, on the startup-spawner's clock. */
  async function oneShot(spec: InstanceSpec, argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult> {
    if (argv.length === 0) throw new Error(`${id}: oneShot needs a command`);
    const s = await prepareSandbox(spec, argv);
    try {
      return await timedRun(runArgv(s, false), {
        timeoutMs: opts?.timeoutMs ?? Number(spec.options?.startTimeoutS ?? DEFAULT_START_TIMEOUT_S) * 1000,
      });
    } finally {
      await removeSandbox(id, s);
    }
  }

  /** Sandboxes named namePrefix* that a crashed run left: found by their temp areas and the runsc processes naming them. */
  async function reap(namePrefix: string): Promise<string[]> {
    const bin = which('runsc');
    const prefix = areaPrefix(id, namePrefix);
    const tmp = os.tmpdir();
    const areas = (await fsp.readdir(tmp).catch(() => [] as string[])).filter((d) => d.startsWith(prefix) && /-[A-Za-z0-9]{6}$/.test(d));
    const names: string[] = [];
    for (const d of areas) {
      const name = d.slice(`isobench-${id}-`.length, -7);
      const area = path.join(tmp, d);
      const stateRoot = path.join(area, 'root');
      const guest = await fsp.readFile(path.join(area, GUEST_FILE), 'utf8').then((t) => JSON.parse(t) as GuestNetwork, () => undefined);
      await removeSandbox(id, { bin: bin ?? 'runsc', name, area, stateRoot, global: [`--root=${stateRoot}`], guest });
      names.push(name);
    }
    // guest networks of these instances whose area is gone, and any whose owning process died
    await reapGuestNetworks(namePrefix);
    // processes whose area is already gone
    const strays = readProcTable().filter((p) => path.basename(p.argv[0] ?? '').startsWith('runsc') && p.argv.some((a) => a.includes(`${path.join(tmp, prefix)}`)));
    await Promise.all(strays.map((p) => terminate(p.pid, 2_000)));
    return names;
  }

  return {
    id,
    family: 'secure-container',
    virtualization: platform === 'kvm' ? 'hardware' : 'none', // runsc's kvm platform runs the Sentry in a KVM guest
    inPaper: platform !== 'systrap', // the paper ran ptrace and kvm; systrap came later
    description: `gVisor runsc (${platform} platform) called directly on an OCI bundle; /data is a bind mount served by the Gofer; network sandbox = netstack in a netns isobench makes`,
    optionsSchema: gvisorOptionsSchema,
    packages: ['runsc'],
    detect,
    start,
    oneShot,
    // docs/STARTUP.md
    startupClock: {
      starts: "the startup-spawner's posix_spawn of `runsc run` in the foreground (OCI bundle written beforehand)",
      firstOutput: "the marker's first byte on runsc's stdout",
      exit: "runsc's exit after the sandboxed process exited",
      instance: `a gVisor sandbox (Sentry on the ${platform} platform, Gofer) of the read-only benchmark rootfs whose process is /bin/echo <marker>`,
    },
    reap,
  };
}

export const gvisorPtrace = gvisorPlatform('ptrace');
export const gvisorKvm = gvisorPlatform('kvm');
export const gvisorSystrap = gvisorPlatform('systrap');
