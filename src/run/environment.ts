// What the host was when the run happened: hardware, kernel, noise conditions, versions, isobench's commit.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { paths } from '../paths.ts';
import { run, which } from '../proc.ts';
import type { Environment, PlatformRecord } from '../types.ts';

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function distribution(): string {
  const osr = readText('/etc/os-release') ?? '';
  return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osr)?.[1] ?? 'unknown';
}

function swapMiB(): number | undefined {
  const m = /^SwapTotal:\s+(\d+) kB/m.exec(readText('/proc/meminfo') ?? '');
  return m ? Math.round(Number(m[1]) / 1024) : undefined;
}

async function virtualization(): Promise<string | undefined> {
  if (which('systemd-detect-virt')) {
    const r = await run(['systemd-detect-virt'], { timeoutMs: 5000 });
    if (r.stdout.trim()) return r.stdout.trim();
  }
  return /\bhypervisor\b/.test(readText('/proc/cpuinfo') ?? '') ? 'hypervisor flag set (a virtual machine)' : undefined;
}

/** First line of `tool --version` (or `tool -v`), for environment.json. */
export async function toolVersion(tool: string): Promise<string> {
  if (!which(tool)) return 'not installed';
  for (const flag of ['--version', '-v', 'version']) {
    const r = await run([tool, flag], { timeoutMs: 10000 });
    const line = (r.stdout || r.stderr).split('\n').find((l) => l.trim());
    if (r.code === 0 && line) return line.trim();
  }
  return 'unknown';
}

export async function isobenchVersion(): Promise<Environment['isobench']> {
  const pkg = JSON.parse(readFileSync(path.join(paths.root, 'package.json'), 'utf8')) as { version: string };
  const head = await run(['git', '-C', paths.root, 'rev-parse', 'HEAD'], { timeoutMs: 10000 });
  const status = await run(['git', '-C', paths.root, 'status', '--porcelain', '--untracked-files=no'], { timeoutMs: 10000 });
  // a checkout that `isobench fleet` shipped (git archive of HEAD, no .git) names its commit in .isobench-commit
  const shipped = readText(paths.shippedCommit);
  return {
    version: pkg.version,
    commit: head.code === 0 ? head.stdout.trim() : shipped && /^[0-9a-f]{40}$/.test(shipped) ? shipped : 'unknown (not a git checkout)',
    dirty: head.code === 0 && status.code === 0 && status.stdout.trim() !== '',
  };
}

export async function collectEnvironment(a: {
  run: string;
  startedAt: string;
  tools: string[];
  platforms: PlatformRecord[];
  experiment: { file: string; sha256: string };
}): Promise<Environment> {
  const cpus = os.cpus();
  const tools: Record<string, string> = {};
  for (const t of [...new Set(a.tools)].sort()) tools[t] = await toolVersion(t);
  return {
    schema: 1,
    run: a.run,
    startedAt: a.startedAt,
    host: {
      hostname: os.hostname(),
      cpuModel: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
      kernel: `${os.type()} ${os.release()}`,
      distribution: distribution(),
      arch: os.arch(),
      virtualization: await virtualization(),
    },
    noise: {
      governor: readText('/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor'),
      smt: readText('/sys/devices/system/cpu/smt/control'),
      swapMiB: swapMiB(),
      loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    tools,
    platforms: a.platforms,
    hostChanges: [],
    isobench: await isobenchVersion(),
    experiment: a.experiment,
    node: process.version,
  };
}
