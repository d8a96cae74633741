import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadClaims } from '../../src/claims/load.ts';
import { areaOfWorkload } from '../../src/report/areas.ts';
import { calloutView } from '../../src/report/callouts.ts';
import { formatP, verdictSentence } from '../../src/report/claims-view.ts';
import { loadReportSources, parseArchitecture, parsePaper } from '../../src/report/sources.ts';
import { logsText, ranges } from '../../src/report/sections/appendix.ts';
import { differenceInterval } from '../../src/report/callouts.ts';
import { formatEstimate, readableParams, shorten } from '../../src/report/format.ts';
import type { ClaimEvaluation, MetricSummary, PlatformRecord } from '../../src/types.ts';

const sources = loadReportSources();

test('the shipped paper facts and callouts load, with provenance on every callout', () => {
  assert.is(sources.paper.doi, '10.1145/3464298.3493404');
  assert.equal(sources.callouts.map((c) => c.id), ['kata-9p-virtiofs', 'gvisor-gofer', 'rust-vm-memory', 'tap-virtio-net', 'docker-daemon', 'gvisor-ptrace-kvm', 'hap-caveat']);
  for (const c of sources.callouts) assert.ok(c.provenance.where.length > 5, c.id);
  assert.is(sources.callouts[0].evidence[0].measure.job, 'default', 'the schema fills in the default job');
  assert.equal(sources.files.map((f) => f.file), ['data/paper/paper.yaml', 'data/paper/architecture.yaml']);
});

test('every callout names claims that exist and anchors that belong to an area', () => {
  const ids = new Set(loadClaims().claims.map((c) => c.id));
  for (const c of sources.callouts) {
    for (const claim of c.claims) assert.ok(ids.has(claim), `${c.id}: claim ${claim}`);
    for (const a of c.anchors) assert.ok(areaOfWorkload(a.workload), `${c.id}: ${a.workload}`);
  }
  assert.equal(sources.callouts.find((c) => c.id === 'hap-caveat')!.claims.includes('hap-caveat'), true);
});

const minimal = (evidence: string) => `schema: 1
callouts:
  - id: one
    title: One
    anchors: [{ workload: fio }]
    text: Some text.
    provenance: { kind: text, where: Finding 1 }
    claims: []
    evidence:
${evidence}
`;

test('a mistake in architecture.yaml names the file, the line, the field and the fix', () => {
  assert.throws(() => parseArchitecture(minimal('      - { label: x, platforms: [kata-9p], reference: [native], measure: { workload: fio, metric: read_bw } }'), 'architecture.yaml'),
    /^architecture\.yaml:10: callouts\[0\]\.evidence\[0\]\.measure\.metric: unknown metric 'read_bw' for fio \(known: write_bw_mbps, /);
  assert.throws(() => parseArchitecture(minimal('      - { label: x, platforms: [qemu-tcg], reference: [native], measure: { workload: fio, metric: read_bw_mbps } }'), 'architecture.yaml'),
    /architecture\.yaml:10: callouts\[0\]\.evidence\[0\]\.platforms\[0\]: must be one of 'native'/);
  assert.throws(() => parseArchitecture(minimal('      - { label: x, platforms: [native], reference: [native], measure: { workload: fio, metric: read_bw_mbps } }'), 'architecture.yaml'),
    /evidence\[0\]\.platforms: every platform is also a reference/);
  assert.throws(() => parseArchitecture(`${minimal('      []')}  - id: one\n    title: Again\n    anchors: [{ workload: fio }]\n    text: t\n    provenance: { kind: text, where: w }\n    claims: []\n    evidence: []\n`.replace('    evidence:\n      []', '    evidence: []'), 'a.yaml'),
    /a\.yaml:\d+: callouts\[1\]\.id: callout id 'one' is used twice/);
});

test('a mistake in paper.yaml names the field', () => {
  assert.throws(() => parsePaper('schema: 1\ntitle: T\nauthors: [A]\nvenue: V\nyear: 2021\ndoi: d\narxiv: 2110.11462\nscripts: s\nhost: h\n', 'paper.yaml'),
    /paper\.yaml:7: arxiv: must be a non-empty string \(quote it/);
  assert.throws(() => parsePaper("schema: 1\ntitle: T\nauthors: [A]\nvenue: V\nyear: 2021\ndoi: d\narxiv: '1'\nscripts: s\nhost: h\nurl: x\n", 'paper.yaml'),
    /paper\.yaml:10: url: unknown key/);
});

const summary = (platform: string, metric: string, mean: number, extra: Partial<MetricSummary> = {}): MetricSummary => ({
  platform, workload: 'fio', job: 'default', metric, unit: 'MB/s', better: 'higher', n: 5, iterations: 5, failed: 0,
  mean, median: mean, sd: mean * 0.02, cv: 0.02, ci: null, instanceMeans: [], instances: [0, 1, 2, 3, 4], outliers: [],
  cell: `cell-${platform}`, params: {}, platformOptions: {}, ratioToNative: null, ...extra,
});

test('callout evidence: ratio and Welch interval of the first platform and reference that ran', () => {
  const kata = sources.callouts.find((c) => c.id === 'kata-9p-virtiofs')!;
  const ctx = {
    summaries: [summary('native', 'read_bw_mbps', 1500), summary('kata-9p', 'read_bw_mbps', 500), summary('kata-virtiofs', 'read_bw_mbps', 1100)],
    records: new Map<string, PlatformRecord>(),
    notRun: new Map<string, string>(),
  };
  const { view, records } = calloutView(kata, ctx, 'fio');
  assert.is(view.measured, true);
  assert.equal(view.evidence.map((e) => e.pair), ['kata-virtiofs / kata-9p', '', 'kata-9p / native']);
  // the ratio with its interval, rounded to what the interval supports
  assert.match(view.evidence[0].ratio, /^2\.2\d* \[2\.\d+, 2\.\d+\]$/);
  assert.match(view.evidence[2].ratio, /^0\.33\d* \[0\.\d+, 0\.\d+\]$/);
  assert.match(view.evidence[1].reason, /^not measured here \(kata-virtiofs: no value for this measure\)/);
  assert.ok(records[0].interval!.low < 2.2 && records[0].interval!.high > 2.2);
  assert.match(view.evidence[0].means, /^1100 vs 500\.0 MB\/s, n = 5 and 5$/);
});

test('callout evidence: software emulation never counts, and a network restriction is kept', () => {
  const tap = sources.callouts.find((c) => c.id === 'tap-virtio-net')!;
  const iperf = (platform: string, mean: number, extra: Partial<MetricSummary> = {}) => summary(platform, 'throughput_gbps', mean, { workload: 'iperf3', unit: 'Gbit/s', ...extra });
  const ctx = {
    summaries: [iperf('native', 38), iperf('qemu-kvm', 3, { emulated: true }), iperf('docker-runc', 34, { network: 'host' })],
    records: new Map<string, PlatformRecord>(),
    notRun: new Map([['firecracker', 'firecracker not found']]),
  };
  const { view } = calloutView(tap, ctx, 'iperf3');
  assert.is(view.measured, false);
  assert.match(view.evidence[0].reason, /qemu-kvm: software emulation only; firecracker: firecracker not found; cloud-hypervisor: not in this experiment/);
  assert.match(view.evidence[1].reason, /docker-runc: ran without a bridge network/);
});

test('instance ranges and log patterns for the appendix', () => {
  assert.is(ranges([0, 1, 2, 3, 7, 9, 10]), '0–3, 7, 9–10');
  assert.is(ranges([]), '');
  const logs = { c1: { 0: ['logs/c1/instance-0.log'], 1: ['logs/c1/instance-1.log'], 2: ['logs/c1/instance-2.log'] }, c2: { 0: ['a.log'], 1: ['b.log'] } };
  assert.is(logsText('c1', [0, 1, 2], logs), 'logs/c1/instance-{k}.log, k = 0–2');
  assert.is(logsText('c2', [0, 1], logs), 'a.log, b.log');
  assert.is(logsText('c3', [0], logs), 'no log file recorded');
  assert.is(logsText('c1', [0], null), 'samples.jsonl not found in the run directory');
  // instance 10's number must not be found inside instance 1's
  const many = { c: Object.fromEntries(Array.from({ length: 12 }, (_, k) => [k, [`logs/c/i${k}.log`]])) };
  assert.is(logsText('c', Array.from({ length: 12 }, (_, k) => k), many), 'logs/c/i{k}.log, k = 0–11');
});

test('p-values and the abstract sentence', () => {
  assert.is(formatP(0.0255), '0.0255');
  assert.is(formatP(0.00012), '1.20e-4');
  assert.is(formatP(1e-9), '< 1e-6');
  const claims = { verdicts: [{ verdict: 'reproduced', coverage: 'full' }, { verdict: 'not run' }, { verdict: 'caveat' }] } as unknown as ClaimEvaluation;
  assert.is(verdictSentence(claims), '1 of 2 claims reproduced, 0 partly tested, 0 not reproduced, 0 inconclusive, 1 not run here. 1 caveat of the paper is printed, not tested.');
  const partly = { verdicts: [{ verdict: 'partly tested', coverage: 'partial' }, { verdict: 'reproduced' }] } as unknown as ClaimEvaluation;
  assert.match(verdictSentence(partly), /^1 of 2 claims reproduced, 1 partly tested, /);
});

test('numbers are rounded to what their interval supports', () => {
  assert.is(formatEstimate(1.61234, { low: 1.5712, high: 1.6449 }), '1.612 [1.571, 1.645]');
  assert.is(formatEstimate(24.8601, { low: 20.1, high: 30.2 }), '24.9 [20.1, 30.2]');
  assert.is(formatEstimate(3.1035, null), '3.10');
  assert.is(formatEstimate(312.4, { low: 250.2, high: 374.9 }), '312 [250, 375]');
});

test('raw JSON in a sentence reads as parameters; a long line is cut at a word', () => {
  assert.is(readableParams('kata-9p / native on stream triad_mbps {"elements":10000000,"ntimes":10}: ratio 0.964'), 'kata-9p / native on stream triad_mbps (elements=10000000, ntimes=10): ratio 0.964');
  assert.is(shorten('one two three four', 12), 'one two…');
  assert.is(shorten('short', 12), 'short');
});

test('the daemon\'s added time: a difference of means with its Welch interval', () => {
  const daemon = sources.callouts.find((c) => c.id === 'docker-daemon')!;
  const st = (platform: string, mean: number, sd: number) => summary(platform, 'first_output_ms', mean, { workload: 'startup', unit: 'ms', better: 'lower', sd, n: 20, instanceMeans: [] });
  const ctx = { summaries: [st('runc', 60, 6), st('docker-runc', 310, 20)], records: new Map<string, PlatformRecord>(), notRun: new Map<string, string>() };
  const { view, records } = calloutView(daemon, ctx, 'startup');
  assert.is(records[0].compare, 'difference');
  assert.is(records[0].difference, 250);
  assert.match(view.evidence[0].ratio, /^\+250\.0 \[240\.\d, 259\.\d\] ms$/);
  assert.is(view.evidence[0].pair, 'docker-runc − runc');
  // Welch: sqrt(400/20 + 36/20) = 4.69, df about 22.4, t about 2.07
  const i = differenceInterval({ mean: 310, sd: 20, n: 20 }, { mean: 60, sd: 6, n: 20 })!;
  assert.ok(Math.abs(i.high - 250 - 9.72) < 0.1, String(i.high));
  assert.is(differenceInterval({ mean: 1, sd: 0, n: 1 }, { mean: 0, sd: 0, n: 5 }), null);
  // zero spread is not certainty: no interval without a resolution, the resolution's width with one (300 ms twice against 301 ms twice)
  assert.is(differenceInterval({ mean: 301, sd: 0, n: 2 }, { mean: 300, sd: 0, n: 2 }), null);
  const floored = differenceInterval({ mean: 301, sd: 0, n: 2, resolution: 1 }, { mean: 300, sd: 0, n: 2, resolution: 1 })!;
  assert.ok(floored.low < 0 && floored.high > 2, `${floored.low} .. ${floored.high}`);
});

test.run();
