// The host-side YCSB client for memcached (no YCSB or memtier package exists in Debian): load, then a closed-loop run; one JSON line out.
import { pathToFileURL } from 'node:url';
import type { MemcachedConnection } from './memcached-text.ts';
import { connectMemcached } from './memcached-text.ts';
import type { YcsbMix, YcsbOp } from './ycsb.ts';
import { chooseOp, keyName, makeRecord, percentileOfSorted, randomText, scrambledZipfian, seededRandom, YCSB_DEFAULTS, YCSB_MIXES } from './ycsb.ts';

export interface YcsbClientOptions {
  host: string;
  port: number;
  mix: YcsbMix;
  recordCount: number;
  operations: number;
  /** client threads: connections, each with one request in flight */
  threads: number;
  seed: number;
}

export interface OpStats {
  count: number;
  errors: number;
  /** reads that found no record (a record the load phase stored is gone: evicted or lost) */
  misses: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
}

export interface YcsbClientReport {
  tool: 'isobench-ycsb-memcached/1';
  options: YcsbClientOptions;
  recordBytes: number;
  loadMs: number;
  runMs: number;
  opsPerS: number;
  ops: Partial<Record<YcsbOp, OpStats>>;
  /** the first few error messages, for the failed sample */
  errorMessages: string[];
  error?: string;
}

function parseArgs(argv: string[]): YcsbClientOptions {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0 || i + 1 >= argv.length) throw new Error(`missing --${name}`);
    return argv[i + 1];
  };
  const int = (name: string) => {
    const v = Number(get(name));
    if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
    return v;
  };
  const mix = get('mix');
  if (!(mix in YCSB_MIXES)) throw new Error(`--mix must be one of ${Object.keys(YCSB_MIXES).join(', ')}`);
  return { host: get('host'), port: int('port'), mix: mix as YcsbMix, recordCount: int('records'), operations: int('operations'), threads: int('threads'), seed: int('seed') };
}

export function ycsbClientArgs(o: YcsbClientOptions): string[] {
  return ['--host', o.host, '--port', String(o.port), '--mix', o.mix, '--records', String(o.recordCount), '--operations', String(o.operations), '--threads', String(o.threads), '--seed', String(o.seed)];
}

const nowUs = () => Number(process.hrtime.bigint()) / 1000;

/** Load recordCount records (YCSB's load phase: every key once, in order), then run the mix; never throws. */
export async function runYcsb(o: YcsbClientOptions): Promise<YcsbClientReport> {
  const random = seededRandom(o.seed);
  const record = () => Buffer.from(JSON.stringify(makeRecord(random)));
  const report: YcsbClientReport = { tool: 'isobench-ycsb-memcached/1', options: o, recordBytes: record().length, loadMs: 0, runMs: 0, opsPerS: 0, ops: {}, errorMessages: [] };
  const conns: MemcachedConnection[] = [];
  try {
    for (let t = 0; t < o.threads; t++) conns.push(await connectMemcached(o.host, o.port));
    const t0 = Date.now();
    let nextLoad = 0;
    await Promise.all(conns.map(async (c) => {
      for (let i = nextLoad++; i < o.recordCount; i = nextLoad++) {
        const r = await c.set(keyName(i), record());
        if (r.kind !== 'stored') throw new Error(`load: set ${keyName(i)}: ${r.kind === 'error' ? r.message : r.kind}`);
      }
    }));
    report.loadMs = Date.now() - t0;

    const nextKey = scrambledZipfian(o.recordCount, random);
    const latencies: Record<YcsbOp, number[]> = { read: [], update: [], rmw: [] };
    const errors: Record<YcsbOp, number> = { read: 0, update: 0, rmw: 0 };
    const misses: Record<YcsbOp, number> = { read: 0, update: 0, rmw: 0 };
    const noteError = (op: YcsbOp, message: string) => {
      errors[op]++;
      if (report.errorMessages.length < 5) report.errorMessages.push(`${op}: ${message}`);
    };
    // update: memcached has no per-field update, so one field is changed and the whole record written back
    const updated = (old: Buffer | null): Buffer => {
      const rec = old ? JSON.parse(old.toString('utf8')) as Record<string, string> : makeRecord(random);
      rec[`field${Math.floor(random() * YCSB_DEFAULTS.fieldCount)}`] = randomText(random, YCSB_DEFAULTS.fieldLength);
      return Buffer.from(JSON.stringify(rec));
    };
    let issued = 0;
    const r0 = nowUs();
    await Promise.all(conns.map(async (c) => {
      while (issued < o.operations) {
        issued++;
        const op = chooseOp(o.mix, random());
        const key = keyName(nextKey());
        const start = nowUs();
        if (op === 'read') {
          const r = await c.get(key);
          if (r.kind === 'error') noteError(op, r.message);
          else if (r.kind === 'value' && r.value === null) misses[op]++;
        } else if (op === 'update') {
          const r = await c.set(key, updated(null));
          if (r.kind !== 'stored') noteError(op, r.kind === 'error' ? r.message : r.kind);
        } else {
          const got = await c.get(key);
          if (got.kind !== 'value') { noteError(op, got.kind === 'error' ? got.message : got.kind); latencies[op].push(nowUs() - start); continue; }
          if (got.value === null) misses[op]++;
          const r = await c.set(key, updated(got.value));
          if (r.kind !== 'stored') noteError(op, r.kind === 'error' ? r.message : r.kind);
        }
        latencies[op].push(nowUs() - start);
      }
    }));
    report.runMs = (nowUs() - r0) / 1000;
    report.opsPerS = o.operations / (report.runMs / 1000);
    for (const op of ['read', 'update', 'rmw'] as YcsbOp[]) {
      const l = Float64Array.from(latencies[op]).sort();
      if (l.length === 0) continue;
      report.ops[op] = { count: l.length, errors: errors[op], misses: misses[op], p50Us: percentileOfSorted(l, 0.5), p95Us: percentileOfSorted(l, 0.95), p99Us: percentileOfSorted(l, 0.99) };
    }
  } catch (e) {
    report.error = (e as Error).message;
  } finally {
    for (const c of conns) c.close();
  }
  return report;
}

async function main(): Promise<number> {
  let options: YcsbClientOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`ycsb-memcached-client: ${(e as Error).message}\n`);
    return 2;
  }
  const report = await runYcsb(options);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report.error ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main().then((code) => process.exit(code));
}
