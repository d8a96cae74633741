// The Applications area's throughput-against-threads figure, on a small hand-made 3-point sweep.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chartSpec, platformStyle, renderSvg } from '../../src/report/charts.ts';
import { logKey, readRunInputs, type ReportInputs } from '../../src/report/inputs.ts';
import { allCharts, buildViewModel } from '../../src/report/view-model.ts';
import type { SweepChartView } from '../../src/report/view-types.ts';
import type { MetricSummary } from '../../src/types.ts';
import { evaluateClaims } from '../../src/claims/evaluate.ts';
import { loadClaims } from '../../src/claims/load.ts';
import type { DotChartView } from '../../src/report/view-types.ts';

const quickDir = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));

/** transactions/s at `threads`, three instances, with a hand-set 95 % interval of ±half */
const tx = (platform: string, threads: number, mean: number, half: number): MetricSummary => ({
  platform, workload: 'mysql-oltp', job: `threads=${threads}`, metric: 'transactions_per_s', unit: 'tx/s', better: 'higher',
  n: 3, iterations: 3, failed: 0, lost: { failed: [], timeout: [], skipped: [] }, mean, median: mean, sd: half / 2, cv: half / 2 / mean,
  ci: { low: mean - half, high: mean + half, level: 0.95 }, instanceMeans: [mean - 1, mean, mean + 1], instances: [0, 1, 2], outliers: [],
  cell: `${platform}-t${threads}`, params: { threads }, platformOptions: {}, emulated: false, network: 'bridge',
  ratioToNative: platform === 'native' ? { value: 1, ci: null, method: 'native baseline' } : { value: 0.9, ci: { low: 0.85, high: 0.95, level: 0.95 }, method: 'ratio of means' },
});

function sweepRun(): ReportInputs {
  const i = quick();
  // listed out of thread order on purpose: the lines follow the swept value
  i.analysis.summaries = [
    tx('native', 150, 930, 20), tx('native', 10, 400, 15), tx('native', 110, 1000, 25),
    tx('runc', 10, 395, 15), tx('runc', 110, 985, 25), tx('runc', 150, 990, 30),
    tx('gvisor-kvm', 10, 200, 10), tx('gvisor-kvm', 110, 480, 20), tx('gvisor-kvm', 150, 470, 20),
  ];
  i.analysis.claims = undefined;
  return i;
}
const quick = () => readRunInputs(quickDir);
const sweepOf = (i: ReportInputs) => buildViewModel(i).areas.find((a) => a.id === 'application')!;

test('mysql-oltp draws transactions/s against threads: a line per platform, each point with its interval and n, the peak marked', () => {
  const area = sweepOf(sweepRun());
  assert.is(area.sweepFigures.length, 1);
  const chart = area.sweepFigures[0].chart as SweepChartView;
  assert.equal([chart.kind, chart.name, chart.xTitle], ['sweep', 'mysql-oltp-transactions-per-s-by-threads', 'threads']);
  assert.match(chart.yTitle, /^OLTP read\/write transactions per second \(tx\/s, higher is better\)$/);
  assert.is(chart.panels.length, 1);
  assert.equal(chart.panels[0].lines.map((l) => [l.platform, l.points.map((p) => p.at), l.peak]), [
    ['native', [10, 110, 150], 110], ['runc', [10, 110, 150], 150], ['gvisor-kvm', [10, 110, 150], 110],
  ]);
  assert.equal(chart.panels[0].lines[0].points.map((p) => [p.value, p.low, p.high, p.n]), [[400, 385, 415, 3], [1000, 975, 1025, 3], [930, 910, 950, 3]]);
  assert.match(chart.caption, /bar: 95 % confidence interval of the mean \(Student t\)/);
  assert.match(chart.caption, /n = 3 fresh instances per platform at each threads/);
  assert.match(chart.alt, /native \(peak at threads 110\): threads 10: /);
  // the sweep figure comes after the claims' and before the per-thread-count blocks, numbered in that order
  const numbers = allCharts(buildViewModel(sweepRun())).map((c) => [c.kind, c.number]);
  const at = numbers.findIndex(([k]) => k === 'sweep');
  assert.ok(at >= 0 && numbers.slice(at + 1).every(([k]) => k !== 'sweep'));
  assert.equal(numbers.map(([, n]) => n), numbers.map((_, k) => k + 1));
  assert.equal(chart.sources.map((s) => s.job).slice(0, 3), ['threads=10', 'threads=110', 'threads=150']);
});

test('the sweep spec: lines, interval bars from the CI, a ring on each peak, the registry colours and shapes, rendered the same twice', async () => {
  const view = buildViewModel(sweepRun());
  const chart = sweepOf(sweepRun()).sweepFigures[0].chart as SweepChartView;
  const spec = chartSpec(chart, view.platformOrder) as any;
  const type = (l: any) => (typeof l.mark === 'string' ? l.mark : l.mark.type);
  const bars = spec.layer.find((l: any) => type(l) === 'errorbar');
  assert.equal(bars.encoding.y.field, 'low');
  assert.equal(bars.encoding.y2.field, 'high');
  assert.is(bars.data.values.length, 9);
  const ring = spec.layer.find((l: any) => type(l) === 'point' && l.mark.size > 200);
  assert.equal(ring.data.values.map((r: any) => [r.label, r.at, r.value]), [['native', 110, 1000], ['runc', 150, 990], ['gvisor-kvm', 110, 480]]);
  const points = spec.layer.filter((l: any) => type(l) === 'point').at(-1);
  assert.equal(points.encoding.color.scale.range, ['native', 'runc', 'gvisor-kvm'].map((p) => platformStyle(p, view.platformOrder).color));
  assert.equal(points.encoding.shape.scale.range, ['native', 'runc', 'gvisor-kvm'].map((p) => platformStyle(p, view.platformOrder).shape));
  assert.equal(spec.layer[0].encoding.x.axis.values, [10, 110, 150]);
  const svg = await renderSvg(spec);
  assert.is(await renderSvg(chartSpec(chart, view.platformOrder)), svg);
  for (const label of ['native', 'runc', 'gvisor-kvm', 'threads']) assert.ok(svg.includes(`>${label}<`), label);
  assert.match(svg, /<title>runc, threads 150, [^<]*: 990/);
});

test("the paper's eight thread counts are each labelled on the axis (the config's tick count would thin them out)", async () => {
  const i = sweepRun();
  const ts = [10, 30, 50, 70, 90, 110, 130, 150];
  i.analysis.summaries = ts.map((t, k) => tx('native', t, 300 + 90 * k, 20));
  const view = buildViewModel(i);
  const chart = view.areas.find((a) => a.id === 'application')!.sweepFigures[0].chart;
  const svg = await renderSvg(chartSpec(chart, view.platformOrder));
  // the y axis starts at 0 (its '0' label left out here)
  assert.equal([...svg.matchAll(/>(\d+)<\/text>/g)].map((m) => Number(m[1])).filter((t) => t > 0 && t < 200), ts);
});

test('platforms are dodged around each thread count so that their intervals do not overlap; the y axis starts at 0 and the caption says so only when it does not', () => {
  const view = buildViewModel(sweepRun());
  const chart = sweepOf(sweepRun()).sweepFigures[0].chart as SweepChartView;
  const spec = chartSpec(chart, view.platformOrder) as any;
  const bars = spec.layer.find((l: any) => l.mark.type === 'errorbar');
  for (const at of [10, 110, 150]) {
    const xs = bars.data.values.filter((r: any) => r.at === at).map((r: any) => r.x);
    assert.is(new Set(xs).size, 3, `three distinct positions at threads ${at}`);
    assert.ok(Math.max(...xs) - Math.min(...xs) <= 0.1 * 140 + 1e-9 && xs.every((x: number) => Math.abs(x - at) < 8), `close to ${at}: ${xs}`);
  }
  assert.equal(bars.encoding.x.field, 'x');
  assert.equal(spec.layer[0].encoding.y.scale.domain[0], 0);
  assert.ok(chart.yFromZero);
  assert.not.match(chart.caption, /does not start at 0/);
  assert.match(chart.caption, /side by side/);
  // an interval below 0 leaves the axis below 0, and the caption says it does not start there
  const i = sweepRun();
  i.analysis.summaries = i.analysis.summaries.map((s) => (s.platform === 'gvisor-kvm' && s.params.threads === 10 ? { ...s, mean: 5, ci: { low: -3, high: 13, level: 0.95 } } : s));
  const low = sweepOf(i).sweepFigures[0].chart as SweepChartView;
  assert.not.ok(low.yFromZero);
  assert.match(low.caption, /does not start at 0/);
  assert.ok((chartSpec(low, view.platformOrder) as any).layer[0].encoding.y.scale.domain[0] < 0);
});

test("How measured: the MariaDB server settings from the samples' notes, once, in the workload's first block; memcached's mixes each named", () => {
  const i = sweepRun();
  const settings = 'server 10.11.6-MariaDB: innodb_buffer_pool_size=128M, innodb_flush_log_at_trx_commit=1';
  for (const s of i.analysis.summaries) i.sampleNotes[logKey(s.cell, s.host)] = [settings];
  const ycsb = (mix: string): MetricSummary => ({ ...tx('native', 1, 5000, 100), workload: 'memcached-ycsb', job: mix, metric: 'ops_per_s', unit: 'ops/s', cell: `native-ycsb-${mix}`, params: { mix } });
  i.analysis.summaries.push(ycsb('a'), ycsb('f'));
  i.sampleNotes[logKey('native-ycsb-a', undefined)] = ['YCSB mix a (update heavy: 50% read, 50% update) realised by isobench\'s YCSB client'];
  i.sampleNotes[logKey('native-ycsb-f', undefined)] = ['YCSB mix f (read-modify-write: 50% read, 50% read-modify-write) realised by isobench\'s YCSB client'];
  const area = sweepOf(i);
  const notes = area.blocks.map((b) => [b.workload, b.finePrint.filter((f) => / how it was measured /.test(f.title))] as const);
  const mysql = notes.filter(([w]) => w === 'mysql-oltp');
  assert.is(mysql[0][1].length, 1);
  assert.equal(mysql[0][1][0], { title: 'mysql-oltp: how it was measured (the MariaDB server settings, the same on every platform)', items: [settings] });
  assert.ok(mysql.slice(1).every(([, n]) => n.length === 0), 'once per workload');
  const mc = notes.find(([w]) => w === 'memcached-ycsb')![1][0];
  assert.is(mc.title, 'memcached-ycsb: how it was measured (how each YCSB mix was realised)');
  assert.match(mc.items.join('\n'), /^YCSB mix a \(update heavy.*\nYCSB mix f \(read-modify-write/);
});

test('a workload that does not declare the sweep chart, or a sweep with no numeric parameter, gets no sweep figure', () => {
  const i = sweepRun();
  i.analysis.summaries = i.analysis.summaries.map((s) => ({ ...s, params: {} }));
  assert.equal(sweepOf(i).sweepFigures, []);
  assert.equal(buildViewModel(quick()).areas.flatMap((a) => a.sweepFigures), []);
});

test("a claim whose conditions need different bands gets a panel per band (mysql-gvisor: <= 1, >= 0.95, [0.9, 1.1])", () => {
  const i = sweepRun();
  i.analysis.claims = evaluateClaims(i.analysis, i.environment, loadClaims());
  const figure = sweepOf(i).claimFigures[0].chart as DotChartView;
  assert.equal(figure.panels.map((p) => [p.title, p.band!.label]), [
    ['mysql-gvisor: reproduced · gVisor is the weakest', 'needs ≤ 1.00'],
    ['mysql-gvisor: reproduced · native peaks at about 110 threads', 'needs ≥ 0.950'],
    ['mysql-gvisor: reproduced · no significant lead (every platform but gVisor…', 'needs 0.900–1.10'],
  ]);
  // every point names the value it was compared at: no two rows share a label
  assert.equal(figure.panels[0].points.map((p) => p.label.split(' · ')[0]), [
    'gvisor-kvm at threads=10 / native', 'gvisor-kvm at threads=10 / runc', 'gvisor-kvm at threads=110 / native',
    'gvisor-kvm at threads=110 / runc', 'gvisor-kvm at threads=150 / native', 'gvisor-kvm at threads=150 / runc',
  ]);
  assert.equal(figure.panels[1].points.map((p) => p.label.split(' · ')[0]), ['native / native at threads=150', 'native / native at threads=10']);
});

test.run();
