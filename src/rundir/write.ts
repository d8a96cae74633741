// Writing run files: a crash, a full disk or a read-only directory never leaves half a file, and no planted link is written through.
import { closeSync, constants, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** What an errno means for a run directory, and what to do about it. */
export function explainFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOSPC': return 'no space left on device (free some space)';
    case 'EDQUOT': return 'disk quota exceeded (free some space or raise the quota)';
    case 'EROFS': return 'read-only file system (point ISOBENCH_DATA at a writable directory)';
    case 'EACCES':
    case 'EPERM': return 'permission denied (fix the permissions or point ISOBENCH_DATA elsewhere)';
    case 'ENOTDIR': return 'a path component is a file, not a directory';
    case 'EIO': return 'input/output error (check the disk)';
    default: return code ? `${code}: ${(e as Error).message}` : (e as Error).message;
  }
}

/** fsync a directory, so a file created or renamed in it survives a power loss. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // some file systems refuse fsync on a directory; the data itself was already synced
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Flags for appending to a run file: created if missing, and a symlink in its place is refused (ELOOP), never followed. */
export const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** Flags for a file isobench creates itself: it must not exist yet (so no symlink or other file is written through). */
export const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Append text to a run file (a log, a journal) without following a symlink and only to a regular file. */
export function appendNoFollow(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, APPEND_NO_FOLLOW, 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new Error(`${file}: is a symbolic link; isobench never writes through a link in a run directory`);
    throw e;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${file}: not a regular file; isobench appends only to regular files`);
    const buf = Buffer.from(text);
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

/** Write file via a temporary file + fsync + rename: readers see the old or the new bytes, never a mix. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  let fd: number | undefined;
  try {
    rmSync(tmp, { force: true }); // a leftover (or a planted link) is removed, never written through
    fd = openSync(tmp, CREATE_NEW, 0o644);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) try { closeSync(fd); } catch { /* already failing */ }
    try { rmSync(tmp, { force: true }); } catch { /* it was never created */ }
    throw new Error(`${file}: cannot write: ${explainFsError(e)}`);
  }
  fsyncDir(path.dirname(file));
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** mkdir -p one level at a time (Node's recursive mkdir never returns on some pseudo file systems, e.g. under /proc). */
function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); !existsSync(d) && d !== path.dirname(d); d = path.dirname(d)) missing.push(d);
  for (const d of missing.reverse()) mkdirSync(d);
}

/** Throws a one-line error naming dir and the fix unless a file can be created, written and synced in it. */
export function checkWritable(dir: string): void {
  const probe = path.join(dir, `.isobench-write-test-${process.pid}`);
  try {
    makeDirs(dir);
    const fd = openSync(probe, CREATE_NEW, 0o644);
    try {
      writeSync(fd, 'isobench\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new Error(`${dir}: cannot write run data here: ${explainFsError(e)}`);
  } finally {
    try { rmSync(probe, { force: true }); } catch { /* nothing was created */ }
  }
}
