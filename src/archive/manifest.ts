// MANIFEST.sha256: one `<sha256>  <path>` line per file, sorted by path, so `sha256sum -c` checks an extracted artifact.
import { createHash } from 'node:crypto';

export interface ManifestEntry {
  path: string; // relative to the artifact's top folder, '/'-separated
  sha256: string; // lowercase hex
}

export const manifestName = 'MANIFEST.sha256';

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Byte order of UTF-16 code units; not localeCompare, so the order is the same on every machine. */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The manifest text; throws on a path sha256sum would have to escape (newline, backslash) or a duplicate. */
export function formatManifest(entries: ManifestEntry[]): string {
  const sorted = [...entries].sort((a, b) => comparePaths(a.path, b.path));
  for (let i = 0; i < sorted.length; i++) {
    const { path, sha256 } = sorted[i];
    if (!path || /[\n\r\\]/.test(path)) throw new Error(`${manifestName}: path ${JSON.stringify(path)} cannot be written (empty, or holds a newline or backslash); rename the file`);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${manifestName}: ${path}: '${sha256}' is not a lowercase hex sha256`);
    if (i > 0 && sorted[i - 1].path === path) throw new Error(`${manifestName}: ${path} is listed twice`);
  }
  return sorted.map((e) => `${e.sha256}  ${e.path}\n`).join('');
}

/** Parse manifest text; accepts sha256sum's text (`  `) and binary (` *`) separators; errors name the line. */
export function parseManifest(text: string, source = manifestName): ManifestEntry[] {
  const entries: ManifestEntry[] = [];
  const seen = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`${source}: line ${i + 1}: expected '<sha256>  <path>', got ${JSON.stringify(line.slice(0, 120))}`);
    const path = m[2];
    if (seen.has(path)) throw new Error(`${source}: line ${i + 1}: ${path} is listed twice`);
    seen.add(path);
    entries.push({ sha256: m[1].toLowerCase(), path });
  });
  return entries;
}
