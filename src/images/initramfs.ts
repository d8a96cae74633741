// A VM's initramfs: the benchmark rootfs plus isobench's init, agent and modules, as a deterministic cpio (newc), cached by content hash.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, existsSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';

/** One archive member; paths are absolute inside the guest ('/isobench/init'). */
export type CpioEntry =
  | { path: string; kind: 'dir'; mode: number }
  | { path: string; kind: 'file'; mode: number; data: Buffer }
  | { path: string; kind: 'file'; mode: number; source: string; size?: number }
  | { path: string; kind: 'symlink'; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** The 110-byte newc header plus the NUL-terminated name, padded to 4 bytes. */
export function cpioHeader(name: string, f: { ino: number; mode: number; nlink: number; size: number }): Buffer {
  const nameBuf = Buffer.from(`${name}\0`);
  const fields = [f.ino, f.mode, 0, 0, f.nlink, 0, f.size, 0, 0, 0, 0, nameBuf.length, 0];
  const head = Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1');
  return Buffer.concat([head, nameBuf, Buffer.alloc(pad4(head.length + nameBuf.length))]);
}

/** Entries sorted so parents come first; uid/gid 0 and mtime 0 so the same content gives the same bytes. */
export function sortEntries(entries: CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  for (const e of entries) byPath.set(path.posix.normalize(e.path), { ...e, path: path.posix.normalize(e.path) }); // later wins
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Write entries as a cpio newc archive; returns its size. */
export async function writeCpio(file: string, entries: CpioEntry[]): Promise<number> {
  const fh = await fsp.open(file, 'w');
  let size = 0;
  const put = async (b: Buffer) => { await fh.write(b); size += b.length; };
  try {
    let ino = 0;
    for (const e of sortEntries(entries)) {
      const name = e.path.replace(/^\/+/, '') || '.';
      ino++;
      if (e.kind === 'dir') {
        await put(cpioHeader(name, { ino, mode: S_IFDIR | e.mode, nlink: 2, size: 0 }));
      } else if (e.kind === 'symlink') {
        const t = Buffer.from(e.target);
        await put(cpioHeader(name, { ino, mode: S_IFLNK | 0o777, nlink: 1, size: t.length }));
        await put(Buffer.concat([t, Buffer.alloc(pad4(t.length))]));
      } else {
        const data = 'data' in e ? e.data : await fsp.readFile(e.source);
        if ('size' in e && e.size !== undefined && data.length !== e.size) throw new Error(`initramfs: ${e.source} changed size while being packed`);
        await put(cpioHeader(name, { ino, mode: S_IFREG | e.mode, nlink: 1, size: data.length }));
        await put(Buffer.concat([data, Buffer.alloc(pad4(data.length))]));
      }
    }
    await put(cpioHeader('TRAILER!!!', { ino: 0, mode: 0, nlink: 1, size: 0 }));
  } finally {
    await fh.close();
  }
  return size;
}

/** Read a cpio newc archive back into entries (for tests and for checking what a guest will see). */
export function readCpio(buf: Buffer): { path: string; mode: number; data: Buffer }[] {
  const out: { path: string; mode: number; data: Buffer }[] = [];
  let at = 0;
  for (;;) {
    if (buf.toString('latin1', at, at + 6) !== '070701') throw new Error(`cpio: bad magic at offset ${at}`);
    const field = (i: number) => parseInt(buf.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    const name = buf.toString('utf8', at + 110, at + 110 + nameSize - 1);
    at += 110 + nameSize;
    at += pad4(at);
    if (name === 'TRAILER!!!') return out;
    out.push({ path: `/${name}`, mode, data: buf.subarray(at, at + size) });
    at += size + pad4(size);
  }
}

/** Every directory, file and symlink under dir, as entries with guest paths. */
export async function entriesOfDir(dir: string): Promise<CpioEntry[]> {
  const out: CpioEntry[] = [];
  const walk = async (rel: string) => {
    for (const d of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, d.name);
      const abs = path.join(dir, r);
      const guest = `/${r}`;
      if (d.isSymbolicLink()) out.push({ path: guest, kind: 'symlink', target: await fsp.readlink(abs) });
      else if (d.isDirectory()) {
        out.push({ path: guest, kind: 'dir', mode: (await fsp.stat(abs)).mode & 0o7777 });
        await walk(r);
      } else if (d.isFile()) {
        const st = await fsp.stat(abs);
        out.push({ path: guest, kind: 'file', mode: st.mode & 0o7777, source: abs, size: st.size });
      }
    }
  };
  await walk('');
  return out;
}

/** Content hash of what is added on top of a rootfs (init text, modules, extra binaries), for the cache key. */
export async function overlayHash(overlay: CpioEntry[]): Promise<string> {
  const h = createHash('sha256').update('isobench-initramfs/1\n');
  for (const e of sortEntries(overlay)) {
    if (e.kind === 'dir') h.update(`${e.path}\0dir\0${e.mode.toString(8)}\n`);
    else if (e.kind === 'symlink') h.update(`${e.path}\0symlink\0${e.target}\n`);
    else {
      const data = 'data' in e ? e.data : await fsp.readFile(e.source);
      h.update(`${e.path}\0file\0${e.mode.toString(8)}\0${createHash('sha256').update(data).digest('hex')}\n`);
    }
  }
  return h.digest('hex');
}

export interface Initramfs {
  file: string;
  hash: string;
  bytes: number;
}

/** The rootfs directory plus the overlay as one initramfs, built beside the cache and renamed in; reused when the hash matches. */
export async function buildInitramfs(rootfsDir: string, rootfsHash: string, overlay: CpioEntry[]): Promise<Initramfs> {
  const hash = createHash('sha256').update(`${rootfsHash}\n${await overlayHash(overlay)}`).digest('hex').slice(0, 16);
  const file = paths.initramfs(hash);
  if (existsSync(file)) return { file, hash, bytes: (await fsp.stat(file)).size };
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const t0 = Date.now();
  try {
    const bytes = await writeCpio(tmp, [...(await entriesOfDir(rootfsDir)), ...overlay]);
    await fsp.rename(tmp, file);
    log.info(`initramfs ${hash} (rootfs ${rootfsHash}): ${(bytes / 1048576).toFixed(1)} MiB in ${Date.now() - t0} ms`);
    return { file, hash, bytes };
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** An initramfs of just these entries (no rootfs), cached by their content hash: the stage 1 of a root-disk boot. */
export async function buildStandaloneInitramfs(entries: CpioEntry[]): Promise<Initramfs> {
  const hash = (await overlayHash(entries)).slice(0, 16);
  const file = paths.initramfs(`standalone-${hash}`);
  if (existsSync(file)) return { file, hash, bytes: (await fsp.stat(file)).size };
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const bytes = await writeCpio(tmp, entries);
    await fsp.rename(tmp, file);
    return { file, hash, bytes };
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}
