// `npm run bench -- fidelity`: isobench's platform against the plain tool on the same host, interleaved, so a number
// isobench reports can be checked against what the tool itself gives: fio through gVisor and runc against `runsc run` /
// `runc run` of a bundle the runtime's own `spec` wrote, startup on native, runc and crun against `hyperfine -N`.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildRootfs } from '../src/images/rootfs.ts';
import { crun } from '../src/platforms/crun.ts';
import { native } from '../src/platforms/native.ts';
import { gvisorPtrace } from '../src/platforms/gvisor.ts';
import { runc } from '../src/platforms/runc.ts';
import { ociConfig, ociConfigForSpec, writeOciBundle } from '../src/platforms/oci-bundle.ts';
import { paths } from '../src/paths.ts';
import { run, runOk, which } from '../src/proc.ts';
import { hostChangeLog } from '../src/run/host-changes.ts';
import { mean } from '../src/stats/descriptive.ts';
import { meanInterval } from '../src/stats/interval.ts';
import type { Interval, Platform } from '../src/types.ts';
import { fio, fioArgv, parseFio, type FioParams } from '../src/workloads/fio.ts';
import { startupArgv } from '../src/workloads/startup.ts';

const FIO: Omit<FioParams, 'fileSystem'> = { jobs: ['write', 'randread'], size: '64M', rampTime: 0, runtime: 2, ioengine: 'libaio', direct: true };
const FIO_METRICS = ['write_bw_mbps', 'randread_iops'];
const MARKER = 'isobench-ready';

export interface FidelityPair {
  what: string;
  isobench: number[];
  plain: number[];
  /** the plain tool's interval when it reports its own (hyperfine: per-run times) */
  agree: boolean;
  /** shown but not counted in the exit code: the two sides time different events (first output against hyperfine's exit) */
  infoOnly?: boolean;
}

const fmt = (i: Interval | null, xs: number[]) => `${mean(xs).toFixed(1).padStart(9)} [${i ? `${i.low.toFixed(1)}, ${i.high.toFixed(1)}` : '-'}]`;

/** Two sides agree when their 95 % intervals of the mean overlap (the weaker test: a real gap shows as no overlap). */
export function intervalsOverlap(a: number[], b: number[]): boolean {
  const ia = meanInterval(a);
  const ib = meanInterval(b);
  if (!ia || !ib) return false;
  return ia.low <= ib.high && ib.low <= ia.high;
}

/**
 * A bundle as the runtime's own `spec` writes it, with the benchmark root, argv, (for fio) the data dir bound in, and the
 * same cpu and memory limits an isobench instance gets (limits are part of the command being compared, not of the harness).
 */
async function plainBundle(runtime: string, dir: string, rootfs: string, args: string[], limits: { cpus: number; memoryMiB: number }, dataDir?: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  rmSync(path.join(dir, 'config.json'), { force: true });
  await runOk([runtime, 'spec', '--bundle', dir], { timeoutMs: 20_000 });
  const c = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  c.root = { path: rootfs, readonly: true };
  c.process.terminal = false;
  c.process.args = args;
  c.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
  if (dataDir) c.mounts.push({ destination: '/data', type: 'bind', source: dataDir, options: ['rbind', 'rw'] });
  const own = ociConfig({ name: 'plain', rootfs, cpus: limits.cpus, memoryMiB: limits.memoryMiB, hostCores: os.cpus().length, network: 'none' });
  c.linux.resources = { ...c.linux.resources, cpu: own.linux.resources.cpu, memory: own.linux.resources.memory };
  // runsc copies no cpuset into intermediate v1 cgroups (see gvisorBundleConfig): a leaf directly under the root
  c.linux.cgroupsPath = `/isobench-plain-${path.basename(dir)}`;
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(c, null, 2));
}

/** this benchmark's host changes (daemons, cgroups, netns), undone at its end as a run undoes its session's */
const host = hostChangeLog();

async function fioThroughIsobench(platform: Platform, rootfs: { dir: string; hash: string }, work: string, k: number): Promise<Record<string, number>> {
  const dataDir = path.join(work, `iso-${platform.id}-${k}`);
  mkdirSync(dataDir, { recursive: true });
  const instance = await platform.start({ name: `isobench-fid-${process.pid}-${k}`, cpus: 1, memoryMiB: 1024, rootfs: rootfs.dir, rootfsHash: rootfs.hash, dataDir, options: {}, logDir: path.join(work, 'logs'), hostChanges: host });
  try {
    const m = await fio.run(instance, { ...FIO, fileSystem: 'data' }, { cpus: 1, hostChanges: host });
    return Object.fromEntries(m.map((x) => [x.name, x.value]));
  } finally {
    await instance.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function fioPlain(runtime: 'runsc' | 'runc', rootfs: string, work: string, k: number): Promise<Record<string, number>> {
  const dataDir = path.join(work, `plain-${runtime}-${k}`);
  const bundle = path.join(work, `bundle-${runtime}-${k}`);
  const state = path.join(work, `state-${runtime}-${k}`);
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(state, { recursive: true });
  await plainBundle(runtime, bundle, rootfs, fioArgv(FIO, '/data/isobench-fio.testfile'), { cpus: 1, memoryMiB: 1024 }, dataDir);
  const name = `isobench-fidp-${process.pid}-${k}`;
  try {
    const r = await run([runtime, `--root=${state}`, ...(runtime === 'runsc' ? ['--platform=ptrace', '--network=none'] : []), 'run', '--bundle', bundle, name], { timeoutMs: 300_000 });
    return Object.fromEntries(parseFio(r.stdout, FIO.jobs).map((x) => [x.name, x.value]));
  } finally {
    await run([runtime, `--root=${state}`, 'delete', '--force', name], { timeoutMs: 20_000 });
    for (const d of [dataDir, bundle, state]) rmSync(d, { recursive: true, force: true });
  }
}

/** first_output_ms and exit_ms of n one-shot starts through the platform, as the startup workload takes them */
async function startupIsobench(platform: Platform, rootfs: { dir: string; hash: string }, work: string, k: number, n: number): Promise<{ first: number[]; exit: number[]; method?: string }> {
  const first: number[] = [];
  const exit: number[] = [];
  let method: string | undefined;
  for (let i = 0; i < n; i++) {
    const r = await platform.oneShot!({ name: `isobench-fids-${process.pid}-${k}-${i}`, cpus: 1, memoryMiB: 256, rootfs: rootfs.dir, rootfsHash: rootfs.hash, options: {}, logDir: path.join(work, 'logs'), hostChanges: host }, startupArgv({ marker: MARKER }), { timeoutMs: 60_000 });
    if (r.code !== 0 || r.firstOutputMs === undefined) throw new Error(`${platform.id}: one-shot failed (exit ${r.code}): ${r.stderr.trim()}`);
    first.push(r.firstOutputMs);
    exit.push(r.ms);
    method = r.method;
  }
  return { first, exit, method };
}

/**
 * The command hyperfine runs for a platform. 'same': the very host argv of isobench's one-shot on a bundle isobench
 * writes (what the issue asks to agree: only the harness differs); 'spec': `run` on a bundle the runtime's own `spec`
 * wrote (isobench's config choices differ too). Native has one command: taskset -c 0, as native.oneShot pins 1 cpu.
 */
async function plainStartupCommand(runtime: string, rootfs: { dir: string; hash: string }, work: string, bundleKind: 'same' | 'spec'): Promise<string> {
  if (runtime === 'native') return `${which('taskset')} -c 0 ${startupArgv({ marker: MARKER }).join(' ')}`;
  const bundle = path.join(work, `sbundle-${runtime}-${bundleKind}`);
  const name = `isobench-fidh-${bundleKind}-${process.pid}`;
  if (bundleKind === 'spec') {
    await plainBundle(runtime, bundle, rootfs.dir, startupArgv({ marker: MARKER }), { cpus: 1, memoryMiB: 256 });
    return `${which(runtime)} run --bundle ${bundle} ${name}`;
  }
  const config = ociConfigForSpec({ name, cpus: 1, memoryMiB: 256, rootfs: rootfs.dir, rootfsHash: rootfs.hash, options: {}, logDir: work, hostChanges: host }, 'none');
  config.process.args = startupArgv({ marker: MARKER });
  await writeOciBundle(bundle, config);
  return `${which(runtime)} --log ${path.join(work, `${runtime}-${name}.log`)} run --bundle ${bundle} ${name}`;
}

/** hyperfine -N's per-run times (spawn to exit) in ms */
async function startupHyperfine(runtime: string, rootfs: { dir: string; hash: string }, work: string, k: number, n: number, bundleKind: 'same' | 'spec'): Promise<number[]> {
  const json = path.join(work, `hyperfine-${runtime}-${bundleKind}-${k}.json`);
  const cmd = await plainStartupCommand(runtime, rootfs, work, bundleKind);
  await runOk(['hyperfine', '-N', '--runs', String(n), '--output=pipe', '--export-json', json, cmd], { timeoutMs: 300_000 });
  return (JSON.parse(readFileSync(json, 'utf8')).results[0].times as number[]).map((s) => s * 1000);
}

export type FidelityPart = 'fio' | 'startup';

/** Runs every pair of these parts this host can, alternating which side goes first each round; returns the table and the pairs. */
export async function measureFidelity(rounds: number, parts: FidelityPart[] = ['fio', 'startup']): Promise<{ text: string; pairs: FidelityPair[] }> {
  const work = path.join(paths.scratch(), `fidelity-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const lines: string[] = [`load average before: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`];
  const pairs: FidelityPair[] = [];
  try {
    const rootfs = await buildRootfs(['fio', 'stat']);
    for (const [platform, runtime] of parts.includes('fio') ? [[gvisorPtrace, 'runsc'], [runc, 'runc']] as const : []) {
      if (!which(runtime) || !which('fio') || !(await platform.detect()).available) { lines.push(`fio ${platform.id}: skipped (${runtime} or fio missing)`); continue; }
      const iso: Record<string, number[]> = {};
      const plain: Record<string, number[]> = {};
      for (let k = 0; k < rounds; k++) {
        const sides = [async () => { for (const [m, v] of Object.entries(await fioThroughIsobench(platform, rootfs, work, k))) (iso[m] ??= []).push(v); },
          async () => { for (const [m, v] of Object.entries(await fioPlain(runtime, rootfs.dir, work, k))) (plain[m] ??= []).push(v); }];
        for (const side of k % 2 ? sides.reverse() : sides) await side();
      }
      for (const m of FIO_METRICS) pairs.push({ what: `fio ${m} ${platform.id} vs plain ${runtime} run`, isobench: iso[m], plain: plain[m], agree: intervalsOverlap(iso[m], plain[m]) });
    }
    for (const platform of parts.includes('startup') ? [native, runc, crun] : []) {
      const runtime = platform.id;
      if ((runtime !== 'native' && !which(runtime)) || !which('hyperfine') || !(await platform.detect()).available) { lines.push(`startup ${runtime}: skipped (${runtime} or hyperfine missing)`); continue; }
      await platform.prepare?.(host);
      const first: number[] = [];
      const exit: number[] = [];
      const same: number[] = [];
      const spec: number[] = [];
      let method: string | undefined;
      const sides = [async (k: number) => { const r = await startupIsobench(platform, rootfs, work, k, 10); first.push(...r.first); exit.push(...r.exit); method = r.method; },
        async (k: number) => { same.push(...(await startupHyperfine(runtime, rootfs, work, k, 10, 'same'))); },
        ...(runtime === 'native' ? [] : [async (k: number) => { spec.push(...(await startupHyperfine(runtime, rootfs, work, k, 10, 'spec'))); }])];
      for (let k = 0; k < rounds; k++) for (let j = 0; j < sides.length; j++) await sides[(j + k) % sides.length](k); // each side first in turn
      // hyperfine times spawn to exit: exit_ms is the same event, first_output_ms (what the claims compare) a little earlier
      pairs.push({ what: `startup first_output_ms ${runtime} vs hyperfine -N, same command`, isobench: first, plain: same, agree: intervalsOverlap(first, same), infoOnly: true });
      pairs.push({ what: `startup exit_ms ${runtime} vs hyperfine -N, same command`, isobench: exit, plain: same, agree: intervalsOverlap(exit, same) });
      // the runtime's own spec bundle: isobench's config choices (mounts, namespaces, cgroup path, --log) differ as well
      if (spec.length) pairs.push({ what: `startup exit_ms ${runtime} vs hyperfine -N, ${runtime} spec bundle`, isobench: exit, plain: spec, agree: intervalsOverlap(exit, spec) });
      lines.push(`startup ${runtime}: ${method ?? 'no method recorded'}`);
      await platform.teardown?.(); // the parent cgroups the one-shots kept
    }
  } finally {
    await host.undo();
    rmSync(work, { recursive: true, force: true });
  }
  lines.push(`${'pair'.padEnd(64)} ${'isobench mean [95% CI]'.padEnd(30)} ${'plain mean [95% CI]'.padEnd(30)} n     agree`);
  for (const p of pairs) {
    lines.push(`${p.what.padEnd(64)} ${fmt(meanInterval(p.isobench), p.isobench).padEnd(30)} ${fmt(meanInterval(p.plain), p.plain).padEnd(30)} ${`${p.isobench.length}/${p.plain.length}`.padEnd(5)} ${p.agree ? 'yes' : 'NO'}${p.infoOnly ? ' (info: hyperfine times the exit)' : ''}`);
  }
  lines.push(`load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  return { text: lines.join('\n'), pairs };
}
