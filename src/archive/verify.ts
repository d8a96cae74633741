// Check an artifact against its own MANIFEST.sha256 (and, when given an analyzer, its analysis against its raw samples).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { inArtifact } from './artifact.ts';
import { manifestName, parseManifest } from './manifest.ts';
import { readTarball, tarBytes, type TarEntry } from './tarball.ts';

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
    entries = await readTarball(file, { keep: () => true }); // every file: the canonical re-pack below needs them all
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

  // only an artifact whose files all match can be re-packed meaningfully; otherwise the named files say enough
  if (problems.length === 0) problems.push(...(await checkCanonical(file, entries, top)));
  if (reanalyze) problems.push(...(await compareReanalysis(files, reanalyze)));
  return { ok: problems.length === 0, problems };
}

/** What `isobench archive` writes: gzip magic, deflate, no flags, mtime 0, XFL 2 (level 9), OS 3 (Unix). */
const gzipHeader = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3];
const hex = (b: number | undefined) => (b === undefined ? 'missing' : `0x${b.toString(16).padStart(2, '0')}`);

/**
 * The artifact must be byte for byte what `isobench archive` writes for its own files, so a change that hashes
 * cannot see (a tar header's mode or time, padding, the gzip framing, bytes appended) is caught too.
 */
async function checkCanonical(file: string, entries: TarEntry[], top: string): Promise<string[]> {
  const name = path.basename(file);
  const raw = await readFile(file);
  const bad = gzipHeader.findIndex((b, i) => raw[i] !== b);
  if (bad >= 0) return [`${name}: gzip header byte ${bad} is ${hex(raw[bad])}, isobench archive writes ${hex(gzipHeader[bad])} (re-compressed or edited)`];
  let stream: Buffer;
  try {
    const out = gunzipSync(raw, { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    if (out.engine.bytesWritten !== raw.length) return [`${name}: ${raw.length - out.engine.bytesWritten} byte(s) after the end of the gzip stream`];
    stream = out.buffer;
  } catch (err) {
    return [`${name}: not a readable .tar.gz: ${(err as Error).message}`];
  }
  const files = entries.filter((e) => e.type === 'file').map((e) => ({ path: e.path, data: e.data! })); // archive writes every file 0644
  const canonical = await tarBytes(files, archiveTime(entries, top));
  if (canonical.equals(stream)) return [];
  let at = 0;
  while (at < canonical.length && at < stream.length && canonical[at] === stream[at]) at++;
  if (at >= canonical.length) return [`${name}: ${stream.length - canonical.length} byte(s) after the end of the tar archive`];
  const entry = entryAt(canonical, at);
  const what = entry === null ? 'the end-of-archive blocks' : entry === top ? 'the top folder' : entry.slice(top.length + 1);
  return [`${what}: tar header or padding differs from what isobench archive writes (byte ${at} of the tar stream; re-packed or edited)`];
}

/** Every entry carries the run's start time (environment.json startedAt); the top folder's time when that is unreadable. */
function archiveTime(entries: TarEntry[], top: string): Date {
  const env = entries.find((e) => e.path === `${top}/run/environment.json`)?.data;
  try {
    const t = new Date(JSON.parse(env!.toString('utf8')).startedAt);
    if (!Number.isNaN(t.getTime())) return t;
  } catch { /* fall through */ }
  return entries.find((e) => e.path === top)?.mtime ?? entries[0].mtime;
}

/** The path of the entry (its pax header, ustar header, data or padding) that holds byte `offset` of a tar stream; null past the last entry. */
function entryAt(tar: Buffer, offset: number): string | null {
  let pos = 0;
  let longName: string | null = null;
  while (pos + 512 <= tar.length) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) return null;
    const field = (from: number, to: number) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 136).trim() || '0', 8);
    const end = pos + 512 + Math.ceil(size / 512) * 512;
    const type = String.fromCharCode(header[156]);
    if (type === 'x' || type === 'L') {
      // a long path travels in a header of its own, just before the entry it names
      const body = tar.subarray(pos + 512, pos + 512 + size).toString('utf8');
      longName = type === 'L' ? body.replace(/\0.*$/s, '') : (/(?:^|\n)\d+ path=([^\n]*)\n/.exec(body)?.[1] ?? null);
      pos = end;
      continue;
    }
    const prefix = field(345, 500);
    const entryName = (longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))).replace(/\/+$/, '');
    longName = null;
    if (offset < end) return entryName;
    pos = end;
  }
  return null;
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
