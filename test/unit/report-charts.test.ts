import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chartSpec, platformStyle, renderSvg } from '../../src/report/charts.ts';
import { readRunInputs } from '../../src/report/inputs.ts';
import { allCharts, buildViewModel, type DotChartView, type PercentileChartView, type StripChartView } from '../../src/report/view-model.ts';

const quick = buildViewModel(readRunInputs(fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url))));
const area = buildViewModel(readRunInputs(fileURLToPath(new URL('../fixtures/runs/area-example', import.meta.url))));
const quickRatio = allCharts(quick)[0] as DotChartView;
const chartOf = (name: string) => allCharts(area).find((c) => c.name === name)!;

const layers = (spec: any): any[] => spec.layer;
const markType = (layer: any) => (typeof layer.mark === 'string' ? layer.mark : layer.mark.type);

test('the ratio chart has a point per platform with its 95 % interval and the line at 1', () => {
  const spec = chartSpec(quickRatio, quick.platformOrder) as any;
  const errorbar = layers(spec).find((l) => markType(l) === 'errorbar');
  assert.equal(errorbar.data.values.map((r: any) => [r.platform, r.low, r.high]), [['runc', 0.9957037148858874, 0.9992173444164899]]);
  assert.is(errorbar.encoding.x.field, 'low');
  assert.is(errorbar.encoding.x2.field, 'high');
  const points = layers(spec).find((l) => markType(l) === 'point');
  assert.equal(points.data.values.map((r: any) => [r.platform, r.value]), [['runc', 0.9974589825220431]]);
  const rule = layers(spec).find((l) => markType(l) === 'rule');
  assert.equal(rule.data.values, [{ value: 1, text: 'native = 1' }]);
});

test('a chart of several metrics stacks one panel per metric, the emulated platform on its own panel with open marks', () => {
  const spec = chartSpec(chartOf('sysbench-cpu-default-ratio'), area.platformOrder) as any;
  assert.is(spec.vconcat.length, 2);
  assert.match(spec.vconcat[1].title, /^Software emulation, on its own scale/);
  const open = spec.vconcat[1].layer.find((l: any) => markType(l) === 'point');
  assert.is(open.mark.filled, false);
  assert.equal(open.data.values.map((r: any) => r.label), ['qemu-tcg (software emulation)']);
  const solid = spec.vconcat[0].layer.find((l: any) => markType(l) === 'point');
  assert.is(solid.mark.filled, true);
  // stacked panels share one label column, so their plots line up
  assert.is(spec.config.axisY.minExtent, spec.config.axisY.maxExtent);
});

test('each platform keeps its colour and shape in every chart (native black circle)', () => {
  assert.equal(platformStyle('native', area.platformOrder), { color: '#000000', shape: 'circle' });
  const kata = platformStyle('kata-9p', area.platformOrder);
  for (const name of ['sysbench-cpu-default-ratio', 'fio-default-ratio-1', 'startup-default-first-output-ms-instances']) {
    const spec = chartSpec(chartOf(name), area.platformOrder) as any;
    const all = spec.vconcat ? spec.vconcat.flatMap((p: any) => p.layer) : spec.layer;
    const points = all.filter((l: any) => markType(l) === 'point' && l.encoding.color);
    const withKata = points.find((l: any) => l.encoding.color.scale.domain.includes('kata-9p'));
    const i = withKata.encoding.color.scale.domain.indexOf('kata-9p');
    assert.is(withKata.encoding.color.scale.range[i], kata.color, name);
    assert.is(withKata.encoding.shape.scale.range[i], kata.shape, name);
  }
});

test('the startup strip plot draws every instance over a box plot, on a log axis', () => {
  const chart = chartOf('startup-default-first-output-ms-instances') as StripChartView;
  const spec = chartSpec(chart, area.platformOrder) as any;
  const box = layers(spec).find((l) => markType(l) === 'boxplot');
  assert.ok(box, 'a box plot layer');
  const dots = layers(spec).filter((l) => markType(l) === 'point').flatMap((l) => l.data.values);
  assert.is(dots.length, chart.rows.reduce((n, r) => n + r.values.length, 0));
  assert.is(layers(spec).find((l) => markType(l) === 'point').encoding.x.scale.type, 'log');
});

test('the latency chart shows P50, P90 and P99 with a legend of shapes', () => {
  const chart = chartOf('latency-rr-tcp-percentiles') as PercentileChartView;
  const spec = chartSpec(chart, area.platformOrder) as any;
  const points = layers(spec).filter((l) => markType(l) === 'point');
  assert.equal(points[0].encoding.shape.scale.domain, ['P50', 'P90', 'P99']);
  assert.is(points[0].encoding.shape.legend.orient, 'top');
  assert.ok(layers(spec).some((l) => markType(l) === 'errorbar'));
});

test('the rendered ratio chart is an SVG naming the platform, its ratio and the reference', async () => {
  const svg = await renderSvg(chartSpec(quickRatio, quick.platformOrder));
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
  for (const text of ['>runc<', '>0.997<', '>native = 1<', 'ratio to native']) assert.ok(svg.includes(text), `SVG contains ${text}`);
  assert.ok((svg.match(/<path/g) ?? []).length >= 4, 'marks were drawn');
});

test('every chart of the area example renders to a non-empty SVG that names each platform it draws', async () => {
  for (const chart of allCharts(area)) {
    const svg = await renderSvg(chartSpec(chart, area.platformOrder));
    assert.ok(svg.length > 3000, `${chart.name}: ${svg.length} characters`);
    const labels = 'panels' in chart ? chart.panels.flatMap((p) => p.points.map((q) => q.label)) : (chart.rows as { label: string }[]).map((r) => r.label);
    assert.ok(labels.length > 0, `${chart.name} draws something`);
    for (const label of labels) assert.ok(svg.includes(`>${label}<`), `${chart.name} names ${label}`);
  }
});

test('Vega-Lite compiles every chart without a warning (a merged scale would give a platform the wrong colour)', async () => {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => { warnings.push(args.join(' ')); };
  try {
    for (const chart of [...allCharts(area), ...allCharts(quick)]) await renderSvg(chartSpec(chart, area.platformOrder));
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings, []);
});

test('rendering is deterministic', async () => {
  const spec = chartSpec(chartOf('startup-default-exit-ms-instances'), area.platformOrder);
  assert.is(await renderSvg(spec), await renderSvg(spec));
});

test('text from the data is escaped inside the SVG', async () => {
  const hostile: DotChartView = {
    ...quickRatio,
    panels: quickRatio.panels.map((p) => ({ ...p, points: p.points.map((q) => ({ ...q, platform: '<b>x&y', label: '<b>x&y' })) })),
  };
  const svg = await renderSvg(chartSpec(hostile, ['native', '<b>x&y']));
  assert.ok(svg.includes('&lt;b&gt;x&amp;y'));
  assert.not.ok(svg.includes('<b>'));
});

test.run();
