import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { briefly, evaluateClaims } from '../../src/claims/evaluate.ts';
import { holmAdjust } from '../../src/claims/holm.ts';
import { ClaimsError, claimMeasures, loadClaims, parseClaims } from '../../src/claims/load.ts';
import { boundTest, logRatio, ratioInterval, tUpperTail } from '../../src/stats/ratio.ts';
import { root } from '../../src/paths.ts';
import { skip } from '../helpers/skip.ts';
import { analyzeRun, formatAnalysis } from '../../src/stats/analyze.ts';
import { stableStringify } from '../../src/stats/stable-json.ts';
import { workloadById } from '../../src/workloads/index.ts';
import type { Analysis, Environment, MetricSummary, NetworkMode, PlatformRecord } from '../../src/types.ts';

// the ids of the claims table in the shared paper-facts.md (one verdict each)
const PAPER_CLAIM_IDS = [
  'cpu-parity', 'ffmpeg-65s', 'mem-rust-vmm', 'mem-kata', 'io-near-native', 'io-half', 'io-qemu-latency', 'io-kata-9p',
  'io-gvisor-gofer', 'net-hypervisor', 'net-kata', 'net-osv', 'net-gvisor-tail', 'startup-times', 'startup-daemon',
  'startup-firecracker', 'mysql-gvisor', 'hap-secure', 'hap-osv', 'hap-caveat',
];

// ---- crafted data ----

function summary(platform: string, workload: string, metric: string, means: number[], opts: { job?: string; better?: 'higher' | 'lower'; emulated?: boolean; network?: NetworkMode } = {}): MetricSummary {
  const n = means.length;
  const mean = means.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(means.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return {
    platform, workload, job: opts.job ?? 'default', metric, unit: 'u', better: opts.better ?? 'higher',
    n, iterations: n, failed: 0, lost: { failed: [], timeout: [], skipped: [] }, mean, median: mean, sd, cv: sd / mean, ci: null,
    instanceMeans: means, instances: means.map((_, i) => i), outliers: [],
    cell: `c-${platform}-${workload}`, params: {}, platformOptions: {},
    ratioToNative: platform === 'native' ? { value: 1, ci: null, method: 'native baseline' } : null,
    emulated: opts.emulated ?? false, network: opts.network ?? 'host',
  };
}

function analysis(summaries: MetricSummary[], notRun: Analysis['notRun'] = []): Analysis {
  return {
    schema: 1, run: 'r', experiment: { name: 'unit', description: '', file: 'x.yaml', sha256: '0', seed: 1 },
    repetitions: { instances: 5, iterations: 1 },
    summaries, notRun, failures: [],
  };
}

const record = (id: string, available: boolean, requested: boolean, extra: Partial<PlatformRecord> = {}): PlatformRecord =>
  ({ id, family: id === 'native' ? 'native' : 'container', description: id, available, requested, ...extra });

function environment(platforms: PlatformRecord[]): Environment {
  return {
    schema: 1, run: 'r', startedAt: '2026-01-01T00:00:00Z',
    host: { hostname: 'h', cpuModel: 'c', cores: 2, memoryMiB: 1024, kernel: '6', distribution: 'd', arch: 'x64' },
    noise: { loadavg: [0, 0, 0] }, tools: {}, platforms, hostChanges: [],
    isobench: { version: '0', commit: '0', dirty: false }, experiment: { file: 'x.yaml', sha256: '0' }, node: 'v20',
  };
}

/** every crafted claim is about the platforms its test names (one subject entry of alternatives), so one tested platform per clause decides */
const withSubject = (body: string) => body.split(/(?=\n  - id: )/).map((block) => {
  if (/\n    subject:/.test(block) || /kind: caveat/.test(block)) return block;
  const ids = [...block.matchAll(/\[([a-z0-9, \-\[\]]+)\]/g)].flatMap((m) => m[1].replace(/[[\]]/g, '').split(',').map((x) => x.trim()))
    .filter((x) => x && x !== 'native' && /^[a-z]/.test(x) && !x.includes(' '));
  const uniq = [...new Set(ids)].filter((x) => !['tcp', 'udp'].includes(x));
  return block.replace(/\n    test:/, `\n    subject: { platforms: [[${uniq.join(', ')}]] }\n    test:`);
}).join('');
const claimsYaml = (body: string) => parseClaims(`schema: 1\nclaims:\n${withSubject(body)}`, 'crafted.yaml');

const parity = `
  - id: parity
    claim: runc is on par with native.
    provenance: { kind: text, where: Finding 2 }
    area: cpu
    test:
      kind: equivalence
      margin: 0.05
      platforms: [runc, crun]
      measures:
        - { workload: sysbench-cpu, metric: events_per_s }
`;

const native = summary('native', 'sysbench-cpu', 'events_per_s', [100, 101, 99, 100, 100]);
const envBasic = environment([record('native', true, true), record('runc', true, true), record('crun', false, false, { reason: 'crun not installed' })]);

// ---- the claims file ----

test('claims.yaml loads, validates, and has one entry per claim of paper-facts', () => {
  const loaded = loadClaims();
  assert.is(loaded.file, 'data/paper/claims.yaml');
  assert.match(loaded.sha256, /^[0-9a-f]{64}$/);
  assert.equal(loaded.claims.map((c) => c.id).sort(), [...PAPER_CLAIM_IDS].sort());
  for (const c of loaded.claims) {
    assert.ok(['text', 'summary', 'scripts'].includes(c.provenance.kind), c.id);
    assert.ok(c.provenance.where.length > 0, c.id);
  }
  assert.equal(loaded.claims.filter((c) => c.test.kind === 'caveat').map((c) => c.id), ['hap-caveat']);
  // defaults from the schema: native as the reference, 'default' as the job
  const cpu = loaded.claims.find((c) => c.id === 'cpu-parity')!.test;
  assert.ok(cpu.kind === 'equivalence' && cpu.reference[0] === 'native' && cpu.margin === 0.05 && cpu.measures[0].job === 'default');
  // absolute numbers of the paper's host are display-only, and every claim that has one says how it is tested instead
  for (const c of loaded.claims.filter((x) => x.paperValue)) assert.ok(c.note, `${c.id} has a paperValue but no note`);
});

test('claims.yaml names metrics the registered workloads really produce', () => {
  const loaded = loadClaims();
  const named = new Set(loaded.claims.flatMap((c) => measuresOf(c.test)).map((m) => `${m.workload} ${m.metric}`));
  let checked = 0;
  for (const key of [...named].sort()) {
    const [workload, metric] = key.split(' ');
    const w = workloadById(workload);
    if (!w) continue; // not implemented yet: claimMeasures is the contract it must follow
    assert.ok(w.metrics.some((m) => m.name === metric), `${workload} has no metric '${metric}' (has ${w.metrics.map((m) => m.name).join(', ')})`);
    checked++;
  }
  assert.ok(checked > 0, 'at least sysbench-cpu is registered');
  for (const [workload, known] of Object.entries(claimMeasures)) {
    const w = workloadById(workload);
    if (w) for (const metric of known.metrics) assert.ok(w.metrics.some((m) => m.name === metric), `claimMeasures: ${workload} has no metric '${metric}'`);
  }
});

function measuresOf(t: any): { workload: string; metric: string }[] {
  if (t.kind === 'relation') return t.conditions.flatMap((c: any) => c.measures);
  return t.measures ?? [];
}

test('a bad claims file is refused with the file, the line, the field and the fix', () => {
  assert.throws(() => claimsYaml(parity.replace('events_per_s', 'events_per_sec')), /crafted\.yaml:\d+: claims\[0\]\.test\.measures\[0\]\.metric: unknown metric 'events_per_sec' for sysbench-cpu, did you mean 'events_per_s'\?/);
  assert.throws(() => claimsYaml(parity.replace('[runc, crun]', '[runc, qemu-tcg]')), /claims\[0\]\.(test|subject)\.platforms\[\d\](\[\d\])?: must be one of .*'qemu-kvm'.*got 'qemu-tcg'/);
  assert.throws(() => claimsYaml(parity + parity), /claims\[1\]\.id: claim id 'parity' is used twice/);
  assert.throws(() => claimsYaml(parity.replace('margin: 0.05', 'low: 0.9').replace('kind: equivalence', 'kind: ratio-range').replace('low: 0.9', 'reference: [native]')), /claims\[0\]\.test: needs a bound on the ratio: 'low', 'high' or both/);
  assert.throws(() => claimsYaml(parity.replace('area: cpu', 'area: gpu')), /claims\[0\]\.area: must be one of 'cpu'/);
  assert.throws(() => claimsYaml(parity.replace('{ workload: sysbench-cpu, metric: events_per_s }', '{ workload: latency-rr, metric: p90_us }')), /job 'default' is not a job of latency-rr \(jobs: tcp, udp\)/);
});

// ---- the statistics ----

test('tUpperTail matches the closed forms of the t distribution (df 1 and 2) and the 5% point', () => {
  for (const t of [0.1, 0.5, 1, 2.5, 10, 100]) {
    const cauchy = 0.5 - Math.atan(t) / Math.PI;
    const df2 = 0.5 - t / (2 * Math.sqrt(2 + t * t));
    assert.ok(Math.abs(tUpperTail(t, 1) - cauchy) < 1e-10 * Math.max(1, 1 / cauchy) * cauchy + 1e-12, `df 1, t ${t}: ${tUpperTail(t, 1)} vs ${cauchy}`);
    assert.ok(Math.abs(tUpperTail(t, 2) / df2 - 1) < 1e-9, `df 2, t ${t}: ${tUpperTail(t, 2)} vs ${df2}`);
    assert.ok(Math.abs(tUpperTail(-t, 2) - (1 - df2)) < 1e-12);
  }
  // t_{0.95, 2} = 2.919986 (standard tables)
  assert.ok(Math.abs(tUpperTail(2.919986, 2) - 0.05) < 1e-6);
  assert.is(tUpperTail(0, 7), 0.5);
  assert.ok(tUpperTail(1e6, 30) > 0 && tUpperTail(1e6, 30) < 1e-150);
  assert.is(tUpperTail(1e200, 2), 1e-300, 'beyond the floor: the floor, not an error');
});

test('log-ratio test: interval and one-sided p-values of a bound', () => {
  const r = logRatio({ mean: 95, sd: 1, n: 5 }, { mean: 100, sd: 1, n: 5 });
  const va = 1 / (5 * 95 * 95);
  const vb = 1 / (5 * 100 * 100);
  assert.ok(Math.abs(r.se - Math.sqrt(va + vb)) < 1e-15);
  assert.ok(Math.abs(r.df! - (va + vb) ** 2 / ((va * va + vb * vb) / 4)) < 1e-9);
  const iv = ratioInterval(r);
  assert.ok(iv.low < 0.95 && 0.95 < iv.high);
  // p = 2 x the one-sided p: <= 0.05 exactly when the 95% interval is on one side of the bound
  const t = (Math.log(1) - r.log) / r.se;
  const below = boundTest(r, 1, 'high'); // ratio <= 1: clearly true
  assert.ok(Math.abs(below.support - 2 * tUpperTail(t, r.df!)) < 1e-15 && below.support < 1e-3);
  assert.is(below.refute, 1);
  const above = boundTest(r, 1, 'low'); // ratio >= 1: clearly false
  assert.ok(above.refute < 1e-3 && above.support === 1);
  const atEdge = boundTest(r, iv.low, 'low'); // the bound at the interval's end: p = 0.05
  assert.ok(Math.abs(atEdge.support - 0.05) < 1e-9, `${atEdge.support}`);
  // no spread is never certainty: without a resolution no test, with one the resolution is the standard error
  assert.throws(() => logRatio({ mean: 2, sd: 0, n: 3 }, { mean: 1, sd: 0, n: 3 }), /no spread and the metric has no known resolution/);
  const floored = logRatio({ mean: 300, sd: 0, n: 2, resolution: 1 }, { mean: 301, sd: 0, n: 2, resolution: 1 });
  assert.ok(Math.abs(floored.se - Math.sqrt(1 / 300 ** 2 + 1 / 301 ** 2)) < 1e-15);
  const p = boundTest(floored, 1, 'high');
  assert.ok(p.support > 0.05 && p.refute > 0, JSON.stringify(p));
});

test('Holm step-down against a hand-computed example', () => {
  // sorted: 0.005 x4 = 0.02; 0.01 x3 = 0.03; 0.03 x2 = 0.06; 0.04 x1 = 0.04 -> max(0.06, 0.04) = 0.06
  const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  const expected = [0.03, 0.06, 0.06, 0.02];
  adjusted.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) < 1e-15, `${i}: ${p} vs ${expected[i]}`));
  assert.equal(adjusted.map((p) => p <= 0.05), [true, false, false, true]);
  assert.equal(holmAdjust([0.6, 0.9]), [1, 1]);
  assert.equal(holmAdjust([]), []);
  assert.throws(() => holmAdjust([1.5]), /\[0, 1\]/);
});

// ---- verdicts on crafted data ----

test('reproduced: runc within ±5% of native; crun missing, with the reason from the environment', () => {
  const runc = summary('runc', 'sysbench-cpu', 'events_per_s', [99.5, 100.2, 99.8, 100.1, 99.9]);
  const result = evaluateClaims(analysis([native, runc]), envBasic, claimsYaml(parity));
  const v = result.verdicts[0];
  assert.is(v.verdict, 'reproduced', v.reason);
  assert.is(v.coverage, 'partial');
  assert.equal(v.missing.platforms, [{ platform: 'crun', reason: 'not in this experiment (not available here: crun not installed)' }]);
  const c = v.comparisons[0];
  assert.equal([c.platform, c.reference, c.platformStats.n, c.referenceStats.n, c.holds], ['runc', 'native', 5, 5, 'inside']);
  assert.ok(Math.abs(c.ratio! - 99.9 / 100) < 1e-12);
  assert.ok(c.interval!.low > 0.95 && c.interval!.high < 1.05);
  assert.ok(v.p!.supportHolm <= 0.05);
  assert.match(result.correction, /Holm step-down over the 1 claim with a testable comparison at α = 0.05/);
});

test('not reproduced: runc at 80% of native', () => {
  const runc = summary('runc', 'sysbench-cpu', 'events_per_s', [80, 81, 79, 80, 80]);
  const v = evaluateClaims(analysis([native, runc]), envBasic, claimsYaml(parity)).verdicts[0];
  assert.is(v.verdict, 'not reproduced', v.reason);
  assert.is(v.comparisons[0].holds, 'outside');
  assert.match(v.reason, /^ratio to native within 1 ± 0\.05: runc \/ native on sysbench-cpu events_per_s: ratio 0\.8, 95% interval \[0\.7\d+, 0\.8\d+\] is outside in \[0\.95, 1\.05\]/);
});

test('inconclusive: the interval straddles the bound, or n < 2', () => {
  const wide = summary('runc', 'sysbench-cpu', 'events_per_s', [88, 102, 95, 84, 106]);
  const v = evaluateClaims(analysis([native, wide]), envBasic, claimsYaml(parity)).verdicts[0];
  assert.is(v.verdict, 'inconclusive', v.reason);
  assert.is(v.comparisons[0].holds, 'straddles');
  assert.match(v.reason, /straddles in \[0\.95, 1\.05\]/);

  const single = summary('runc', 'sysbench-cpu', 'events_per_s', [99]);
  const u = evaluateClaims(analysis([native, single]), envBasic, claimsYaml(parity)).verdicts[0];
  assert.is(u.verdict, 'inconclusive');
  assert.is(u.comparisons[0].holds, 'untestable');
  assert.match(u.reason, /the interval is unbounded: the platform has one instance \(n = 1\), so its spread is unknown/);
});

test('not run: a platform that is unavailable (reason from notRun), or a workload not in the experiment', () => {
  const env = environment([record('native', true, true), record('runc', false, true, { reason: 'runc: not found' }), record('crun', false, false)]);
  const v = evaluateClaims(analysis([native], [{ platform: 'runc', reason: 'runc: not found' }]), env, claimsYaml(parity)).verdicts[0];
  assert.is(v.verdict, 'not run');
  assert.is(v.p, undefined);
  assert.match(v.reason, /runc: runc: not found/);
  assert.match(v.reason, /crun: not in this experiment/);

  const other = summary('native', 'fio', 'read_bw_mbps', [1, 2]);
  const w = evaluateClaims(analysis([other]), envBasic, claimsYaml(parity)).verdicts[0];
  assert.is(w.verdict, 'not run');
  assert.is(w.reason, 'not in this experiment (needs sysbench-cpu)');
  assert.equal(w.missing.measures, [{ workload: 'sysbench-cpu', job: 'default', metric: 'events_per_s', reason: 'not in this experiment' }]);
});

const qemuClaim = `
  - id: qemu
    claim: QEMU is on par with native.
    provenance: { kind: summary, where: x }
    area: cpu
    test:
      kind: equivalence
      margin: 0.05
      platforms: [qemu-kvm]
      measures:
        - { workload: sysbench-cpu, metric: events_per_s }
`;

test('emulation never stands in for a KVM platform', () => {
  const tcg = summary('qemu-tcg', 'sysbench-cpu', 'events_per_s', [27, 27.5, 26.5], { emulated: true });
  const env = environment([record('native', true, true), record('qemu-tcg', true, true, { emulated: true })]);
  const v = evaluateClaims(analysis([native, tcg]), env, claimsYaml(qemuClaim)).verdicts[0];
  assert.is(v.verdict, 'not run');
  assert.match(v.missing.platforms[0].reason, /qemu-tcg ran under software emulation, which never stands in for a KVM platform/);
  // a summary under the KVM platform's name that ran emulated is not used either
  const fake = summary('qemu-kvm', 'sysbench-cpu', 'events_per_s', [99, 100, 101], { emulated: true });
  const f = evaluateClaims(analysis([native, fake]), env, claimsYaml(qemuClaim)).verdicts[0];
  assert.is(f.verdict, 'not run');
  assert.equal(f.comparisons, []);
  assert.match(f.reason, /qemu-kvm: emulated \(software emulation\)/);
});

test('caveat: printed, not tested, and not part of the family', () => {
  const caveat = `
  - id: c
    claim: HAP misses defense in depth.
    provenance: { kind: text, where: Finding 28 }
    area: isolation
    test: { kind: caveat }
`;
  const runc = summary('runc', 'sysbench-cpu', 'events_per_s', [99.5, 100.2, 99.8, 100.1, 99.9]);
  const result = evaluateClaims(analysis([native, runc]), envBasic, claimsYaml(parity + caveat));
  assert.is(result.verdicts[1].verdict, 'caveat');
  assert.is(result.verdicts[1].p, undefined);
  assert.match(result.correction, /over the 1 claim with a testable comparison /);
});

const startupOrder = `
  - id: order
    claim: Docker starts before gVisor, gVisor before LXC.
    provenance: { kind: text, where: Startup }
    area: startup
    test:
      kind: ordering
      chain: [[docker-runc], [docker-gvisor], [lxc]]
      measures:
        - { workload: startup, metric: first_output_ms }
`;

test('ordering follows the metric direction (lower is better for a startup time); a missing group leaves its link untested', () => {
  const ms = (platform: string, values: number[]) => summary(platform, 'startup', 'first_output_ms', values, { better: 'lower' });
  const env = environment([record('docker-runc', true, true), record('docker-gvisor', true, true), record('lxc', false, true, { reason: 'lxc not installed' })]);
  const good = evaluateClaims(analysis([ms('docker-runc', [100, 105, 98, 102]), ms('docker-gvisor', [190, 185, 195, 192])], [{ platform: 'lxc', reason: 'lxc not installed' }]), env, claimsYaml(startupOrder)).verdicts[0];
  assert.is(good.verdict, 'partly tested', good.reason);
  assert.equal(good.clauses!.map((c) => c.outcome), ['held', 'not run']);
  assert.equal(good.comparisons.map((c) => [c.platform, c.reference, c.condition, c.bounds]), [['docker-runc', 'docker-gvisor', 'docker-runc better than docker-gvisor', { high: 1 }]]);
  assert.equal(good.missing.platforms, [{ platform: 'lxc', reason: 'lxc not installed' }]);
  const bad = evaluateClaims(analysis([ms('docker-runc', [190, 185, 195, 192]), ms('docker-gvisor', [100, 105, 98, 102])]), env, claimsYaml(startupOrder)).verdicts[0];
  assert.is(bad.verdict, 'partly tested', bad.reason);
  assert.equal(bad.clauses!.map((c) => c.outcome), ['did not hold', 'not run']);
});

test('ordering across a missing middle group: its own links stay not run, its neighbours are compared as an implied link', () => {
  const ms = (platform: string, values: number[]) => summary(platform, 'startup', 'first_output_ms', values, { better: 'lower' });
  const env = environment([record('docker-runc', true, true), record('docker-gvisor', false, true, { reason: 'runsc not installed' }), record('lxc', true, true)]);
  // lxc faster than docker refutes docker < gvisor < lxc by transitivity; gVisor, the subject, did not run, so it stays partly tested
  const v = evaluateClaims(analysis([ms('docker-runc', [190, 185, 195, 192]), ms('lxc', [100, 105, 98, 102])], [{ platform: 'docker-gvisor', reason: 'runsc not installed' }]), env, claimsYaml(startupOrder)).verdicts[0];
  assert.is(v.verdict, 'partly tested', v.reason);
  assert.equal(v.clauses!.map((c) => [c.outcome, c.impliedAcross ?? null]), [['not run', null], ['not run', null], ['did not hold', ['docker-gvisor']]]);
  assert.is(v.clauses![2].label, 'docker-runc better than lxc, implied across docker-gvisor (did not run)');
  assert.equal(v.comparisons.map((c) => [c.platform, c.reference, c.condition]), [['docker-runc', 'lxc', 'docker-runc better than lxc (implied)']]);
  assert.ok(v.p, 'a tested implied link puts the claim in Holm\'s family');
});

test("Holm's family holds only claims that tested some of their subject: comparisons outside it leave the claim not run and out", () => {
  const ms = (platform: string, values: number[]) => summary(platform, 'startup', 'first_output_ms', values, { better: 'lower' });
  const body = `
  - id: about-gvisor
    claim: gVisor starts after Docker, and LXC after Docker.
    provenance: { kind: text, where: Startup }
    area: startup
    subject: { platforms: [docker-gvisor] }
    test:
      kind: relation
      conditions:
        - { label: gvisor slower, platforms: [docker-gvisor], reference: [docker-runc], low: 1.2, measures: [{ workload: startup, metric: first_output_ms }] }
        - { label: lxc slower, platforms: [lxc], reference: [docker-runc], low: 1.2, measures: [{ workload: startup, metric: first_output_ms }] }
  - id: order
    claim: Docker before LXC.
    provenance: { kind: text, where: Startup }
    area: startup
    subject: { platforms: [lxc] }
    test:
      kind: ordering
      chain: [[docker-runc], [lxc]]
      measures:
        - { workload: startup, metric: first_output_ms }
`;
  const env = environment([record('docker-runc', true, true), record('docker-gvisor', false, true, { reason: 'runsc not installed' }), record('lxc', true, true)]);
  const r = evaluateClaims(analysis([ms('docker-runc', [100, 102, 98, 101]), ms('lxc', [800, 790, 810, 805])], [{ platform: 'docker-gvisor', reason: 'runsc not installed' }]), env, claimsYaml(body));
  assert.is(r.verdicts[0].verdict, 'not run', r.verdicts[0].reason);
  assert.is(r.verdicts[0].p, undefined);
  assert.match(r.correction, /over the 1 claim with a testable comparison /);
});

const startupChain = `
  - id: startup-times
    claim: Docker, then gVisor, then Kata, then LXC.
    provenance: { kind: text, where: Startup }
    area: startup
    subject: { platforms: [docker-runc, docker-gvisor, [kata-9p, kata-virtiofs], lxc] }
    test:
      kind: ordering
      chain: [[docker-runc], [docker-gvisor], [kata-9p, kata-virtiofs], [lxc]]
      measures:
        - { workload: startup, metric: first_output_ms }
`;

test('startup-times without Kata: docker-gvisor < lxc is tested as implied, the Kata links stay not run, never reproduced', () => {
  const ms = (platform: string, values: number[]) => summary(platform, 'startup', 'first_output_ms', values, { better: 'lower' });
  const kata = { reason: 'kata-runtime not installed' };
  const env = environment([record('docker-runc', true, true), record('docker-gvisor', true, true), record('kata-9p', false, true, kata), record('kata-virtiofs', false, true, kata), record('lxc', true, true)]);
  const data = analysis([ms('docker-runc', [100, 102, 98, 101]), ms('docker-gvisor', [190, 185, 195, 192]), ms('lxc', [800, 790, 810, 805])],
    [{ platform: 'kata-9p', ...kata }, { platform: 'kata-virtiofs', ...kata }]);
  const v = evaluateClaims(data, env, claimsYaml(startupChain)).verdicts[0];
  assert.is(v.verdict, 'partly tested', v.reason);
  assert.equal(v.clauses!.map((c) => [c.outcome, c.subjectMissing]), [
    ['held', []], ['not run', ['docker-gvisor', 'kata-9p or kata-virtiofs']], ['not run', ['kata-9p or kata-virtiofs', 'lxc']], ['held', []],
  ]);
  assert.equal(v.clauses![3].impliedAcross, ['kata-9p | kata-virtiofs']);
  assert.equal(v.comparisons.map((c) => [c.platform, c.reference, c.bounds]), [['docker-runc', 'docker-gvisor', { high: 1 }], ['docker-gvisor', 'lxc', { high: 1 }]]);
  assert.match(v.reason, /2 of 4 clauses not tested/);
  // LXC now meets the claim: faster than gVisor is a counterexample through the implied link
  const fast = analysis([ms('docker-runc', [100, 102, 98, 101]), ms('docker-gvisor', [190, 185, 195, 192]), ms('lxc', [12, 13, 12, 11])], data.notRun);
  const w = evaluateClaims(fast, env, claimsYaml(startupChain)).verdicts[0];
  assert.is(w.verdict, 'partly tested', w.reason);
  assert.is(w.clauses![3].outcome, 'did not hold');
  // every group ran: no implied clause
  const all = analysis([...data.summaries, ms('kata-9p', [600, 610, 590, 605])]);
  const full = evaluateClaims(all, environment([...env.platforms.filter((p) => !p.id.startsWith('kata')), record('kata-9p', true, true)]), claimsYaml(startupChain)).verdicts[0];
  assert.is(full.clauses!.length, 3);
  assert.is(full.verdict, 'reproduced', full.reason);
});

test('an implied link that names none of the subject is not added (it would say nothing about the claim)', () => {
  const ms = (platform: string, values: number[]) => summary(platform, 'startup', 'first_output_ms', values, { better: 'lower' });
  const onlyGvisor = startupChain.replace('subject: { platforms: [docker-runc, docker-gvisor, [kata-9p, kata-virtiofs], lxc] }', 'subject: { platforms: [docker-gvisor] }');
  const env = environment([record('docker-runc', true, true), record('lxc', true, true)]);
  const v = evaluateClaims(analysis([ms('docker-runc', [100, 102, 98, 101]), ms('lxc', [800, 790, 810, 805])]), env, claimsYaml(onlyGvisor)).verdicts[0];
  assert.is(v.clauses!.length, 3);
  assert.is(v.verdict, 'not run', v.reason);
});

test('an implied link spanning two missing groups needs the chain factor once per link it spans', () => {
  const ms = (platform: string, values: number[]) => summary(platform, 'startup', 'first_output_ms', values, { better: 'lower' });
  const chain = startupChain.replace('kind: ordering', 'kind: ordering\n      factor: 1.5');
  const env = environment([record('docker-runc', true, true), record('lxc', true, true)]);
  const v = evaluateClaims(analysis([ms('docker-runc', [100, 102, 98, 101]), ms('lxc', [300, 290, 310, 305])]), env, claimsYaml(chain)).verdicts[0];
  const implied = v.clauses!.filter((c) => c.impliedAcross);
  assert.equal(implied.map((c) => [c.label, c.outcome]), [['docker-runc at least 3.38x better than lxc, implied across docker-gvisor, kata-9p | kata-virtiofs (did not run)', 'did not hold']]);
  assert.equal(v.comparisons[0].bounds, { high: 1 / 1.5 ** 3 });
});

test('relation: QEMU bandwidth like native while its latency is several times higher', () => {
  const rel = `
  - id: rel
    claim: QEMU matches bandwidth, not latency.
    provenance: { kind: summary, where: Disk }
    area: disk
    test:
      kind: relation
      conditions:
        - { label: bandwidth, platforms: [qemu-kvm], low: 0.9, high: 1.1, measures: [{ workload: fio, metric: read_bw_mbps }] }
        - { label: latency, platforms: [qemu-kvm], low: 3, measures: [{ workload: fio, metric: randread_clat_mean_us }] }
`;
  const s = (p: string, metric: string, v: number[], better: 'higher' | 'lower') => summary(p, 'fio', metric, v, { better });
  const env = environment([record('native', true, true), record('qemu-kvm', true, true)]);
  const a = analysis([
    s('native', 'read_bw_mbps', [2000, 2010, 1990], 'higher'), s('qemu-kvm', 'read_bw_mbps', [1990, 2000, 1985], 'higher'),
    s('native', 'randread_clat_mean_us', [80, 82, 81], 'lower'), s('qemu-kvm', 'randread_clat_mean_us', [400, 410, 395], 'lower'),
  ]);
  const v = evaluateClaims(a, env, claimsYaml(rel)).verdicts[0];
  assert.is(v.verdict, 'reproduced', v.reason);
  assert.equal(v.comparisons.map((c) => c.condition), ['bandwidth', 'latency']);
  assert.is(v.coverage, 'full');
});

test('network filter: a container that ran on the host network does not count for a bridge claim', () => {
  const net = `
  - id: net
    claim: bridged containers lose about 10%.
    provenance: { kind: summary, where: Network }
    area: network
    test:
      kind: ratio-range
      platforms: [docker-runc]
      network: bridge
      low: 0.85
      high: 0.95
      measures: [{ workload: iperf3, metric: throughput_gbps }]
`;
  const env = environment([record('native', true, true), record('docker-runc', true, true)]);
  const a = analysis([summary('native', 'iperf3', 'throughput_gbps', [30, 31, 29]), summary('docker-runc', 'iperf3', 'throughput_gbps', [27, 27.5, 26.5], { network: 'host' })]);
  const v = evaluateClaims(a, env, claimsYaml(net)).verdicts[0];
  assert.is(v.verdict, 'not run');
  assert.match(v.reason, /docker-runc: ran with network 'host'; the claim needs 'bridge'/);
});

test("Holm's correction can withhold 'reproduced' that a single claim would get", () => {
  const one = (id: string) => `
  - id: ${id}
    claim: runc is faster than crun.
    provenance: { kind: summary, where: x }
    area: cpu
    test:
      kind: ordering
      chain: [[runc], [crun]]
      measures: [{ workload: sysbench-cpu, metric: events_per_s }]
`;
  const env = environment([record('runc', true, true), record('crun', true, true)]);
  const a = analysis([summary('runc', 'sysbench-cpu', 'events_per_s', [12.6, 13.6, 14.6]), summary('crun', 'sysbench-cpu', 'events_per_s', [10, 11, 12])]);
  const alone = evaluateClaims(a, env, claimsYaml(one('a'))).verdicts[0];
  assert.ok(alone.p!.support > 0.025 && alone.p!.support < 0.05, `p = ${alone.p!.support}`);
  assert.is(alone.verdict, 'reproduced');
  assert.is(alone.comparisons[0].holds, 'inside', 'reproduced implies the 95% interval is on the claim\'s side');
  const both = evaluateClaims(a, env, claimsYaml(one('a') + one('b')));
  for (const v of both.verdicts) {
    assert.is(v.verdict, 'inconclusive', v.reason);
    assert.ok(Math.abs(v.p!.supportHolm - 2 * alone.p!.support) < 1e-12, 'two equal p-values: both adjusted to 2p');
    assert.match(v.reason, /every 95% interval lies inside the claim's bounds, but the support does not survive the correction/);
  }
  assert.match(both.correction, /over the 2 claims with a testable comparison/);
});

test('deterministic: the same input gives the same bytes', () => {
  const runc = summary('runc', 'sysbench-cpu', 'events_per_s', [99.5, 100.2, 99.8, 100.1, 99.9]);
  const claims = loadClaims();
  const once = stableStringify(evaluateClaims(analysis([native, runc]), envBasic, claims));
  const twice = stableStringify(evaluateClaims(analysis([native, runc]), envBasic, loadClaims()));
  assert.is(once, twice);
});

// ---- the recorded example run ----

const quick = path.join(root, 'test', 'fixtures', 'runs', 'quick-example');

test('quick-example: cpu-parity gets a real verdict from native + runc; the rest did not run; the caveat is printed', () => {
  const a = JSON.parse(readFileSync(path.join(quick, 'analysis.json'), 'utf8')) as Analysis;
  const env = JSON.parse(readFileSync(path.join(quick, 'environment.json'), 'utf8')) as Environment;
  const result = evaluateClaims(a, env, loadClaims());
  const byId = new Map(result.verdicts.map((v) => [v.id, v]));
  assert.equal(result.verdicts.map((v) => v.id).sort(), [...PAPER_CLAIM_IDS].sort());
  const cpu = byId.get('cpu-parity')!;
  assert.is(cpu.verdict, 'partly tested', cpu.reason);
  assert.equal(cpu.comparisons.map((c) => [c.platform, c.reference, c.metric]), [['runc', 'native', 'events_per_s']]);
  // a claim repeats a platform's reason for not running by its first statement; the report's "What was not run" has it whole
  assert.is(cpu.missing.platforms.find((p) => p.platform === 'gvisor-kvm')!.reason, briefly(a.notRun[0].reason));
  assert.match(briefly(a.notRun[0].reason), /^runsc --platform=kvm hangs .*page-fault loop \(the whole reason: “What was not run”\)$/);
  assert.is(byId.get('hap-caveat')!.verdict, 'caveat');
  for (const v of result.verdicts) if (v.id !== 'cpu-parity' && v.id !== 'hap-caveat') assert.is(v.verdict, 'not run', v.id);
  assert.match(byId.get('io-half')!.reason, /not in this experiment \(needs fio\)/);
});

test('analyzeRun writes the verdicts into the analysis, the same bytes each time', async () => {
  const first = await analyzeRun(quick);
  assert.is(first.claims!.file, 'data/paper/claims.yaml');
  assert.is(first.claims!.verdicts.length, PAPER_CLAIM_IDS.length);
  // runc alone does not stand for 'all containers, secure ones included'
  assert.is(first.claims!.verdicts.find((v) => v.id === 'cpu-parity')!.verdict, 'partly tested');
  assert.is(formatAnalysis(await analyzeRun(quick)), formatAnalysis(first));
});

test('a claims file from a run directory or artifact is read by the bounded YAML reader: tags, key floods and duplicate keys are refused', () => {
  assert.throws(() => parseClaims('schema: 1\nclaims: !!set { a: null }\n', 'hostile/claims.yaml'), (e: Error) => e instanceof ClaimsError && /hostile\/claims\.yaml:2: .*tag !!set is not allowed/.test(e.message));
  const flood = `schema: 1\nclaims:\n${Array.from({ length: 25_000 }, (_, i) => `  - { k${i}: 1 }`).join('\n')}\n`;
  assert.throws(() => parseClaims(flood, 'hostile/claims.yaml'), /more than 20000 keys|at most \d+ are read/);
  const keys = `schema: 1\nclaims:\n${Array.from({ length: 7_000 }, (_, i) => `  - { a: 1, b: 2, c: ${i} }`).join('\n')}\n`;
  assert.throws(() => parseClaims(keys, 'hostile/claims.yaml'), /more than 20000 keys/);
  assert.throws(() => parseClaims('schema: 1\nschema: 1\nclaims: []\n', 'hostile/claims.yaml'), /key 'schema' appears twice/);
});

test.run();

test('briefly: a not-run reason as a claim repeats it is its first statement, never cut inside "e.g." or a parenthesis', () => {
  const qemu = 'a test guest did not boot within 30 s: /dev/kvm exists but cannot run a stock kernel here (e.g. a paravirtual KVM); use qemu-tcg';
  assert.is(briefly(qemu), 'a test guest did not boot within 30 s: /dev/kvm exists but cannot run a stock kernel here (e.g. a paravirtual KVM) (the whole reason: “What was not run”)');
  assert.is(briefly('kata-runtime not found (on PATH or /opt/kata/bin); containerd-shim-kata-v2 not on PATH'), 'kata-runtime not found (on PATH or /opt/kata/bin) (the whole reason: “What was not run”)');
  assert.is(briefly('an unclosed (note. it goes on) here'), 'an unclosed (the whole reason: “What was not run”)');
  assert.is(briefly('short reason'), 'short reason');
  assert.ok(briefly(`x${'y'.repeat(300)}; rest`).length < 180, 'a long first statement is cut at a word');
});
