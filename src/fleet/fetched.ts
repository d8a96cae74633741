// A host's fetched artifact, checked (every MANIFEST.sha256 hash and the canonical form, as `isobench verify` does) and
// only then unpacked into data/fleet/<fleet-run>/hosts/<host>/run; fetched.json marks it done, so it is never fetched again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { unpackArtifact } from '../archive/unpack.ts';
import { verifyArtifact } from '../archive/verify.ts';
import { RefusedInput, writeJsonAtomic } from '../rundir/index.ts';

export const ARTIFACT = 'artifact.tar.gz';
export const MARKER = 'fetched.json';
export const RUN_FOLDER = 'run';

export interface FetchedRun {
  host: string;
  /** the host's run directory, unpacked from its artifact */
  runDir: string;
  /** the run id on the host */
  run: string;
  artifactSha256: string;
}

export type Acceptance = { status: 'accepted'; fetched: FetchedRun } | { status: 'absent' } | { status: 'rejected'; reason: string };

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The host's run when its marker, artifact and run folder agree; null otherwise. */
export function fetchedRun(hostDir: string, host: string): FetchedRun | null {
  const marker = path.join(hostDir, MARKER);
  if (!existsSync(marker)) return null;
  try {
    const m = JSON.parse(readFileSync(marker, 'utf8')) as Partial<FetchedRun>;
    const runDir = path.join(hostDir, RUN_FOLDER);
    if (m.host !== host || typeof m.run !== 'string' || typeof m.artifactSha256 !== 'string') return null;
    if (!existsSync(runDir) || !existsSync(path.join(hostDir, ARTIFACT)) || sha256File(path.join(hostDir, ARTIFACT)) !== m.artifactSha256) return null;
    return { host, runDir, run: m.run, artifactSha256: m.artifactSha256 };
  } catch {
    return null;
  }
}

/** Check and unpack the artifact the playbook fetched into hostDir; a bad one is set aside (named in the reason) so the next call fetches it again. */
export async function acceptArtifact(hostDir: string, host: string): Promise<Acceptance> {
  const done = fetchedRun(hostDir, host);
  if (done) return { status: 'accepted', fetched: done };
  const artifact = path.join(hostDir, ARTIFACT);
  if (!existsSync(artifact)) return { status: 'absent' };
  const reject = (why: string): Acceptance => {
    const aside = path.join(hostDir, `artifact.rejected-${Date.now()}.tar.gz`);
    renameSync(artifact, aside);
    return { status: 'rejected', reason: `the fetched artifact failed its check (${why}); kept as ${aside}, fetched again by the next call` };
  };
  let problems: string[];
  try {
    problems = (await verifyArtifact(artifact)).problems;
  } catch (err) {
    if (err instanceof RefusedInput) return reject(err.message);
    throw err;
  }
  if (problems.length > 0) return reject(problems.slice(0, 3).join('; '));

  const work = path.join(hostDir, '.unpack');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { mode: 0o700 });
  try {
    const unpacked = await unpackArtifact(artifact, path.join(work, 'tree'), path.join(work, 'stream.tar'));
    const runDir = path.join(hostDir, RUN_FOLDER);
    rmSync(runDir, { recursive: true, force: true });
    renameSync(path.join(work, 'tree', unpacked.top, 'run'), runDir);
    const run = unpacked.top.replace(/^isobench-/, '');
    const fetched: FetchedRun = { host, runDir, run, artifactSha256: sha256File(artifact) };
    writeJsonAtomic(path.join(hostDir, MARKER), { host, run, artifactSha256: fetched.artifactSha256 });
    return { status: 'accepted', fetched };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
