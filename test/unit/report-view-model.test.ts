import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readRunInputs, type ReportInputs } from '../../src/report/inputs.ts';
import { buildViewModel, orderedSummaries } from '../../src/report/view-model.ts';

const fixture = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const inputs = () => readRunInputs(fixture);

test('orders platforms native first, then as the experiment lists them', () => {
  const view = buildViewModel(inputs());
  assert.equal(view.platformOrder, ['native', 'runc', 'gvisor-kvm']);
  assert.equal(view.platforms.rows.map((r) => [r.id, r.status]), [['native', 'measured'], ['runc', 'measured'], ['gvisor-kvm', 'not run']]);
});

test('one result group for sysbench-cpu events_per_s with a value chart and a ratio chart', () => {
  const [group, ...rest] = buildViewModel(inputs()).results;
  assert.is(rest.length, 0);
  assert.is(group.title, 'sysbench-cpu / default: events_per_s');
  assert.is(group.params, 'maxPrime=20000, threads=1, time=10');
  assert.equal(group.charts.map((c) => [c.kind, c.number, c.name]), [
    ['value', 1, 'sysbench-cpu-default-events-per-s'],
    ['ratio', 2, 'sysbench-cpu-default-events-per-s-ratio'],
  ]);
  const [value, ratio] = group.charts;
  assert.equal(value.points.map((p) => p.platform), ['native', 'runc']);
  assert.equal(value.reference, { value: 1649.601667, label: 'native' });
  assert.equal(value.points[1].instanceMeans, [1645.865, 1644.185, 1646.18]);
  assert.equal(ratio.points.map((p) => [p.platform, p.value, p.low, p.high]), [['runc', 0.997459, 0.996513, 0.998407]]);
  assert.equal(ratio.reference, { value: 1, label: 'native = 1' });
});

test('table rows carry n, failures, mean, CI and ratio, and say why gvisor-kvm has none', () => {
  const rows = buildViewModel(inputs()).results[0].rows;
  assert.equal(rows.map((r) => r.platform), ['native', 'runc', 'gvisor-kvm']);
  const [native, runc, gvisor] = rows;
  assert.equal([native.n, native.iterations, native.failed, native.mean, native.ci, native.ratio], ['3', '6', '0', '1649.6', '1646.1 – 1653.1', '1 (reference)']);
  assert.equal([runc.n, runc.iterations, runc.failed, runc.mean, runc.sd, runc.ci, runc.ratio, runc.ratioCi], ['3', '5', '1', '1645.4', '1.07', '1642.7 – 1648.1', '0.9975', '0.9965 – 0.9984']);
  assert.is(gvisor.measured, false);
  assert.match(gvisor.note, /not run/);
});

test('figure text alternatives name every platform with its value and interval', () => {
  const [value, ratio] = buildViewModel(inputs()).results[0].charts;
  assert.match(value.alt, /native 1649\.6 \(interval 1646\.1 to 1653\.1, n = 3\)/);
  assert.match(value.alt, /runc 1645\.4 \(interval 1642\.7 to 1648\.1, n = 3\)/);
  assert.match(value.caption, /Not shown: gvisor-kvm not run/);
  assert.match(ratio.alt, /runc 0\.9975 \(interval 0\.9965 to 0\.9984\)/);
});

test('summary counts cells, instances, values and failures', () => {
  const facts = Object.fromEntries(buildViewModel(inputs()).summary.facts.map((f) => [f.key, f.value]));
  assert.match(facts.Platforms, /^3 requested; 2 measured \(native, runc\); 1 not run \(gvisor-kvm/);
  assert.match(facts.Cells, /^3 planned .*, 2 with values$/);
  assert.match(facts.Repetitions, /^3 fresh instances per cell × 2 iterations per instance; 9 instances planned$/);
  assert.match(facts.Values, /^11 measured values/);
  assert.match(facts.Failures, /^1 /);
  assert.is(facts.Run, '20261126-101500-quick, 2026-11-26 10:15:00 UTC to 2026-11-26 10:18:21 UTC');
});

test('methods give the exact command per platform, the repetitions, seeds and the experiment file', () => {
  const { methods } = buildViewModel(inputs());
  assert.equal(methods.commands.rows.map((r) => [r.platform, r.args.join(' ')]), [
    ['native', 'taskset -c 0 sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run'],
    ['runc', 'runc exec isobench-2fc4a4cee6fa-0 sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run'],
  ]);
  assert.match(methods.repetitions, /^3 fresh instances .* 2 iterations/);
  assert.equal(methods.seeds.map((s) => s.value), ['42', '42', '10000']);
  assert.is(methods.experimentFile.sha256, 'f9aa35bb5ef23a01290a8722d7e8d71719f0c92e9559b0db7ddee84ff51046ac');
  assert.match(methods.experimentFile.text, /^name: quick$/m);
});

test('not run and failures are listed with their reasons', () => {
  const { notRun } = buildViewModel(inputs());
  assert.equal(notRun.rows.map((r) => r.platform), ['gvisor-kvm']);
  assert.match(notRun.rows[0].reason, /kvm_pvm/);
  assert.equal(notRun.failures.rows.map((f) => [f.platform, f.instance, f.status]), [['runc', '2', 'timeout']]);
});

test('tables and figures are numbered once each, in document order', () => {
  const v = buildViewModel(inputs());
  const tables = [v.summary.headline!.table, v.host.table, v.platforms.table, ...v.results.map((g) => g.table), v.methods.commands.table, v.methods.software.table, v.notRun.table!, v.notRun.failures.table!];
  assert.equal(tables.map((t) => t.number), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.is(new Set(tables.map((t) => t.id)).size, tables.length);
});

test('the same data in another order gives the same view', () => {
  const shuffled = inputs();
  shuffled.analysis.summaries.reverse();
  shuffled.environment.platforms.reverse();
  assert.equal(buildViewModel(shuffled), buildViewModel(inputs()));
  assert.equal(orderedSummaries(shuffled).map((s) => s.platform), ['native', 'runc']);
});

test('without native there is no ratio chart, and the group says why', () => {
  const i: ReportInputs = inputs();
  i.analysis.summaries = i.analysis.summaries.filter((s) => s.platform !== 'native').map((s) => ({ ...s, ratioToNative: null }));
  const group = buildViewModel(i).results[0];
  assert.equal(group.charts.map((c) => c.kind), ['value']);
  assert.is(group.charts[0].reference, null);
  assert.ok(group.notes.some((n) => /no ratios to native/.test(n)));
  assert.match(group.rows[0].note, /no value recorded/);
});

test('a single instance gets no interval, and an emulated platform is labelled as such', () => {
  const i: ReportInputs = inputs();
  const runc = i.analysis.summaries[1];
  Object.assign(runc, { n: 1, ci: null, instanceMeans: [1645.865], emulated: true, ratioToNative: { value: 0.9977, ci: null, method: 'ratio of means' } });
  const group = buildViewModel(i).results[0];
  const row = group.rows.find((r) => r.platform === 'runc')!;
  assert.is(row.ci, 'n < 2');
  assert.is(row.ratioCi, 'n < 2');
  assert.is(row.label, 'runc (emulated)');
  assert.equal([group.charts[0].points[1].low, group.charts[0].points[1].high], [null, null]);
  assert.ok(group.notes.some((n) => /software emulation/.test(n)));
});

test('a run directory without analysis.json names the file and the fix', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-report-test-'));
  try {
    assert.throws(() => readRunInputs(dir), /analysis\.json: cannot read \(ENOENT\); run `npm run analyze/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
