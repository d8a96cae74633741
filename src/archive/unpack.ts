// Unpacking an artifact that may be hostile: one streaming pass, every name checked before anything is written,
// only files and folders, no duplicates, and caps on entries and unpacked bytes (a gzip bomb stops at the cap).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { PLAIN_NAME, RefusedInput } from '../rundir/index.ts';
import { checkEntryPath } from './tarball.ts';

/** What verify unpacks at most: far above a real artifact, far below what fills a disk or exhausts memory. */
export const UNPACK_LIMITS = {
  /** entries (files and folders) */
  entries: 200_000,
  /** bytes of the tar stream after decompression */
  bytes: 2 * 1024 * 1024 * 1024,
  /** unpacked bytes per compressed byte, above a 64 MiB allowance (JSON and logs compress about 10:1, a bomb 1000:1) */
  ratio: 100,
  ratioAllowance: 64 * 1024 * 1024,
} as const;

export interface UnpackedFile {
  /** path inside the archive, '/'-separated */
  path: string;
  sha256: string;
  size: number;
}

export interface Unpacked {
  /** the one top folder's name (isobench-<run>) */
  top: string;
  /** regular files, in archive order */
  files: UnpackedFile[];
  /** folders, in archive order */
  dirs: string[];
  /** compressed bytes the gzip stream used, and the file's size (a difference is bytes appended after the stream) */
  gzipBytes: number;
  fileBytes: number;
}

/** Counts (and caps) the bytes gunzip emits, and keeps a copy of the tar stream for the canonical comparison. */
class CappedStream extends Transform {
  bytes = 0;
  constructor(private readonly cap: number, private readonly file: string, private readonly copy: WriteStream) {
    super();
  }
  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.cap) {
      done(new RefusedInput(`${this.file}: unpacks to more than ${this.cap} bytes (limit: ${UNPACK_LIMITS.bytes} bytes, and ${UNPACK_LIMITS.ratio} times the compressed size plus ${UNPACK_LIMITS.ratioAllowance}); refused as a decompression bomb`));
      return;
    }
    if (!this.copy.write(chunk)) this.copy.once('drain', () => done(null, chunk));
    else done(null, chunk);
  }
}

/**
 * Unpack the .tar.gz `file` into destDir (a fresh private folder) and write its decompressed tar stream to tarCopy.
 * Throws RefusedInput, before writing the entry, for: a name that is absolute, has '..' or is not canonical; a link,
 * device or anything not a file or folder; an entry stored twice; more than one top folder; the caps; a truncated or
 * unreadable archive.
 */
export async function unpackArtifact(file: string, destDir: string, tarCopy: string): Promise<Unpacked> {
  const fileBytes = statSync(file).size;
  const cap = Math.min(UNPACK_LIMITS.bytes, fileBytes * UNPACK_LIMITS.ratio + UNPACK_LIMITS.ratioAllowance);
  const copy = createWriteStream(tarCopy, { flags: 'wx', mode: 0o600 });
  // destroyed on a refusal while a write is in flight, the copy then emits ERR_STREAM_DESTROYED: kept, not a crash
  let copyError: Error | undefined;
  copy.on('error', (e) => { copyError ??= e; });
  const gunzip = createGunzip();
  const capped = new CappedStream(cap, file, copy);
  const extract = tar.extract();
  const read = pipeline(createReadStream(file), gunzip, capped, extract);
  read.catch(() => { /* awaited below */ });
  const seen = new Set<string>();
  const files: UnpackedFile[] = [];
  const dirs: string[] = [];
  let top: string | undefined;
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const name = entryName(header.name, header.type, file);
      if (seen.size >= UNPACK_LIMITS.entries) throw new RefusedInput(`${file}: more than ${UNPACK_LIMITS.entries} entries (the limit)`);
      if (seen.has(name)) throw new RefusedInput(`${file}: entry ${name} is stored twice; an artifact holds each file once`);
      seen.add(name);
      const first = name.split('/')[0];
      top ??= first;
      if (first !== top) throw new RefusedInput(`${file}: entry ${name} is outside the one top folder ${top}/`);
      if (!PLAIN_NAME.test(top)) throw new RefusedInput(`${file}: top folder ${JSON.stringify(top)} is not a plain name`);
      const dest = path.join(destDir, ...name.split('/'));
      if (header.type === 'directory') {
        mkdirSync(dest, { recursive: true, mode: 0o700 });
        dirs.push(name);
        entry.resume();
        await once(entry as unknown as NodeJS.EventEmitter, 'end');
      } else {
        if (name === top) throw new RefusedInput(`${file}: ${name} is a file; an artifact is one top folder`);
        mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
        const hash = createHash('sha256');
        let size = 0;
        const counter = new Transform({ transform(chunk: Buffer, _e, done) { hash.update(chunk); size += chunk.length; done(null, chunk); } });
        // 'wx': the entry's file must not exist yet, so nothing is ever written through something already there
        await pipeline(entry, counter, createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
        files.push({ path: name, sha256: hash.digest('hex'), size });
      }
    }
    await read;
  } catch (err) {
    extract.destroy();
    await read.catch(() => {});
    copy.destroy();
    if (err instanceof RefusedInput) throw err;
    throw new RefusedInput(`${file}: not a readable .tar.gz (${(err as Error).message}); truncated or damaged`);
  }
  copy.end();
  await once(copy, 'finish');
  if (copyError) throw new RefusedInput(`${file}: the decompressed copy could not be written (${copyError.message})`);
  if (!top) throw new RefusedInput(`${file}: an empty archive; expected one top folder isobench-<run>/`);
  return { top, files, dirs, gzipBytes: gunzip.bytesWritten, fileBytes };
}

/** The entry's path when it is a file or folder with a canonical relative name; RefusedInput otherwise. */
function entryName(raw: string, type: string | null | undefined, file: string): string {
  const name = type === 'directory' ? raw.replace(/\/$/, '') : raw;
  try {
    checkEntryPath(name);
  } catch {
    throw new RefusedInput(`${file}: entry ${JSON.stringify(raw).slice(0, 120)} is absolute, has '.' or '..' parts or is not in canonical form; refused before anything was written`);
  }
  if (/[\\\x00-\x1f\x7f]/.test(name)) throw new RefusedInput(`${file}: entry ${JSON.stringify(raw).slice(0, 120)} has a backslash or control character; refused`);
  if (type !== 'file' && type !== 'directory') {
    throw new RefusedInput(`${file}: entry ${name} is a ${type ?? 'entry of unknown type'}; an artifact holds only files and folders (links and devices are refused)`);
  }
  return name;
}
