// An OCI runtime called directly (runc, crun): a bundle per instance, `run --detach` a keep-alive init, `exec` each command;
// a one-shot instance is a foreground `run` whose init is the command.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../log.ts';
import { formatArgv, run, which } from '../proc.ts';
import { INSTANCE_PREFIX } from '../rundir/names.ts';
import type { Detection, ExecOptions, ExecResult, HostChanges, Instance, InstanceSpec, Platform } from '../types.ts';
import { readProcTable, withDescendants } from './host-processes.ts';
import { ociConfigForSpec, writeOciBundle } from './oci-bundle.ts';
import { execKillingInside } from './exec-timeout.ts';
import { timedRun } from './startup-spawner.ts';

export interface OciRuntimeConfig {
  id: string;
  /** executable name on PATH */
  binary: string;
  /** Debian package, for the install hint */
  aptPackage: string;
  description: string;
  /** host fix applied once per run (recorded in src/run/host-changes.ts) */
  prepare?: (host: HostChanges) => Promise<void>;
  /** extra facts for doctor and environment.json (e.g. a host fix that prepare() will apply) */
  details?: () => Promise<Record<string, string> | undefined>;
}

export type OciNetwork = 'none' | 'host';

export const ociOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    network: {
      enum: ['none', 'host'],
      default: 'none',
      description: "'none': own network namespace with loopback only; 'host': share the host's network",
    },
  },
};

const START_TIMEOUT_MS = 60_000;
const CONTROL_TIMEOUT_MS = 20_000;

/** options.network wins over spec.network; anything but none/host is refused with the fix named. */
export function ociNetwork(id: string, spec: Pick<InstanceSpec, 'network' | 'options'>): OciNetwork {
  const n = (spec.options?.network as string | undefined) ?? spec.network ?? 'none';
  if (n !== 'none' && n !== 'host') {
    throw new Error(`${id}: network '${n}' is not supported (options.network: 'none' or 'host')`);
  }
  return n;
}

async function tail(file: string, lines = 5): Promise<string> {
  try {
    return (await fsp.readFile(file, 'utf8')).trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** SIGKILL the container's processes other than its init (what a timed-out exec left running). */
async function killStrays(bin: string, name: string): Promise<void> {
  const state = await run([bin, 'state', name], { timeoutMs: CONTROL_TIMEOUT_MS });
  const ps = await run([bin, 'ps', '--format', 'json', name], { timeoutMs: CONTROL_TIMEOUT_MS });
  let pids: number[] = [];
  try {
    const init = (JSON.parse(state.stdout) as { pid?: number }).pid;
    pids = (JSON.parse(ps.stdout) as number[]).filter((p) => p !== init);
  } catch {
    log.warn(`${name}: could not list the container's processes after a timeout: ${(ps.stderr || state.stderr).trim()}`);
  }
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

/** the isobench parent cgroup directory under /sys/fs/cgroup (v2) and under each v1 hierarchy */
async function cgroupParents(): Promise<string[]> {
  const base = '/sys/fs/cgroup';
  const roots = [base];
  for (const h of await fsp.readdir(base).catch(() => [] as string[])) roots.push(path.join(base, h));
  return roots.map((r) => path.join(r, 'isobench'));
}

/** isobench/<name> and isobench cgroup directories, deepest first */
async function cgroupDirs(name: string): Promise<string[]> {
  const parents = await cgroupParents();
  return [...parents.map((p) => path.join(p, name)), ...parents];
}

/**
 * Remove the cgroups a runtime left behind; rmdir refuses a busy or non-empty one, which then stays (another instance).
 * keepParent leaves the shared `isobench` parents: a one-shot's runtime would otherwise create them again inside the next start's clock.
 */
async function removeCgroups(name: string, keepParent = false): Promise<void> {
  for (const dir of (await cgroupDirs(name)).filter((d) => !keepParent || d.endsWith(`/${name}`))) {
    await fsp.rmdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (dir.endsWith(`/${name}`) && e.code !== 'ENOENT' && e.code !== 'ENOTDIR') log.warn(`could not remove cgroup ${dir}: ${e.message}`);
    });
  }
}

export function ociRuntimePlatform(cfg: OciRuntimeConfig): Platform {
  const { id, binary } = cfg;
  const binaryPath = () => {
    const b = which(binary);
    if (!b) throw new Error(`${id}: ${binary} not found on PATH (apt-get install ${cfg.aptPackage})`);
    return b;
  };

  /** Kill and delete a container, its bundle and its cgroups; never throws (a leftover is logged). */
  async function removeContainer(bin: string, name: string, bundle: string, keepParentCgroups = false): Promise<void> {
    try {
      await run([bin, 'kill', name, 'KILL'], { timeoutMs: CONTROL_TIMEOUT_MS });
      const del = await run([bin, 'delete', '--force', name], { timeoutMs: CONTROL_TIMEOUT_MS });
      await fsp.rm(bundle, { recursive: true, force: true });
      await removeCgroups(name, keepParentCgroups);
      const list = await run([bin, 'list', '-q'], { timeoutMs: CONTROL_TIMEOUT_MS });
      if (list.stdout.split('\n').some((l) => l.trim() === name)) {
        log.warn(`${id}: container ${name} is still listed by '${binary} list' after ${formatArgv(del.hostArgv)} (exit ${del.code}: ${del.stderr.trim()})`);
      }
    } catch (e) {
      log.warn(`${id}: stopping ${name}: ${(e as Error).message}`);
    }
  }

  /** The bundle config of one instance; `args` replaces the keep-alive init (a one-shot container runs its workload as init). */
  function configFor(spec: InstanceSpec, args?: string[]) {
    const config = ociConfigForSpec(spec, ociNetwork(id, spec));
    if (args) config.process.args = args;
    return config;
  }

  /**
   * `runc run` in the foreground on a bundle whose process is argv: creation to exit (ms) and to the first stdout byte
   * (firstOutputMs) on the startup-spawner's clock; the bundle is written before the clock starts, the container removed after.
   */
  async function oneShot(spec: InstanceSpec, argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult> {
    const bin = binaryPath();
    if (argv.length === 0) throw new Error(`${id}: oneShot needs a command`);
    const config = configFor(spec, argv);
    await fsp.mkdir(spec.logDir, { recursive: true });
    const runtimeLog = path.join(spec.logDir, `${id}-${spec.name}.log`);
    const bundle = await fsp.mkdtemp(path.join(os.tmpdir(), `isobench-${id}-${spec.name}-`));
    try {
      await writeOciBundle(bundle, config);
      return await timedRun([bin, '--log', runtimeLog, 'run', '--bundle', bundle, spec.name], { timeoutMs: opts?.timeoutMs ?? START_TIMEOUT_MS });
    } finally {
      await removeContainer(bin, spec.name, bundle, true); // the parents go in teardown()
    }
  }

  /** The container's processes as host PIDs: every member of its cgroup (`ps`, exec'd commands included) and init's tree. */
  async function containerHostPids(bin: string, name: string): Promise<number[]> {
    const state = await run([bin, 'state', name], { timeoutMs: CONTROL_TIMEOUT_MS });
    const ps = await run([bin, 'ps', '--format', 'json', name], { timeoutMs: CONTROL_TIMEOUT_MS });
    let init: number | undefined;
    let members: number[] = [];
    try {
      init = (JSON.parse(state.stdout) as { pid?: number }).pid;
      members = JSON.parse(ps.stdout) as number[];
    } catch {
      throw new Error(`${id}: could not list the processes of container ${name}: ${(state.stderr || ps.stderr).trim() || 'unreadable state/ps output'}`);
    }
    const table = readProcTable();
    return withDescendants(table, [...(init ? [init] : []), ...members]);
  }

  async function start(spec: InstanceSpec): Promise<Instance> {
    const bin = binaryPath();
    const network = ociNetwork(id, spec);
    const name = spec.name;
    const config = configFor(spec);
    await fsp.mkdir(spec.logDir, { recursive: true });
    const runtimeLog = path.join(spec.logDir, `${id}-${name}.log`);
    const bundle = await fsp.mkdtemp(path.join(os.tmpdir(), `isobench-${id}-${name}-`));
    let stopping: Promise<void> | undefined;
    // every caller, concurrent ones included, waits for the one cleanup to finish
    const stop = (): Promise<void> => (stopping ??= cleanup());

    const cleanup = () => removeContainer(bin, name, bundle);

    try {
      await writeOciBundle(bundle, config);
      await fsp.writeFile(runtimeLog, ''); // so the tail quoted on failure is this start's
      // stdio ignored: the detached init inherits it, and a held pipe would keep run() waiting forever; errors go to --log
      const r = await run([bin, '--log', runtimeLog, 'run', '--detach', '--bundle', bundle, name], {
        timeoutMs: START_TIMEOUT_MS,
        ignoreOutput: true,
      });
      if (r.timedOut || r.code !== 0) {
        const why = r.timedOut ? `timed out after ${START_TIMEOUT_MS} ms` : `exit ${r.code ?? r.signal}`;
        throw new Error(`${id}: could not start container ${name} (${why}); ${runtimeLog}: ${(await tail(runtimeLog)) || '(empty)'}`);
      }
    } catch (e) {
      await stop();
      throw e;
    }

    async function exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
      const env = Object.entries(opts?.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
      const timeoutMs = opts?.timeoutMs;
      // crun's exec'd process has its own process group and keeps the output pipes: kill all but init inside
      return execKillingInside([bin, 'exec', ...env, name, ...argv], { timeoutMs }, () => killStrays(bin, name));
    }

    return {
      exec,
      network,
      address: network === 'host' ? '127.0.0.1' : undefined,
      dataPath: spec.dataDir ? '/data' : undefined,
      memoryDir: '/tmp', // the bundle's tmpfs
      hostPids: () => containerHostPids(bin, name),
      stop,
    };
  }

  return {
    id,
    family: 'container',
    virtualization: 'none',
    inPaper: true,
    description: cfg.description,
    packages: [cfg.aptPackage],
    optionsSchema: ociOptionsSchema,
    async detect(): Promise<Detection> {
      const bin = which(binary);
      if (!bin) return { available: false, reason: `${binary} not found on PATH (apt-get install ${cfg.aptPackage})` };
      if (process.getuid?.() !== 0) return { available: false, reason: `${binary} needs root here (run isobench as root)` };
      const r = await run([bin, '--version'], { timeoutMs: CONTROL_TIMEOUT_MS });
      const first = r.stdout.split('\n')[0]?.trim() ?? '';
      if (r.code !== 0 || !first) return { available: false, reason: `${binary} --version failed: ${(r.stderr || r.stdout).trim()}` };
      const details = await cfg.details?.();
      return { available: true, version: first.replace(new RegExp(`^${binary} version\\s+`), ''), ...(details ? { details } : {}) };
    },
    ...(cfg.prepare ? { prepare: cfg.prepare } : {}),
    start,
    oneShot,
    /** the empty `isobench` parent cgroups the one-shots kept (a non-empty one belongs to a live instance and stays) */
    async teardown() {
      for (const dir of await cgroupParents()) await fsp.rmdir(dir).catch(() => undefined);
    },
    // docs/STARTUP.md; isobench's own steps (bundle, cgroups) happen before the clock starts
    startupClock: {
      starts: `the startup-spawner's posix_spawn of \`${id} run\` in the foreground (OCI bundle written beforehand)`,
      firstOutput: `the marker's first byte on ${id}'s stdout`,
      exit: `${id}'s exit after the container's process exited`,
      instance: `an OCI container of the read-only benchmark rootfs whose process (PID 1) is /bin/echo <marker>; no init, no daemon`,
    },
    reap,
  };

  /** Containers (and their bundles and cgroups) named namePrefix* that a crashed run left behind. */
  async function reap(namePrefix: string): Promise<string[]> {
    // the prefix may come from a run directory: an empty or foreign one would match every container on the host
    if (!INSTANCE_PREFIX.test(namePrefix)) throw new Error(`${id}: refusing to reap instances named '${namePrefix}*': not an isobench instance name (isobench-<cell>-<instance>-<pid>)`);
    const bin = which(binary);
    if (!bin) return [];
    const list = await run([bin, 'list', '-q'], { timeoutMs: CONTROL_TIMEOUT_MS });
    const names = list.stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith(namePrefix));
    for (const name of names) {
      await run([bin, 'kill', name, 'KILL'], { timeoutMs: CONTROL_TIMEOUT_MS });
      await run([bin, 'delete', '--force', name], { timeoutMs: CONTROL_TIMEOUT_MS });
      await removeCgroups(name);
    }
    // bundles are named isobench-<id>-<instance name>-XXXXXX (see start)
    const tmp = os.tmpdir();
    for (const d of await fsp.readdir(tmp).catch(() => [] as string[])) {
      if (d.startsWith(`isobench-${id}-${namePrefix}`)) await fsp.rm(path.join(tmp, d), { recursive: true, force: true });
    }
    return names;
  }
}
