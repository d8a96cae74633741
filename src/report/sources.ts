// What the report shows besides the run: the paper's bibliographic facts and the architecture callouts, as validated data.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { claimMeasures } from '../claims/load.ts';
import { formatSchemaError, makeValidator, suggest } from '../experiment/validate.ts';
import { paths } from '../paths.ts';
import type { NetworkMode } from '../types.ts';
import { parseYamlDocument, YamlProblem } from '../yaml-document.ts';

export interface PaperFacts {
  title: string;
  authors: string[];
  venue: string;
  year: number;
  doi: string;
  arxiv: string;
  scripts: string;
  host: string;
}

export type CalloutProvenanceKind = 'text' | 'summary' | 'scripts' | 'background';

export interface CalloutMeasure { workload: string; job: string; metric: string }

export interface CalloutEvidenceSpec {
  label: string;
  /** alternatives: the first that ran is used */
  platforms: string[];
  reference: string[];
  network?: NetworkMode;
  /** ratio (default) or difference: an added cost in the metric's unit */
  compare?: 'ratio' | 'difference';
  measure: CalloutMeasure;
}

export interface Callout {
  id: string;
  title: string;
  anchors: { workload: string; job?: string }[];
  text: string;
  provenance: { kind: CalloutProvenanceKind; where: string };
  claims: string[];
  evidence: CalloutEvidenceSpec[];
}

export interface ReportSources {
  paper: PaperFacts;
  callouts: Callout[];
  /** the files as read, '/'-separated relative to the project, with their sha256 (for the methods section) */
  files: { file: string; sha256: string }[];
}

/** Reads data/paper/paper.yaml and data/paper/architecture.yaml (or the given files). */
export function loadReportSources(paperFile: string = paths.paper, architectureFile: string = paths.architecture): ReportSources {
  const paperText = readText(paperFile);
  const archText = readText(architectureFile);
  return {
    paper: parsePaper(paperText, relativeName(paperFile)),
    callouts: parseArchitecture(archText, relativeName(architectureFile)),
    files: [
      { file: relativeName(paperFile), sha256: sha256(paperText) },
      { file: relativeName(architectureFile), sha256: sha256(archText) },
    ],
  };
}

type Fail = (where: (string | number)[], problem: string) => never;

/** YAML with line numbers for messages: `fail` names the file, the line, the field and the problem. */
function parseYaml(text: string, file: string): { raw: unknown; fail: Fail } {
  let doc: ReturnType<typeof parseYamlDocument>;
  try {
    doc = parseYamlDocument(text, { keys: 20_000 });
  } catch (e) {
    if (!(e instanceof YamlProblem)) throw e;
    throw new Error(`${file}${e.line ? `:${e.line}` : ''}: ${e.problem}`);
  }
  const fail: Fail = (where, problem) => {
    const line = doc.lineOf(where);
    const at = where.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
    throw new Error(`${file}${line ? `:${line}` : ''}: ${at}${at ? ': ' : ''}${problem}`);
  };
  return { raw: doc.value, fail };
}

export function parsePaper(text: string, file: string): PaperFacts {
  const { raw, fail } = parseYaml(text, file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail([], 'expected a mapping of title, authors, venue, year, doi, arxiv, scripts, host');
  const obj = raw as Record<string, unknown>;
  if (obj.schema !== 1) fail(['schema'], `must be 1, got ${JSON.stringify(obj.schema)}`);
  for (const key of ['title', 'venue', 'doi', 'arxiv', 'scripts', 'host']) {
    if (typeof obj[key] !== 'string' || obj[key] === '') fail([key], 'must be a non-empty string (quote it if YAML reads it as a number)');
  }
  if (!Array.isArray(obj.authors) || obj.authors.length === 0 || obj.authors.some((a) => typeof a !== 'string')) fail(['authors'], 'must be a list of names');
  if (!Number.isInteger(obj.year)) fail(['year'], 'must be a year, e.g. 2021');
  const known = new Set(['schema', 'title', 'authors', 'venue', 'year', 'doi', 'arxiv', 'scripts', 'host']);
  for (const key of Object.keys(obj)) if (!known.has(key)) fail([key], `unknown key${suggest(key, [...known])}; allowed keys: ${[...known].join(', ')}`);
  const { schema: _, ...facts } = obj;
  return facts as unknown as PaperFacts;
}

let validateArchitecture: ReturnType<typeof makeValidator> | undefined;

export function parseArchitecture(text: string, file: string): Callout[] {
  const { raw, fail } = parseYaml(text, file);
  validateArchitecture ??= makeValidator(JSON.parse(readFileSync(paths.architectureSchema, 'utf8')));
  const err = validateArchitecture(raw); // fills in job: default
  if (err) fail(err.path, formatSchemaError(err));
  const callouts = (raw as { callouts: Callout[] }).callouts;
  const seen = new Set<string>();
  callouts.forEach((c, i) => {
    if (seen.has(c.id)) fail(['callouts', i, 'id'], `callout id '${c.id}' is used twice; ids must be unique`);
    seen.add(c.id);
    c.evidence.forEach((e, j) => {
      const known = claimMeasures[e.measure.workload];
      if (!known.metrics.includes(e.measure.metric)) {
        fail(['callouts', i, 'evidence', j, 'measure', 'metric'], `unknown metric '${e.measure.metric}' for ${e.measure.workload}${suggest(e.measure.metric, known.metrics)} (known: ${known.metrics.join(', ')})`);
      }
      if (!known.jobs.includes(e.measure.job)) fail(['callouts', i, 'evidence', j, 'measure', 'job'], `job '${e.measure.job}' is not a job of ${e.measure.workload} (jobs: ${known.jobs.join(', ')})`);
      if (e.platforms.every((p) => e.reference.includes(p))) fail(['callouts', i, 'evidence', j, 'platforms'], 'every platform is also a reference, so nothing is compared; name other platforms or another reference');
    });
  });
  return callouts;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); it ships with isobench under data/paper/`);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** inside the project: relative and '/'-separated, so the report holds no machine-specific path */
function relativeName(file: string): string {
  const rel = path.relative(paths.root, path.resolve(file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.basename(file) : rel.split(path.sep).join('/');
}
