// Kata Containers through containerd's shim v2 (driven with ctr), one variant per shared filesystem: virtio-9p or virtio-fs.
import { constants, existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../log.ts';
import { formatArgv, run, terminate, which } from '../proc.ts';
import type { Detection, ExecOptions, ExecResult, Instance, InstanceSpec, Platform } from '../types.ts';
import { readProcTable, withDescendants, type ProcEntry } from './host-processes.ts';
import {
  CTR_NAMESPACE, DEFAULT_CONTAINERD_ADDRESS, diagnoseKata, kataConfigToml, kataExecArgv, kataKillExecArgv, kataRunArgv, kataStopArgvs,
  ctrHasRuntimeConfigPath, parseCtrVersion, parseKataEnv, parseKataShimVersion, type CtrTarget, type KataEnv, type KataFacts, type KataSharedFs,
} from './kata-config.ts';
import { KEEPALIVE_ARGS } from './oci-bundle.ts';
import { execKillingInside } from './exec-timeout.ts';
import { timedRun } from './startup-spawner.ts';

const DEFAULT_START_TIMEOUT_S = 120; // a VM boots before the container starts
const CONTROL_TIMEOUT_MS = 30_000;

export const kataOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    network: {
      enum: ['none'],
      default: 'none',
      description: "loopback only: ctr sets up no CNI network, so Kata's VM gets none (network workloads need a CNI-configured runtime)",
    },
    address: { type: 'string', maxLength: 4096, default: DEFAULT_CONTAINERD_ADDRESS, description: "host path: containerd's socket (connected to; recorded with the cell in plan.json)" },
    config: { type: 'string', maxLength: 4096, description: "host path: base Kata configuration (TOML with [hypervisor.qemu]) that is read; default: the one `kata-runtime kata-env` reports (recorded with the cell in plan.json)" },
    startTimeoutS: { type: 'number', exclusiveMinimum: 0, maximum: 3600, default: DEFAULT_START_TIMEOUT_S, description: 'how long `ctr run` may take (seconds, at most 3600)' },
  },
};

function kataRuntimePath(): string | null {
  return which('kata-runtime') ?? (existsSync('/opt/kata/bin/kata-runtime') ? '/opt/kata/bin/kata-runtime' : null);
}

const lastLines = (s: string, n = 3) => s.trim().split('\n').slice(-n).join(' | ');

async function kataEnv(kataRuntime: string, config?: string): Promise<{ env?: KataEnv; error?: string }> {
  const r = await run([kataRuntime, ...(config ? ['--config', config] : []), 'kata-env', '--json'], { timeoutMs: CONTROL_TIMEOUT_MS });
  if (r.code !== 0) return { error: lastLines(r.stderr || r.stdout) || `exit ${r.code}` };
  try {
    return { env: parseKataEnv(r.stdout) };
  } catch (e) {
    return { error: `unreadable JSON: ${(e as Error).message}` };
  }
}

/** Everything diagnoseKata() needs, looked up on this host (nothing is changed). */
async function gatherFacts(sharedFs: KataSharedFs, address: string): Promise<KataFacts> {
  const f: KataFacts = { kataRuntime: kataRuntimePath(), shim: which('containerd-shim-kata-v2'), ctr: which('ctr'), containerdAddress: address };
  if (f.ctr) {
    f.ctrVersion = parseCtrVersion((await run([f.ctr, '--version'], { timeoutMs: 10_000 })).stdout) ?? undefined;
    f.ctrConfigPath = ctrHasRuntimeConfigPath((await run([f.ctr, 'run', '--help'], { timeoutMs: 10_000 })).stdout);
  }
  if (f.shim) {
    const v = await run([f.shim, '--version'], { timeoutMs: 10_000 });
    f.shimVersion = parseKataShimVersion(`${v.stdout}\n${v.stderr}`) ?? undefined;
    if (!f.shimVersion) f.shimVersionError = `printed no version (exit ${v.code}): ${lastLines(v.stdout || v.stderr, 1) || '(no output)'}`;
  }
  if (f.ctr && !existsSync(address)) f.containerdError = 'no socket there';
  else if (f.ctr) {
    const v = await run([f.ctr, '--connect-timeout', '5s', '--address', address, 'version'], { timeoutMs: 15_000 });
    if (v.code !== 0 || v.timedOut) f.containerdError = v.timedOut ? 'no answer within 15 s' : lastLines(v.stderr, 1) || `exit ${v.code}`;
  }
  try {
    await fsp.access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (e) {
    f.kvmError = `/dev/kvm is not usable (${(e as NodeJS.ErrnoException).code})`;
  }
  if (f.kataRuntime) {
    const check = await run([f.kataRuntime, 'check', '--no-network-checks'], { timeoutMs: 60_000 });
    if (check.code !== 0 || check.timedOut) f.checkError = lastLines(check.stderr || check.stdout) || `exit ${check.code}`;
    const { env, error } = await kataEnv(f.kataRuntime);
    f.env = env;
    f.envError = error;
    const qemu = env?.hypervisorPath;
    if (sharedFs === 'virtio-9p' && qemu && existsSync(qemu)) {
      const devices = await run([qemu, '-device', 'help'], { timeoutMs: 10_000 });
      f.hypervisorHas9p = /virtio-9p/.test(devices.stdout + devices.stderr);
    }
    if (sharedFs === 'virtio-fs' && env?.virtiofsDaemon) f.virtiofsdExists = existsSync(env.virtiofsDaemon);
  }
  return f;
}

/** Shim, hypervisor and virtiofsd processes whose command line names this container. */
export function kataProcessesOf(table: ProcEntry[], name: string): ProcEntry[] {
  return table.filter((p) => /^(containerd-shim-kata|qemu|virtiofsd|kata)/.test(path.basename(p.argv[0] ?? '')) && p.argv.some((a) => a.includes(name)));
}

/** What a failed or killed start leaves: kill it; returns how many. */
async function killLeftovers(name: string): Promise<number> {
  const ours = kataProcessesOf(readProcTable(), name);
  await Promise.all(ours.map((p) => terminate(p.pid, 5_000)));
  return ours.length;
}

export function kataPlatform(sharedFs: KataSharedFs): Platform {
  const id = sharedFs === 'virtio-9p' ? 'kata-9p' : 'kata-virtiofs';
  const via = sharedFs === 'virtio-9p' ? 'virtio-9p (9p, the path the paper measured)' : 'virtio-fs (virtiofsd)';
  const areaPrefix = (name: string) => `isobench-${id}-${name}`;

  /** The instance's configuration.toml in a temp area named isobench-<id>-<name>-XXXXXX, and the ctr run command line. */
  async function prepare(spec: InstanceSpec, oneShotArgv?: string[]) {
    const ctr = which('ctr');
    if (!ctr) throw new Error(`${id}: ctr not found (apt-get install containerd)`);
    const network = (spec.options?.network as string | undefined) ?? spec.network ?? 'none';
    if (network !== 'none') throw new Error(`${id}: network '${network}' is not supported (options.network: 'none')`);
    const target: CtrTarget = { ctr, address: String(spec.options?.address ?? DEFAULT_CONTAINERD_ADDRESS) };
    let baseConfig = spec.options?.config as string | undefined;
    if (!baseConfig) {
      const kr = kataRuntimePath();
      const { env, error } = kr ? await kataEnv(kr) : { env: undefined, error: 'kata-runtime not found' };
      baseConfig = env?.configPath;
      if (!baseConfig) throw new Error(`${id}: cannot find Kata's configuration (${error ?? 'kata-env names none'}); set options.config to a configuration-qemu.toml`);
    }
    const base = await fsp.readFile(baseConfig, 'utf8').catch((e: Error) => {
      throw new Error(`${id}: cannot read the Kata configuration ${baseConfig}: ${e.message} (options.config)`);
    });
    const toml = kataConfigToml(base, { sharedFs, cpus: spec.cpus, memoryMiB: spec.memoryMiB, source: baseConfig });
    const area = await fsp.mkdtemp(path.join(os.tmpdir(), `${areaPrefix(spec.name)}-`));
    const configPath = path.join(area, 'configuration.toml');
    await fsp.writeFile(configPath, toml);
    await fsp.mkdir(spec.logDir, { recursive: true });
    const logFile = path.join(spec.logDir, `${id}-${spec.name}.log`);
    const argv = kataRunArgv({
      ...target, name: spec.name, configPath,
      init: oneShotArgv ?? KEEPALIVE_ARGS,
      oneShot: oneShotArgv !== undefined,
      rootfs: path.resolve(spec.rootfs),
      dataDir: spec.dataDir ? path.resolve(spec.dataDir) : undefined,
    });
    await fsp.writeFile(logFile, `$ ${formatArgv(argv)}\n--- ${configPath}\n${toml}\n`);
    return { target, area, logFile, argv };
  }

  /** Kill and delete the task and container, then shim/VMM processes naming it, then the temp area; never throws. */
  async function remove(target: CtrTarget, name: string, area: string): Promise<void> {
    try {
      for (const argv of kataStopArgvs(target, name)) await run(argv, { timeoutMs: CONTROL_TIMEOUT_MS });
      const killed = await killLeftovers(name);
      if (killed) log.warn(`${id}: ${name} left ${killed} shim/hypervisor process(es) after ctr removed it; they were killed`);
      await fsp.rm(area, { recursive: true, force: true });
    } catch (e) {
      log.warn(`${id}: removing ${name}: ${(e as Error).message}`);
    }
  }

  async function start(spec: InstanceSpec): Promise<Instance> {
    const startTimeoutMs = Number(spec.options?.startTimeoutS ?? DEFAULT_START_TIMEOUT_S) * 1000;
    const { target, area, logFile, argv } = await prepare(spec);
    const name = spec.name;
    let stopping: Promise<void> | undefined;
    // every caller, concurrent ones included, waits for the one cleanup
    const stop = (): Promise<void> => (stopping ??= remove(target, name, area));
    let execs = 0;

    try {
      const r = await run(argv, { timeoutMs: startTimeoutMs });
      await fsp.appendFile(logFile, `# exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n${r.stdout}${r.stderr}\n`);
      if (r.timedOut || r.code !== 0) {
        const why = r.timedOut ? `timed out after ${startTimeoutMs / 1000} s` : `exit ${r.code ?? r.signal}`;
        throw new Error(`${id}: could not start container ${name} (${why}): ${lastLines(r.stderr || r.stdout) || '(no output)'}; see ${logFile}`);
      }
    } catch (e) {
      await stop();
      throw e;
    }

    async function exec(argv: string[], opts?: ExecOptions): Promise<ExecResult> {
      const execId = `e${++execs}`;
      const timeoutMs = opts?.timeoutMs;
      // killing the host-side ctr leaves the process running inside the VM: kill it there too
      return execKillingInside(kataExecArgv(target, name, execId, argv, opts?.env), { timeoutMs }, () => {
        if (!stopping) return run(kataKillExecArgv(target, name, execId), { timeoutMs: CONTROL_TIMEOUT_MS });
      });
    }

    return {
      exec,
      network: 'none',
      dataPath: spec.dataDir ? '/data' : undefined,
      memoryDir: '/tmp', // a tmpfs inside the VM (kata-config.ts)
      // the shim, QEMU and virtiofsd of this sandbox (QEMU's vCPU threads run the guest)
      hostPids: async () => {
        const table = readProcTable();
        return withDescendants(table, kataProcessesOf(table, name).map((p) => p.pid));
      },
      stop,
    };
  }

  /** `ctr run --rm` in the foreground with argv as init: creation (VM boot included) to exit and to first output. */
  async function oneShot(spec: InstanceSpec, argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult> {
    if (argv.length === 0) throw new Error(`${id}: oneShot needs a command`);
    const p = await prepare(spec, argv);
    try {
      return await timedRun(p.argv, { timeoutMs: opts?.timeoutMs ?? Number(spec.options?.startTimeoutS ?? DEFAULT_START_TIMEOUT_S) * 1000 });
    } finally {
      await remove(p.target, spec.name, p.area);
    }
  }

  /** Containers named namePrefix* that a crashed run left, in isobench's containerd namespace, with their temp areas. */
  async function reap(namePrefix: string): Promise<string[]> {
    const ctr = which('ctr');
    const target: CtrTarget = { ctr: ctr ?? 'ctr', address: DEFAULT_CONTAINERD_ADDRESS };
    const names = new Set<string>();
    if (ctr && existsSync(target.address)) {
      const ls = await run([ctr, '--address', target.address, '--namespace', CTR_NAMESPACE, 'containers', 'list', '--quiet'], { timeoutMs: CONTROL_TIMEOUT_MS });
      for (const n of ls.stdout.split('\n').map((l) => l.trim())) if (n.startsWith(namePrefix)) names.add(n);
    }
    const tmp = os.tmpdir();
    const areas = (await fsp.readdir(tmp).catch(() => [] as string[])).filter((d) => d.startsWith(areaPrefix(namePrefix)) && /-[A-Za-z0-9]{6}$/.test(d));
    for (const d of areas) names.add(d.slice(`isobench-${id}-`.length, -7));
    for (const name of names) {
      const area = areas.find((d) => d.slice(`isobench-${id}-`.length, -7) === name);
      await remove(target, name, area ? path.join(tmp, area) : path.join(tmp, `${areaPrefix(name)}-missing`));
    }
    return [...names];
  }

  return {
    id,
    family: 'secure-container',
    virtualization: 'hardware',
    inPaper: true,
    description: `Kata Containers: a QEMU/KVM VM per container via containerd's shim v2 (ctr), rootfs and /data shared over ${via}`,
    optionsSchema: kataOptionsSchema,
    // ctr drives the shim; zstd unpacks the .tar.zst release (setup --provision kata); qemu-utils as issue 14 lists it (this driver runs no qemu-img)
    packages: ['containerd', 'qemu-utils', 'zstd'],
    async detect(): Promise<Detection> {
      if (process.getuid?.() !== 0) return { available: false, reason: 'Kata needs root here (run isobench as root)' };
      return diagnoseKata(sharedFs, await gatherFacts(sharedFs, DEFAULT_CONTAINERD_ADDRESS));
    },
    start,
    oneShot,
    // docs/STARTUP.md
    startupClock: {
      starts: "the startup-spawner's posix_spawn of `ctr run --rm` in the foreground (containerd and the Kata runtime already running)",
      firstOutput: "the marker's first byte on ctr's stdout",
      exit: "ctr's exit after the container exited and was removed (the VM is shut down with it)",
      instance: `a Kata sandbox: a QEMU/KVM VM with Kata's guest kernel and agent, the container's rootfs shared over ${via}, whose process is /bin/echo <marker>`,
    },
    reap,
  };
}

export const kata9p = kataPlatform('virtio-9p');
export const kataVirtiofs = kataPlatform('virtio-fs');
