// Deterministic .tar.gz: sorted entries, explicit directories, root:root with no names, fixed modes and mtime, fixed gzip level.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { comparePaths } from './manifest.ts';

/** One file of the archive: streamed from disk, or given as bytes. */
export type TarInput =
  | { path: string; file: string; executable?: boolean } // mode 0755 when executable (default: the source file has any execute bit), else 0644
  | { path: string; data: Buffer; executable?: boolean };

export interface WriteTarballOptions {
  /** every entry's mtime (whole seconds); the run's start time, so the bytes do not depend on when archiving ran */
  mtime: Date;
  /** gzip level, fixed so the same input gives the same bytes; default 9 */
  level?: number;
}

export interface TarEntry {
  /** path inside the archive, directories without the trailing '/' */
  path: string;
  type: string; // 'file', 'directory', 'symlink', ...
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: Date;
  size: number;
  /** sha256 of the contents, for files */
  sha256: string | null;
  /** the contents, for files that `keep` selected */
  data?: Buffer;
}

const fileMode = 0o644;
const execMode = 0o755;
const dirMode = 0o755;

/** Where writeTarball writes before the final rename, so a failed write never leaves a truncated archive. */
export const partialPath = (outFile: string) => `${outFile}.partial`;

/** A relative '/'-separated path with no '.', '..' or empty parts; throws naming the path otherwise. */
export function checkEntryPath(p: string): string {
  const parts = p.split('/');
  if (!p || p.startsWith('/') || parts.some((s) => s === '' || s === '.' || s === '..') || p.includes('\0')) {
    throw new Error(`archive entry ${JSON.stringify(p)}: not a plain relative path (no leading '/', '.', '..' or empty parts)`);
  }
  return p;
}

/** Write `inputs` (plus their parent directories) as a deterministic .tar.gz at outFile. */
export async function writeTarball(outFile: string, inputs: TarInput[], opts: WriteTarballOptions): Promise<void> {
  if (Number.isNaN(opts.mtime.getTime())) throw new Error(`${outFile}: invalid archive timestamp`);
  const entries = withDirectories(inputs);
  const tmp = partialPath(outFile);
  const pack = tar.pack();
  const written = pipeline(pack, createGzip({ level: opts.level ?? 9 }), createWriteStream(tmp));
  written.catch(() => { /* awaited below; this only keeps an early failure from being unhandled */ });
  try {
    await packEntries(pack, entries, opts.mtime);
    await written;
  } catch (err) {
    pack.destroy(err as Error);
    await written.catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await rename(tmp, outFile);
}

/** The uncompressed tar stream writeTarball would compress for these inputs, chunk by chunk: verify compares it with an artifact's. */
export async function packStream(inputs: TarInput[], mtime: Date, onChunk: (chunk: Buffer) => void): Promise<void> {
  const entries = withDirectories(inputs);
  const pack = tar.pack();
  pack.on('data', (c: unknown) => onChunk(c as Buffer));
  const ended = once(pack as unknown as NodeJS.EventEmitter, 'end');
  await packEntries(pack, entries, mtime);
  await ended;
}

/** Every entry in order, then the end-of-archive blocks; mtime in whole seconds. */
async function packEntries(pack: tar.Pack, entries: Planned[], at: Date): Promise<void> {
  const mtime = new Date(Math.floor(at.getTime() / 1000) * 1000);
  for (const e of entries) {
    if (e.kind === 'directory') await addEntry(pack, { name: `${e.path}/`, type: 'directory', mode: dirMode, size: 0, ...owner, mtime });
    else await addInput(pack, e.input, mtime);
  }
  pack.finalize();
}

const owner = { uid: 0, gid: 0, uname: '', gname: '' };

type Planned = { kind: 'directory'; path: string } | { kind: 'file'; path: string; input: TarInput };

/** The inputs plus every parent directory, sorted by path; throws on duplicates or a file used as a directory. */
function withDirectories(inputs: TarInput[]): Planned[] {
  const files = new Map<string, TarInput>();
  const dirs = new Set<string>();
  for (const input of inputs) {
    checkEntryPath(input.path);
    if (files.has(input.path)) throw new Error(`archive entry ${input.path}: given twice`);
    files.set(input.path, input);
    const parts = input.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const d of dirs) {
    if (files.has(d)) throw new Error(`archive entry ${d}: is a file but also holds ${[...files.keys()].find((f) => f.startsWith(`${d}/`))}`);
  }
  const planned: Planned[] = [
    ...[...dirs].map((p) => ({ kind: 'directory' as const, path: p })),
    ...[...files].map(([p, input]) => ({ kind: 'file' as const, path: p, input })),
  ];
  return planned.sort((a, b) => comparePaths(a.path, b.path));
}

async function addInput(pack: tar.Pack, input: TarInput, mtime: Date): Promise<void> {
  if ('data' in input) {
    const mode = input.executable ? execMode : fileMode;
    await addEntry(pack, { name: input.path, type: 'file', mode, size: input.data.length, ...owner, mtime }, input.data);
    return;
  }
  const st = await stat(input.file).catch((err: Error) => {
    throw new Error(`${input.file}: cannot read it for archive entry ${input.path}: ${err.message}`);
  });
  if (!st.isFile()) throw new Error(`${input.file}: not a regular file (archive entry ${input.path})`);
  const mode = (input.executable ?? (st.mode & 0o111) !== 0) ? execMode : fileMode;
  const header = { name: input.path, type: 'file' as const, mode, size: st.size, ...owner, mtime };
  try {
    await addEntry(pack, header, createReadStream(input.file));
  } catch (err) {
    throw new Error(`${input.file}: could not archive as ${input.path} (did it change while archiving?): ${(err as Error).message}`);
  }
}

/** Add one entry and wait until the pack has taken all of it; a stream body is written with backpressure. */
function addEntry(pack: tar.Pack, header: tar.Header | Omit<tar.Header, 'linkname' | 'devmajor' | 'devminor'>, body?: Buffer | NodeJS.ReadableStream): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body === undefined) {
      pack.entry(header, done);
      return;
    }
    if (Buffer.isBuffer(body)) {
      pack.entry(header, body, done);
      return;
    }
    const sink = pack.entry(header, done);
    (async () => {
      for await (const chunk of body) {
        if (!sink.write(chunk as Buffer)) await once(sink as unknown as NodeJS.EventEmitter, 'drain');
      }
      sink.end(undefined); // streamx types require an argument; undefined writes nothing
    })().catch((err: Error) => {
      sink.destroy(err);
      reject(err);
    });
  });
}

/** Every entry of a .tar.gz isobench wrote itself, with the sha256 of each file; contents kept where `keep` says so (an artifact of others goes through unpack.ts). */
export async function readTarball(file: string, opts: { keep?: (entryPath: string) => boolean } = {}): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  await eachEntry(file, async (header, body) => {
    const entryPath = header.name.replace(/\/+$/, '');
    let sha256: string | null = null;
    let data: Buffer | undefined;
    if (header.type === 'file' || header.type === 'contiguous-file') {
      const hash = createHash('sha256');
      const chunks: Buffer[] | null = opts.keep?.(entryPath) ? [] : null;
      for await (const chunk of body) {
        hash.update(chunk);
        chunks?.push(chunk);
      }
      sha256 = hash.digest('hex');
      if (chunks) data = Buffer.concat(chunks);
    } else {
      for await (const _ of body) { /* drain */ }
    }
    entries.push({
      path: entryPath,
      type: header.type,
      mode: header.mode,
      uid: header.uid,
      gid: header.gid,
      uname: header.uname ?? '',
      gname: header.gname ?? '',
      mtime: header.mtime,
      size: header.size,
      sha256,
      ...(data ? { data } : {}),
    });
  });
  return entries;
}

async function eachEntry(file: string, onEntry: (header: tar.Header, body: AsyncIterable<Buffer> & NodeJS.ReadableStream) => Promise<void>): Promise<void> {
  const extract = tar.extract();
  const read = pipeline(createReadStream(file), createGunzip(), extract);
  read.catch(() => { /* awaited below */ });
  try {
    for await (const entry of extract) {
      await onEntry(entry.header, entry as unknown as AsyncIterable<Buffer> & NodeJS.ReadableStream);
    }
    await read;
  } catch (err) {
    extract.destroy(err as Error);
    await read.catch(() => {});
    throw new Error(`${file}: not a readable .tar.gz: ${(err as Error).message}`);
  }
}
