// gVisor's runsc driven directly on an OCI bundle, one Platform per runsc platform (ptrace, kvm, systrap) from one factory.
import { constants, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../log.ts';
import { run, terminate, which } from '../proc.ts';
import type { Detection, ExecOptions, ExecResult, Instance, InstanceSpec, Platform } from '../types.ts';
import { readProcTable, withDescendants, type ProcEntry } from './host-processes.ts';
import { ociConfigForSpec, writeOciBundle, type OciConfig } from './oci-bundle.ts';
import { ociNetwork } from './oci-runtime.ts';
import { execKillingInside } from './exec-timeout.ts';

export type RunscPlatform = 'ptrace' | 'kvm' | 'systrap';

const INSTALL_HINT = 'apt-get install runsc, or a current release from https://gvisor.dev/docs/user_guide/install/';
const DEFAULT_START_TIMEOUT_S = 60;
const CONTROL_TIMEOUT_MS = 20_000;

export const gvisorOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    network: {
      enum: ['none', 'host'],
      default: 'none',
      description: "'none': sandbox with loopback only; 'host': runsc --network=host (gVisor's own netstack does not start on every host)",
    },
    debug: { type: 'boolean', default: false, description: "runsc --debug with --debug-log into the instance's log directory" },
    startTimeoutS: {
      type: 'number',
      exclusiveMinimum: 0,
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

/** Global runsc flags for one instance: its own state root, the platform, the network, logs into the instance's log dir. */
export function runscGlobalArgs(o: { root: string; platform: RunscPlatform; network: 'none' | 'host'; logFile: string; debugLogDir?: string }): string[] {
  return [
    `--root=${o.root}`,
    `--platform=${o.platform}`,
    `--network=${o.network}`,
    `--log=${o.logFile}`,
    '--log-format=text',
    ...(o.debugLogDir ? ['--debug', `--debug-log=${o.debugLogDir.endsWith('/') ? o.debugLogDir : `${o.debugLogDir}/`}`] : []),
  ];
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
}

const areaPrefix = (id: string, name: string) => `isobench-${id}-${name}`;

/** Kill and delete the sandbox, then whatever runsc left (a sandbox that never booted has no state to delete); never throws. */
async function removeSandbox(id: string, s: Pick<Sandbox, 'bin' | 'name' | 'area' | 'stateRoot' | 'global'>): Promise<void> {
  try {
    await run([s.bin, ...s.global, 'kill', s.name, 'KILL'], { timeoutMs: CONTROL_TIMEOUT_MS });
    await run([s.bin, ...s.global, 'delete', '--force', s.name], { timeoutMs: CONTROL_TIMEOUT_MS });
    const left = runscProcessesOf(readProcTable(), s.stateRoot);
    await Promise.all(left.map((p) => terminate(p.pid, 2_000)));
    if (left.length) log.debug(`${id}: ${s.name}: killed ${left.length} runsc process(es) that delete left`);
    await removeCgroups(s.name);
    await fsp.rm(s.area, { recursive: true, force: true });
  } catch (e) {
    log.warn(`${id}: removing sandbox ${s.name}: ${(e as Error).message}`);
  }
}

export function gvisorPlatform(platform: RunscPlatform): Platform {
  const id = `gvisor-${platform}`;

  function binary(): string {
    const bin = which('runsc');
    if (!bin) throw new Error(`${id}: runsc not found on PATH (${INSTALL_HINT})`);
    return bin;
  }

  /** Bundle and state root of one sandbox; `args` replaces the keep-alive init (a one-shot sandbox runs its workload as init). */
  async function prepareSandbox(spec: InstanceSpec, args?: string[]): Promise<Sandbox & { network: 'none' | 'host' }> {
    const bin = binary();
    const network = ociNetwork(id, spec);
    // /data is a bind mount: where gVisor's Gofer sits (what the paper measured); the sandbox's own /tmp is a tmpfs
    const config = gvisorBundleConfig(ociConfigForSpec(spec, network), spec.name);
    if (args) config.process.args = args;
    await fsp.mkdir(spec.logDir, { recursive: true });
    const logFile = path.join(spec.logDir, `${id}-${spec.name}.log`);
    await fsp.writeFile(logFile, ''); // so the tail quoted on failure is this start's
    const area = await fsp.mkdtemp(path.join(os.tmpdir(), `${areaPrefix(id, spec.name)}-`));
    const bundle = path.join(area, 'bundle');
    const stateRoot = path.join(area, 'root'); // per instance, so nothing is left in /var/run/runsc
    await fsp.mkdir(stateRoot);
    await writeOciBundle(bundle, config);
    const global = runscGlobalArgs({
      root: stateRoot,
      platform,
      network,
      logFile,
      debugLogDir: spec.options?.debug ? path.join(spec.logDir, `${id}-${spec.name}-debug`) : undefined,
    });
    return { bin, name: spec.name, area, bundle, stateRoot, global, logFile, network };
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
      const r = await run([bin, ...global, 'run', '--detach', '--bundle', s.bundle, name], { timeoutMs: startTimeoutMs, ignoreOutput: true });
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
      address: s.network === 'host' ? '127.0.0.1' : undefined,
      dataPath: spec.dataDir ? '/data' : undefined,
      // sandbox and gofer, and under ptrace the stub processes the sandbox forks to run the application
      hostPids: async () => {
        const table = readProcTable();
        return withDescendants(table, runscProcessesOf(table, s.stateRoot).map((p) => p.pid));
      },
      stop,
    };
  }

  /** `runsc run` in the foreground with argv as the sandbox's init: creation to exit and to first output, as run() measures. */
  async function oneShot(spec: InstanceSpec, argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult> {
    if (argv.length === 0) throw new Error(`${id}: oneShot needs a command`);
    const s = await prepareSandbox(spec, argv);
    try {
      return await run([s.bin, ...s.global, 'run', '--bundle', s.bundle, s.name], {
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
      await removeSandbox(id, { bin: bin ?? 'runsc', name, area, stateRoot, global: [`--root=${stateRoot}`] });
      names.push(name);
    }
    // processes whose area is already gone
    const strays = readProcTable().filter((p) => path.basename(p.argv[0] ?? '').startsWith('runsc') && p.argv.some((a) => a.includes(`${path.join(tmp, prefix)}`)));
    await Promise.all(strays.map((p) => terminate(p.pid, 2_000)));
    return names;
  }

  return {
    id,
    family: 'secure-container',
    description: `gVisor runsc (${platform} platform) called directly on an OCI bundle; /data is a bind mount served by the Gofer`,
    optionsSchema: gvisorOptionsSchema,
    packages: ['runsc'],
    detect,
    start,
    oneShot,
    // docs/STARTUP.md
    startupClock: {
      starts: 'spawn of `runsc run` in the foreground (OCI bundle written beforehand)',
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
