import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readRunInputs, type ReportInputs } from '../../src/report/inputs.ts';
import { allCharts, buildViewModel, orderedSummaries, type DotChartView, type PercentileChartView, type StripChartView } from '../../src/report/view-model.ts';

const quickDir = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const areaDir = fileURLToPath(new URL('../fixtures/runs/area-example', import.meta.url));
const quick = () => readRunInputs(quickDir);
const area = () => readRunInputs(areaDir);
const areaView = buildViewModel(area());
const areaOf = (id: string) => areaView.areas.find((a) => a.id === id)!;

// ---- quick-example: one workload, the claims as the analyze stage evaluated them ----

test('orders platforms native first, then as the experiment lists them', () => {
  const view = buildViewModel(quick());
  assert.equal(view.platformOrder, ['native', 'runc', 'gvisor-kvm']);
  assert.equal(view.platforms.rows.map((r) => [r.id, r.status]), [['native', 'measured'], ['runc', 'measured'], ['gvisor-kvm', 'not run']]);
});

test('sections: summary, the run, host, one per measured area, not run, threats, then the appendices: methods, every metric, the claims in full, figures and samples', () => {
  const view = buildViewModel(quick());
  assert.equal(view.toc.map((s) => `${s.number} ${s.title}`), [
    "1 Summary: the paper's claims on this host", '2 The run', '3 Host and platforms', '4 CPU',
    '5 What was not run, and why', '6 Threats to validity', 'A Appendix: methods', 'B Appendix: every metric', 'C Appendix: the claims in full', 'D Appendix: every figure and its samples',
  ]);
  assert.equal(areaView.toc.map((s) => s.title).slice(3, 9), ['CPU', 'Memory', 'Disk I/O', 'Network', 'Startup', 'Isolation (HAP)']);
});

test('page 1: a line per claim with the observed ratio, its interval and n, the band, the verdict, and why', () => {
  const { summary } = buildViewModel(quick());
  assert.is(summary.claims!.rows.length, 20);
  const parity = summary.claims!.rows[0];
  // runc alone is not the claim's subject (every container, secure ones included): the weaker verdict
  assert.equal([parity.id, parity.verdict, parity.band, parity.partial], ['cpu-parity', 'partly tested', '0.950–1.05', true]);
  // one short line with the cause: which subject platforms were not tested, and why
  assert.is(parity.reason, 'not tested on lxc, gvisor-ptrace, kata-9p: not in this experiment');
  assert.match(parity.observed, /^runc \/ native, sysbench-cpu events_per_s: 0\.99\d+ \[0\.99\d+, 0\.99\d+\], n = 3, 3$/);
  const fio = summary.claims!.rows.find((r) => r.id === 'io-half')!;
  assert.equal([fio.verdict, fio.observed, fio.reason], ['not run', '', 'not in this experiment (needs fio)']);
  assert.equal(summary.counts.map((c) => [c.verdict, c.count]), [['reproduced', 0], ['partly tested', 1], ['not reproduced', 0], ['inconclusive', 0], ['not run', 18], ['caveat', 1]]);
  assert.match(summary.host, /^AMD EPYC.*, 2 cores, .*; 2 platforms measured \(native, runc\)\.$/);
  assert.match(summary.notRun, /^platforms gvisor-kvm; areas Memory, Disk I\/O, Network, Startup, Isolation \(HAP\), Applications/);
  const tail = areaView.summary.claims!.rows.find((r) => r.id === 'net-gvisor-tail')!;
  // gVisor ran on the host network only: hostinet never decides a gVisor network claim
  assert.equal([tail.verdict, tail.observed], ['not run', '']);
  assert.is(tail.reason, 'gvisor-ptrace: ran only with network=host (its default), the claim needs network=sandbox');
  for (const row of areaView.summary.claims!.rows) {
    assert.not.match(row.reason, /\{"/, `${row.id}: no raw JSON in a sentence`);
    assert.ok(row.reason.length <= 104, `${row.id}: one short line (${row.reason.length} characters)`);
    assert.ok(row.verdict === 'reproduced' || row.reason.length > 0, `${row.id}: a reason for every verdict but reproduced`);
  }
  const kata = areaView.summary.claims!.rows.find((r) => r.id === 'io-kata-9p')!;
  assert.is(kata.reason, "not run: virtio-fs about QEMU's level (kata-virtiofs: ran, qemu-kvm did not: not in this experiment)");
});

test('quick: sysbench-cpu sits in the CPU area with a ratio chart; the other areas say they were not measured', () => {
  const view = buildViewModel(quick());
  const cpu = view.areas.find((a) => a.id === 'cpu')!;
  assert.equal(view.areas.map((a) => a.id), ['cpu']);
  assert.equal(cpu.blocks.map((b) => b.title), ['sysbench-cpu']);
  const [block] = cpu.blocks;
  assert.is(block.params, 'maxPrime=20000, threads=1, time=10');
  // the claim's figure first (Figure 1), then the workload's
  assert.equal(cpu.claimFigures.map((f) => [f.chart.kind, f.chart.number, f.chart.name]), [['claim', 1, 'claims-cpu']]);
  assert.equal(block.figures.map((f) => [f.chart.kind, f.chart.number, f.chart.name]), [['ratio', 2, 'sysbench-cpu-default-ratio']]);
  const ratio = block.figures[0].chart as DotChartView;
  assert.equal(ratio.panels[0].points.map((p) => [p.platform, p.value, p.low, p.high]), [['runc', 0.9974589825220431, 0.9957037148858874, 0.9992173444164899]]);
  assert.equal(ratio.panels[0].reference, { value: 1, label: 'native = 1' });
  assert.match(ratio.caption, /n = 3 fresh instances per platform/);
  assert.match(ratio.caption, /95 % interval \(Welch t on the log ratio, as in the verdicts\)/);
  const band = cpu.claimFigures[0].chart as DotChartView;
  assert.equal(band.panels[0].band, { low: 0.95, high: 1.05, label: 'needs 0.950–1.05' });
  const rows = view.notRun.rows.filter((r) => r.kind === 'area').map((r) => [r.what, r.reason]);
  assert.equal(rows[0], ['Memory', 'not in this experiment (sysbench-memory, stream)']);
  assert.is(rows.length, 6);
});

test('quick: the table rows carry n, failures, mean, CI and ratio, and say why gvisor-kvm has none', () => {
  const rows = buildViewModel(quick()).areas[0].blocks[0].tables[0].rows;
  assert.equal(rows.map((r) => r.platform), ['native', 'runc', 'gvisor-kvm']);
  const [native, runc, gvisor] = rows;
  // rounded to what the interval supports
  assert.equal([native.n, native.iterations, native.failed, native.mean, native.ci, native.ratio], ['3', '6', '0', '1649.6', '1646.1 – 1653.1', '1 (reference)']);
  assert.equal([runc.n, runc.iterations, runc.failed, runc.mean, runc.sd, runc.ci, runc.ratio, runc.ratioCi], ['3', '5', '0', '1645.4', '1.1', '1642.7 – 1648.1', '0.9975', '0.9957 – 0.9992']);
  assert.is(gvisor.measured, false);
  assert.match(gvisor.note, /not run/);
});

test('an analysis without claims: page 1 says how to get them', () => {
  const i = quick();
  delete i.analysis.claims;
  const view = buildViewModel(i);
  assert.match(view.summary.noClaims, /holds no verdicts on the paper's claims/);
  assert.is(view.summary.claims, null);
  assert.equal(view.areas.flatMap((a) => a.claims), []);
});

test('quick: the appendix links the figure to its cells, instances and logs', () => {
  const { appendix } = buildViewModel(quick());
  assert.is(appendix.entries.length, 2);
  assert.is(appendix.entries[1].samplesFile, 'charts/sysbench-cpu-default-ratio.csv');
  assert.equal(appendix.entries[1].rows.map((r) => [r.platform, r.cell, r.instances, r.failed, r.logs]), [
    ['native', '3355697ebe39', '0–2 (n = 3)', '', 'logs/3355697ebe39-{k}.log, k = 0–2'],
    ['runc', '2fc4a4cee6fa', '0–2 (n = 3)', '2', 'logs/2fc4a4cee6fa-{k}.log, k = 0–2'],
  ]);
});

test('quick: methods give the exact command per platform, the repetitions, seeds and the experiment file', () => {
  const { methods } = buildViewModel(quick());
  assert.equal(methods.commands.map((g) => g.title), ['sysbench-cpu']);
  assert.equal(methods.commands[0].rows.map((r) => [r.platform, r.args.join(' ')]), [
    ['native', 'taskset -c 0 sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run'],
    ['runc', 'runc exec isobench-2fc4a4cee6fa-0 sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run'],
  ]);
  assert.match(methods.repetitions, /^3 fresh instances .* 2 iterations/);
  assert.equal(methods.seeds.map((s) => s.value), ['42'], 'no bootstrap, so no bootstrap seed');
  assert.is(methods.experimentFile.sha256, 'f9aa35bb5ef23a01290a8722d7e8d71719f0c92e9559b0db7ddee84ff51046ac');
  assert.equal(methods.sources.map((s) => s.key), ['data/paper/paper.yaml', 'data/paper/architecture.yaml']);
});

test('quick: not run and failures are listed with their reasons', () => {
  const { notRun } = buildViewModel(quick());
  assert.equal(notRun.rows.filter((r) => r.kind === 'platform').map((r) => r.what), ['gvisor-kvm']);
  assert.match(notRun.rows[0].reason, /kvm_pvm/);
  assert.ok(notRun.rows.some((r) => r.kind === 'claim' && r.what === 'io-half' && r.anchor === 'claim-io-half'));
  // a caveat whose area did not run still has its row (page 1 links to it)
  assert.ok(notRun.rows.some((r) => r.kind === 'caveat' && r.what === 'hap-caveat'));
  assert.match(notRun.notes, /^Architecture notes not shown, because none of their platforms ran here: Kata Containers/);
  assert.equal(notRun.failures.rows.map((f) => [f.platform, f.workloads, f.instances, f.status]), [['runc', 'sysbench-cpu', '2', 'timeout'], ['gvisor-kvm', 'sysbench-cpu', '0–2', 'skipped']]);
});

test('the same data in another order gives the same view', () => {
  const shuffled = area();
  shuffled.analysis.summaries.reverse();
  shuffled.environment.platforms.reverse();
  shuffled.analysis.failures.reverse();
  assert.equal(buildViewModel(shuffled), buildViewModel(area()));
  assert.equal(orderedSummaries(shuffled).slice(0, 2).map((s) => s.platform), ['native', 'runc']);
});

test('without native there is no ratio chart but a value chart, and the block says why', () => {
  const i: ReportInputs = quick();
  i.analysis.summaries = i.analysis.summaries.filter((s) => s.platform !== 'native').map((s) => ({ ...s, ratioToNative: null }));
  const block = buildViewModel(i).areas[0].blocks[0];
  assert.equal(block.figures.map((f) => f.chart.kind), ['value']);
  assert.match((block.figures[0].chart as DotChartView).panels[0].axisTitle, /^prime verification events per second \(events\/s, higher is better\)$/);
  assert.is((block.figures[0].chart as DotChartView).panels[0].reference, null);
  assert.ok(block.notes.some((n) => /no ratios to native/.test(n)));
  assert.match(block.tables[0].rows[0].note, /no value recorded/);
});

test('a single instance gets no interval, and an emulated platform is labelled software emulation', () => {
  const i: ReportInputs = quick();
  const runc = i.analysis.summaries[1];
  Object.assign(runc, { n: 1, ci: null, instanceMeans: [1645.865], instances: [0], emulated: true, ratioToNative: { value: 0.9977, ci: null, method: 'ratio of means' } });
  const block = buildViewModel(i).areas[0].blocks[0];
  const row = block.tables[0].rows.find((r) => r.platform === 'runc')!;
  // the real reason, not a bare 'n < 2'
  assert.is(row.ci, 'unbounded: one instance, spread unknown');
  assert.is(row.ratioCi, 'unbounded: one instance, spread unknown');
  // a ratio column does not wrap: a long reason there widened the table past the page (the PDF shrank), so it is a few words
  Object.assign(runc, { n: 2, instanceMeans: [448, 448], ratioToNative: { value: 0.556, ci: null, method: 'm', problem: "the platform's mean 448 is not distinguishable from 0 (its 95% interval reaches 0), so the ratio has no bound" } });
  const wide = buildViewModel(i).areas[0].blocks[0].tables[0].rows.find((r) => r.platform === 'runc')!;
  assert.is(wide.ratioCi, "unbounded: a mean's CI reaches 0");
  assert.is(row.label, 'runc (software emulation)');
  const chart = block.figures[0].chart as DotChartView;
  assert.is(chart.panels.length, 1);
  assert.match(chart.panels[0].title!, /^Software emulation, on its own axis/);
  assert.equal(chart.panels[0].points.map((p) => [p.label, p.emulated, p.low]), [['runc (software emulation)', true, null]]);
  assert.match(chart.caption, /Open marks: software emulation/);
});

test('a run directory without analysis.json names the file and the fix', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-report-test-'));
  try {
    assert.throws(() => readRunInputs(dir), /analysis\.json: cannot read \(ENOENT\); run `npm run analyze/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- area-example: every area, an emulated platform, every kind of verdict ----

test('area: page 1 cites the paper with a DOI link and counts the verdicts from the data', () => {
  const { titlePage, summary, runFacts } = areaView;
  assert.match(titlePage.heading, /A Fresh Look at the Architecture and Performance of Contemporary Isolation Platforms/);
  assert.equal([titlePage.doi, titlePage.doiUrl], ['10.1145/3464298.3493404', 'https://doi.org/10.1145/3464298.3493404']);
  assert.equal(runFacts.facts.map((f) => f.key).slice(0, 4), ['Run', 'Experiment', 'Claims', 'isobench']);
  assert.match(runFacts.facts[3].value, /commit 3f9c2d41a7b8/);
  assert.match(summary.sentence, /^1 of 19 claims reproduced, 8 partly tested, 1 not reproduced, 1 inconclusive, 8 not run here/);
  assert.match(summary.sentence, /1 caveat of the paper is printed, not tested\./);
  assert.equal(runFacts.files.map((f) => f.href), ['summary.csv', 'claims.csv', 'verdicts.json', 'charts/']);
});

test('area: workloads land in their areas; applications are not measured and their claim is not run', () => {
  const blocks = Object.fromEntries(areaView.areas.map((a) => [a.id, a.blocks.map((b) => b.title)]));
  assert.equal(blocks, {
    cpu: ['sysbench-cpu'],
    memory: ['stream', 'sysbench-memory'],
    disk: ['fio'],
    network: ['iperf3', 'latency-rr / tcp', 'latency-rr / udp'],
    startup: ['startup'],
    isolation: ['hap'],
  });
  const app = areaView.notRun.rows.find((r) => r.kind === 'area' && r.what === 'Applications')!;
  assert.is(app.reason, 'not in this experiment (mysql-oltp, memcached-ycsb)');
  assert.ok(areaView.notRun.rows.some((r) => r.kind === 'claim' && r.what === 'mysql-gvisor'));
});

test('area: each area lists its claims beside their verdicts, provenance and paper values', () => {
  const byId = new Map(areaView.areas.flatMap((a) => a.claims).map((c) => [c.id, c]));
  assert.is(byId.get('io-half')!.verdict, 'partly tested');
  // gVisor ran on the host network only: hostinet never decides a gVisor network claim
  assert.is(byId.get('net-gvisor-tail'), undefined, 'a claim not run is listed in “What was not run”');
  assert.is(byId.get('hap-secure')!.verdict, 'not reproduced');
  assert.is(byId.get('mem-kata')!.verdict, 'inconclusive');
  assert.is(byId.get('io-qemu-latency'), undefined, 'claims not run are listed in “What was not run”, not carded');
  assert.is(byId.get('hap-caveat')!.verdict, 'caveat');
  const daemon = byId.get('startup-daemon')!;
  assert.is(daemon.verdict, 'reproduced');
  assert.equal(daemon.paperValues, ['Docker daemon overhead: 250 ms']);
  const net = byId.get('net-hypervisor')!;
  assert.equal(net.paperValues, ['hypervisor throughput loss: 25 %', 'bridged container throughput loss: 10 %']);
  assert.not.match(byId.get('mem-kata')!.reason, /\{"/);
  assert.match(byId.get('hap-secure')!.p, /^support p = .* \(Holm .*\), refutation p = .* \(Holm .*\); significant at ≤ 0\.05$/);
  assert.equal(areaOf('cpu').claims.map((c) => c.id), ['cpu-parity']);
});

test('area: callouts stand next to the chart they explain, with this run\'s ratio and interval', () => {
  const disk = areaOf('disk').blocks[0];
  assert.equal(disk.figures[0].callouts.map((c) => c.id), ['kata-9p-virtiofs', 'gvisor-gofer']);
  const kata = disk.figures[0].callouts[0];
  assert.is(kata.measured, true);
  assert.equal(kata.evidence.map((e) => e.pair), ['kata-virtiofs / kata-9p', 'kata-virtiofs / kata-9p', 'kata-9p / native']);
  assert.match(kata.evidence[0].ratio, /^2\.\d+ \[\d\.\d+, \d\.\d+\]$/);
  assert.match(kata.evidence[0].means, /MB\/s, n = 5 and 5$/);
  const startup = areaOf('startup').blocks[0];
  const daemon = startup.figures.find((f) => f.chart.kind === 'difference')!;
  assert.equal(daemon.callouts.map((c) => c.id), ['docker-daemon']);
  assert.equal(daemon.callouts[0].evidence.map((e) => e.pair), ['docker-runc − runc', 'docker-runc − runc']);
  assert.match(daemon.callouts[0].evidence[0].ratio, /^\+\d+ \[\d+, \d+\] ms$/);
  const network = areaOf('network').blocks[0];
  const tap = network.figures[0].callouts.find((c) => c.id === 'tap-virtio-net')!;
  assert.equal(tap.evidence.map((e) => e.pair), ['kata-9p / native', 'docker-runc (bridge network) / native']);
  assert.equal(areaOf('isolation').blocks[0].figures[0].callouts.map((c) => c.id), ['hap-caveat']);
});

test('area: a callout whose platforms did not run says so, and why', () => {
  const cpu = areaOf('cpu').blocks[0].figures[0].callouts.find((c) => c.id === 'gvisor-ptrace-kvm')!;
  assert.is(cpu.measured, true); // ptrace / native ran
  assert.match(cpu.evidence[0].reason, /^not measured here \(gvisor-kvm: runsc --platform=kvm/);
  // a note none of whose platforms ran is named in one line, not printed
  assert.equal(areaOf('memory').blocks.flatMap((b) => b.figures.flatMap((f) => f.callouts.map((c) => c.id))), []);
  assert.match(areaView.notRun.notes, /Firecracker and Cloud Hypervisor/);
  const memory = areaView.calloutEvidence.filter((e) => e.callout === 'rust-vm-memory');
  assert.match(memory[0].reason!, /firecracker: firecracker not found on PATH/);
  assert.match(memory[1].reason!, /cloud-hypervisor: not in this experiment/);
});

test('area: emulated qemu-tcg is labelled software emulation in tables, charts and platforms', () => {
  const cpu = areaOf('cpu').blocks[0];
  assert.ok(cpu.tables[0].rows.some((r) => r.label === 'qemu-tcg (software emulation)'));
  const ratio = cpu.figures[0].chart as DotChartView;
  assert.equal(ratio.panels.map((p) => p.points.map((q) => q.label)), [
    ['runc', 'docker-runc', 'gvisor-ptrace', 'kata-9p', 'kata-virtiofs'],
    ['qemu-tcg (software emulation)'],
  ]);
  assert.match(ratio.caption, /Open marks: software emulation/);
  assert.is(areaView.platforms.rows.find((r) => r.id === 'qemu-tcg')!.emulated, 'software emulation');
  // emulated platforms on their own axis in every kind of figure
  const strip = areaOf('startup').blocks[0].figures.find((f) => f.chart.kind === 'strip')!.chart as StripChartView;
  assert.equal(strip.panels.map((p) => [p.emulated, p.rows.map((r) => r.label).includes('qemu-tcg (software emulation)')]), [[false, false], [false, false], [true, true], [true, true]]);
  const ladder = areaOf('network').blocks[1].figures.find((f) => f.chart.kind === 'percentiles')!.chart as PercentileChartView;
  assert.equal(ladder.panels.map((p) => p.emulated), [false, true]);
});

test('area: fio charts its six main metrics in two parts, bandwidth first; the tables keep all twenty', () => {
  const fio = areaOf('disk').blocks[0];
  const ratios = fio.figures.map((f) => f.chart as DotChartView);
  assert.equal(ratios.map((c) => c.name), ['fio-default-ratio-1', 'fio-default-ratio-2']);
  // human names with units, never raw ids
  assert.equal(ratios.flatMap((c) => c.panels.map((p) => p.title)).filter((t) => !t!.startsWith('Software')), [
    'write: bandwidth (higher is better)', 'read: bandwidth (higher is better)', 'randwrite: I/O operations per second (higher is better)',
    'randread: I/O operations per second (higher is better)', 'randwrite: mean completion latency (lower is better)', 'randread: mean completion latency (lower is better)',
  ]);
  assert.is(fio.tables.length, 20);
  // the P50/P99 tables go to the HTML and summary.csv only
  assert.is(fio.tables.filter((t) => t.screenOnly).length, 8);
  assert.equal(fio.tables.slice(0, 2).map((t) => t.metric), ['write_bw_mbps', 'read_bw_mbps']);
  assert.match(ratios[0].caption, /qemu-tcg no value \(5 failures\)/);
});

test('area: startup draws every instance, latency draws its percentiles', () => {
  const startup = areaOf('startup').blocks[0];
  // milliseconds first, on a log axis; then the daemon's added time; no ratios to a native exec
  assert.equal(startup.figures.map((f) => f.chart.kind), ['strip', 'difference']);
  const strip = startup.figures[0].chart as StripChartView;
  // both clocks in one figure, side by side: hardware-assisted above, software emulation below
  assert.is(strip.columns, 2);
  assert.equal(strip.panels.map((p) => [p.metric, p.emulated]), [['exit_ms', false], ['first_output_ms', false], ['exit_ms', true], ['first_output_ms', true]]);
  assert.ok(strip.panels.every((p) => p.log && /\(ms, log scale, lower is better\)$/.test(p.axisTitle)));
  assert.match(strip.caption, /^startup: instance creation to its exit \(left\) and instance creation to the first byte of the marker on the host \(right\) of every fresh instance, in ms on a logarithmic axis\./);
  assert.is(strip.panels[0].rows[0].platform, 'native');
  assert.is(strip.panels[0].rows[0].values.length, 20, 'startup repeats 20 times (a per-workload repetition)');
  const added = startup.figures[1].chart as DotChartView;
  assert.equal(added.panels[0].reference, { value: 0, label: 'no added time' });
  assert.equal(added.panels[0].paper, { value: 250, label: 'paper: +250 ms' });
  assert.ok(added.panels[0].points.every((p) => p.low !== null && p.low < p.value && p.value < p.high!));
  assert.match(added.caption, /95 % interval \(Welch t\); n = 20 fresh instances per platform/);
  assert.match(areaView.methods.repetitions, /; per workload: startup 20 instances × 1 iteration \(/);
  const tcp = areaOf('network').blocks[1];
  const ladder = tcp.figures.find((f) => f.chart.kind === 'percentiles')!.chart as PercentileChartView;
  assert.equal(ladder.percentiles, ['P50', 'P90', 'P99']);
  assert.equal(ladder.panels.flatMap((p) => p.rows.map((r) => r.platform)), ['native', 'docker-runc', 'gvisor-ptrace', 'kata-9p', 'kata-virtiofs', 'qemu-tcg']);
  assert.ok(ladder.panels[0].rows[0].marks.every((m) => m.low !== null && m.high !== null));
});

test('area: counts and flags are never ratios', () => {
  const iperf = areaOf('network').blocks[0];
  assert.equal(iperf.figures.map((f) => [f.chart.kind, f.chart.sources[0].metric]), [['ratio', 'throughput_gbps'], ['value', 'retransmits']]);
  const retransmits = iperf.tables.find((t) => t.metric === 'retransmits')!;
  assert.ok(retransmits.rows.filter((r) => r.measured && r.platform !== 'native').every((r) => r.ratio === 'a count' && r.ratioCi === '—'));
  const hap = areaOf('isolation').blocks[0];
  assert.equal(hap.figures.map((f) => f.chart.kind), ['value']);
  const flag = hap.tables.find((t) => t.metric === 'method_exact')!;
  assert.is(flag.flag, true);
  assert.match(flag.rows[0].note, /^0 of 5 instances$/);
});

test('area: figures and tables are numbered once each, in document order', () => {
  const charts = allCharts(areaView);
  assert.equal(charts.map((c) => c.number), charts.map((_, i) => i + 1));
  assert.is(new Set(charts.map((c) => c.name)).size, charts.length);
  const tables = [areaView.summary.claims!.table, areaView.host.table, areaView.platforms.table, ...areaView.areas.flatMap((a) => a.blocks.flatMap((b) => (b.compact ? [b.compact.table] : []))), areaView.notRun.table, areaView.notRun.failures.table, areaView.threats.coverage.table, areaView.methods.software.table, ...areaView.metricAppendix.tables.map((t) => t.table)].filter((t) => t !== null);
  assert.equal(areaView.toc.map((s) => s.number), [...areaView.toc.slice(0, -4).map((_, i) => String(i + 1)), 'A', 'B', 'C', 'D']);
  assert.equal(tables.map((t) => t!.number), tables.map((_, i) => i + 1));
});

test('area: threats name the nested host, emulation, the sampled HAP and the ratio interval coverage at this n', () => {
  const { items, coverage } = areaView.threats;
  const text = Object.fromEntries(items.map((i) => [i.title, i.text]));
  assert.match(text['A shared, virtualised host'], /virtual machine \(kvm\)/);
  assert.match(text['Software emulation'], /^qemu-tcg ran under software emulation/);
  assert.match(text['A sampled HAP'], /^The HAP is a sampled approximation \(perf cpu-clock 999 Hz for 10 s, call chains, on \d host pids/);
  assert.match(text['Few instances'], /96\.8 % at 3 instances, 95\.1 % at 5 instances, 94\.9 % at 10 instances/);
  assert.match(text['Few instances'], /^Each cell had 5 to 20 instances with a value/);
  assert.match(text['Few instances'], /keeps its coverage in simulation/);
  assert.equal(coverage.rows.map((r) => [r.instances, r.coverage, r.applies]), [['3', '96.8 % (97.3 %)', false], ['5', '95.1 % (97.5 %)', true], ['10', '94.9 % (95.3 %)', false], ['20', '94.8 % (94.1 %)', false]]);
});

test('area: methods state the Holm correction; failures are grouped per platform and error', () => {
  assert.match(areaView.methods.claims[1], /^Multiple comparisons: Holm step-down over the 11 claims with a testable comparison at α = 0\.05/);
  assert.equal(areaView.notRun.failures.rows.map((r) => [r.platform, r.workloads, r.instances, r.status]), [
    ['runc', 'iperf3, latency-rr / tcp, latency-rr / udp', '0–4', 'skipped'],
    ['gvisor-kvm', 'sysbench-cpu, stream, sysbench-memory, fio, iperf3, latency-rr / tcp, latency-rr / udp, startup, hap', '0–4 (startup: 0–19)', 'skipped'],
    ['qemu-tcg (software emulation)', 'fio', '0–4', 'timeout'],
  ]);
  assert.equal(areaView.notRun.rows.filter((r) => r.kind === 'claim').map((r) => r.what), ['ffmpeg-65s', 'mem-rust-vmm', 'io-qemu-latency', 'net-kata', 'net-osv', 'net-gvisor-tail', 'startup-firecracker', 'mysql-gvisor']);
});

test('area: the platforms table shows gVisor platform, Kata hypervisor and shared filesystem, VMM and network', () => {
  const config = (id: string) => Object.fromEntries(areaView.platforms.rows.find((r) => r.id === id)!.configuration.map((kv) => [kv.key, kv.value]));
  assert.is(config('gvisor-ptrace')['gVisor platform'], 'ptrace');
  assert.is(config('kata-9p')['shared filesystem'], 'virtio-9p');
  assert.match(config('kata-virtiofs').hypervisor, /qemu-system-x86_64/);
  assert.is(config('qemu-tcg').VMM, 'qemu-system-x86_64');
  assert.is(config('qemu-tcg')['network mode'], 'user');
  assert.is(config('docker-runc')['network mode'], 'bridge');
});

test('area: the appendix names each figure\'s cells, instances, failures and log pattern', () => {
  const fio = areaView.appendix.entries.find((e) => e.title === 'fio (part 1 of 2)')!;
  const row = fio.rows.find((r) => r.platform === 'kata-9p')!;
  assert.is(row.metrics, 'write_bw_mbps, read_bw_mbps, randwrite_iops, randread_iops');
  assert.match(row.logs, /^logs\/[0-9a-f]{12}\/instance-\{k\}\.log, k = 0–4$/);
  assert.is(row.instances, '0–4 (n = 5)');
  assert.is(areaView.appendix.entries.length, allCharts(areaView).length);
});


test('area: the body has one headline table per workload, of its charted metrics, with no row for a platform that did not run', () => {
  const notRun = new Set(area().analysis.notRun.map((r) => r.platform));
  assert.ok(notRun.size > 0, 'the fixture has platforms that did not run');
  for (const a of areaView.areas) {
    const workloads = [...new Set(a.blocks.map((b) => b.workload))];
    const compact = a.blocks.flatMap((b) => (b.compact ? [b.compact] : []));
    // one per workload, never one per metric and job
    assert.equal(compact.map((t) => t.workload), workloads, a.id);
    for (const t of compact) {
      for (const r of t.rows) assert.not.ok(notRun.has(r.platform), `${t.table.caption}: a row for ${r.platform}, which did not run`);
      if (t.rows.length < new Set(a.blocks.flatMap((b) => b.tables.flatMap((x) => x.rows.map((r) => r.platform)))).size) assert.match(t.absent, /Not run here: .* \(see “What was not run”\)\.|No value here/);
    }
  }
  const fio = areaOf('disk').blocks[0].compact!;
  assert.equal(fio.columns.map((c) => c.metric), ['write_bw_mbps', 'read_bw_mbps', 'randwrite_iops', 'randread_iops', 'randwrite_clat_mean_us', 'randread_clat_mean_us']);
  // every metric's table is in the appendix, measured rows only, the not-run platforms named under it
  const every = areaView.metricAppendix.tables;
  assert.is(every.filter((t) => t.id.includes('fio')).length, 20);
  for (const t of every) for (const r of t.rows) assert.ok(r.measured && !notRun.has(r.platform), `${t.title}: ${r.platform}`);
});

test.run();
