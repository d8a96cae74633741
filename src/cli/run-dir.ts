// `--run` accepts a run directory, a run id under data/runs/, or 'latest'.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { paths, runFiles } from '../paths.ts';
import { UsageError } from './command.ts';

export function resolveRunDir(arg: string): { runDir: string; runId: string } {
  let dir = arg;
  if (arg === 'latest') {
    const ids = existsSync(paths.runs()) ? readdirSync(paths.runs()).filter((d) => !d.startsWith('.') && statSync(path.join(paths.runs(), d)).isDirectory()).sort() : [];
    if (ids.length === 0) throw new UsageError(`no runs in ${paths.runs()} yet; start one with 'isobench run'`);
    dir = path.join(paths.runs(), ids[ids.length - 1]);
  } else if (!existsSync(arg) && existsSync(paths.run(arg))) {
    dir = paths.run(arg);
  }
  dir = path.resolve(dir);
  if (!existsSync(runFiles(dir).plan)) {
    throw new UsageError(`${arg}: not a run directory (no plan.json); give a directory printed by 'isobench run', a run id, or 'latest'`);
  }
  return { runDir: dir, runId: path.basename(dir) };
}
