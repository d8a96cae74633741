// Tools isobench compiles itself (declared by workloads with buildTools): built once per run, then on PATH like any other.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import type { Workload } from '../types.ts';

/** Builds what the workloads ship as source and puts the directory first on PATH (for native and for the image builder). */
export async function provideBuiltTools(workloads: Workload[]): Promise<void> {
  const withTools = workloads.filter((w) => w.buildTools);
  if (withTools.length === 0) return;
  const dir = paths.builtTools();
  mkdirSync(dir, { recursive: true });
  for (const w of withTools) {
    // a tool that cannot be built is a missing tool: its cells are skipped with the reason, the run goes on
    await w.buildTools!(dir).catch((e: Error) => log.warn(`${w.id}: cannot build its tools: ${e.message}`));
  }
  const entries = (process.env.PATH ?? '').split(path.delimiter).filter((p) => p && p !== dir);
  process.env.PATH = [dir, ...entries].join(path.delimiter);
}
