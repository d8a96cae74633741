import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chartSpec, platformStyle, renderSvg } from '../../src/report/charts.ts';
import { readRunInputs } from '../../src/report/inputs.ts';
import { buildViewModel, type ChartView } from '../../src/report/view-model.ts';

const fixture = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const view = buildViewModel(readRunInputs(fixture));
const [valueChart, ratioChart] = view.results[0].charts;

const layers = (spec: any): any[] => spec.layer;
const markType = (layer: any) => (typeof layer.mark === 'string' ? layer.mark : layer.mark.type);

test('the value chart has a point per platform with 95 % error bars, and the native reference line', () => {
  const spec = chartSpec(valueChart, view.platformOrder) as any;
  const errorbar = layers(spec).find((l) => markType(l) === 'errorbar');
  assert.ok(errorbar, 'an errorbar layer');
  assert.is(errorbar.encoding.x.field, 'low');
  assert.is(errorbar.encoding.x2.field, 'high');
  assert.equal(errorbar.data.values.map((r: any) => [r.platform, r.low, r.high]), [['native', 1646.124, 1653.079334], ['runc', 1642.745741, 1648.074259]]);
  const points = layers(spec).find((l) => markType(l) === 'point');
  assert.equal(points.data.values.map((r: any) => [r.platform, r.value]), [['native', 1649.601667], ['runc', 1645.41]]);
  const rule = layers(spec).find((l) => markType(l) === 'rule');
  assert.equal(rule.data.values, [{ value: 1649.601667, text: 'native' }]);
  const ticks = layers(spec).find((l) => markType(l) === 'tick');
  assert.is(ticks.data.values.length, 6, 'three instance means per platform');
});

test('each platform keeps its colour and shape in every chart (native black circle)', () => {
  assert.equal(platformStyle('native', view.platformOrder), { color: '#000000', shape: 'circle' });
  const runc = platformStyle('runc', view.platformOrder);
  for (const chart of [valueChart, ratioChart]) {
    const points = layers(chartSpec(chart, view.platformOrder)).find((l) => markType(l) === 'point');
    const i = points.encoding.color.scale.domain.indexOf('runc');
    assert.is(points.encoding.color.scale.range[i], runc.color);
    assert.is(points.encoding.shape.scale.range[i], runc.shape);
  }
});

test('the rendered value chart is an SVG naming each platform and its mean', async () => {
  const svg = await renderSvg(chartSpec(valueChart, view.platformOrder));
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
  assert.ok(svg.length > 2000, `SVG has ${svg.length} characters`);
  for (const text of ['>native<', '>runc<', '>1649.6<', '>1645.4<']) assert.ok(svg.includes(text), `SVG contains ${text}`);
  assert.ok((svg.match(/<path/g) ?? []).length >= 4, 'marks were drawn');
});

test('the rendered ratio chart shows runc against the line at 1', async () => {
  const svg = await renderSvg(chartSpec(ratioChart, view.platformOrder));
  for (const text of ['>runc<', '>0.9975<', '>native = 1<', 'ratio to native']) assert.ok(svg.includes(text), `SVG contains ${text}`);
});

test('rendering is deterministic', async () => {
  const spec = chartSpec(valueChart, view.platformOrder);
  assert.is(await renderSvg(spec), await renderSvg(spec));
});

test('text from the data is escaped inside the SVG', async () => {
  const hostile: ChartView = {
    ...valueChart,
    points: valueChart.points.map((p, i) => (i === 1 ? { ...p, platform: '<b>x&y', label: '<b>x&y' } : p)),
  };
  const svg = await renderSvg(chartSpec(hostile, ['native', '<b>x&y']));
  assert.ok(svg.includes('&lt;b&gt;x&amp;y'));
  assert.not.ok(svg.includes('<b>'));
});

test.run();
