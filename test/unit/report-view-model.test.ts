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

// ---- quick-example: one workload, no claims (analysed before claims existed) ----

test('orders platforms native first, then as the experiment lists them', () => {
  const view = buildViewModel(quick());
  assert.equal(view.platformOrder, ['native', 'runc', 'gvisor-kvm']);
  assert.equal(view.platforms.rows.map((r) => [r.id, r.status]), [['native', 'measured'], ['runc', 'measured'], ['gvisor-kvm', 'not run']]);
});

test('sections: summary, host, one per area, not run, threats, methods, appendix', () => {
  const view = buildViewModel(quick());
  assert.equal(view.toc.map((s) => `${s.number} ${s.title}`), [
    '1 Summary', '2 Host and platforms', '3 CPU', '4 Memory', '5 Disk I/O', '6 Network', '7 Startup', '8 Isolation (HAP)', '9 Applications',
    '10 What was not run, and why', '11 Threats to validity', '12 Methods', 'A Appendix: every figure and its samples',
  ]);
});

test('quick: sysbench-cpu sits in the CPU area with a ratio chart; the other areas say they were not measured', () => {
  const view = buildViewModel(quick());
  const cpu = view.areas.find((a) => a.id === 'cpu')!;
  assert.is(cpu.measured, true);
  assert.equal(cpu.blocks.map((b) => b.title), ['sysbench-cpu']);
  const [block] = cpu.blocks;
  assert.is(block.params, 'maxPrime=20000, threads=1, time=10');
  assert.equal(block.figures.map((f) => [f.chart.kind, f.chart.number, f.chart.name]), [['ratio', 1, 'sysbench-cpu-default-ratio']]);
  const ratio = block.figures[0].chart as DotChartView;
  assert.equal(ratio.panels[0].points.map((p) => [p.platform, p.value, p.low, p.high]), [['runc', 0.997459, 0.996513, 0.998407]]);
  assert.equal(ratio.panels[0].reference, { value: 1, label: 'native = 1' });
  for (const other of view.areas.filter((a) => a.id !== 'cpu')) {
    assert.is(other.measured, false, other.id);
    assert.match(other.status, /^Not measured in this run\./);
  }
});

test('quick: the table rows carry n, failures, mean, CI and ratio, and say why gvisor-kvm has none', () => {
  const rows = buildViewModel(quick()).areas[0].blocks[0].tables[0].rows;
  assert.equal(rows.map((r) => r.platform), ['native', 'runc', 'gvisor-kvm']);
  const [native, runc, gvisor] = rows;
  assert.equal([native.n, native.iterations, native.failed, native.mean, native.ci, native.ratio], ['3', '6', '0', '1649.6', '1646.1 – 1653.1', '1 (reference)']);
  assert.equal([runc.n, runc.iterations, runc.failed, runc.mean, runc.sd, runc.ci, runc.ratio, runc.ratioCi], ['3', '5', '1', '1645.4', '1.07', '1642.7 – 1648.1', '0.9975', '0.9965 – 0.9984']);
  assert.is(gvisor.measured, false);
  assert.match(gvisor.note, /not run/);
});

test('quick: without claims the abstract and the summary say how to get them', () => {
  const view = buildViewModel(quick());
  assert.match(view.titlePage.abstract[0], /holds no verdicts on the paper's claims/);
  assert.is(view.summary.claims, null);
  assert.equal(view.areas.flatMap((a) => a.claims), []);
});

test('quick: the appendix links the figure to its cells, instances and logs', () => {
  const { appendix } = buildViewModel(quick());
  assert.is(appendix.entries.length, 1);
  assert.equal(appendix.entries[0].rows.map((r) => [r.platform, r.cell, r.instances, r.failed, r.logs]), [
    ['native', '3355697ebe39', '0–2 (n = 3)', '', 'logs/3355697ebe39-{k}.log, k = 0–2'],
    ['runc', '2fc4a4cee6fa', '0–2 (n = 3)', '2', 'logs/2fc4a4cee6fa-{k}.log, k = 0–2'],
  ]);
});

test('quick: methods give the exact command per platform, the repetitions, seeds and the experiment file', () => {
  const { methods } = buildViewModel(quick());
  assert.equal(methods.commands.map((g) => g.title), ['sysbench-cpu / default']);
  assert.equal(methods.commands[0].rows.map((r) => [r.platform, r.args.join(' ')]), [
    ['native', 'taskset -c 0 sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run'],
    ['runc', 'runc exec isobench-2fc4a4cee6fa-0 sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run'],
  ]);
  assert.match(methods.repetitions, /^3 fresh instances .* 2 iterations/);
  assert.equal(methods.seeds.map((s) => s.value), ['42', '42', '10000']);
  assert.is(methods.experimentFile.sha256, 'f9aa35bb5ef23a01290a8722d7e8d71719f0c92e9559b0db7ddee84ff51046ac');
  assert.equal(methods.sources.map((s) => s.key), ['data/paper/paper.yaml', 'data/paper/architecture.yaml']);
});

test('quick: not run and failures are listed with their reasons', () => {
  const { notRun } = buildViewModel(quick());
  assert.equal(notRun.rows.map((r) => r.platform), ['gvisor-kvm']);
  assert.match(notRun.rows[0].reason, /kvm_pvm/);
  assert.ok(notRun.workloads.includes('fio (Disk I/O)'));
  assert.equal(notRun.failures.rows.map((f) => [f.platform, f.workloads, f.instances, f.status]), [['runc', 'sysbench-cpu', '2', 'timeout']]);
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
  assert.is(row.ci, 'n < 2');
  assert.is(row.ratioCi, 'n < 2');
  assert.is(row.label, 'runc (software emulation)');
  const chart = block.figures[0].chart as DotChartView;
  assert.is(chart.panels.length, 1);
  assert.match(chart.panels[0].title!, /^Software emulation, on its own scale/);
  assert.equal(chart.panels[0].points.map((p) => [p.label, p.emulated, p.low]), [['runc (software emulation)', true, null]]);
  assert.ok(block.notes.some((n) => /software emulation/.test(n)));
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

test('area: the title page cites the paper and counts the verdicts from the data', () => {
  const { titlePage } = areaView;
  assert.match(titlePage.heading, /A Fresh Look at the Architecture and Performance of Contemporary Isolation Platforms/);
  assert.match(titlePage.citation, /DOI 10\.1145\/3464298\.3493404/);
  assert.equal(titlePage.facts.map((f) => f.key), ['Host', 'Run', 'isobench', 'Experiment', 'Claims']);
  assert.match(titlePage.facts[2].value, /commit 3f9c2d41a7b85e06c1d2f4a9b0e7c3d5f6a8b9c0/);
  assert.match(titlePage.abstract[0], /^10 of 19 claims reproduced, 1 not reproduced, 2 inconclusive, 6 not run here/);
  assert.match(titlePage.abstract[0], /1 caveat of the paper is printed, not tested\./);
  assert.match(titlePage.abstract[1], /qemu-tcg \(software emulation\)/);
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
    application: [],
  });
  const app = areaOf('application');
  assert.match(app.status, /^Not measured in this run\. Not in this experiment: mysql-oltp, memcached-ycsb\./);
  assert.equal(app.claims.map((c) => [c.id, c.verdict]), [['mysql-gvisor', 'not run']]);
  assert.match(app.claimsNote, /Not measured in this run/);
});

test('area: each area lists its claims beside their verdicts, provenance and paper values', () => {
  const byId = new Map(areaView.areas.flatMap((a) => a.claims).map((c) => [c.id, c]));
  assert.is(byId.get('io-half')!.verdict, 'reproduced');
  assert.is(byId.get('net-gvisor-tail')!.verdict, 'not reproduced');
  assert.is(byId.get('mem-kata')!.verdict, 'inconclusive');
  assert.is(byId.get('io-qemu-latency')!.verdict, 'not run');
  assert.is(byId.get('hap-caveat')!.verdict, 'caveat');
  const startup = byId.get('startup-times')!;
  assert.equal([startup.provenanceKind, startup.provenance], ['text', 'Startup section']);
  assert.equal(startup.paperValues, ['Docker: 100 ms', 'gVisor: 190 ms', 'Kata: 600 ms', 'LXC: 800 ms']);
  assert.ok(startup.evidence.some((e) => e.pair === 'docker-runc / kata-9p' && e.holds === 'inside'));
  const tail = byId.get('net-gvisor-tail')!;
  assert.ok(tail.evidence.some((e) => e.pair === 'gvisor-ptrace / native' && /latency-rr tcp p90_us/.test(e.measure) && e.bounds === '2.50 to 5.00' && e.holds === 'outside'), JSON.stringify(tail.evidence));
  assert.match(tail.p, /^support p = .* \(Holm .*\), refutation p = .* \(Holm .*\); significant at ≤ 0\.05$/);
  assert.equal(areaOf('cpu').claims.map((c) => c.id), ['cpu-parity', 'ffmpeg-65s']);
});

test('area: callouts stand next to the chart they explain, with this run\'s ratio and interval', () => {
  const disk = areaOf('disk').blocks[0];
  assert.equal(disk.figures[0].callouts.map((c) => c.id), ['kata-9p-virtiofs', 'gvisor-gofer']);
  const kata = disk.figures[0].callouts[0];
  assert.is(kata.measured, true);
  assert.equal(kata.evidence.map((e) => e.pair), ['kata-virtiofs / kata-9p', 'kata-virtiofs / kata-9p', 'kata-9p / native']);
  assert.match(kata.evidence[0].ratio, /^2\.\d\d$/);
  assert.match(kata.evidence[0].interval, /^\d\.\d+ – \d\.\d+$/);
  assert.match(kata.evidence[0].means, /MB\/s, n = 5 and 5$/);
  const startup = areaOf('startup').blocks[0];
  assert.equal(startup.figures[0].callouts.map((c) => c.id), ['docker-daemon']);
  assert.equal(startup.figures[0].callouts[0].evidence.map((e) => e.pair), ['docker-runc / runc', 'docker-runc / runc']);
  const network = areaOf('network').blocks[0];
  const tap = network.figures[0].callouts.find((c) => c.id === 'tap-virtio-net')!;
  assert.equal(tap.evidence.map((e) => e.pair), ['kata-9p / native', 'docker-runc (bridge network) / native']);
  assert.equal(areaOf('isolation').blocks[0].figures[0].callouts.map((c) => c.id), ['hap-caveat']);
});

test('area: a callout whose platforms did not run says so, and why', () => {
  const cpu = areaOf('cpu').blocks[0].figures[0].callouts.find((c) => c.id === 'gvisor-ptrace-kvm')!;
  assert.is(cpu.measured, true); // ptrace / native ran
  assert.match(cpu.evidence[0].reason, /^not measured here \(gvisor-kvm: runsc --platform=kvm/);
  const memory = areaOf('memory').blocks[0].figures[0].callouts.find((c) => c.id === 'rust-vm-memory')!;
  assert.is(memory.measured, false);
  assert.is(memory.notMeasured, 'not measured here');
  assert.match(memory.evidence[0].reason, /firecracker: firecracker not found on PATH/);
  assert.match(memory.evidence[1].reason, /cloud-hypervisor: not in this experiment/);
});

test('area: emulated qemu-tcg is labelled software emulation in tables, charts and platforms', () => {
  const cpu = areaOf('cpu').blocks[0];
  assert.ok(cpu.tables[0].rows.some((r) => r.label === 'qemu-tcg (software emulation)'));
  const ratio = cpu.figures[0].chart as DotChartView;
  assert.equal(ratio.panels.map((p) => p.points.map((q) => q.label)), [
    ['runc', 'docker-runc', 'gvisor-ptrace', 'kata-9p', 'kata-virtiofs'],
    ['qemu-tcg (software emulation)'],
  ]);
  assert.match(ratio.caption, /qemu-tcg ran without hardware virtualization/);
  assert.is(areaView.platforms.rows.find((r) => r.id === 'qemu-tcg')!.emulated, 'software emulation');
  const strip = areaOf('startup').blocks[0].figures.find((f) => f.chart.kind === 'strip')!.chart as StripChartView;
  assert.ok(strip.rows.some((r) => r.label === 'qemu-tcg (software emulation)' && r.emulated));
});

test('area: fio charts its six main metrics in two parts, bandwidth first; the tables keep all twenty', () => {
  const fio = areaOf('disk').blocks[0];
  const ratios = fio.figures.map((f) => f.chart as DotChartView);
  assert.equal(ratios.map((c) => c.name), ['fio-default-ratio-1', 'fio-default-ratio-2']);
  assert.equal(ratios.flatMap((c) => c.panels.map((p) => p.title)).filter((t) => !t!.startsWith('Software')), [
    'write_bw_mbps (higher is better)', 'read_bw_mbps (higher is better)', 'randwrite_iops (higher is better)',
    'randread_iops (higher is better)', 'randwrite_clat_mean_us (lower is better)', 'randread_clat_mean_us (lower is better)',
  ]);
  assert.is(fio.tables.length, 20);
  assert.equal(fio.tables.slice(0, 2).map((t) => t.metric), ['write_bw_mbps', 'read_bw_mbps']);
  assert.match(ratios[0].caption, /qemu-tcg no value \(5 failures\)/);
});

test('area: startup draws every instance, latency draws its percentiles', () => {
  const startup = areaOf('startup').blocks[0];
  assert.equal(startup.figures.map((f) => f.chart.kind), ['ratio', 'strip', 'strip']);
  const strip = startup.figures[1].chart as StripChartView;
  assert.is(strip.log, true);
  assert.is(strip.rows[0].platform, 'native');
  assert.is(strip.rows[0].values.length, 20, 'startup repeats 20 times (a per-workload repetition)');
  assert.match(areaView.methods.repetitions, /; per workload: startup 20 instances × 1 iteration\./);
  const tcp = areaOf('network').blocks[1];
  const ladder = tcp.figures.find((f) => f.chart.kind === 'percentiles')!.chart as PercentileChartView;
  assert.equal(ladder.percentiles, ['P50', 'P90', 'P99']);
  assert.equal(ladder.rows.map((r) => r.platform), ['native', 'docker-runc', 'gvisor-ptrace', 'kata-9p', 'kata-virtiofs', 'qemu-tcg']);
  assert.ok(ladder.rows[0].marks.every((m) => m.low !== null && m.high !== null));
});

test('area: figures and tables are numbered once each, in document order', () => {
  const charts = allCharts(areaView);
  assert.equal(charts.map((c) => c.number), charts.map((_, i) => i + 1));
  assert.is(new Set(charts.map((c) => c.name)).size, charts.length);
  const tables = [areaView.summary.claims!.table, areaView.host.table, areaView.platforms.table, ...areaView.areas.flatMap((a) => a.blocks.flatMap((b) => b.tables.map((t) => t.table))), areaView.notRun.table, areaView.notRun.failures.table, areaView.threats.coverage.table, areaView.methods.software.table].filter((t) => t !== null);
  assert.equal(tables.map((t) => t!.number), tables.map((_, i) => i + 1));
});

test('area: threats name the nested host, emulation, the sampled HAP and the bootstrap coverage at this n', () => {
  const { items, coverage } = areaView.threats;
  const text = Object.fromEntries(items.map((i) => [i.title, i.text]));
  assert.match(text['A shared, virtualised host'], /virtual machine \(kvm\)/);
  assert.match(text['Software emulation'], /^qemu-tcg ran under software emulation/);
  assert.match(text['A sampled HAP'], /^The HAP is a sampled approximation \(sampled approximation: perf cpu-clock 999 Hz for 10 s, call chains, on \d host pids/);
  assert.match(text['Few instances'], /77\.2 % at 3 instances, 86\.9 % at 5 instances, 90\.7 % at 8 instances/);
  assert.match(text['Few instances'], /^Each cell had 5 to 20 instances with a value/);
  assert.match(text['Few instances'], /read the intervals as about 86\.9 % intervals/);
  assert.equal(coverage.rows.map((r) => [r.instances, r.coverage, r.applies]), [['3', '77.2 %', false], ['5', '86.9 %', true], ['8', '90.7 %', false]]);
});

test('area: methods state the Holm correction; failures are grouped per platform and error', () => {
  assert.match(areaView.methods.claims[1], /^Multiple comparisons: Holm step-down over the 13 tested claims at α = 0\.05/);
  assert.equal(areaView.notRun.failures.rows.map((r) => [r.platform, r.workloads, r.instances, r.status]), [
    ['runc', 'iperf3, latency-rr / tcp, latency-rr / udp', '0–4', 'skipped'],
    ['gvisor-kvm', 'sysbench-cpu, stream, sysbench-memory, fio, iperf3, latency-rr / tcp, latency-rr / udp, startup, hap', '0–4 (startup: 0–19)', 'skipped'],
    ['qemu-tcg (software emulation)', 'fio', '0–4', 'timeout'],
  ]);
  assert.equal(areaView.notRun.claims.map((c) => c.id), ['ffmpeg-65s', 'mem-rust-vmm', 'io-qemu-latency', 'net-kata', 'net-osv', 'mysql-gvisor']);
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
  const fio = areaView.appendix.entries.find((e) => e.title.startsWith('fio (part 1'))!;
  const row = fio.rows.find((r) => r.platform === 'kata-9p')!;
  assert.is(row.metrics, 'write_bw_mbps, read_bw_mbps, randwrite_iops');
  assert.match(row.logs, /^logs\/[0-9a-f]{12}\/instance-\{k\}\.log, k = 0–4$/);
  assert.is(row.instances, '0–4 (n = 5)');
  assert.is(areaView.appendix.entries.length, allCharts(areaView).length);
});

test.run();
