// extract-vmlinux: the uncompressed ELF kernel inside a bzImage, found through the boot protocol's own payload fields.
import { randomBytes } from 'node:crypto';
import { promises as fsp, existsSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runOk, which } from '../proc.ts';
import { lz4LegacyDecompress } from './lz4-legacy.ts';

export interface BzImageHeader {
  /** boot protocol version, e.g. '2.15' */
  protocol: string;
  setupSects: number;
  /** byte offset of the protected-mode kernel in the file */
  kernelOffset: number;
  /** byte offset and length of the compressed payload in the file */
  payloadOffset: number;
  payloadLength: number;
  /** the version string the kernel carries, e.g. '6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP ...' */
  versionString: string;
  /** its first word: what `uname -r` prints inside the guest */
  release: string;
}

export type PayloadFormat = 'gzip' | 'xz' | 'bzip2' | 'lzma' | 'lzo' | 'lz4' | 'zstd' | 'elf';

const MAGICS: [PayloadFormat, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['lzma', [0x5d, 0x00, 0x00]],
  ['lzo', [0x89, 0x4c, 0x5a, 0x4f]],
  ['lz4', [0x02, 0x21, 0x4c, 0x18]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['elf', [0x7f, 0x45, 0x4c, 0x46]],
];

/** Parse the x86 boot protocol setup header (Documentation/arch/x86/boot.rst); throws naming what is wrong. */
export function parseBzImageHeader(buf: Buffer, file = 'kernel image'): BzImageHeader {
  if (buf.length < 0x250) throw new Error(`${file}: too short to be a bzImage (${buf.length} bytes)`);
  if (buf.toString('latin1', 0x202, 0x206) !== 'HdrS') {
    throw new Error(`${file}: no "HdrS" boot header at 0x202: not an x86 bzImage (an ELF vmlinux or another architecture?)`);
  }
  const version = buf.readUInt16LE(0x206);
  const protocol = `${version >> 8}.${String(version & 0xff).padStart(2, '0')}`;
  if (version < 0x208) throw new Error(`${file}: boot protocol ${protocol} has no payload fields (needs 2.08+, Linux 2.6.26+)`);
  const setupSects = buf[0x1f1] || 4; // 0 means 4, for old kernels
  const kernelOffset = (setupSects + 1) * 512;
  const payloadOffset = kernelOffset + buf.readUInt32LE(0x248);
  const payloadLength = buf.readUInt32LE(0x24c);
  let versionString = '';
  const vptr = buf.readUInt16LE(0x20e);
  if (vptr) {
    const at = vptr + 0x200;
    const end = buf.indexOf(0, at);
    if (end > at) versionString = buf.toString('latin1', at, end);
  }
  return { protocol, setupSects, kernelOffset, payloadOffset, payloadLength, versionString, release: versionString.split(' ')[0] ?? '' };
}

export function payloadFormat(buf: Buffer, at = 0): PayloadFormat | null {
  for (const [name, magic] of MAGICS) {
    if (magic.every((b, i) => buf[at + i] === b)) return name;
  }
  return null;
}

/** The kernel appends the decompressed size (u32 LE) to every format but gzip, whose trailer holds it already. */
function sizeAppended(payload: Buffer): number {
  return payload.readUInt32LE(payload.length - 4);
}

// xz, lzma and bzip2 write beside the input, minus its suffix: the input is named so that this is outFile
const EXTERNAL: Record<string, { tool: string; pkg: string; argv: (inFile: string, outFile: string) => string[] }> = {
  xz: { tool: 'xz', pkg: 'xz-utils', argv: (i) => ['xz', '-d', '-k', '-f', '-q', '--single-stream', i] },
  lzma: { tool: 'xz', pkg: 'xz-utils', argv: (i) => ['xz', '--format=lzma', '-d', '-k', '-f', '-q', i] },
  bzip2: { tool: 'bzip2', pkg: 'bzip2', argv: (i) => ['bzip2', '-d', '-k', '-f', '-q', i] },
  zstd: { tool: 'zstd', pkg: 'zstd', argv: (i, o) => ['zstd', '-d', '-f', '-q', i, '-o', o] },
  lzo: { tool: 'lzop', pkg: 'lzop', argv: (i, o) => ['lzop', '-d', '-f', '-q', i, '-o', o] },
};
const SUFFIX: Record<string, string> = { xz: '.xz', lzma: '.lzma', bzip2: '.bz2', zstd: '.zst', lzo: '.lzo' };

/** Decompress a kernel payload: gzip and lz4 in-process, the rarer formats with their standard tools. */
export async function decompressPayload(payload: Buffer, format: PayloadFormat, scratchDir: string): Promise<Buffer> {
  if (format === 'elf') return payload;
  if (format === 'gzip') return gunzipSync(payload);
  if (format === 'lz4') return lz4LegacyDecompress(payload, sizeAppended(payload), payload.length - 4);
  const ext = EXTERNAL[format];
  if (!which(ext.tool)) throw new Error(`kernel payload is ${format}-compressed: ${ext.tool} is needed to extract it (apt-get install ${ext.pkg})`);
  const dir = path.join(scratchDir, `.extract-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fsp.mkdir(dir, { recursive: true });
  try {
    const out = path.join(dir, 'vmlinux');
    const inFile = out + SUFFIX[format];
    await fsp.writeFile(inFile, payload.subarray(0, payload.length - 4));
    await runOk(ext.argv(inFile, out), { timeoutMs: 120_000 });
    return await fsp.readFile(out);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

/** The ELF vmlinux inside a bzImage (what Firecracker and Cloud Hypervisor's PVH boot load). */
export async function extractVmlinux(bzImage: Buffer, file: string, scratchDir: string): Promise<Buffer> {
  if (payloadFormat(bzImage) === 'elf') return bzImage; // already a vmlinux
  const h = parseBzImageHeader(bzImage, file);
  if (h.payloadOffset + h.payloadLength > bzImage.length) {
    throw new Error(`${file}: payload (offset ${h.payloadOffset}, ${h.payloadLength} bytes) runs past the end of the file (${bzImage.length} bytes): truncated image?`);
  }
  const payload = bzImage.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength);
  const format = payloadFormat(payload);
  if (!format) throw new Error(`${file}: unknown compression at payload offset ${h.payloadOffset} (magic ${payload.subarray(0, 4).toString('hex')})`);
  const elf = await decompressPayload(payload, format, scratchDir);
  if (payloadFormat(elf) !== 'elf') throw new Error(`${file}: the decompressed ${format} payload is not an ELF file`);
  return elf;
}

/** extractVmlinux to a file next to the bzImage's cache entry, once. */
export async function vmlinuxFile(bzImagePath: string, outPath: string): Promise<string> {
  if (existsSync(outPath)) return outPath;
  const elf = await extractVmlinux(await fsp.readFile(bzImagePath), bzImagePath, path.dirname(outPath));
  const tmp = `${outPath}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fsp.writeFile(tmp, elf);
  await fsp.rename(tmp, outPath);
  return outPath;
}
