// The checkout shipped to every host: `git archive` of HEAD plus a file naming the commit; uncommitted changes refused or named.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { run, runOk } from '../proc.ts';
import { FleetInputError } from './errors.ts';

export interface Source {
  commit: string;
  /** the tarball the playbook unpacks on each host */
  tarball: string;
}

export interface Head {
  commit: string;
  /** tracked files that differ from HEAD */
  uncommitted: string[];
  /** files git does not track (and does not ignore): never shipped */
  untracked: string[];
}

/** HEAD's commit and the files that differ from it; refuses a folder that is not a git checkout. */
export async function headCommit(): Promise<Head> {
  const head = await run(['git', '-C', paths.root, 'rev-parse', '--verify', 'HEAD'], { timeoutMs: 30_000 });
  if (head.code !== 0) {
    throw new FleetInputError(`${paths.root}: not a git checkout with a commit (${(head.stderr || head.stdout).trim().split('\n')[0]}); fleet ships HEAD with git archive, so run it from a git clone of isobench`);
  }
  const status = await runOk(['git', '-C', paths.root, 'status', '--porcelain', '--untracked-files=no'], { timeoutMs: 30_000 });
  const uncommitted = status.stdout.split('\n').filter((l) => l.trim() !== '').map((l) => l.slice(3));
  const others = await runOk(['git', '-C', paths.root, 'ls-files', '--others', '--exclude-standard', '-z'], { timeoutMs: 30_000 });
  const untracked = others.stdout.split('\0').filter((l) => l !== '');
  return { commit: head.stdout.trim(), uncommitted, untracked };
}

const named = (files: string[]) => `${files.slice(0, 10).join(', ')}${files.length > 10 ? `, … (${files.length} files)` : ''}`;

/** Refuses uncommitted changes unless allowDirty, and then names them: the hosts get HEAD, never the working tree. */
/** Untracked files are named (they are not shipped; an experiment file travels on its own). */
export function checkUncommitted(head: Head, allowDirty: boolean): void {
  const { commit, uncommitted, untracked } = head;
  if (uncommitted.length > 0) {
    if (!allowDirty) {
      throw new FleetInputError(`${paths.root}: uncommitted changes (${named(uncommitted)}); the hosts would run HEAD (${commit.slice(0, 12)}) without them. Commit them, or pass --allow-dirty to ship HEAD as it is`);
    }
    log.warn(`shipping HEAD ${commit.slice(0, 12)} without the uncommitted changes to ${named(uncommitted)} (--allow-dirty)`);
  }
  if (untracked.length > 0) log.warn(`not shipped: ${untracked.length} untracked file(s) of the checkout (${named(untracked)}); the hosts get HEAD only (git add and commit what they need)`);
}

export const sourceTarball = (dir: string, commit: string) => path.join(dir, `source-${commit}.tar`);

/** The tarball of the commit in dir, made once per commit. */
export async function shipSource(dir: string, commit: string): Promise<Source> {
  const tarball = sourceTarball(dir, commit);
  if (!existsSync(tarball)) {
    mkdirSync(dir, { recursive: true });
    const partial = `${tarball}.partial`;
    const stamp = path.join(dir, `.commit-${commit}`);
    rmSync(partial, { force: true });
    rmSync(stamp, { recursive: true, force: true });
    await runOk(['git', '-C', paths.root, 'archive', '--format=tar', `--output=${partial}`, commit], { timeoutMs: 300_000 });
    // a git archive has no .git: the commit travels as .isobench-commit (src/run/environment.ts reads it)
    mkdirSync(stamp);
    writeFileSync(path.join(stamp, path.basename(paths.shippedCommit)), `${commit}\n`);
    await runOk(['tar', '--append', `--file=${partial}`, '-C', stamp, '--owner=0', '--group=0', path.basename(paths.shippedCommit)], { timeoutMs: 60_000 });
    rmSync(stamp, { recursive: true, force: true });
    renameSync(partial, tarball);
  }
  return { commit, tarball };
}
