// A temporary ISOBENCH_DATA for one test file: set before its tests, and after them testHost's changes are undone,
// the previous value restored and the directory removed.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Test } from 'uvu';
import { testHost } from './host-changes.ts';

/** Registers the hooks on the suite; returns a function giving the directory (valid once the suite has started). */
export function useTempData(test: Test, prefix: string): () => string {
  const saved = process.env.ISOBENCH_DATA;
  let dir = '';
  test.before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    process.env.ISOBENCH_DATA = dir; // paths read it lazily, so caches and runs land here
  });
  test.after(async () => {
    await testHost.undo();
    if (saved === undefined) delete process.env.ISOBENCH_DATA;
    else process.env.ISOBENCH_DATA = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}
