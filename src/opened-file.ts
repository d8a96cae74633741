// Reading a file already opened and checked (fstat) by its caller: whole, and no more than the size it had then.
import { readSync } from 'node:fs';

/** the bytes of fd from offset 0, at most `size` (a file that shrank meanwhile gives what it has) */
export function readOpenedFile(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < buf.length) {
    const n = readSync(fd, buf, off, buf.length - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}
