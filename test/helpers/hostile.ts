// Builders of hostile input for the tests (and bench/hostile.ts): artifacts an attacker would craft, and decoy files
// whose bytes and mtime must survive every attack.
import { once } from 'node:events';
import { createWriteStream, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/** One raw tar entry as an attacker writes it: any name, any type. */
export interface RawEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  data?: string | Buffer;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

/** The uncompressed tar stream of exactly these entries, in this order (no parent folders added, names unchecked). */
export async function rawTar(entries: RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const ended = once(pack as unknown as NodeJS.EventEmitter, 'end');
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.from(e.data);
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, type: e.type ?? 'file', mode: e.type === 'directory' ? 0o755 : 0o644, mtime: new Date(0), size: data?.length ?? 0, linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor };
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (data) pack.entry(header, data, done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/** A .tar.gz of these entries at file. */
export async function writeRawArtifact(file: string, entries: RawEntry[]): Promise<void> {
  writeFileSync(file, gzipSync(await rawTar(entries)));
}

/**
 * A gzip bomb: one tar entry claiming `bytes` of zeros, compressed as gzip members of 64 MiB of zeros each (a gzip
 * reader decompresses concatenated members as one stream), so a few MB expand to `bytes`.
 */
export async function writeGzipBomb(file: string, bytes: number): Promise<void> {
  const block = 64 * 1024 * 1024;
  const header = (await rawTar([{ name: 'isobench-bomb/run/samples.jsonl', data: '' }])).subarray(0, 512);
  // the header of a file entry of `bytes` bytes: same header with the size field and checksum rewritten
  const h = Buffer.from(header);
  h.write(`${bytes.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
  h.fill(' ', 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  const zeros = gzipSync(Buffer.alloc(block), { level: 9 });
  const out = createWriteStream(file);
  out.write(gzipSync(h, { level: 9 }));
  for (let written = 0; written < bytes; written += block) {
    if (!out.write(zeros)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** A decoy: a file with known bytes and an old mtime, planted where an attack would write or read. */
export function plantDecoy(file: string, text = 'decoy secret: never read, never written\n'): { file: string; bytes: Buffer; mtimeMs: number } {
  writeFileSync(file, text);
  utimesSync(file, new Date(1_000_000_000_000), new Date(1_000_000_000_000));
  return { file, bytes: readFileSync(file), mtimeMs: statSync(file).mtimeMs };
}

/** Whether the decoy's bytes and mtime are as planted. */
export function decoyUntouched(d: { file: string; bytes: Buffer; mtimeMs: number }): boolean {
  return readFileSync(d.file).equals(d.bytes) && statSync(d.file).mtimeMs === d.mtimeMs;
}
