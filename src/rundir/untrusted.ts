// The one rule for reading a tree someone else made (a run directory, an unpacked artifact): no symlink is followed,
// nothing outside the root is read, only regular files, sizes capped, text strictly UTF-8.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { plainRelativePath } from './names.ts';
import { RefusedInput } from './refused.ts';
import { readOpenedFile } from '../opened-file.ts';

/** Largest file isobench reads from a run directory or artifact unless a reader says otherwise. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

// O_NONBLOCK: a FIFO planted in a run directory must not hang the reader (fstat refuses it right after)
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Throws RefusedInput unless every directory from root down to rel's parent is a real directory (no symlink). */
function checkParents(root: string, rel: string): void {
  const parts = rel.split('/');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st) return; // missing: the open below says so
    if (!st.isDirectory()) throw new RefusedInput(`${dir}: ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}; isobench follows no links inside a run directory or artifact`);
  }
}

/** The real path of a root the user named (it may itself be a link, e.g. data/runs/latest). */
function realRoot(root: string): string {
  try {
    return realpathSync(root);
  } catch (e) {
    throw new Error(`${root}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export interface ReadOptions {
  /** refuse files larger than this (default MAX_FILE_BYTES) */
  maxBytes?: number;
}

/** Where a file inside root is, or null: follows no link, and throws RefusedInput for anything but a regular file. */
export function statInside(root: string, rel: string): { file: string; size: number; mtimeMs: number } | null {
  plainRelativePath(rel, 'log name', root);
  const real = realRoot(root);
  checkParents(real, rel);
  const file = path.join(real, ...rel.split('/'));
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return null;
  if (!st.isFile()) throw new RefusedInput(`${path.join(root, rel)}: ${kind(st)}, expected a regular file; isobench follows no links inside a run directory or artifact`);
  if (st.nlink > 1) throw new RefusedInput(`${path.join(root, rel)}: a hard link (${st.nlink} names); isobench reads only files that belong to the run directory or artifact alone`);
  return { file, size: st.size, mtimeMs: st.mtimeMs };
}

/** The bytes of root/rel, or null when it does not exist; never through a symlink, never outside root. */
export function readBytesInside(root: string, rel: string, opts: ReadOptions = {}): Buffer | null {
  plainRelativePath(rel, 'log name', root);
  const real = realRoot(root);
  checkParents(real, rel);
  const shown = path.join(root, rel);
  const file = path.join(real, ...rel.split('/'));
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new RefusedInput(`${shown}: a symbolic link; isobench follows no links inside a run directory or artifact`);
    throw new Error(`${shown}: cannot read (${code ?? (e as Error).message})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RefusedInput(`${shown}: ${kind(st)}, expected a regular file`);
    if (st.nlink > 1) throw new RefusedInput(`${shown}: a hard link (${st.nlink} names); isobench reads only files that belong to the run directory or artifact alone`);
    const max = opts.maxBytes ?? MAX_FILE_BYTES;
    if (st.size > max) throw new RefusedInput(`${shown}: ${st.size} bytes, more than the ${max} this file may have`);
    return readOpenedFile(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

/** The text of root/rel (strict UTF-8), or null when it does not exist. */
export function readTextInside(root: string, rel: string, opts: ReadOptions = {}): string | null {
  const bytes = readBytesInside(root, rel, opts);
  return bytes === null ? null : decodeUtf8(bytes, path.join(root, rel));
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes as UTF-8 text; invalid bytes are refused, never replaced (the recorded sha256 must match what was read). */
export function decodeUtf8(bytes: Uint8Array, shown: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // a prefix that fails to decode stays failing when extended: binary search for the first bad byte
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      try { new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true }); lo = mid + 1; } catch { hi = mid; }
    }
    const at = lo;
    throw new RefusedInput(`${shown}: not valid UTF-8 (first bad byte near offset ${at}); save it as UTF-8`);
  }
}

/** Every regular file below root/rel (relative to root, sorted); symlinks, devices and sockets are refused, names checked. */
export function listFilesInside(root: string, rel: string, limit = 100_000): string[] {
  const real = realRoot(root);
  const out: string[] = [];
  const walk = (sub: string) => {
    const dir = path.join(real, ...sub.split('/'));
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (!st) return;
    if (!st.isDirectory()) throw new RefusedInput(`${path.join(root, sub)}: ${kind(st)}, expected a directory`);
    for (const name of readdirSync(dir).sort()) {
      const child = `${sub}/${name}`;
      plainRelativePath(child, 'log name', root);
      const cst = lstatSync(path.join(dir, name));
      if (cst.isDirectory()) walk(child);
      else if (cst.isFile()) {
        out.push(child);
        if (out.length > limit) throw new RefusedInput(`${path.join(root, rel)}: more than ${limit} files`);
      } else throw new RefusedInput(`${path.join(root, child)}: ${kind(cst)}; only regular files and directories are read`);
    }
  };
  plainRelativePath(rel, 'log name', root);
  checkParents(real, `${rel}/x`);
  walk(rel);
  return out;
}

function kind(st: { isSymbolicLink(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice() || st.isCharacterDevice()) return 'a device';
  return 'not a regular file';
}
