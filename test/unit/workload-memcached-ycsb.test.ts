import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError } from '../../src/types.ts';
import { workloadById } from '../../src/workloads/index.ts';
import { clientArgv, memcachedArgv, mixNote, parseYcsbReport, type MemcachedYcsbParams } from '../../src/workloads/memcached-ycsb.ts';
import { checkKey, parseReply } from '../../src/workloads/memcached-text.ts';
import { chooseOp, fnvhash64, zipfian, keyName, makeRecord, percentileOfSorted, scrambledZipfian, seededRandom, YCSB_MIXES } from '../../src/workloads/ycsb.ts';

const dir = path.join(root, 'test', 'fixtures', 'memcached-ycsb');
const fixture = (f: string) => readFileSync(path.join(dir, f), 'utf8');
const params: MemcachedYcsbParams = { mix: 'a', recordCount: 1000, operations: 2000, threads: 2, port: 11211, memoryMiB: 64, serverThreads: 4, serverWaitS: 30, seed: 1 };

test('parses the client\'s real reports of every mix: operations add up, per-operation percentiles in order', () => {
  for (const mix of ['a', 'b', 'c', 'f'] as const) {
    const r = parseYcsbReport(fixture(`mix-${mix}-2000ops.json`), { mix, operations: 2000 });
    assert.ok(r.opsPerS > 0);
    for (const s of Object.values(r.ops)) assert.ok(s!.p50Us <= s!.p95Us && s!.p95Us <= s!.p99Us, mix);
    assert.is(Object.keys(r.ops).sort().join(','), { a: 'read,update', b: 'read,update', c: 'read', f: 'read,rmw' }[mix]);
  }
});

test('real failures name their cause: server gone, refused, too many connections', () => {
  const why = (f: string) => {
    try { parseYcsbReport(fixture(f), { mix: 'a', operations: f === 'server-gone.json' ? 300000 : 100 }); } catch (e) { assert.instance(e, WorkloadError); return (e as Error).message; }
    throw new Error(`${f} parsed`);
  };
  assert.match(why('server-gone.json'), /YCSB client: read ECONNRESET/);
  assert.match(why('no-server.json'), /ECONNREFUSED/);
  assert.match(why('too-many-connections.json'), /ERROR Too many open connections/);
});

test('a report for another mix, with missing operations, or with misses is refused', () => {
  const ok = fixture('mix-a-2000ops.json');
  assert.throws(() => parseYcsbReport(ok, { mix: 'b', operations: 2000 }), /ran mix a, asked b/);
  assert.throws(() => parseYcsbReport(ok, { mix: 'a', operations: 2001 }), /completed 2000 of 2001/);
  assert.throws(() => parseYcsbReport(ok.replace('"misses":0', '"misses":3'), { mix: 'a', operations: 2000 }), /3 reads found no record/);
  assert.throws(() => parseYcsbReport('', { mix: 'a', operations: 1 }), /no JSON/);
  assert.throws(() => parseYcsbReport(ok.slice(0, 100), { mix: 'a', operations: 1 }), /not JSON/);
});

test('memcached text protocol: real replies to set, get hit, get miss, version, an unknown command and a bad data chunk', () => {
  let buf = readFileSync(path.join(dir, 'protocol-replies.bin'));
  const take = (expect: 'get' | 'set' | 'version') => {
    const r = parseReply(buf, expect)!;
    buf = buf.subarray(r.used);
    return r.reply;
  };
  assert.equal(take('set'), { kind: 'stored' });
  assert.equal(take('get'), { kind: 'value', value: Buffer.from('hello') });
  assert.equal(take('get'), { kind: 'value', value: null });
  assert.equal(take('version'), { kind: 'version', version: '1.6.18' });
  assert.equal(take('get'), { kind: 'error', message: 'ERROR' });
  assert.equal(take('set'), { kind: 'error', message: 'CLIENT_ERROR bad data chunk' });
  assert.is(buf.toString('latin1'), 'ERROR\r\n'); // memcached's answer to the stray "toolong" line
});

test('memcached text protocol: a reply cut anywhere waits for more bytes', () => {
  const whole = readFileSync(path.join(dir, 'protocol-replies.bin'));
  const hit = whole.subarray(8, 8 + 26);
  for (let n = 0; n < hit.length; n++) assert.is(parseReply(hit.subarray(0, n), 'get'), undefined, `cut at ${n}`);
  assert.ok(parseReply(hit, 'get'));
  assert.throws(() => checkKey('a key'), /printable/);
});

test('YCSB: FNV-1a 64 as YCSB computes it, keys "user" + hash', () => {
  // computed independently (Python, the algorithm of YCSB's Utils.fnvhash64): FNV-1a over 8 little-end bytes, abs as a Java long
  assert.is(fnvhash64(0n), 6284781860667377211n);
  assert.is(fnvhash64(1n), 8517097267634966620n);
  assert.is(keyName(1), 'user8517097267634966620');
  assert.ok(fnvhash64(123456789n) >= 0n);
  assert.is(fnvhash64(1n) === fnvhash64(2n), false);
});

test('YCSB: mixes as the workload files define them', () => {
  assert.equal(YCSB_MIXES.a, { ...YCSB_MIXES.a, read: 0.5, update: 0.5, rmw: 0 });
  assert.is(chooseOp('c', 0.999), 'read');
  assert.is(chooseOp('b', 0.96), 'update');
  assert.is(chooseOp('f', 0.5), 'rmw');
  assert.is(chooseOp('f', 0.49), 'read');
});

test('YCSB: scrambled zipfian stays in range, is skewed, and repeats with the seed', () => {
  const next = scrambledZipfian(1000, seededRandom(7));
  const counts = new Map<number, number>();
  for (let i = 0; i < 20000; i++) {
    const k = next();
    assert.ok(k >= 0 && k < 1000 && Number.isInteger(k));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const top = [...counts.values()].sort((a, b) => b - a);
  // uniform would put about 20 on each key; zipfian 0.99 gives the hottest key hundreds
  assert.ok(top[0] > 200, `hottest key drawn ${top[0]} times`);
  const again = scrambledZipfian(1000, seededRandom(7));
  const first = scrambledZipfian(1000, seededRandom(7));
  for (let i = 0; i < 100; i++) assert.is(again(), first());
});

test('YCSB: the zipfian generator gives ranks 0 and 1 their zipf probabilities 1/zeta(n) and 2^-0.99/zeta(n)', () => {
  const n = 100;
  let zetan = 0;
  for (let i = 1; i <= n; i++) zetan += 1 / i ** 0.99;
  const next = zipfian(n, 0.99, zetan, seededRandom(3));
  const draws = 200_000;
  const hits = [0, 0];
  for (let i = 0; i < draws; i++) { const r = next(); if (r < 2) hits[r]++; }
  // binomial standard error at these counts is under 0.1 percentage points; 0.5 leaves room
  assert.ok(Math.abs(hits[0] / draws - 1 / zetan) < 0.005, `rank 0: ${hits[0] / draws} vs ${1 / zetan}`);
  assert.ok(Math.abs(hits[1] / draws - 0.5 ** 0.99 / zetan) < 0.005, `rank 1: ${hits[1] / draws}`);
});

test('YCSB: a record is 10 fields of 100 printable bytes; nearest-rank percentile', () => {
  const rec = makeRecord(seededRandom(1));
  assert.is(Object.keys(rec).length, 10);
  for (const v of Object.values(rec)) assert.match(v, /^[\x21-\x7e]{100}$/);
  assert.is(percentileOfSorted([1, 2, 3, 4], 0.5), 2);
  assert.is(percentileOfSorted([1, 2, 3, 4], 0.99), 4);
});

test('server and client argv; the note says how the mix was realised and what is approximated', () => {
  assert.equal(memcachedArgv(params).slice(0, 7), ['memcached', '-u', 'root', '-l', '0.0.0.0', '-p', '11211']);
  const c = clientArgv({ host: '127.0.0.1', port: 11211, mix: 'f', recordCount: 10, operations: 5, threads: 1, seed: 2 });
  assert.is(c[0], process.execPath);
  assert.match(c[2], /^file:.*tsx/);
  assert.ok(c.includes('--mix') && c.includes('f'));
  const note = mixNote({ ...params, mix: 'f' }, '1.6.18', 1148);
  assert.match(note, /mix f \(read-modify-write/);
  assert.match(note, /approximation/);
  assert.match(note, /not YCSB's Java client/);
});

test('registered with a guest port and every per-operation metric', () => {
  const w = workloadById('memcached-ycsb')!;
  assert.equal(w.guestPorts!({ port: 11311 }), [11311]);
  for (const m of ['ops_per_s', 'read_p50_us', 'update_p99_us', 'rmw_p95_us', 'errors']) assert.ok(w.metrics.some((x) => x.name === m), m);
});

test.run();
