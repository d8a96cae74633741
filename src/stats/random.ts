// Seeded randomness for resampling: the same seed gives the same numbers on every machine and Node version.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

export interface Random {
  /** a uniform integer in [0, n) */
  index(n: number): number;
}

export function seededRandom(seed: number): Random {
  if (!Number.isInteger(seed)) throw new Error(`seededRandom: seed must be an integer, got ${seed}`);
  const rng = xoroshiro128plus(seed | 0);
  return {
    index(n: number): number {
      if (!Number.isInteger(n) || n < 1) throw new Error(`Random.index: n must be a positive integer, got ${n}`);
      return uniformInt(rng, 0, n - 1);
    },
  };
}

/** A 32-bit seed for one named stream (FNV-1a of the label mixed with the seed), so streams do not depend on each other's order. */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ (seed | 0);
  const mix = (byte: number) => {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  };
  // the high bits of large seeds too, so seeds differing only above 2^32 give different streams
  const high = Math.floor(seed / 0x100000000) | 0;
  for (let i = 0; i < 4; i++) mix((high >>> (8 * i)) & 0xff);
  for (const byte of Buffer.from(label, 'utf8')) mix(byte);
  return h | 0;
}
