// YCSB's core workload, as YCSB 0.17 defines it: the mixes a, b, c, f, scrambled-zipfian keys, 10 fields of 100 bytes.

export type YcsbMix = 'a' | 'b' | 'c' | 'f';
export type YcsbOp = 'read' | 'update' | 'rmw';

/** workloads/workload{a,b,c,f} of YCSB: the proportion of each operation */
export const YCSB_MIXES: Record<YcsbMix, { read: number; update: number; rmw: number; what: string }> = {
  a: { read: 0.5, update: 0.5, rmw: 0, what: 'update heavy: 50% read, 50% update' },
  b: { read: 0.95, update: 0.05, rmw: 0, what: 'read mostly: 95% read, 5% update' },
  c: { read: 1, update: 0, rmw: 0, what: 'read only: 100% read' },
  f: { read: 0.5, update: 0, rmw: 0.5, what: 'read-modify-write: 50% read, 50% read-modify-write' },
};

/** YCSB CoreWorkload defaults (fieldcount, fieldlength, zipfian constant) */
export const YCSB_DEFAULTS = { fieldCount: 10, fieldLength: 100, zipfianConstant: 0.99 } as const;

const FNV_OFFSET_BASIS_64 = 0xcbf29ce484222325n;
const FNV_PRIME_64 = 1099511628211n;
const MASK_64 = (1n << 64n) - 1n;

/** YCSB's Utils.fnvhash64: FNV-1a over the 8 little-end bytes, as a Java long, made non-negative with Math.abs. */
export function fnvhash64(value: bigint): bigint {
  let v = BigInt.asUintN(64, value);
  let h = FNV_OFFSET_BASIS_64;
  for (let i = 0; i < 8; i++) {
    h ^= v & 0xffn;
    h = (h * FNV_PRIME_64) & MASK_64;
    v >>= 8n;
  }
  const signed = BigInt.asIntN(64, h);
  return signed < 0n ? -signed : signed;
}

/** CoreWorkload.buildKeyName with orderedinserts=false (the default): 'user' + the hashed record number */
export function keyName(recordNumber: number): string {
  return `user${fnvhash64(BigInt(recordNumber))}`;
}

/** A small seeded generator of doubles in [0, 1) (mulberry32): the same seed gives the same request stream. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ZipfianGenerator of YCSB (Gray et al., "Quickly generating billion-record synthetic databases"), over [0, items). */
export function zipfian(items: number, theta: number, zetan: number, random: () => number): () => number {
  const alpha = 1 / (1 - theta);
  const zeta2theta = 1 + 0.5 ** theta;
  const eta = (1 - (2 / items) ** (1 - theta)) / (1 - zeta2theta / zetan);
  return () => {
    const u = random();
    const uz = u * zetan;
    if (uz < 1) return 0;
    if (uz < 1 + 0.5 ** theta) return 1;
    return Math.floor(items * (eta * u - eta + 1) ** alpha);
  };
}

/** ScrambledZipfianGenerator's fixed universe: 10^10 items and their precomputed zeta for theta 0.99 */
const SCRAMBLED_ITEMS = 10_000_000_001; // ZipfianGenerator(0, 10^10): max inclusive
const SCRAMBLED_ZETAN = 26.46902820178302;

/** YCSB's 'zipfian' request distribution: a zipfian rank over 10^10 items, hashed onto [0, recordCount) so hot keys scatter. */
export function scrambledZipfian(recordCount: number, random: () => number): () => number {
  const next = zipfian(SCRAMBLED_ITEMS, YCSB_DEFAULTS.zipfianConstant, SCRAMBLED_ZETAN, random);
  const n = BigInt(recordCount);
  return () => Number(fnvhash64(BigInt(next())) % n);
}

/** The operation of a mix for a uniform draw u in [0, 1), in YCSB's order (read, update, read-modify-write). */
export function chooseOp(mix: YcsbMix, u: number): YcsbOp {
  const m = YCSB_MIXES[mix];
  if (u < m.read) return 'read';
  if (u < m.read + m.update) return 'update';
  return 'rmw';
}

/** A record as the client stores it: fieldCount fields of fieldLength printable bytes, serialized as JSON (as YCSB's memcached binding does). */
export function makeRecord(random: () => number, fieldCount: number = YCSB_DEFAULTS.fieldCount, fieldLength: number = YCSB_DEFAULTS.fieldLength): Record<string, string> {
  const rec: Record<string, string> = {};
  for (let f = 0; f < fieldCount; f++) rec[`field${f}`] = randomText(random, fieldLength);
  return rec;
}

/** printable ASCII, as YCSB's RandomByteIterator produces */
export function randomText(random: () => number, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += String.fromCharCode(33 + Math.floor(random() * 94));
  return s;
}

/** Exact percentile (nearest rank) of sorted values. */
export function percentileOfSorted(sorted: Float64Array | number[], q: number): number {
  if (sorted.length === 0) throw new Error('no values');
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}
