// LZ4 "legacy" frames (lz4 -l), the format Linux uses for LZ4-compressed kernels; Node has no LZ4, and the decoder is small.

export const LZ4_LEGACY_MAGIC = 0x184c2102;

/** Decode one LZ4 block into out at outPos; returns the new output position. */
export function lz4DecodeBlock(src: Buffer, start: number, end: number, out: Buffer, outPos: number): number {
  let ip = start;
  let op = outPos;
  while (ip < end) {
    const token = src[ip++];
    let literals = token >> 4;
    if (literals === 15) {
      let b;
      do {
        if (ip >= end) throw new Error('lz4: literal length runs past the block');
        b = src[ip++];
        literals += b;
      } while (b === 255);
    }
    if (ip + literals > end) throw new Error('lz4: literals run past the block');
    if (op + literals > out.length) throw new Error('lz4: output larger than expected');
    src.copy(out, op, ip, ip + literals);
    ip += literals;
    op += literals;
    if (ip >= end) break; // the last sequence has literals only
    if (ip + 2 > end) throw new Error('lz4: truncated match offset');
    const offset = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    // legacy blocks are independent: a match reaches back only into this block's output
    if (offset === 0 || offset > op - outPos) throw new Error(`lz4: invalid match offset ${offset}`);
    let matchLen = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b;
      do {
        if (ip >= end) throw new Error('lz4: match length runs past the block');
        b = src[ip++];
        matchLen += b;
      } while (b === 255);
    }
    if (op + matchLen > out.length) throw new Error('lz4: output larger than expected');
    // byte by byte: a match may overlap the bytes it produces (offset < length)
    let mp = op - offset;
    for (let k = 0; k < matchLen; k++) out[op++] = out[mp++];
  }
  return op;
}

/**
 * Decode a legacy-frame stream: magic, then blocks each prefixed by its compressed size (u32 LE).
 * The stream ends at `end` or at a size equal to the magic (a concatenated stream starts).
 * outSize is the decompressed size (the kernel appends it after the stream).
 */
export function lz4LegacyDecompress(src: Buffer, outSize: number, end = src.length): Buffer {
  if (src.length < 4 || src.readUInt32LE(0) !== LZ4_LEGACY_MAGIC) throw new Error('lz4: no legacy-frame magic (02 21 4c 18)');
  const out = Buffer.alloc(outSize);
  let ip = 4;
  let op = 0;
  while (ip + 4 <= end && op < outSize) {
    const size = src.readUInt32LE(ip);
    ip += 4;
    if (size === LZ4_LEGACY_MAGIC) continue; // next concatenated frame
    if (ip + size > end) throw new Error(`lz4: block of ${size} bytes at offset ${ip - 4} runs past the end (${end})`);
    op = lz4DecodeBlock(src, ip, ip + size, out, op);
    ip += size;
  }
  if (op !== outSize) throw new Error(`lz4: decoded ${op} bytes, expected ${outSize}`);
  return out;
}
