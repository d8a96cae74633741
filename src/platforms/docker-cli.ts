// Docker and Podman share one CLI shape: pure argv builders, images imported from the rootfs, and one platform factory for both.
import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../log.ts';
import { formatArgv, run, runOk } from '../proc.ts';
import { rootfsTarball } from '../images/rootfs.ts';
import { parentOf, readProcTable, withDescendants, type ProcEntry } from './host-processes.ts';
import { timedRun } from './startup-spawner.ts';
import type { Detection, ExecOptions, ExecResult, Family, HostChanges, Instance, InstanceSpec, NetworkMode, Platform } from '../types.ts';

export type EngineCli = 'docker' | 'podman';
export type EngineNetwork = 'bridge' | 'host' | 'none';

/** Label on every container isobench starts, so a check (or a human) can find leftovers: `docker ps -a --filter label=isobench`. */
export const CONTAINER_LABEL = 'isobench';
const START_TIMEOUT_MS = 120_000;
const CONTROL_TIMEOUT_MS = 60_000;
const IMPORT_TIMEOUT_MS = 600_000;

/** Image name for a rootfs, one per content hash. */
export function imageTag(rootfsHash: string): string {
  if (!/^[0-9a-z][0-9a-z._-]{0,127}$/.test(rootfsHash)) {
    throw new Error(`rootfsHash '${rootfsHash}' cannot be an image tag (expected lowercase hex, at most 128 characters)`);
  }
  return `isobench-rootfs:${rootfsHash}`;
}

/** The cpuset a container is pinned to: the first `cpus` cores, like native's taskset. */
export function cpusetFor(cpus: number, hostCores: number): string {
  const n = Math.max(1, Math.min(Math.ceil(cpus), hostCores));
  return n === 1 ? '0' : `0-${n - 1}`;
}

export interface ContainerRunSpec {
  cli: EngineCli;
  name: string;
  image: string;
  cpus: number;
  hostCores: number;
  memoryMiB: number;
  network: EngineNetwork;
  /** host directory bind-mounted read-write at /data */
  dataDir?: string;
  /** docker: a registered runtime name (e.g. a runsc entry); podman: the OCI runtime (crun); the engine's default when absent */
  runtime?: string;
  /** engine-specific flags placed before the image (e.g. podman's --ulimit) */
  extraArgs?: string[];
}

/** the long-lived container's in-memory directory (fio fileSystem memory; under runsc the sandbox's own tmpfs) */
export const MEMORY_TMPFS = ['--tmpfs', '/tmp:rw,nosuid,nodev,mode=1777'];

/** `docker run -d …` / `podman run -d …`: a keep-alive init (busybox sleep) that every exec joins, with a tmpfs at /tmp. */
export function containerRunArgv(s: ContainerRunSpec): string[] {
  return containerRunCommon(s, ['-d', ...MEMORY_TMPFS], ['/bin/sleep', '2147483647']);
}

/**
 * `docker run --rm … image argv` in the foreground: a fresh container whose init is argv, gone when it exits (startup);
 * the engine writes the container id to cidFile at creation, so a timed-out or leaking start can still be cleaned up.
 */
export function containerOneShotArgv(s: ContainerRunSpec, argv: string[], cidFile: string): string[] {
  if (argv.length === 0) throw new Error(`${s.cli} one-shot: empty command`);
  return containerRunCommon(s, ['--rm', '--cidfile', cidFile], argv);
}

function containerRunCommon(s: ContainerRunSpec, mode: string[], command: string[]): string[] {
  // podman takes the OCI runtime as a global flag, docker takes a registered runtime name as a run flag
  const podmanRuntime = s.cli === 'podman' && s.runtime ? ['--runtime', s.runtime] : [];
  const dockerRuntime = s.cli === 'docker' && s.runtime ? ['--runtime', s.runtime] : [];
  return [
    s.cli, ...podmanRuntime, 'run', ...mode,
    '--name', s.name,
    '--label', `${CONTAINER_LABEL}=${s.name}`,
    '--cpus', String(s.cpus),
    '--cpuset-cpus', cpusetFor(s.cpus, s.hostCores),
    '--memory', `${s.memoryMiB}m`,
    '--network', s.network,
    ...(s.dataDir ? ['-v', `${s.dataDir}:/data`] : []),
    ...dockerRuntime,
    ...(s.extraArgs ?? []),
    s.image,
    ...command,
  ];
}

export function containerExecArgv(cli: EngineCli, name: string, argv: string[], env?: Record<string, string>): string[] {
  const envArgs = Object.entries(env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return [cli, 'exec', ...envArgs, name, ...argv];
}

/** Force-remove at once (podman would otherwise wait 10 s for sleep to honour SIGTERM). */
export function containerRemoveArgv(cli: EngineCli, name: string): string[] {
  return cli === 'podman' ? ['podman', 'rm', '-f', '-t', '0', name] : ['docker', 'rm', '-f', name];
}

export function containerAddressArgv(cli: EngineCli, name: string): string[] {
  return [cli, 'inspect', '--format', '{{.NetworkSettings.IPAddress}}', name];
}

export function imageExistsArgv(cli: EngineCli, tag: string): string[] {
  return cli === 'podman' ? ['podman', 'image', 'exists', tag] : ['docker', 'image', 'inspect', '--format', '{{.Id}}', tag];
}

export function imageImportArgv(cli: EngineCli, tarball: string, tag: string): string[] {
  return [cli, 'import', tarball, tag];
}

export function imageRemoveArgv(cli: EngineCli, tag: string): string[] {
  return [cli, 'rmi', tag];
}

/** The engine's own words for why a command failed (last lines of stderr). */
function engineError(r: ExecResult): string {
  if (r.timedOut) return 'timed out';
  return (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') || `exit ${r.code ?? r.signal}`;
}

// ---- images: imported once per rootfs hash, removed at teardown if this process imported them ----

const createdImages: Record<EngineCli, Set<string>> = { docker: new Set(), podman: new Set() };
const importing = new Map<string, Promise<string>>();

/** The image for this rootfs, imported from its tarball when missing. */
export function ensureImage(cli: EngineCli, rootfs: string, rootfsHash: string): Promise<string> {
  const tag = imageTag(rootfsHash);
  const key = `${cli} ${tag}`;
  let p = importing.get(key);
  if (!p) {
    p = (async () => {
      if ((await run(imageExistsArgv(cli, tag), { timeoutMs: CONTROL_TIMEOUT_MS })).code === 0) return tag;
      const tarball = await rootfsTarball(rootfs, rootfsHash);
      const r = await run(imageImportArgv(cli, tarball, tag), { timeoutMs: IMPORT_TIMEOUT_MS });
      if (r.code !== 0) throw new Error(`${formatArgv(r.hostArgv)}: ${engineError(r)}`);
      createdImages[cli].add(tag);
      log.debug(`${cli}: imported ${tag} from ${tarball}`);
      return tag;
    })();
    importing.set(key, p);
    p.catch(() => importing.delete(key));
  }
  return p;
}

export function imagesCreated(cli: EngineCli): string[] {
  return [...createdImages[cli]];
}

/** Remove every image this process imported; never throws (a failure is logged with the command to run by hand). */
export async function removeCreatedImages(cli: EngineCli): Promise<void> {
  for (const tag of [...createdImages[cli]]) {
    const r = await run(imageRemoveArgv(cli, tag), { timeoutMs: CONTROL_TIMEOUT_MS });
    if (r.code === 0 || /no such image|image not known/i.test(r.stderr)) {
      createdImages[cli].delete(tag);
      importing.delete(`${cli} ${tag}`);
    } else {
      log.warn(`${cli}: could not remove image ${tag} (${engineError(r)}); remove it with: ${formatArgv(imageRemoveArgv(cli, tag))}`);
    }
  }
}

// ---- the platform factory ----

export interface EngineDef {
  id: string;
  family: Family;
  description: string;
  /** Debian/Ubuntu packages of the engine and runtime */
  packages: string[];
  cli: EngineCli;
  /** network modes this platform runs with here, the first is the default */
  networks: EngineNetwork[];
  /** why other modes are refused (shown in the error) */
  networkNote?: string;
  /** --runtime for a network mode (gVisor registers one runsc entry per mode) */
  runtimeFor?: (network: EngineNetwork) => string | undefined;
  extraRunArgs?: () => string[];
  detect(): Promise<Detection>;
  /** once per run: start the daemon, apply a host fix */
  prepare(host: HostChanges): Promise<void>;
  /** after the last platform of this engine tore down and its images are gone: stop a daemon we started */
  release(): Promise<void>;
  /** after `rm -f`: find and stop what the engine may leak for this container id */
  afterRemove?: (containerId: string) => Promise<void>;
}

/** options.network wins over spec.network; the platform's first mode is the default. */
export function engineNetwork(def: Pick<EngineDef, 'id' | 'networks' | 'networkNote'>, spec: Pick<InstanceSpec, 'network' | 'options'>): EngineNetwork {
  const n = (spec.options?.network as NetworkMode | undefined) ?? spec.network ?? def.networks[0];
  if (!(def.networks as string[]).includes(n)) {
    throw new Error(`${def.id}: network '${n}' is not supported (options.network: ${def.networks.map((m) => `'${m}'`).join(' or ')})${def.networkNote ? `: ${def.networkNote}` : ''}`);
  }
  return n as EngineNetwork;
}

export function engineOptionsSchema(def: Pick<EngineDef, 'networks'>): object {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      network: {
        enum: def.networks,
        default: def.networks[0],
        description: "'bridge': the engine's bridge and veth (address: the container's IP); 'host': the host's network (127.0.0.1); 'none': loopback only",
      },
    },
  };
}

/** Platforms of one engine that called prepare() and not yet teardown(); the engine's shared state goes when the last one leaves. */
const users: Record<EngineCli, Set<string>> = { docker: new Set(), podman: new Set() };

export function enginePlatform(def: EngineDef): Platform {
  const remove = async (name: string, containerId?: string) => {
    const r = await run(containerRemoveArgv(def.cli, name), { timeoutMs: CONTROL_TIMEOUT_MS });
    if (r.code !== 0 && !/no such container|no container with name/i.test(r.stderr)) {
      log.warn(`${def.id}: ${formatArgv(r.hostArgv)}: ${engineError(r)}`);
    }
    if (def.afterRemove && containerId) await def.afterRemove(containerId);
  };

  const runSpec = (spec: InstanceSpec, network: EngineNetwork, image: string): ContainerRunSpec => ({
    cli: def.cli,
    name: spec.name,
    image,
    cpus: spec.cpus,
    hostCores: os.cpus().length,
    memoryMiB: spec.memoryMiB,
    network,
    dataDir: spec.dataDir,
    runtime: def.runtimeFor?.(network),
    extraArgs: def.extraRunArgs?.(),
  });

  let prepared: Promise<void> | null = null;
  const prepareOnce = (host: HostChanges) => {
    prepared ??= def.prepare(host).catch((e) => {
      prepared = null;
      throw e;
    });
    return prepared;
  };

  return {
    id: def.id,
    family: def.family,
    virtualization: 'none',
    inPaper: true,
    description: def.description,
    // docs/STARTUP.md; the image is imported before the clock starts
    startupClock: {
      starts: `the startup-spawner's posix_spawn of \`${def.cli} run --rm\` in the foreground (image imported beforehand)`,
      firstOutput: `the marker's first byte on ${def.cli}'s stdout`,
      exit: `${def.cli}'s exit, after the container exited and --rm removed it`,
      instance: `a container of the image imported from the benchmark rootfs whose process is /bin/echo <marker>, created through ${def.cli === 'docker' ? 'dockerd and containerd' : 'podman and conmon'}${def.runtimeFor ? ' with the runtime the platform registers' : ''}`,
    },
    packages: def.packages,
    optionsSchema: engineOptionsSchema(def),
    detect: def.detect,
    async prepare(host) {
      users[def.cli].add(def.id);
      await prepareOnce(host);
    },
    async start(spec: InstanceSpec): Promise<Instance> {
      const network = engineNetwork(def, spec);
      await prepareOnce(spec.hostChanges); // start() also works without a prepare() (tests, one-off use)
      const image = await ensureImage(def.cli, spec.rootfs, spec.rootfsHash);
      const argv = containerRunArgv(runSpec(spec, network, image));
      const started = await run(argv, { timeoutMs: START_TIMEOUT_MS });
      const containerId = /^[0-9a-f]{64}$/m.exec(started.stdout)?.[0];
      if (started.code !== 0 || started.timedOut) {
        // a failed start can leave a created container (and, with runsc, its shim, sandbox and gofer)
        await remove(spec.name, containerId ?? (await containerIdOf(def.cli, spec.name)));
        throw new Error(`${def.id}: ${formatArgv(argv)}: ${engineError(started)}`);
      }
      let address: string | undefined;
      if (network === 'host') address = '127.0.0.1';
      else if (network === 'bridge') {
        const ip = await run(containerAddressArgv(def.cli, spec.name), { timeoutMs: CONTROL_TIMEOUT_MS });
        address = ip.stdout.trim() || undefined;
        if (!address) {
          await remove(spec.name, containerId);
          throw new Error(`${def.id}: container ${spec.name} started on the bridge but has no IP address (${engineError(ip)})`);
        }
      }
      let stopped = false;
      return {
        network,
        address,
        dataPath: spec.dataDir ? '/data' : undefined,
        memoryDir: '/tmp', // --tmpfs /tmp (under runsc the sandbox's own tmpfs)
        exec: (cmd: string[], opts?: ExecOptions) =>
          run(containerExecArgv(def.cli, spec.name, cmd, opts?.env), { timeoutMs: opts?.timeoutMs }),
        hostPids: () => engineHostPids(def.cli, spec.name, containerId),
        async stop() {
          if (stopped) return;
          stopped = true;
          try {
            await remove(spec.name, containerId);
          } catch (e) {
            log.warn(`${def.id}: stopping ${spec.name}: ${(e as Error).message}`);
          }
        },
      };
    },
    /** `run --rm` in the foreground; the image is imported before the clock starts, leftovers are removed after it stops. */
    async oneShot(spec: InstanceSpec, argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult> {
      const network = engineNetwork(def, spec);
      await prepareOnce(spec.hostChanges);
      const image = await ensureImage(def.cli, spec.rootfs, spec.rootfsHash);
      const dir = await fsp.mkdtemp(path.join(os.tmpdir(), `isobench-${def.id}-cid-`));
      const cidFile = path.join(dir, 'cid'); // must not exist yet: the engine refuses an existing cidfile
      try {
        return await timedRun(containerOneShotArgv(runSpec(spec, network, image), argv, cidFile), { timeoutMs: opts?.timeoutMs ?? START_TIMEOUT_MS });
      } finally {
        const containerId = (await fsp.readFile(cidFile, 'utf8').catch(() => '')).trim() || undefined;
        await remove(spec.name, containerId); // --rm removed it already on a normal exit; this catches a timeout or a leak
        await fsp.rm(dir, { recursive: true, force: true });
      }
    },
    async teardown() {
      prepared = null;
      users[def.cli].delete(def.id);
      if (users[def.cli].size > 0) return; // another platform of this engine still runs instances
      await removeCreatedImages(def.cli);
      await def.release();
    },
  };
}

/**
 * Host PIDs of a container: its init (`inspect .State.Pid`), the shim that parents it (containerd-shim, conmon) and
 * everything below; plus every process whose command line names the container id (runsc's sandbox and gofer) and theirs.
 */
export async function engineHostPids(cli: EngineCli, name: string, containerId?: string): Promise<number[]> {
  const r = await run([cli, 'inspect', '--format', '{{.State.Pid}}', name], { timeoutMs: CONTROL_TIMEOUT_MS });
  const init = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(init) || init <= 0) {
    throw new Error(`${cli}: container ${name} has no running init (${formatArgv(r.hostArgv)}: ${engineError(r)})`);
  }
  return containerProcessTree(readProcTable(), init, containerId);
}

/** The pure part of engineHostPids, over a process table. */
export function containerProcessTree(table: ProcEntry[], init: number, containerId?: string): number[] {
  const roots = [init];
  const shim = parentOf(table, init);
  if (shim && /^(containerd-shim|conmon)/.test(path.basename(shim.argv[0] ?? ''))) roots.push(shim.pid);
  if (containerId && containerId.length >= 12) {
    for (const p of table) if (p.pid !== process.pid && p.argv.some((a) => a.includes(containerId))) roots.push(p.pid);
  }
  return withDescendants(table, roots);
}

/** Full id of a container by name, if the engine knows it. */
async function containerIdOf(cli: EngineCli, name: string): Promise<string | undefined> {
  const r = await run([cli, 'inspect', '--format', '{{.Id}}', name], { timeoutMs: CONTROL_TIMEOUT_MS });
  return r.code === 0 ? r.stdout.trim() || undefined : undefined;
}

/** Engine version for detect(): the server's when it answers, else the client's. */
export async function engineVersion(cli: EngineCli): Promise<{ server?: string; client?: string; error?: string }> {
  const server = await run([cli, 'version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
  const client = await run([cli, 'version', '--format', '{{.Client.Version}}'], { timeoutMs: 20_000 });
  return {
    server: server.code === 0 ? server.stdout.trim() || undefined : undefined,
    client: client.stdout.trim().split('\n')[0] || undefined,
    error: server.code === 0 ? undefined : engineError(server),
  };
}

/** Hard limits of this process (`Max open files` …) from /proc/self/limits text. */
export function hardLimit(limitsText: string, label: string): number | undefined {
  const line = limitsText.split('\n').find((l) => l.startsWith(label));
  const m = line && /^.+?\s{2,}(\S+)\s+(\S+)/.exec(line);
  if (!m) return undefined;
  return m[2] === 'unlimited' ? undefined : Number(m[2]);
}

export function readSelfLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}
