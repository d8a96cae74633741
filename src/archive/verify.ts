// Check an artifact that may be hostile: unpack it once into a fresh private folder (refusing unsafe entries and
// bombs), check every hash of its manifest, its bytes against a canonical re-pack, and only then re-run the analysis.
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTextInside, RefusedInput } from '../rundir/index.ts';
import { inArtifact } from './artifact.ts';
import { manifestName, parseManifest } from './manifest.ts';
import { packStream, type TarInput } from './tarball.ts';
import { unpackArtifact, type Unpacked } from './unpack.ts';

export interface Verification {
  ok: boolean;
  /** one line per problem, each naming the file inside the artifact */
  problems: string[];
}

/**
 * Re-runs the analysis of the unpacked run folder (`<top>/run`, inside verify's private temporary folder) and returns
 * the bytes analysis.json should hold. Called only when every hash and the canonical form checked out.
 */
export type Reanalyze = (runDir: string) => Promise<Buffer>;

/**
 * Check the artifact; problems name each file that differs, is missing or is extra (exit 1). An artifact that is
 * unsafe to unpack throws RefusedInput (exit 2) before anything outside the private temporary folder is touched.
 */
export async function verifyArtifact(file: string, reanalyze?: Reanalyze): Promise<Verification> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'isobench-verify-')); // mode 0700: only this user reads it
  try {
    const tree = path.join(work, 'tree');
    const unpacked = await unpackArtifact(file, tree, path.join(work, 'stream.tar'));
    const problems = checkManifest(tree, unpacked);
    // only an artifact whose files all match can be re-packed meaningfully; otherwise the named files say enough
    if (problems.length === 0) problems.push(...(await checkCanonical(file, tree, unpacked, path.join(work, 'stream.tar'))));
    // a fresh analysis only of an archive that checked out: nothing is analysed that verify has not vouched for
    if (problems.length === 0 && reanalyze) problems.push(...(await compareReanalysis(path.join(tree, unpacked.top), reanalyze)));
    return { ok: problems.length === 0, problems };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Every file listed with its hash, nothing unlisted; each problem names the file below the top folder. */
function checkManifest(tree: string, unpacked: Unpacked): string[] {
  const root = path.join(tree, unpacked.top);
  const text = readTextInside(root, manifestName, { maxBytes: 64 * 1024 * 1024 });
  if (text === null) return [`${manifestName}: missing from the archive; nothing can be checked`];
  let manifest;
  try {
    manifest = parseManifest(text);
  } catch (err) {
    return [(err as Error).message];
  }
  const files = new Map(unpacked.files.map((f) => [f.path.slice(unpacked.top.length + 1), f]));
  files.delete(manifestName);
  const problems: string[] = [];
  for (const { path: rel, sha256 } of manifest) {
    const found = files.get(rel);
    if (!found) problems.push(`${rel}: missing from the archive (listed in ${manifestName})`);
    else if (found.sha256 !== sha256) problems.push(`${rel}: contents changed (sha256 ${found.sha256}, ${manifestName} says ${sha256})`);
  }
  const listed = new Set(manifest.map((m) => m.path));
  for (const rel of files.keys()) {
    if (!listed.has(rel)) problems.push(`${rel}: in the archive but not listed in ${manifestName}`);
  }
  return problems;
}

/** What `isobench archive` writes: gzip magic, deflate, no flags, mtime 0, XFL 2 (level 9), OS 3 (Unix). */
const gzipHeader = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3];
const hex = (b: number | undefined) => (b === undefined ? 'missing' : `0x${b.toString(16).padStart(2, '0')}`);

/** Read `length` bytes at `position` of an open file (fewer at its end). */
function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * The artifact must be byte for byte what `isobench archive` writes for its own files, so a change that hashes
 * cannot see (a tar header's mode or time, padding, the gzip framing, bytes appended) is caught too. The re-pack is
 * streamed and compared with the tar stream kept while unpacking: nothing is decompressed twice or held whole.
 */
async function checkCanonical(file: string, tree: string, unpacked: Unpacked, streamFile: string): Promise<string[]> {
  const name = path.basename(file);
  const fd = openSync(file, 'r');
  let head: Buffer;
  try { head = readAt(fd, 0, gzipHeader.length); } finally { closeSync(fd); }
  const bad = gzipHeader.findIndex((b, i) => head[i] !== b);
  if (bad >= 0) return [`${name}: gzip header byte ${bad} is ${hex(head[bad])}, isobench archive writes ${hex(gzipHeader[bad])} (re-compressed or edited)`];
  if (unpacked.gzipBytes !== unpacked.fileBytes) return [`${name}: ${unpacked.fileBytes - unpacked.gzipBytes} byte(s) after the end of the gzip stream`];

  const inputs: TarInput[] = unpacked.files.map((f) => ({ path: f.path, file: path.join(tree, ...f.path.split('/')), executable: false })); // archive writes every file 0644
  const tarFd = openSync(streamFile, 'r');
  try {
    let at = 0;
    let differs = -1;
    await packStream(inputs, archiveTime(tree, unpacked.top), (chunk) => {
      if (differs < 0) {
        const stored = readAt(tarFd, at, chunk.length);
        for (let i = 0; i < chunk.length; i++) {
          if (stored[i] !== chunk[i]) { differs = at + i; break; }
        }
      }
      at += chunk.length;
    });
    const storedSize = fstatSync(tarFd).size;
    if (differs < 0 && storedSize === at) return [];
    if (differs < 0 && storedSize > at) return [`${name}: ${storedSize - at} byte(s) after the end of the tar archive`];
    if (differs < 0) differs = storedSize; // the stored stream ends early
    const entry = entryAt(tarFd, differs);
    const what = entry === null ? 'the end-of-archive blocks' : entry === unpacked.top ? 'the top folder' : entry.slice(unpacked.top.length + 1);
    return [`${what}: tar header or padding differs from what isobench archive writes (byte ${differs} of the tar stream; re-packed or edited)`];
  } finally {
    closeSync(tarFd);
  }
}

/** Every entry carries the run's start time (environment.json startedAt); the epoch when that is unreadable. */
function archiveTime(tree: string, top: string): Date {
  try {
    const env = readTextInside(path.join(tree, top), 'run/environment.json', { maxBytes: 64 * 1024 * 1024 });
    const t = new Date(JSON.parse(env ?? '').startedAt);
    if (!Number.isNaN(t.getTime())) return t;
  } catch { /* fall through */ }
  return new Date(0);
}

/** The path of the entry (its pax header, ustar header, data or padding) that holds byte `offset` of a tar stream; null past the last entry. */
function entryAt(fd: number, offset: number): string | null {
  let pos = 0;
  let longName: string | null = null;
  for (;;) {
    const header = readAt(fd, pos, 512);
    if (header.length < 512 || header.every((b) => b === 0)) return null;
    const field = (from: number, to: number) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 136).trim() || '0', 8) || 0;
    const end = pos + 512 + Math.ceil(size / 512) * 512;
    const type = String.fromCharCode(header[156]);
    if (type === 'x' || type === 'L') {
      // a long path travels in a header of its own, just before the entry it names
      const body = readAt(fd, pos + 512, Math.min(size, 64 * 1024)).toString('utf8');
      longName = type === 'L' ? body.replace(/\0.*$/s, '') : (/(?:^|\n)\d+ path=([^\n]*)\n/.exec(body)?.[1] ?? null);
      if (offset < end) return longName;
      pos = end;
      continue;
    }
    const prefix = field(345, 500);
    const entryName = (longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100))).replace(/\/+$/, '');
    longName = null;
    if (offset < end) return entryName;
    pos = end;
  }
}

/** The hook for re-running the analysis: its output must equal the archived run/analysis.json byte for byte. */
async function compareReanalysis(root: string, reanalyze: Reanalyze): Promise<string[]> {
  const stored = readTextInside(root, inArtifact.analysis, { maxBytes: 64 * 1024 * 1024 });
  if (stored === null) return [`${inArtifact.analysis}: missing, so the analysis cannot be re-checked`];
  let fresh: Buffer;
  try {
    fresh = await reanalyze(path.join(root, inArtifact.runFolder));
  } catch (err) {
    if (err instanceof RefusedInput) throw err;
    return [`${inArtifact.analysis}: re-analysis of ${inArtifact.samples} failed: ${(err as Error).message}`];
  }
  if (fresh.equals(Buffer.from(stored))) return [];
  return [`${inArtifact.analysis}: differs from a fresh analysis of ${inArtifact.samples} (first difference at line ${firstDifferentLine(Buffer.from(stored), fresh)})`];
}

function firstDifferentLine(a: Buffer, b: Buffer): number {
  const la = a.toString('utf8').split('\n');
  const lb = b.toString('utf8').split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  return i + 1;
}
