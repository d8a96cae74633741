import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateClaims } from '../../src/claims/evaluate.ts';
import { loadClaims, parseClaims } from '../../src/claims/load.ts';
import { claimStatuses } from '../../src/claims/looks.ts';
import { resolutionOf } from '../../src/stats/resolution.ts';
import type { Analysis, ClaimVerdict, Environment, MetricSummary, PlatformRecord } from '../../src/types.ts';

// ---- crafted runs, with every measure the claims name ----

interface Opts { job?: string; better?: 'higher' | 'lower'; params?: Record<string, unknown>; options?: Record<string, unknown>; network?: 'host' | 'bridge' | 'none'; lost?: MetricSummary['lost'] }

function summary(platform: string, workload: string, metric: string, means: number[], o: Opts = {}): MetricSummary {
  const n = means.length;
  const mean = means.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(means.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return {
    platform, workload, job: o.job ?? 'default', metric, unit: 'u', better: o.better ?? 'higher',
    n, iterations: n, failed: (o.lost?.failed.length ?? 0) + (o.lost?.timeout.length ?? 0), lost: o.lost ?? { failed: [], timeout: [], skipped: [] },
    mean, median: mean, sd, cv: sd / mean, ci: null, instanceMeans: means, instances: means.map((_, i) => i), outliers: [],
    cell: `c-${platform}-${workload}-${o.job ?? 'default'}-${JSON.stringify(o.params ?? {})}-${JSON.stringify(o.options ?? {})}`,
    params: o.params ?? {}, platformOptions: o.options ?? {}, resolution: resolutionOf(means),
    ratioToNative: null, emulated: false, network: o.network ?? 'host',
  };
}

const analysis = (summaries: MetricSummary[], notRun: Analysis['notRun'] = []): Analysis => ({
  schema: 1, run: 'r', experiment: { name: 'unit', description: '', file: 'x.yaml', sha256: '0', seed: 1 },
  repetitions: { instances: 5, iterations: 1 }, summaries, notRun, failures: [],
});

const record = (id: string): PlatformRecord => ({ id, family: id === 'native' ? 'native' : 'container', description: id, available: true, requested: true });
const environment = (ids: string[]): Environment => ({
  schema: 1, run: 'r', startedAt: '2026-01-01T00:00:00Z',
  host: { hostname: 'h', cpuModel: 'c', cores: 2, memoryMiB: 1024, kernel: '6', distribution: 'd', arch: 'x64' },
  noise: { loadavg: [0, 0, 0] }, tools: {}, platforms: ids.map(record), hostChanges: [],
  isobench: { version: '0', commit: '0', dirty: false }, experiment: { file: 'x.yaml', sha256: '0' }, node: 'v20',
});

/** value of a platform relative to native per metric: chosen so that each claim about these platforms would hold */
const FACTORS: Record<string, Record<string, number>> = {
  runc: {}, 'docker-runc': { iperf3: 0.9, startup: 1.5, hap: 1.2 }, 'gvisor-ptrace': { fio: 0.4, 'latency-rr': 3.5, startup: 2, hap: 3, iperf3: 0.6 },
};
const MEASURES: [string, string, string, 'higher' | 'lower'][] = [
  ['sysbench-cpu', 'default', 'events_per_s', 'higher'], ['ffmpeg', 'default', 'wall_ms', 'lower'],
  ['stream', 'default', 'triad_mbps', 'higher'], ['sysbench-memory', 'default', 'throughput', 'higher'],
  ...['write_bw_mbps', 'read_bw_mbps', 'randwrite_iops', 'randread_iops', 'randread_clat_mean_us', 'randwrite_clat_mean_us'].map((m) => ['fio', 'default', m, m.includes('clat') ? 'lower' : 'higher'] as [string, string, string, 'higher' | 'lower']),
  ['iperf3', 'default', 'throughput_gbps', 'higher'], ['latency-rr', 'tcp', 'p90_us', 'lower'], ['latency-rr', 'udp', 'p90_us', 'lower'],
  ['startup', 'default', 'first_output_ms', 'lower'], ['startup', 'default', 'exit_ms', 'lower'], ['hap', 'default', 'functions', 'lower'],
];

function containerRun(zeroSpread: boolean): MetricSummary[] {
  const out: MetricSummary[] = [];
  for (const platform of ['native', 'runc', 'docker-runc', 'gvisor-ptrace']) {
    for (const [workload, job, metric, better] of MEASURES) {
      const f = FACTORS[platform]?.[workload] ?? 1;
      const level = Math.round(1000 * f);
      // zero spread: identical integers (HAP-like counts); else a little noise
      const means = zeroSpread ? [level, level, level, level, level] : [level * 0.99, level * 1.01, level, level * 0.995, level * 1.005];
      const options = platform === 'gvisor-ptrace' ? { network: 'host' } : platform === 'docker-runc' ? { network: 'bridge' } : {};
      out.push(summary(platform, workload, metric, means, { job, better, options, network: platform === 'docker-runc' ? 'bridge' : 'host' }));
    }
  }
  return out;
}

const ABOUT_VMS = /^(qemu-|firecracker|cloud-hypervisor|osv-|kata-)/;
const aboutVms = (v: ClaimVerdict) => (v.subject?.platforms ?? []).some((e) => e.split(' or ').some((p) => ABOUT_VMS.test(p)));

for (const zero of [false, true]) {
  test(`a run of native, runc, docker-runc and gVisor${zero ? ' with zero-spread integer metrics' : ''}: no claim about a hypervisor, OSv or Kata is decided`, () => {
    const ev = evaluateClaims(analysis(containerRun(zero)), environment(['native', 'runc', 'docker-runc', 'gvisor-ptrace']), loadClaims());
    const about = ev.verdicts.filter(aboutVms);
    assert.ok(about.length >= 10, `claims about VMs: ${about.map((v) => v.id).join(', ')}`);
    for (const v of about) assert.not.ok(v.verdict === 'reproduced' || v.verdict === 'not reproduced', `${v.id}: ${v.verdict}: ${v.reason}`);
    const byId = new Map(ev.verdicts.map((v) => [v.id, v]));
    for (const id of ['net-hypervisor', 'io-half', 'cpu-parity', 'hap-osv', 'hap-secure']) assert.is(byId.get(id)!.verdict, 'partly tested', id);
    for (const id of ['mem-rust-vmm', 'net-osv', 'startup-firecracker', 'io-qemu-latency', 'startup-times']) assert.is(byId.get(id)!.verdict, 'not run', id);
    // hostinet cells never decide a gVisor network claim
    assert.is(byId.get('net-gvisor-tail')!.verdict, 'not run');
    assert.match(byId.get('net-gvisor-tail')!.reason, /network.*sandbox/);
    for (const v of ev.verdicts) if (v.p) assert.ok(v.p.support > 0 && v.p.refute > 0, `${v.id}: p = 0`);
  });
}

test('the claims that the issue found over-claimed come out right', () => {
  const ev = evaluateClaims(analysis(containerRun(false)), environment(['native', 'runc', 'docker-runc', 'gvisor-ptrace']), loadClaims());
  const byId = new Map(ev.verdicts.map((v) => [v.id, v]));
  const hyp = byId.get('net-hypervisor')!;
  assert.is(hyp.clauses!.find((c) => c.label.startsWith('hypervisors'))!.outcome, 'not run');
  assert.is(hyp.clauses!.find((c) => c.label.startsWith('bridged'))!.outcome, 'held');
  const cpu = byId.get('cpu-parity')!;
  assert.equal(cpu.clauses![0].subjectMissing, ['lxc', 'kata-9p or kata-virtiofs']);
  assert.match(cpu.reason, /not run on lxc/);
});

const craftedClaim = (test: string, subject = '[runc]', extra = '') => parseClaims(`schema: 1\nparamDefaults: { fio: { fileSystem: data } }\nclaims:\n  - id: c\n    claim: x\n    provenance: { kind: text, where: w }\n    area: disk\n    subject: { platforms: ${subject} }\n${extra}    test:\n${test}`, 'crafted.yaml');

test('zero spread is never certainty: 300 ms twice against 301 ms twice is not decided, and p > 0', () => {
  const claims = craftedClaim('      kind: ordering\n      chain: [[runc], [docker-runc]]\n      measures: [{ workload: startup, metric: first_output_ms }]\n', '[runc, docker-runc]');
  const ev = evaluateClaims(analysis([
    summary('runc', 'startup', 'first_output_ms', [300, 300], { better: 'lower' }),
    summary('docker-runc', 'startup', 'first_output_ms', [301, 301], { better: 'lower' }),
  ]), environment(['runc', 'docker-runc']), claims);
  const v = ev.verdicts[0];
  assert.is(v.verdict, 'inconclusive', v.reason);
  assert.ok(v.p!.support > 0.05 && v.p!.refute > 0, JSON.stringify(v.p));
  // a clear difference in integer counts is still found
  const ev2 = evaluateClaims(analysis([
    summary('runc', 'startup', 'first_output_ms', [300, 300, 300], { better: 'lower' }),
    summary('docker-runc', 'startup', 'first_output_ms', [600, 600, 600], { better: 'lower' }),
  ]), environment(['runc', 'docker-runc']), claims);
  assert.is(ev2.verdicts[0].verdict, 'reproduced', ev2.verdicts[0].reason);
  assert.ok(ev2.verdicts[0].p!.support > 0);
});

test('zero spread with no known resolution is untestable, with the reason', () => {
  const claims = craftedClaim('      kind: ratio-range\n      high: 0.9\n      platforms: [runc]\n      measures: [{ workload: iperf3, metric: throughput_gbps }]\n');
  const a = summary('runc', 'iperf3', 'throughput_gbps', [Math.PI, Math.PI]);
  const b = summary('native', 'iperf3', 'throughput_gbps', [Math.E * 2, Math.E * 2]);
  const ev = evaluateClaims(analysis([a, b]), environment(['native', 'runc']), claims);
  assert.is(ev.verdicts[0].verdict, 'inconclusive');
  assert.match(ev.verdicts[0].reason, /no spread and the metric has no known resolution/);
  assert.match(ev.correction, /no claim had a testable comparison/);
});

const gofer = `    cause:
      label: the Gofer
      isolates: the Gofer
      contrast:
        platforms: [gvisor-ptrace]
        reference: [native]
        with: { params: { fileSystem: data } }
        without: { params: { fileSystem: memory } }
        high: 0.8
        measures: [{ workload: fio, metric: randread_iops }]
`;
const goferTest = '      kind: ratio-range\n      high: 0.8\n      platforms: [gvisor-ptrace]\n      params: { fileSystem: data }\n      measures: [{ workload: fio, metric: randread_iops }]\n';
const noisy = (x: number) => [x * 0.99, x * 1.01, x, x * 0.995, x * 1.005];

test('a cause: effect reproduced, cause not tested, until a contrast (ratio of ratios) isolates it', () => {
  const claims = craftedClaim(goferTest, '[gvisor-ptrace]', gofer);
  const data = [summary('native', 'fio', 'randread_iops', noisy(1000)), summary('gvisor-ptrace', 'fio', 'randread_iops', noisy(500))];
  const env = environment(['native', 'gvisor-ptrace']);
  const v1 = evaluateClaims(analysis(data), env, claims).verdicts[0];
  assert.is(v1.verdict, 'partly tested');
  assert.match(v1.reason, /^effect reproduced, cause not tested/);
  // in memory, gVisor keeps 90% of native: the Gofer's path costs 0.5 / 0.9 of it
  const memory = [
    summary('native', 'fio', 'randread_iops', noisy(4000), { params: { fileSystem: 'memory' } }),
    summary('gvisor-ptrace', 'fio', 'randread_iops', noisy(3600), { params: { fileSystem: 'memory' } }),
  ];
  const v2 = evaluateClaims(analysis([...data, ...memory]), env, claims).verdicts[0];
  assert.is(v2.verdict, 'reproduced', v2.reason);
  const cause = v2.comparisons.find((c) => c.contrast)!;
  assert.is(cause.contrast!.length, 4);
  assert.ok(Math.abs(cause.ratio! - 0.5 / 0.9) < 1e-9, String(cause.ratio));
  // the budget's planner sees the contrast with the verdict's signs: its terms multiply out to the same ratio of ratios
  const planned = claimStatuses(evaluateClaims(analysis([...data, ...memory]), env, claims), analysis([...data, ...memory]))[0].open.find((x) => x.terms.length === 4)!;
  assert.equal(planned.terms.map((x) => x.sign), [1, -1, -1, 1]);
  assert.ok(Math.abs(Math.exp(planned.terms.reduce((s, x) => s + x.sign * Math.log(x.side.mean), 0)) - cause.ratio!) < 1e-9);
  // in memory gVisor loses as much: the Gofer is not the cause
  const same = [
    summary('native', 'fio', 'randread_iops', noisy(4000), { params: { fileSystem: 'memory' } }),
    summary('gvisor-ptrace', 'fio', 'randread_iops', noisy(2000), { params: { fileSystem: 'memory' } }),
  ];
  const v3 = evaluateClaims(analysis([...data, ...same]), env, claims).verdicts[0];
  assert.is(v3.verdict, 'not reproduced', v3.reason);
  // the memory cells never enter the effect (its selector is fileSystem data; unset counts as the default 'data')
  assert.ok(v3.comparisons.filter((c) => !c.contrast).every((c) => c.params === undefined), 'effect compared memory cells');
});

test("'most': a stated share of the subject must hold", () => {
  const claims = parseClaims(`schema: 1\nclaims:\n  - id: m\n    claim: most\n    provenance: { kind: text, where: w }\n    area: cpu\n    subject: { platforms: [runc, crun, lxc, podman-crun], quantifier: most, share: 0.5 }\n    test:\n      kind: equivalence\n      margin: 0.1\n      platforms: [runc, crun, lxc, podman-crun]\n      measures: [{ workload: ffmpeg, metric: wall_ms }]\n`, 'm.yaml');
  const env = environment(['native', 'runc', 'crun', 'lxc', 'podman-crun']);
  const base = [summary('native', 'ffmpeg', 'wall_ms', noisy(1000), { better: 'lower' })];
  const two = [...base, summary('runc', 'ffmpeg', 'wall_ms', noisy(1000), { better: 'lower' }), summary('crun', 'ffmpeg', 'wall_ms', noisy(1000), { better: 'lower' })];
  assert.is(evaluateClaims(analysis(two), env, claims).verdicts[0].verdict, 'partly tested', '2 of 4 ran, 3 needed');
  const three = [...two, summary('lxc', 'ffmpeg', 'wall_ms', noisy(1000), { better: 'lower' })];
  assert.is(evaluateClaims(analysis(three), env, claims).verdicts[0].verdict, 'reproduced');
  const bad = [...base, ...['runc', 'crun'].map((p) => summary(p, 'ffmpeg', 'wall_ms', noisy(1500), { better: 'lower' }))];
  const v = evaluateClaims(analysis([...bad, summary('lxc', 'ffmpeg', 'wall_ms', noisy(1000), { better: 'lower' }), summary('podman-crun', 'ffmpeg', 'wall_ms', noisy(1000), { better: 'lower' })]), env, claims).verdicts[0];
  assert.is(v.verdict, 'not reproduced', `2 of 4 did not hold, so more than half cannot: ${v.reason}`);
});

test('lost instances are named, and more than a fifth lost cannot support reproduced', () => {
  const claims = craftedClaim('      kind: equivalence\n      margin: 0.05\n      platforms: [runc]\n      measures: [{ workload: sysbench-cpu, metric: events_per_s }]\n');
  const env = environment(['native', 'runc']);
  const nat = summary('native', 'sysbench-cpu', 'events_per_s', noisy(1000));
  const one = summary('runc', 'sysbench-cpu', 'events_per_s', noisy(1000), { lost: { failed: [5], timeout: [], skipped: [] } });
  const v1 = evaluateClaims(analysis([nat, one]), env, claims).verdicts[0];
  assert.is(v1.verdict, 'reproduced');
  assert.match(v1.reason, /lost instances: runc sysbench-cpu: instances failed 5/);
  const two = summary('runc', 'sysbench-cpu', 'events_per_s', noisy(1000), { lost: { failed: [5], timeout: [6], skipped: [7] } });
  const v2 = evaluateClaims(analysis([nat, two]), env, claims).verdicts[0];
  assert.is(v2.verdict, 'inconclusive');
  assert.match(v2.reason, /lost 3 of its 8 instances/);
});

test('a claims file without a subject, or with a subject the test never names, is refused with the fix', () => {
  assert.throws(() => parseClaims('schema: 1\nclaims:\n  - id: a\n    claim: x\n    provenance: { kind: text, where: w }\n    area: cpu\n    test: { kind: ratio-range, low: 1, platforms: [runc], measures: [{ workload: ffmpeg, metric: wall_ms }] }\n', 'f.yaml'), /f\.yaml:3: claims\[0\]: needs 'subject'/);
  assert.throws(() => craftedClaim('      kind: ratio-range\n      low: 1\n      platforms: [runc]\n      measures: [{ workload: ffmpeg, metric: wall_ms }]\n', '[lxc]'), /platform 'lxc' is in the subject but the test never names it/);
});

test('mem-rust-vmm without Firecracker and io-kata-9p without QEMU are partly tested, the missing clause named', () => {
  const env = environment(['native', 'runc', 'cloud-hypervisor', 'kata-9p', 'kata-virtiofs']);
  const cells = [
    ...['native', 'runc'].map((p) => summary(p, 'stream', 'triad_mbps', noisy(1000))),
    summary('cloud-hypervisor', 'stream', 'triad_mbps', noisy(700)),
    ...['write_bw_mbps', 'read_bw_mbps'].flatMap((m) => [summary('native', 'fio', m, noisy(1000)), summary('kata-9p', 'fio', m, noisy(300)), summary('kata-virtiofs', 'fio', m, noisy(800))]),
  ];
  const byId = new Map(evaluateClaims(analysis(cells), env, loadClaims()).verdicts.map((v) => [v.id, v]));
  const mem = byId.get('mem-rust-vmm')!;
  assert.is(mem.verdict, 'partly tested', mem.reason);
  assert.equal(mem.clauses!.map((c) => [c.kind, c.outcome]), [['link', 'held'], ['link', 'not run'], ['cause', 'not run']]);
  const kata = byId.get('io-kata-9p')!;
  assert.is(kata.verdict, 'partly tested', kata.reason);
  assert.equal(kata.clauses!.map((c) => c.outcome), ['held', 'not run']);
  assert.match(kata.reason, /\[not run\] virtio-fs about QEMU's level/);
});

test('gVisor network claims rest on netstack cells: a sandbox cell decides, a hostinet cell never does; the netstack contrast isolates the cause', () => {
  const loaded = loadClaims();
  const tail = { ...loaded, claims: loaded.claims.filter((c) => c.id === 'net-gvisor-tail') };
  const env = environment(['native', 'gvisor-ptrace']);
  const cells = (platform: string, f: number, options: Record<string, unknown>) => ['tcp', 'udp'].map((job) => summary(platform, 'latency-rr', 'p90_us', noisy(100 * f), { job, better: 'lower', options }));
  const hostOnly = evaluateClaims(analysis([...cells('native', 1, {}), ...cells('gvisor-ptrace', 1.6, { network: 'host' })]), env, tail).verdicts[0];
  assert.is(hostOnly.verdict, 'not run', hostOnly.reason);
  const both = evaluateClaims(analysis([...cells('native', 1, {}), ...cells('gvisor-ptrace', 3.5, { network: 'sandbox' }), ...cells('gvisor-ptrace', 1.2, { network: 'host' })]), env, tail).verdicts[0];
  assert.is(both.verdict, 'reproduced', both.reason);
  assert.ok(both.comparisons.filter((c) => !c.contrast && c.reference === 'native').every((c) => (c.platformOptions as { network: string }).network === 'sandbox'));
  assert.equal(both.clauses!.map((c) => [c.kind, c.outcome]), [['condition', 'held'], ['cause', 'held']]);
});

test('net-gvisor-tail with netstack P90 for TCP but none for UDP: the UDP part is not run with its reason, and the claim is partly tested, never decided on TCP alone', () => {
  const loaded = loadClaims();
  const tail = { ...loaded, claims: loaded.claims.filter((c) => c.id === 'net-gvisor-tail') };
  const env = environment(['native', 'gvisor-ptrace']);
  const cell = (platform: string, job: string, f: number, options: Record<string, unknown>) => summary(platform, 'latency-rr', 'p90_us', noisy(100 * f), { job, better: 'lower', options });
  const cells = [cell('native', 'tcp', 1, {}), cell('native', 'udp', 1, {}), cell('gvisor-ptrace', 'tcp', 3.5, { network: 'sandbox' }), cell('gvisor-ptrace', 'tcp', 1.2, { network: 'host' }), cell('gvisor-ptrace', 'udp', 1.2, { network: 'host' })];
  const v = evaluateClaims(analysis(cells), env, tail).verdicts[0];
  assert.is(v.verdict, 'partly tested', v.reason);
  const udp = v.clauses!.find((c) => c.label.endsWith('on latency-rr/udp p90_us') && c.kind === 'condition')!;
  assert.is(udp.outcome, 'not run');
  // the reason in words (no raw JSON), naming what ran and what the claim needs
  assert.match(udp.why, /gvisor-ptrace: ran only with network=host; the claim rests on network=sandbox only/);
  // a TCP refutation does not decide it either
  const refuted = evaluateClaims(analysis(cells.map((s) => (s.platform === 'gvisor-ptrace' && s.job === 'tcp' && s.platformOptions.network === 'sandbox' ? cell('gvisor-ptrace', 'tcp', 9, { network: 'sandbox' }) : s))), env, tail).verdicts[0];
  assert.is(refuted.verdict, 'partly tested', refuted.reason);
  assert.ok(refuted.clauses!.some((c) => c.outcome === 'did not hold'));
});

test('a platform that ran without the option a claim selects: the reason gives its default network in words', () => {
  const loaded = loadClaims();
  const tail = { ...loaded, claims: loaded.claims.filter((c) => c.id === 'net-gvisor-tail') };
  const cells = ['tcp', 'udp'].flatMap((job) => [summary('native', 'latency-rr', 'p90_us', noisy(100), { job, better: 'lower' }), summary('gvisor-ptrace', 'latency-rr', 'p90_us', noisy(160), { job, better: 'lower' })]);
  const v = evaluateClaims(analysis(cells), environment(['native', 'gvisor-ptrace']), tail).verdicts[0];
  assert.is(v.verdict, 'not run');
  assert.match(v.reason, /gvisor-ptrace: ran only with network=host \(its default\); the claim rests on network=sandbox only/);
  assert.not.match(JSON.stringify(v), /\{\\"/, 'no reason quotes raw JSON');
});

test('a native mean near zero gives no ratio interval, with the reason', () => {
  const claims = craftedClaim('      kind: ratio-range\n      high: 0.9\n      platforms: [runc]\n      measures: [{ workload: iperf3, metric: retransmits }]\n');
  const ev = evaluateClaims(analysis([summary('runc', 'iperf3', 'retransmits', [3, 5, 4]), summary('native', 'iperf3', 'retransmits', [0.1, 2.5, 0.2])]), environment(['native', 'runc']), claims);
  assert.is(ev.verdicts[0].verdict, 'inconclusive');
  assert.match(ev.verdicts[0].reason, /not distinguishable from 0/);
});

test.run();
