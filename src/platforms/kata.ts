// Kata Containers through containerd's shim v2 (driven with ctr), one variant per shared filesystem: virtio-9p or virtio-fs.
import { constants, existsSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../log.ts';
import { run, terminate, which } from '../proc.ts';
import type { Detection, ExecOptions, ExecResult, Instance, InstanceSpec, Platform } from '../types.ts';
import { listProcesses } from './docker-gvisor.ts';
import {
  DEFAULT_CONTAINERD_ADDRESS, diagnoseKata, kataConfigToml, kataExecArgv, kataKillExecArgv, kataRunArgv, kataStopArgvs,
  parseKataEnv, type CtrTarget, type KataEnv, type KataFacts, type KataSharedFs,
} from './kata-config.ts';
import { KEEPALIVE_ARGS } from './oci-bundle.ts';

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
    address: { type: 'string', default: DEFAULT_CONTAINERD_ADDRESS, description: "containerd's socket" },
    config: { type: 'string', description: "base Kata configuration (TOML with [hypervisor.qemu]); default: the one `kata-runtime kata-env` reports" },
    startTimeoutS: { type: 'number', exclusiveMinimum: 0, default: DEFAULT_START_TIMEOUT_S, description: 'how long `ctr run` may take' },
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

/** Shim, hypervisor and virtiofsd processes whose command line names this container (a failed or killed start leaves them). */
async function killLeftovers(name: string): Promise<number> {
  const ours = listProcesses().filter((p) => /^(containerd-shim-kata|qemu|virtiofsd|kata)/.test(path.basename(p.argv[0] ?? '')) && p.argv.some((a) => a.includes(name)));
  await Promise.all(ours.map((p) => terminate(p.pid, 5_000)));
  return ours.length;
}

export function kataPlatform(sharedFs: KataSharedFs): Platform {
  const id = sharedFs === 'virtio-9p' ? 'kata-9p' : 'kata-virtiofs';
  const via = sharedFs === 'virtio-9p' ? 'virtio-9p (9p, the path the paper measured)' : 'virtio-fs (virtiofsd)';

  async function start(spec: InstanceSpec): Promise<Instance> {
    const ctr = which('ctr');
    if (!ctr) throw new Error(`${id}: ctr not found (apt-get install containerd)`);
    const network = (spec.options?.network as string | undefined) ?? spec.network ?? 'none';
    if (network !== 'none') throw new Error(`${id}: network '${network}' is not supported (options.network: 'none')`);
    const target: CtrTarget = { ctr, address: String(spec.options?.address ?? DEFAULT_CONTAINERD_ADDRESS) };
    const startTimeoutMs = Number(spec.options?.startTimeoutS ?? DEFAULT_START_TIMEOUT_S) * 1000;
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
    const name = spec.name;
    const toml = kataConfigToml(base, { sharedFs, cpus: spec.cpus, memoryMiB: spec.memoryMiB, source: baseConfig });
    const area = await fsp.mkdtemp(path.join(os.tmpdir(), `isobench-${id}-${name}-`));
    const configPath = path.join(area, 'configuration.toml');
    await fsp.mkdir(spec.logDir, { recursive: true });
    const logFile = path.join(spec.logDir, `${id}-${name}.log`);
    let stopped = false;
    let execs = 0;

    async function stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      try {
        for (const argv of kataStopArgvs(target, name)) await run(argv, { timeoutMs: CONTROL_TIMEOUT_MS });
        const killed = await killLeftovers(name);
        if (killed) log.warn(`${id}: ${name} left ${killed} shim/hypervisor process(es) after ctr removed it; they were killed`);
        await fsp.rm(area, { recursive: true, force: true });
      } catch (e) {
        log.warn(`${id}: stopping ${name}: ${(e as Error).message}`);
      }
    }

    try {
      await fsp.writeFile(configPath, toml);
      const argv = kataRunArgv({
        ...target, name, configPath, init: KEEPALIVE_ARGS,
        rootfs: path.resolve(spec.rootfs),
        dataDir: spec.dataDir ? path.resolve(spec.dataDir) : undefined,
      });
      const r = await run(argv, { timeoutMs: startTimeoutMs });
      await fsp.appendFile(logFile, `$ ${argv.join(' ')}\n# exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n${r.stdout}${r.stderr}\n--- ${configPath}\n${toml}\n`);
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
      const pending = run(kataExecArgv(target, name, execId, argv, opts?.env), { timeoutMs });
      // killing the host-side ctr leaves the process running inside the VM: kill it there at the same moment
      let killing: Promise<unknown> | undefined;
      const timer = timeoutMs ? setTimeout(() => { if (!stopped) killing = run(kataKillExecArgv(target, name, execId), { timeoutMs: CONTROL_TIMEOUT_MS }); }, timeoutMs) : undefined;
      const r = await pending;
      if (timer) clearTimeout(timer);
      await killing;
      return r;
    }

    return { exec, network: 'none', dataPath: spec.dataDir ? '/data' : undefined, stop };
  }

  return {
    id,
    family: 'secure-container',
    description: `Kata Containers: a QEMU/KVM VM per container via containerd's shim v2 (ctr), rootfs and /data shared over ${via}`,
    optionsSchema: kataOptionsSchema,
    async detect(): Promise<Detection> {
      if (process.getuid?.() !== 0) return { available: false, reason: 'Kata needs root here (run isobench as root)' };
      return diagnoseKata(sharedFs, await gatherFacts(sharedFs, DEFAULT_CONTAINERD_ADDRESS));
    },
    start,
  };
}

export const kata9p = kataPlatform('virtio-9p');
export const kataVirtiofs = kataPlatform('virtio-fs');
