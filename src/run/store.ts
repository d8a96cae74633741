// The sample store: samples.jsonl (one line per value) and completed.jsonl (one line per finished instance), fsync'ed as written.
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Completion } from '../rundir/index.ts';
import type { Sample, SampleStatus } from '../types.ts';
import { APPEND_NO_FOLLOW, explainFsError, fsyncDir } from '../rundir/write.ts';

/** The file operations the store uses; tests pass their own to simulate a full disk. */
export interface StoreIo {
  openSync: (file: string, flags: string | number) => number;
  writeSync: (fd: number, buf: Buffer, offset: number, length: number) => number;
  fsyncSync: (fd: number) => void;
  ftruncateSync: (fd: number, len: number) => void;
  fstatSync: (fd: number) => { size: number };
  closeSync: (fd: number) => void;
}

export const nodeIo: StoreIo = {
  openSync: (file, flags) => openSync(file, flags),
  writeSync: (fd, buf, offset, length) => writeSync(fd, buf, offset, length),
  fsyncSync,
  ftruncateSync: (fd, len) => ftruncateSync(fd, len),
  fstatSync: (fd) => fstatSync(fd),
  closeSync,
};

/** The store cannot be written (disk full, I/O error, closed): the run must stop; what is stored stays readable. */
export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface SampleStore {
  append(sample: Sample): void;
  /** after the last sample of an attempt: the marker that makes its samples count as complete */
  completeInstance(cell: string, instance: number, attempt: number, extra?: Pick<Completion, 'why' | 'stage' | 'timing'>): Completion;
  /** an instance an adaptive cell does not need: a 'skipped' marker with no samples, so resume counts it as done */
  skipInstance(cell: string, instance: number, attempt: number, why: 'planned' | 'precise' | 'budget', reason?: string): Completion;
  close(): void;
  /** samples appended in this session */
  readonly count: number;
}

const severity: Record<SampleStatus, number> = { ok: 0, skipped: 1, failed: 2, timeout: 3 };

/** An append-only journal of lines: a line is written whole and synced, or cut off again (never left half-written). */
function openJournal(file: string, io: StoreIo) {
  let fd: number;
  try {
    fd = io.openSync(file, APPEND_NO_FOLLOW); // a symlink planted in its place is refused, never written through
  } catch (e) {
    throw new StoreError(`${file}: cannot open for appending: ${explainFsError(e)}`);
  }
  fsyncDir(path.dirname(file));
  let size = io.fstatSync(fd).size;
  let broken: StoreError | undefined;
  let closed = false;
  return {
    append(line: string) {
      if (closed) throw new StoreError(`${file}: the store is closed (the run is stopping)`);
      if (broken) throw broken;
      const buf = Buffer.from(`${line}\n`);
      try {
        for (let off = 0; off < buf.length;) {
          const n = io.writeSync(fd, buf, off, buf.length - off);
          if (n <= 0) throw Object.assign(new Error('write returned 0 bytes'), { code: 'EIO' });
          off += n;
        }
        io.fsyncSync(fd);
        size += buf.length;
      } catch (e) {
        // cut the partial line off again, so the file ends with a complete line
        let cut = true;
        try {
          io.ftruncateSync(fd, size);
          io.fsyncSync(fd);
        } catch {
          cut = false; // the half line stays; readers and `run --resume` drop a half-written last line
        }
        broken = new StoreError(`${file}: cannot store: ${explainFsError(e)}${cut ? '' : ' (a half-written last line remains; resume removes it)'}`);
        throw broken;
      }
    },
    close() {
      if (!closed) io.closeSync(fd);
      closed = true;
    },
  };
}

export function openSampleStore(files: { samples: string; completed: string }, io: StoreIo = nodeIo): SampleStore {
  const samples = openJournal(files.samples, io);
  const completed = openJournal(files.completed, io);
  const attempts = new Map<string, { samples: number; status: SampleStatus }>();
  const key = (cell: string, instance: number, attempt: number) => `${cell}/${instance}/${attempt}`;
  let count = 0;
  return {
    append(sample) {
      samples.append(JSON.stringify(sample));
      count++;
      const k = key(sample.cell, sample.instance, sample.attempt ?? 0);
      const a = attempts.get(k) ?? { samples: 0, status: 'ok' as SampleStatus };
      a.samples++;
      if (severity[sample.status] > severity[a.status]) a.status = sample.status;
      attempts.set(k, a);
    },
    completeInstance(cell, instance, attempt, extra = {}) {
      const a = attempts.get(key(cell, instance, attempt)) ?? { samples: 0, status: 'ok' as SampleStatus };
      const c: Completion = { schema: 1, cell, instance, attempt, status: a.status, samples: a.samples, ...extra, endedAt: new Date().toISOString() };
      completed.append(JSON.stringify(c));
      return c;
    },
    skipInstance(cell, instance, attempt, why, reason) {
      const c: Completion = { schema: 1, cell, instance, attempt, status: 'skipped', samples: 0, adaptive: why, ...(reason ? { why: reason } : {}), endedAt: new Date().toISOString() };
      completed.append(JSON.stringify(c));
      return c;
    },
    close() {
      samples.close();
      completed.close();
    },
    get count() { return count; },
  };
}
