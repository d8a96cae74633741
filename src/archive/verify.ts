// Check an artifact against its own MANIFEST.sha256 (and, when given an analyzer, its analysis against its raw samples).
import { inArtifact } from './artifact.ts';
import { manifestName, parseManifest } from './manifest.ts';
import { readTarball, type TarEntry } from './tarball.ts';

export interface Verification {
  ok: boolean;
  /** one line per problem, each naming the file inside the artifact */
  problems: string[];
}

/**
 * Re-runs the analysis from the archived run folder and returns the bytes analysis.json should hold.
 * runFiles maps paths relative to the archived `run/` folder ('samples.jsonl', 'logs/...') to their bytes.
 */
export type Reanalyze = (runFiles: Map<string, Buffer>) => Promise<Buffer>;

/** Check every hash of the artifact's manifest; name each file that differs, is missing or is extra. */
export async function verifyArtifact(file: string, reanalyze?: Reanalyze): Promise<Verification> {
  let entries: TarEntry[];
  try {
    entries = await readTarball(file, {
      keep: (p) => isTopLevel(p, manifestName) || (reanalyze !== undefined && inTopFolder(p, inArtifact.runFolder)),
    });
  } catch (err) {
    return { ok: false, problems: [(err as Error).message] };
  }
  const problems: string[] = [];
  const tops = [...new Set(entries.map((e) => e.path.split('/')[0]))];
  if (tops.length !== 1) {
    return { ok: false, problems: [`${file}: expected one top folder isobench-<run>/, found ${tops.length ? tops.join(', ') : 'an empty archive'}`] };
  }
  const top = tops[0];

  const files = new Map<string, TarEntry>(); // path below the top folder -> entry
  for (const e of entries) {
    const rel = e.path.slice(top.length + 1);
    if (e.path === top && e.type !== 'directory') problems.push(`${top}: a ${e.type}, expected the top folder`);
    else if (e.type === 'directory') continue;
    else if (e.type !== 'file') problems.push(`${rel}: a ${e.type}; an artifact holds only files and folders`);
    else if (files.has(rel)) problems.push(`${rel}: stored twice in the archive`);
    else files.set(rel, e);
  }

  const manifestEntry = files.get(manifestName);
  if (!manifestEntry?.data) return { ok: false, problems: [...problems, `${manifestName}: missing from the archive; nothing can be checked`] };
  files.delete(manifestName);
  let manifest;
  try {
    manifest = parseManifest(manifestEntry.data.toString('utf8'));
  } catch (err) {
    return { ok: false, problems: [...problems, (err as Error).message] };
  }

  for (const { path: rel, sha256 } of manifest) {
    const found = files.get(rel);
    if (!found) problems.push(`${rel}: missing from the archive (listed in ${manifestName})`);
    else if (found.sha256 !== sha256) problems.push(`${rel}: contents changed (sha256 ${found.sha256}, ${manifestName} says ${sha256})`);
  }
  const listed = new Set(manifest.map((m) => m.path));
  for (const rel of files.keys()) {
    if (!listed.has(rel)) problems.push(`${rel}: in the archive but not listed in ${manifestName}`);
  }

  if (reanalyze) problems.push(...(await compareReanalysis(files, reanalyze)));
  return { ok: problems.length === 0, problems };
}

/** The hook for re-running the analysis: its output must equal the archived run/analysis.json byte for byte. */
async function compareReanalysis(files: Map<string, TarEntry>, reanalyze: Reanalyze): Promise<string[]> {
  const stored = files.get(inArtifact.analysis)?.data;
  if (!stored) return [`${inArtifact.analysis}: missing, so the analysis cannot be re-checked`];
  const runFiles = new Map<string, Buffer>();
  for (const [rel, e] of files) {
    if (rel.startsWith(inArtifact.runFolder) && e.data) runFiles.set(rel.slice(inArtifact.runFolder.length), e.data);
  }
  let fresh: Buffer;
  try {
    fresh = await reanalyze(runFiles);
  } catch (err) {
    return [`${inArtifact.analysis}: re-analysis of ${inArtifact.samples} failed: ${(err as Error).message}`];
  }
  if (fresh.equals(stored)) return [];
  return [`${inArtifact.analysis}: differs from a fresh analysis of ${inArtifact.samples} (first difference at line ${firstDifferentLine(stored, fresh)})`];
}

function firstDifferentLine(a: Buffer, b: Buffer): number {
  const la = a.toString('utf8').split('\n');
  const lb = b.toString('utf8').split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  return i + 1;
}

/** `<top>/<name>` exactly. */
function isTopLevel(p: string, name: string): boolean {
  const slash = p.indexOf('/');
  return slash > 0 && p.slice(slash + 1) === name;
}

/** `<top>/<folder>...` */
function inTopFolder(p: string, folder: string): boolean {
  const slash = p.indexOf('/');
  return slash > 0 && p.slice(slash + 1).startsWith(folder);
}
