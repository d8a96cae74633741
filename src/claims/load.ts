// Load data/paper/claims.yaml: YAML -> JSON Schema -> checks the schema cannot express -> typed claims.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { formatSchemaError, makeValidator, suggest } from '../experiment/validate.ts';
import { paths } from '../paths.ts';
import type { ClaimArea, ClaimProvenance, PaperValue } from '../types.ts';

export interface Measure {
  workload: string;
  job: string; // 'default' unless the workload has jobs
  metric: string;
}

/** ratio = platform / reference must lie in [low, high]; each listed platform that ran is tested against each reference that ran */
export interface RatioCondition {
  label: string;
  platforms: string[];
  reference: string[];
  network?: string;
  low?: number;
  high?: number;
  measures: Measure[];
}

export type ClaimTest =
  | ({ kind: 'ratio-range' } & Omit<RatioCondition, 'label'>)
  | ({ kind: 'equivalence'; margin: number } & Omit<RatioCondition, 'label' | 'low' | 'high'>)
  | { kind: 'ordering'; chain: string[][]; factor: number; measures: Measure[] }
  | { kind: 'relation'; conditions: RatioCondition[] }
  | { kind: 'caveat' };

export interface Claim {
  id: string;
  claim: string;
  provenance: ClaimProvenance;
  area: ClaimArea;
  note?: string;
  paperValue?: PaperValue[];
  test: ClaimTest;
}

export interface LoadedClaims {
  /** the file relative to the project root, '/'-separated (as written into analysis.json) */
  file: string;
  sha256: string;
  /** the file's text as read (kept with the analysis so it can be re-run) */
  text: string;
  claims: Claim[];
}

const fioMetrics = ['write', 'read', 'randwrite', 'randread']
  .flatMap((job) => ['bw_mbps', 'iops', 'clat_mean_us', 'clat_p50_us', 'clat_p99_us'].map((m) => `${job}_${m}`));

/** The measures a claim may name: the contract between claims.yaml and the workloads (test/unit/claims.test.ts checks it against the registry). */
export const claimMeasures: Record<string, { jobs: string[]; metrics: string[] }> = {
  'sysbench-cpu': { jobs: ['default'], metrics: ['events_per_s'] },
  ffmpeg: { jobs: ['default'], metrics: ['wall_ms'] },
  stream: { jobs: ['default'], metrics: ['copy_mbps', 'scale_mbps', 'add_mbps', 'triad_mbps'] },
  'sysbench-memory': { jobs: ['default'], metrics: ['throughput'] },
  fio: { jobs: ['default'], metrics: fioMetrics },
  iperf3: { jobs: ['default'], metrics: ['throughput_gbps', 'retransmits'] },
  'latency-rr': { jobs: ['tcp', 'udp'], metrics: ['p50_us', 'p90_us', 'p99_us'] },
  startup: { jobs: ['default'], metrics: ['first_output_ms', 'exit_ms'] },
  hap: { jobs: ['default'], metrics: ['functions'] },
  'mysql-oltp': { jobs: ['default'], metrics: ['transactions_per_s', 'queries_per_s', 'latency_p95_ms', 'latency_p99_ms'] },
  // jobs named after YCSB's mixes, as the experiment files name them
  'memcached-ycsb': { jobs: ['a', 'b', 'c', 'f'], metrics: ['ops_per_s', 'read_p99_us', 'update_p99_us', 'rmw_p99_us'] },
};

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

/** Validate `text` as a claims file named `file` (the name is used in messages and recorded in the result). */
export function parseClaims(text: string, file: string): LoadedClaims {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const line = e.linePos?.[0]?.line;
    throw new ClaimsError(`${file}${line ? `:${line}` : ''}: not valid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  const fail = (where: (string | number)[], problem: string): never => {
    let line: number | undefined;
    for (let p = where; p.length > 0 && line === undefined; p = p.slice(0, -1)) {
      const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
      if (node?.range) line = lines.linePos(node.range[0]).line;
    }
    throw new ClaimsError(`${file}${line ? `:${line}` : ''}: ${formatWhere(where)}${where.length ? ': ' : ''}${problem}`);
  };

  validateFile ??= makeValidator(JSON.parse(readFileSync(paths.claimsSchema, 'utf8')));
  const err = validateFile(raw);
  if (err) fail(err.path, formatSchemaError(err));

  const claims = (raw as { claims: Claim[] }).claims;
  const seen = new Set<string>();
  claims.forEach((c, i) => {
    if (seen.has(c.id)) fail(['claims', i, 'id'], `claim id '${c.id}' is used twice; ids must be unique`);
    seen.add(c.id);
    checkTest(c.test, ['claims', i, 'test'], fail);
  });
  return { file, sha256: createHash('sha256').update(text).digest('hex'), text, claims };
}

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
  if (c.platforms.every((p) => c.reference.includes(p))) fail([...at, 'platforms'], `every platform is also a reference, so nothing is compared; name other platforms or another reference`);
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
