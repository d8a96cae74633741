// The one way isobench reads a YAML file it validates (experiments, claims, architecture notes): bounded before parsing,
// strict UTF-8, plain data only (no tags, no non-finite numbers, no duplicate keys), aliases capped.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { isMap, isPair, isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { readOpenedFile } from './opened-file.ts';

/** Limits checked before anything is built from the file; far above a real experiment (paper.yaml: 4 KB, about 150 keys). */
export const YAML_LIMITS = {
  /** file size */
  bytes: 256 * 1024,
  /** mapping keys in the whole document */
  keys: 5000,
  /** alias expansions (a billion-laughs file stops here) */
  aliases: 100,
} as const;

/** A problem in a YAML file: where (a path of keys, line) and what; the caller turns it into its own error type. */
export class YamlProblem extends Error {
  constructor(readonly problem: string, readonly path: (string | number)[] = [], readonly line?: number) {
    super(problem);
    this.name = 'YamlProblem';
  }
}

/** The file's bytes, refused before reading when larger than maxBytes. */
export function readYamlBytes(file: string, maxBytes: number = YAML_LIMITS.bytes): Buffer {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new YamlProblem('not a regular file');
    if (st.size > maxBytes) throw new YamlProblem(`the file has ${st.size} bytes; at most ${maxBytes} are read (YAML_LIMITS.bytes)`);
    return readOpenedFile(fd, st.size);
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Bytes as text; invalid UTF-8 is refused (replacing it would make the recorded sha256 describe other text). */
export function decodeYaml(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new YamlProblem('not valid UTF-8; save the file as UTF-8');
  }
}

export interface YamlDocument {
  /** the document as plain JSON-like data */
  value: unknown;
  /** the line of the node at a path of keys, or of its nearest ancestor */
  lineOf(path: (string | number)[]): number | undefined;
}

/** Parse text as one YAML document of plain data; throws YamlProblem naming the line. */
export function parseYamlDocument(text: string, limits: { bytes?: number; keys?: number } = {}): YamlDocument {
  const maxBytes = limits.bytes ?? YAML_LIMITS.bytes;
  if (text.length > maxBytes) throw new YamlProblem(`the text has ${text.length} characters; at most ${maxBytes} are read (YAML_LIMITS.bytes)`);
  const lines = new LineCounter();
  // uniqueKeys is checked below in one pass: the library's own check is quadratic in the number of keys
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: true });
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : lines.linePos(offset).line);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new YamlProblem(`not valid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, [], e.linePos?.[0]?.line);
  }
  checkPlain(doc, limits.keys ?? YAML_LIMITS.keys, lineAt);
  if (doc.warnings.length > 0) {
    const w = doc.warnings[0];
    throw new YamlProblem(`not plain YAML: ${w.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`, [], w.linePos?.[0]?.line);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: YAML_LIMITS.aliases });
  } catch (e) {
    // the billion-laughs guard of the yaml library, among others
    throw new YamlProblem(`cannot be expanded: ${(e as Error).message.split('\n')[0]} (at most ${YAML_LIMITS.aliases} alias expansions)`);
  }
  const badNumber = nonFinite(value, []);
  if (badNumber) throw new YamlProblem(`${badNumber.value} is not a finite number; give a number`, badNumber.path, lineOfPath(doc, badNumber.path, lineAt));
  return { value, lineOf: (path) => lineOfPath(doc, path, lineAt) };
}

/** Refuses tags (a `!!set` or `!!map` would be silently turned into something the schema never saw), duplicate keys, key floods. */
function checkPlain(doc: Document, maxKeys: number, lineAt: (offset: number | undefined) => number | undefined): void {
  let keys = 0;
  visit(doc, {
    Node(_key, node) {
      const tag = (node as { tag?: string }).tag;
      if (tag) throw new YamlProblem(`the YAML tag ${tag.replace('tag:yaml.org,2002:', '!!')} is not allowed; write plain values (isobench reads YAML as JSON-like data)`, [], lineAt((node as { range?: number[] }).range?.[0]));
      if (isMap(node)) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          if (++keys > maxKeys) throw new YamlProblem(`more than ${maxKeys} keys (YAML_LIMITS.keys); an experiment this large is a mistake`, [], lineAt((pair.key as { range?: number[] } | null)?.range?.[0]));
          const k = isScalar(pair.key) ? String(pair.key.value) : JSON.stringify(pair.key);
          if (seen.has(k)) throw new YamlProblem(`key '${k}' appears twice in one mapping; give it once`, [], lineAt((pair.key as { range?: number[] } | null)?.range?.[0]));
          seen.add(k);
        }
      }
      return undefined;
    },
    Pair(_key, pair) {
      if (isPair(pair) && pair.key !== null && !isScalar(pair.key)) throw new YamlProblem('a mapping key must be a plain value, not a list or mapping', [], lineAt((pair.key as { range?: number[] }).range?.[0]));
      return undefined;
    },
  });
}

function nonFinite(v: unknown, path: (string | number)[]): { value: number; path: (string | number)[] } | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : { value: v, path };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = nonFinite(v[i], [...path, i]);
      if (bad) return bad;
    }
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const bad = nonFinite(x, [...path, k]);
      if (bad) return bad;
    }
  }
  return null;
}

function lineOfPath(doc: Document, path: (string | number)[], lineAt: (offset: number | undefined) => number | undefined): number | undefined {
  for (let p = path; p.length > 0; p = p.slice(0, -1)) {
    const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineAt(node.range[0]);
  }
  return undefined;
}
