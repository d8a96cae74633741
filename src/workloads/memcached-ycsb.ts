// memcached under YCSB's mixes a, b, c, f: the server inside the instance, isobench's YCSB client on the host.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { formatArgv, run } from '../proc.ts';
import type { Instance, Metric, MetricSpec, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { serverEndpoint } from './exec.ts';
import type { ProbeResult } from './instance-server.ts';
import { startServer, stopServer, waitUntilServing, withServerLog } from './instance-server.ts';
import { connectMemcached } from './memcached-text.ts';
import type { YcsbClientOptions, YcsbClientReport } from './ycsb-memcached-client.ts';
import { ycsbClientArgs } from './ycsb-memcached-client.ts';
import type { YcsbMix, YcsbOp } from './ycsb.ts';
import { YCSB_MIXES } from './ycsb.ts';

export interface MemcachedYcsbParams {
  mix: YcsbMix;
  recordCount: number;
  operations: number;
  threads: number;
  port: number;
  /** memcached -m */
  memoryMiB: number;
  /** memcached -t */
  serverThreads: number;
  serverWaitS: number;
  seed: number;
}

const OPS: YcsbOp[] = ['read', 'update', 'rmw'];
const OP_WORDS: Record<YcsbOp, string> = { read: 'read (get)', update: 'update (set of the whole record)', rmw: 'read-modify-write (get, then set)' };

export function memcachedArgv(p: MemcachedYcsbParams): string[] {
  // -U 0: no UDP listener (YCSB's binding speaks TCP); -u root: the instance runs as root; -c 1024: memcached's default, within runc's nofile limit
  return ['memcached', '-u', 'root', '-l', '0.0.0.0', '-p', String(p.port), '-U', '0', '-m', String(p.memoryMiB), '-t', String(p.serverThreads), '-c', '1024', '-v'];
}

/** How the mix was realised, recorded with every sample: what is YCSB's and what is approximated. */
export function mixNote(p: MemcachedYcsbParams, version: string, recordBytes: number): string {
  return `YCSB mix ${p.mix} (${YCSB_MIXES[p.mix].what}) realised by isobench's YCSB client (Node, memcached text protocol), not YCSB's Java client: `
    + `scrambled-zipfian keys over ${p.recordCount} records, 10 fields × 100 B as JSON (${recordBytes} B); `
    + 'approximation: an update writes the whole record with one field changed (memcached has no per-field update); '
    + `${p.threads} connection(s), one request in flight each; memcached ${version}, -m ${p.memoryMiB} -t ${p.serverThreads}`;
}

export function opMetrics(op: YcsbOp): MetricSpec[] {
  return [50, 95, 99].map((q) => ({ name: `${op}_p${q}_us`, unit: 'µs', better: 'lower' as const, description: `${OP_WORDS[op]}: ${q}th percentile latency` }));
}

/** The client's JSON line; throws on a failed or incomplete run, and when a read missed (records evicted: the run measured something else). */
/** The first number in a report that no measurement can be (negative, infinite, NaN), with where it sits; null when none. */
function oddNumber(v: unknown, at = 'report'): string | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? null : `${at} = ${v}`;
  if (v === null || typeof v !== 'object') return null;
  for (const [k, x] of Object.entries(v)) {
    const odd = oddNumber(x, `${at}.${k}`);
    if (odd) return odd;
  }
  return null;
}

export function parseYcsbReport(stdout: string, expected: Pick<YcsbClientOptions, 'mix' | 'operations'>): YcsbClientReport {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new WorkloadError('the YCSB client printed no JSON report', stdout);
  let r: YcsbClientReport;
  try {
    r = JSON.parse(line) as YcsbClientReport;
  } catch (e) {
    throw new WorkloadError(`the YCSB client's report is not JSON (${(e as Error).message})`, stdout);
  }
  if (r.tool !== 'isobench-ycsb-memcached/1') throw new WorkloadError(`unexpected report format ${JSON.stringify(r.tool)}`, stdout);
  const odd = oddNumber(r);
  if (odd) throw new WorkloadError(`the YCSB client's report holds ${odd}: not a measurement`, stdout);
  if (r.error) throw new WorkloadError(`YCSB client: ${r.error}`, stdout);
  if (r.options?.mix !== expected.mix) throw new WorkloadError(`the YCSB client ran mix ${r.options?.mix}, asked ${expected.mix}`, stdout);
  const done = OPS.reduce((s, op) => s + (r.ops[op]?.count ?? 0), 0);
  if (done !== expected.operations) throw new WorkloadError(`the YCSB client completed ${done} of ${expected.operations} operations`, stdout);
  const missed = OPS.reduce((s, op) => s + (r.ops[op]?.misses ?? 0), 0);
  if (missed > 0) throw new WorkloadError(`${missed} reads found no record: memcached evicted or lost loaded records (give it more memory: memoryMiB)`, stdout);
  if (!(r.opsPerS > 0)) throw new WorkloadError(`the YCSB client reports ${r.opsPerS} operations/s`, stdout);
  return r;
}

/** Ask memcached its version: the readiness probe. */
export async function probeMemcached(address: string, port: number): Promise<ProbeResult> {
  try {
    const c = await connectMemcached(address, port, 3000);
    try {
      const r = await c.version();
      return r.kind === 'version' ? { ready: true, detail: r.version } : { ready: false, why: r.kind === 'error' ? r.message : r.kind };
    } finally {
      c.close();
    }
  } catch (e) {
    return { ready: false, why: (e as Error).message };
  }
}

const CLIENT = fileURLToPath(new URL('./ycsb-memcached-client.ts', import.meta.url));

/** tsx's loader, as a file URL for node --import (the same loader bin/isobench.mjs registers) */
function tsxLoader(): string {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('tsx/package.json');
  const main = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, string> }).exports['.'];
  return pathToFileURL(path.join(path.dirname(pkgFile), main)).href;
}

/** The client runs as its own process (its own command in the log, its own CPU time), through the same TypeScript loader. */
export function clientArgv(o: YcsbClientOptions): string[] {
  return [process.execPath, '--import', tsxLoader(), CLIENT, ...ycsbClientArgs(o)];
}

export const memcachedYcsb: Workload = {
  id: 'memcached-ycsb',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: () => 6,
  description:
    'memcached inside the instance under YCSB mixes a (50% read, 50% update), b (95/5), c (100% read), f (50% read, 50% read-modify-write), '
    + 'driven from the host by isobench\'s own YCSB client (Debian has neither YCSB nor memtier): YCSB\'s scrambled-zipfian keys, 10 × 100-byte fields; '
    + 'an update writes the whole record (memcached has no per-field update), labelled in every sample',
  tools: ['memcached'],
  packages: ['memcached'],
  report: { area: 'application', charts: ['ratio'], charted: ['ops_per_s'], counts: ['errors'], howMeasured: 'how each YCSB mix was realised' },
  // jobs named after YCSB's mixes, as the experiment files name them
  claimMeasures: { jobs: ['a', 'b', 'c', 'f'], metrics: ['ops_per_s', 'read_p99_us', 'update_p99_us', 'rmw_p99_us'] },
  guestPorts: (params) => [(params as unknown as MemcachedYcsbParams).port],
  metrics: [
    { name: 'ops_per_s', unit: 'ops/s', better: 'higher', description: 'operations per second over the run phase (YCSB [OVERALL] Throughput)' },
    ...OPS.flatMap(opMetrics),
    { name: 'errors', unit: 'errors', better: 'lower', description: 'operations memcached answered with an error', resolution: 1 },
  ],
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      mix: { enum: Object.keys(YCSB_MIXES), default: 'a', description: 'YCSB core workload: a, b, c or f' },
      recordCount: { type: 'integer', minimum: 1, maximum: 100_000_000, default: 1000, description: 'records loaded before the run (YCSB recordcount; its default 1000)' },
      operations: { type: 'integer', minimum: 1, maximum: 1_000_000_000, default: 1000, description: 'operations in the run (YCSB operationcount; its default 1000)' },
      threads: { type: 'integer', minimum: 1, maximum: 1024, default: 1, description: 'client connections (YCSB -threads; its default 1)' },
      port: { type: 'integer', minimum: 1024, maximum: 65535, default: 11211, description: 'memcached port inside the instance' },
      memoryMiB: { type: 'integer', minimum: 1, maximum: 1048576, default: 64, description: 'memcached -m (its default 64)' },
      serverThreads: { type: 'integer', minimum: 1, maximum: 256, default: 4, description: 'memcached -t (its default 4)' },
      serverWaitS: { type: 'integer', minimum: 1, maximum: 600, default: 30, description: 'seconds to wait for memcached to answer' },
      seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 1, description: 'seed of the client\'s key and value stream' },
    },
  },
  async run(instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as MemcachedYcsbParams;
    const { address, port } = serverEndpoint(instance, p.port, 'memcached-ycsb');
    const before = await probeMemcached(address, port);
    if (before.ready) throw new WorkloadError(`port ${port} at ${address} already answers as memcached ${before.detail} before ours started: choose another port`);
    const logDir = instance.dataPath ?? '/tmp';
    const server = await startServer(instance, 'memcached', memcachedArgv(p), path.posix.join(logDir, `isobench-memcached-${p.port}.log`));
    try {
      const version = await waitUntilServing(instance, server, () => probeMemcached(address, port), p.serverWaitS);
      const options: YcsbClientOptions = { host: address, port, mix: p.mix, recordCount: p.recordCount, operations: p.operations, threads: p.threads, seed: p.seed };
      // generous: loading and running at 200 operations/s, plus two minutes
      const timeoutS = Math.ceil((p.recordCount + p.operations) / 200) + 120;
      const r = await run(clientArgv(options), { timeoutMs: timeoutS * 1000 });
      ctx.log?.(`$ (host) ${formatArgv(r.hostArgv)}\n# exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} in ${r.ms.toFixed(1)} ms\n--- output\n${(r.stdout + r.stderr).trimEnd()}\n`);
      if (r.timedOut) throw await withServerLog(instance, server, `the YCSB client timed out after ${timeoutS} s`, r.stdout + r.stderr);
      let report: YcsbClientReport;
      try {
        report = parseYcsbReport(r.stdout, options);
      } catch (e) {
        if (e instanceof WorkloadError) throw await withServerLog(instance, server, e.message, `${r.stdout}${r.stderr}`);
        throw e;
      }
      const note = mixNote(p, version, report.recordBytes);
      const out: Metric[] = [{ name: 'ops_per_s', value: report.opsPerS, unit: 'ops/s', better: 'higher', note }];
      for (const op of OPS) {
        const s = report.ops[op];
        if (!s) continue;
        const [p50, p95, p99] = opMetrics(op);
        out.push(
          { name: p50.name, value: s.p50Us, unit: 'µs', better: 'lower', note },
          { name: p95.name, value: s.p95Us, unit: 'µs', better: 'lower', note },
          { name: p99.name, value: s.p99Us, unit: 'µs', better: 'lower', note },
        );
      }
      out.push({ name: 'errors', value: OPS.reduce((n, op) => n + (report.ops[op]?.errors ?? 0), 0), unit: 'errors', better: 'lower', note });
      return out;
    } finally {
      await stopServer(instance, server, 10);
    }
  },
};
