// Load data/paper/claims.yaml: YAML -> JSON Schema -> checks the schema cannot express -> typed claims.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { formatSchemaError, makeValidator, suggest } from '../experiment/validate.ts';
import { paths } from '../paths.ts';
import type { ClaimArea, ClaimProvenance, PaperValue } from '../types.ts';
import { claimMeasuresById } from '../workloads/index.ts';
import { parseYamlDocument, YamlProblem } from '../yaml-document.ts';

export interface Measure {
  workload: string;
  job: string; // 'default' unless the workload has jobs
  metric: string;
}

/** Which cells may stand for a platform: their parameters and, per platform, their platform options must match (others never decide). */
export interface Selector {
  /** workload parameters every compared cell must have (both sides of a ratio), e.g. { fileSystem: data } */
  params?: Record<string, unknown>;
  /** platform options a platform's cells must have, by platform id, e.g. { gvisor-ptrace: { network: sandbox } } */
  options?: Record<string, Record<string, unknown>>;
}

/** ratio = platform / reference must lie in [low, high]; each listed platform that ran is tested against each reference that ran */
export interface RatioCondition extends Selector {
  label: string;
  platforms: string[];
  reference: string[];
  network?: string;
  low?: number;
  high?: number;
  measures: Measure[];
  /** the architectural component this condition isolates, when it is a contrast (io-kata-9p: 9p vs virtio-fs) */
  isolates?: string;
  /** a sweep's peak: each platform at `at` of `param` (or the nearest swept value) over itself at every other swept value; no reference */
  peak?: { param: string; at: number };
}

export type ClaimTest =
  | ({ kind: 'ratio-range' } & Omit<RatioCondition, 'label' | 'isolates'>)
  | ({ kind: 'equivalence'; margin: number } & Omit<RatioCondition, 'label' | 'low' | 'high' | 'isolates'>)
  | ({ kind: 'ordering'; chain: string[][]; factor: number; measures: Measure[] } & Selector)
  | { kind: 'relation'; conditions: RatioCondition[] }
  | { kind: 'caveat' };

/**
 * A contrast that isolates a cause: the same platform with the component (`with`) against without it (`without`).
 * With a reference, each side is first divided by the reference on the same kind of cell: a ratio of ratios,
 * (platform[with] / reference[with]) / (platform[without] / reference[without]); without one, platform[with] / platform[without].
 */
export interface Contrast {
  platforms: string[];
  reference?: string[];
  measures: Measure[];
  with: Selector;
  without: Selector;
  low?: number;
  high?: number;
}

export interface Cause {
  /** the cause in words: 'the Gofer and 9P broker every file access' */
  label: string;
  /** the architectural component the contrast isolates */
  isolates: string;
  /** absent: no experiment isolates it yet, so the cause stays untested */
  contrast?: Contrast;
}

/** The platforms the claim's sentence is about: each entry is one platform of the paper, in the configurations that may stand for it. */
export interface Subject {
  entries: string[][];
  /** all: every entry a clause names must be tested in it (one counterexample suffices against it); most: more than `share` of them must hold */
  quantifier: 'all' | 'most';
  share: number;
}

export interface Claim {
  id: string;
  claim: string;
  provenance: ClaimProvenance;
  area: ClaimArea;
  note?: string;
  paperValue?: PaperValue[];
  /** absent only for a caveat */
  subject?: Subject;
  cause?: Cause;
  test: ClaimTest;
}

/** The file's raw subject: platforms (an entry is an id or a list of alternative ids), quantifier, share. */
interface RawSubject {
  platforms: (string | string[])[];
  quantifier?: 'all' | 'most';
  share?: number;
}

export interface LoadedClaims {
  /** the file relative to the project root, '/'-separated (as written into analysis.json) */
  file: string;
  sha256: string;
  /** the file's text as read (kept with the analysis so it can be re-run) */
  text: string;
  claims: Claim[];
  /** per workload, the value a selector's parameter has in cells recorded before the parameter existed */
  paramDefaults: Record<string, Record<string, unknown>>;
}

/** The measures a claim may name: the workloads' own declarations (src/workloads/index.ts). */
export const claimMeasures = claimMeasuresById();

/** A claims file that cannot be used; the message names the file, the place in it and the fix. */
export class ClaimsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimsError';
  }
}

let validateFile: ReturnType<typeof makeValidator> | undefined;

export function loadClaims(file: string = paths.claims): LoadedClaims {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ClaimsError(`${file}: cannot read the claims file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseClaims(text, relativeName(file));
}

/** The claims kept beside a run's analysis (runFiles().claims), recorded under the project file's name. */
export function loadRunClaims(text: string): LoadedClaims {
  return parseClaims(text, relativeName(paths.claims));
}

/** the paper's claims file is about 22 KB and 1,500 keys: ten times that is still a claims file */
const CLAIMS_YAML_LIMITS = { bytes: 256 * 1024, keys: 20_000 };

/** Validate `text` as a claims file named `file` (the name is used in messages and recorded in the result). */
export function parseClaims(text: string, file: string): LoadedClaims {
  let doc: ReturnType<typeof parseYamlDocument>;
  try {
    // the one bounded reader: a run directory's or an artifact's claims.yaml is not trusted
    doc = parseYamlDocument(text, CLAIMS_YAML_LIMITS);
  } catch (e) {
    if (!(e instanceof YamlProblem)) throw e;
    throw new ClaimsError(`${file}${e.line ? `:${e.line}` : ''}: ${formatWhere(e.path)}${e.path.length ? ': ' : ''}${e.problem}`);
  }
  const raw = doc.value;
  const fail = (where: (string | number)[], problem: string): never => {
    const line = doc.lineOf(where);
    throw new ClaimsError(`${file}${line ? `:${line}` : ''}: ${formatWhere(where)}${where.length ? ': ' : ''}${problem}`);
  };

  validateFile ??= makeValidator(JSON.parse(readFileSync(paths.claimsSchema, 'utf8')));
  const err = validateFile(raw);
  if (err) fail(err.path, formatSchemaError(err));

  const file0 = raw as { claims: (Omit<Claim, 'subject'> & { subject?: RawSubject })[]; paramDefaults?: Record<string, Record<string, unknown>> };
  const seen = new Set<string>();
  const claims: Claim[] = file0.claims.map((c, i) => {
    if (seen.has(c.id)) fail(['claims', i, 'id'], `claim id '${c.id}' is used twice; ids must be unique`);
    seen.add(c.id);
    checkTest(c.test, ['claims', i, 'test'], fail);
    if (c.test.kind !== 'caveat' && !c.subject) fail(['claims', i], `needs 'subject': the platforms the claim's sentence is about (a verdict needs them measured)`);
    const subject = c.subject ? checkSubject(c.subject, c, ['claims', i, 'subject'], fail) : undefined;
    if (c.cause?.contrast) checkContrast(c.cause.contrast, ['claims', i, 'cause', 'contrast'], fail);
    return { ...c, ...(subject ? { subject } : {}) } as Claim;
  });
  return { file, sha256: createHash('sha256').update(text).digest('hex'), text, claims, paramDefaults: file0.paramDefaults ?? {} };
}

/** every platform a claim's test or cause names */
export function namedPlatforms(c: Pick<Claim, 'test' | 'cause'>): string[] {
  const t = c.test;
  const out: string[] = [];
  if (t.kind === 'ratio-range' || t.kind === 'equivalence') out.push(...t.platforms, ...t.reference);
  if (t.kind === 'relation') for (const k of t.conditions) out.push(...k.platforms, ...(k.peak ? [] : k.reference));
  if (t.kind === 'ordering') out.push(...t.chain.flat());
  if (c.cause?.contrast) out.push(...c.cause.contrast.platforms, ...(c.cause.contrast.reference ?? []));
  return out;
}

function checkSubject(raw: RawSubject, c: Pick<Claim, 'test' | 'cause'>, at: (string | number)[], fail: Fail): Subject {
  const entries = raw.platforms.map((e) => (Array.isArray(e) ? e : [e]));
  const named = new Set(namedPlatforms(c));
  const seen = new Set<string>();
  entries.forEach((e, i) => e.forEach((p, j) => {
    if (seen.has(p)) fail([...at, 'platforms', i, ...(Array.isArray(raw.platforms[i]) ? [j] : [])], `platform '${p}' is in two subject entries; an entry lists the alternatives of one platform`);
    seen.add(p);
    if (!named.has(p)) fail([...at, 'platforms', i, ...(Array.isArray(raw.platforms[i]) ? [j] : [])], `platform '${p}' is in the subject but the test never names it, so it could never be measured; add it to the test or remove it here`);
  }));
  const quantifier = raw.quantifier ?? 'all';
  if (quantifier === 'most' && raw.share === undefined) fail([...at, 'quantifier'], `'most' needs 'share': the share of the subject's entries that must hold (more than it), e.g. 0.5`);
  if (quantifier === 'all' && raw.share !== undefined) fail([...at, 'share'], `'share' belongs to quantifier 'most'; 'all' needs every entry`);
  return { entries, quantifier, share: raw.share ?? 1 };
}

function checkContrast(k: Contrast, at: (string | number)[], fail: Fail): void {
  if (k.low === undefined && k.high === undefined) fail(at, `needs a bound on the contrast: 'low', 'high' or both`);
  if (k.low !== undefined && k.high !== undefined && !(k.low < k.high)) fail([...at, 'high'], `high (${k.high}) must be greater than low (${k.low})`);
  if (stableKey(k.with) === stableKey(k.without)) fail([...at, 'without'], `'with' and 'without' select the same cells, so the contrast isolates nothing; they must differ in a parameter or a platform option`);
  checkMeasures(k.measures, [...at, 'measures'], fail);
}

const stableKey = (x: unknown) => JSON.stringify(x, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));

type Fail = (where: (string | number)[], problem: string) => never;

function checkTest(t: ClaimTest, at: (string | number)[], fail: Fail): void {
  switch (t.kind) {
    case 'ratio-range':
      checkCondition({ ...t, label: t.kind }, at, fail);
      return;
    case 'equivalence':
      checkCondition({ ...t, label: t.kind }, at, fail, false);
      return;
    case 'ordering': {
      const where = new Map<string, number>();
      t.chain.forEach((group, g) => group.forEach((p, j) => {
        if (where.has(p)) fail([...at, 'chain', g, j], `platform '${p}' is already in group ${where.get(p)} of the chain; a platform can be in one group only`);
        where.set(p, g);
      }));
      checkMeasures(t.measures, [...at, 'measures'], fail);
      return;
    }
    case 'relation':
      t.conditions.forEach((c, i) => checkCondition(c, [...at, 'conditions', i], fail));
      return;
    case 'caveat':
      return;
  }
}

function checkCondition(c: RatioCondition, at: (string | number)[], fail: Fail, needsBound = true): void {
  if (needsBound && c.low === undefined && c.high === undefined) fail(at, `needs a bound on the ratio: 'low', 'high' or both`);
  if (c.low !== undefined && c.high !== undefined && !(c.low < c.high)) fail([...at, 'high'], `high (${c.high}) must be greater than low (${c.low})`);
  if (c.peak && c.network) fail([...at, 'network'], `a peak condition compares each platform with itself; 'network' selects nothing there`);
  if (!c.peak && c.platforms.every((p) => c.reference.includes(p))) fail([...at, 'platforms'], `every platform is also a reference, so nothing is compared; name other platforms or another reference`);
  checkMeasures(c.measures, [...at, 'measures'], fail);
}

function checkMeasures(measures: Measure[], at: (string | number)[], fail: Fail): void {
  measures.forEach((m, i) => {
    const known = claimMeasures[m.workload];
    if (!known.metrics.includes(m.metric)) {
      fail([...at, i, 'metric'], `unknown metric '${m.metric}' for ${m.workload}${suggest(m.metric, known.metrics)} (known: ${known.metrics.join(', ')})`);
    }
    if (!known.jobs.includes(m.job)) {
      fail([...at, i, 'job'], `job '${m.job}' is not a job of ${m.workload} (jobs: ${known.jobs.join(', ')})`);
    }
  });
}

function formatWhere(where: (string | number)[]): string {
  return where.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** inside the project: relative and '/'-separated, so analysis.json holds no machine-specific path */
function relativeName(file: string): string {
  const rel = path.relative(paths.root, path.resolve(file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel.split(path.sep).join('/');
}
