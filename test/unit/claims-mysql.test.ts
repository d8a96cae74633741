// mysql-gvisor clause by clause on hand-made thread sweeps: gVisor the weakest, native's peak near 110 threads, no significant lead.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateClaims } from '../../src/claims/evaluate.ts';
import { loadClaims, parseClaims } from '../../src/claims/load.ts';
import { resolutionOf } from '../../src/stats/resolution.ts';
import type { Analysis, ClaimVerdict, Environment, MetricSummary, PlatformRecord } from '../../src/types.ts';

const SPREAD = [-2, -1, 0, 1, 2];

/** one swept cell: transactions/s at `threads`, five instances around `mean` */
function cell(platform: string, threads: number, mean: number): MetricSummary {
  const means = SPREAD.map((d) => mean + d);
  const sd = Math.sqrt(means.reduce((a, x) => a + (x - mean) ** 2, 0) / (means.length - 1));
  return {
    platform, workload: 'mysql-oltp', job: `threads=${threads}`, metric: 'transactions_per_s', unit: 'tx/s', better: 'higher',
    n: means.length, iterations: means.length, failed: 0, lost: { failed: [], timeout: [], skipped: [] },
    mean, median: mean, sd, cv: sd / mean, ci: null, instanceMeans: means, instances: means.map((_, i) => i), outliers: [],
    cell: `c-${platform}-${threads}`, params: { threads }, platformOptions: {}, resolution: resolutionOf(means),
    ratioToNative: null, emulated: false, network: 'bridge',
  };
}

/** a platform's sweep: threads -> mean transactions/s */
const sweep = (platform: string, points: Record<number, number>) => Object.entries(points).map(([t, m]) => cell(platform, Number(t), m));

const analysis = (summaries: MetricSummary[]): Analysis => ({
  schema: 1, run: 'r', experiment: { name: 'unit', description: '', file: 'x.yaml', sha256: '0', seed: 1 },
  repetitions: { instances: 5, iterations: 1 }, summaries, notRun: [], failures: [],
});
const record = (id: string): PlatformRecord => ({ id, family: id === 'native' ? 'native' : 'container', description: id, available: true, requested: true });
const environment = (ids: string[]): Environment => ({
  schema: 1, run: 'r', startedAt: '2026-01-01T00:00:00Z',
  host: { hostname: 'h', cpuModel: 'c', cores: 2, memoryMiB: 1024, kernel: '6', distribution: 'd', arch: 'x64' },
  noise: { loadavg: [0, 0, 0] }, tools: {}, platforms: ids.map(record), hostChanges: [],
  isobench: { version: '0', commit: '0', dirty: false }, experiment: { file: 'x.yaml', sha256: '0' }, node: 'v20',
});

// the real claim from data/paper/claims.yaml, alone in its family
const claims = loadClaims();
const mysqlOnly = { ...claims, claims: claims.claims.filter((c) => c.id === 'mysql-gvisor') };
const verdict = (summaries: MetricSummary[]): ClaimVerdict =>
  evaluateClaims(analysis(summaries), environment(['native', 'runc', 'gvisor-ptrace']), mysqlOnly).verdicts[0];
const outcomes = (v: ClaimVerdict) => v.clauses!.map((c) => [c.label, c.outcome]);

const NATIVE = { 70: 900, 110: 1000, 150: 920 };
const RUNC = { 70: 890, 110: 990, 150: 915 };
const GVISOR = { 70: 500, 110: 560, 150: 540 };

test('mysql-gvisor: weakest, peak at 110 and no lead all hold on a 3-point sweep, so it is reproduced', () => {
  const v = verdict([...sweep('native', NATIVE), ...sweep('runc', RUNC), ...sweep('gvisor-ptrace', GVISOR)]);
  assert.equal(outcomes(v), [
    ['gVisor is the weakest', 'held'],
    ['native peaks at about 110 threads', 'held'],
    ['no significant lead (every platform but gVisor within 10% of native)', 'held'],
  ]);
  assert.is(v.verdict, 'reproduced', v.reason);
  const peak = v.comparisons.filter((c) => c.condition === 'native peaks at about 110 threads');
  assert.equal(peak.map((c) => [c.platform, c.reference, c.params, c.bounds]), [
    ['native', 'native at threads=70', { threads: 110 }, { low: 0.95 }],
    ['native', 'native at threads=150', { threads: 110 }, { low: 0.95 }],
  ]);
  assert.ok(peak.every((c) => c.ratioToNative === undefined), 'native over itself is no ratio to native');
  // 'weakest' compares equal thread counts only: native and runc at each of three
  const weakest = v.comparisons.filter((c) => c.condition === 'gVisor is the weakest');
  assert.equal(weakest.map((c) => [c.reference, c.params!.threads]), [['native', 70], ['runc', 70], ['native', 110], ['runc', 110], ['native', 150], ['runc', 150]]);
});

test('mysql-gvisor: native well past its peak at 110 (150 threads 10% higher) refutes the peak clause only', () => {
  const v = verdict([...sweep('native', { ...NATIVE, 150: 1100 }), ...sweep('runc', { ...RUNC, 150: 1095 }), ...sweep('gvisor-ptrace', GVISOR)]);
  assert.equal(v.clauses!.map((c) => c.outcome), ['held', 'did not hold', 'held']);
  assert.match(v.clauses![1].why, /native \/ native at threads=150 .*outside >= 0\.95/);
  assert.is(v.verdict, 'not reproduced', v.reason);
});

test('mysql-gvisor: a platform 20% above native is a significant lead', () => {
  const v = verdict([...sweep('native', NATIVE), ...sweep('runc', { 70: 1080, 110: 1200, 150: 1100 }), ...sweep('gvisor-ptrace', GVISOR)]);
  assert.equal(v.clauses!.map((c) => c.outcome), ['held', 'held', 'did not hold']);
});

test("mysql-gvisor: a sweep that does not reach 110 leaves the peak clause not run, with the reason, and the claim partly tested", () => {
  const v = verdict([...sweep('native', { 2: 300, 8: 420 }), ...sweep('runc', { 2: 298, 8: 418 }), ...sweep('gvisor-ptrace', { 2: 150, 8: 200 })]);
  assert.equal(v.clauses!.map((c) => c.outcome), ['held', 'not run', 'held']);
  assert.is(v.clauses![1].why, "native's sweep of threads (2, 8) does not reach 110");
  assert.is(v.verdict, 'partly tested', v.reason);
});

test('mysql-gvisor: 110 not swept: the nearest swept count stands for it; exactly halfway is not run', () => {
  const near = verdict([...sweep('native', { 70: 900, 100: 1000, 130: 990, 150: 920 }), ...sweep('gvisor-ptrace', { 70: 500, 100: 560, 130: 550, 150: 540 })]);
  assert.ok(near.comparisons.some((c) => c.params!.threads === 100 && c.reference === 'native at threads=130'));
  assert.is(near.clauses![1].outcome, 'held');
  const half = verdict([...sweep('native', { 90: 1000, 130: 990 }), ...sweep('gvisor-ptrace', { 90: 560, 130: 550 })]);
  assert.is(half.clauses![1].outcome, 'not run');
  assert.match(half.clauses![1].why, /110 lies halfway between 90 and 130/);
});

test('a peak condition that names a network, or a reference list without a peak that compares nothing, is refused', () => {
  const file = (cond: string) => `schema: 1\nclaims:\n  - id: p\n    claim: x\n    provenance: { kind: text, where: w }\n    area: application\n    subject: { platforms: [native] }\n    test:\n      kind: relation\n      conditions:\n${cond}`;
  const peak = (extra: string) => `        - { label: a, platforms: [native], peak: { param: threads, at: 110 }, low: 0.95, measures: [{ workload: mysql-oltp, metric: transactions_per_s }]${extra} }\n`;
  assert.throws(() => parseClaims(file(peak(', network: bridge') + peak('')), 'c.yaml'), /a peak condition compares each platform with itself/);
  assert.ok(parseClaims(file(peak('') + peak('')), 'c.yaml').claims[0]);
  assert.throws(() => parseClaims(file(peak('').replace(/, peak: \{[^}]*\}/, '') + peak('')), 'c.yaml'), /every platform is also a reference/);
});

test.run();
