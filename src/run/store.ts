// The sample store: one JSON object per line, appended and fsync'ed as each value is measured.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { Sample } from '../types.ts';

export interface SampleStore {
  append(sample: Sample): void;
  close(): void;
  readonly count: number;
}

export function openSampleStore(file: string): SampleStore {
  const fd = openSync(file, 'a');
  let count = 0;
  let closed = false;
  return {
    append(sample) {
      // One write per line, then fsync: a crash loses at most the line being written.
      writeSync(fd, `${JSON.stringify(sample)}\n`);
      fsyncSync(fd);
      count++;
    },
    close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
    get count() { return count; },
  };
}
