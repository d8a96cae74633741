import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chartSpec, platformStyle, renderCharts, renderSvg } from '../../src/report/charts.ts';
import { readRunInputs } from '../../src/report/inputs.ts';
import { allCharts, buildViewModel, type DotChartView, type PercentileChartView, type StripChartView } from '../../src/report/view-model.ts';

const quick = buildViewModel(readRunInputs(fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url))));
const area = buildViewModel(readRunInputs(fileURLToPath(new URL('../fixtures/runs/area-example', import.meta.url))));
const quickRatio = allCharts(quick).find((c) => c.kind === 'ratio') as DotChartView;
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
  // each point carries its hover text
  assert.match(points.data.values[0].hover, /^runc, ratio to native of prime verification events per second: 0\.99\d+ \[/);
});

test('a chart of several metrics stacks one panel per metric, the emulated platform on its own panel with open marks', () => {
  const spec = chartSpec(chartOf('sysbench-cpu-default-ratio'), area.platformOrder) as any;
  assert.is(spec.vconcat.length, 2);
  assert.match(spec.vconcat[1].title, /^Software emulation, on its own axis/);
  const open = spec.vconcat[1].layer.find((l: any) => markType(l) === 'point');
  assert.is(open.mark.filled, false);
  assert.equal(open.data.values.map((r: any) => r.label), ['qemu-tcg (software emulation)']);
  const solid = spec.vconcat[0].layer.find((l: any) => markType(l) === 'point');
  assert.is(solid.mark.filled, true);
  // stacked panels share one label column, so their plots line up
  assert.is(spec.config.axisY.minExtent, spec.config.axisY.maxExtent);
});

test('panels that compare the same quantity share one scale; emulation keeps its own', () => {
  const spec = chartSpec(chartOf('fio-default-ratio-1'), area.platformOrder) as any;
  const domains = spec.vconcat.map((p: any) => JSON.stringify(p.layer.find((l: any) => markType(l) === 'errorbar').encoding.x.scale.domain));
  const hardware = domains.slice(0, -1);
  assert.ok(hardware.length >= 2);
  assert.is(new Set(hardware).size, 1, 'hardware panels share one domain');
});

test('a claim figure shades the band the claim needs; the added-time figure marks the paper value', () => {
  const claims = chartSpec(allCharts(area).find((c) => c.kind === 'claim')!, area.platformOrder) as any;
  const panel = claims.vconcat ? claims.vconcat[0] : claims;
  assert.ok(panel.layer.some((l: any) => markType(l) === 'rect'), 'a shaded band');
  const added = chartSpec(allCharts(area).find((c) => c.kind === 'difference')!, area.platformOrder) as any;
  const paper = added.layer.filter((l: any) => markType(l) === 'rule').map((l: any) => l.data.values[0].text);
  assert.equal(paper, ['no added time', 'paper: +250 ms']);
});

test('every platform of the registry gets its own colour and shape pair; only native is black', () => {
  const ids = ['native', 'runc', 'crun', 'docker-runc', 'docker-gvisor', 'podman-crun', 'lxc', 'gvisor-ptrace', 'gvisor-kvm', 'gvisor-systrap', 'kata-9p', 'kata-virtiofs', 'qemu-kvm', 'qemu-kvm-microvm', 'qemu-tcg', 'qemu-tcg-microvm', 'firecracker', 'cloud-hypervisor', 'osv-qemu', 'osv-firecracker'];
  const pairs = ids.map((id) => JSON.stringify(platformStyle(id)));
  assert.is(new Set(pairs).size, ids.length);
  assert.equal(ids.filter((id) => platformStyle(id).color === '#000000'), ['native']);
  assert.is(platformStyle('qemu-tcg').color === '#F0E442', false, 'no faint yellow');
});

test('each platform keeps its colour and shape in every chart (native black circle)', () => {
  assert.equal(platformStyle('native', area.platformOrder), { color: '#000000', shape: 'circle' });
  const kata = platformStyle('kata-9p', area.platformOrder);
  // the layers of a panel, of stacked panels, or of rows of panels side by side
  const layersOf = (s: any): any[] => (s.layer ? s.layer : [...(s.vconcat ?? []), ...(s.hconcat ?? [])].flatMap(layersOf));
  for (const name of ['sysbench-cpu-default-ratio', 'fio-default-ratio-1', 'startup-default-instances']) {
    const spec = chartSpec(chartOf(name), area.platformOrder) as any;
    const all = layersOf(spec);
    const points = all.filter((l: any) => markType(l) === 'point' && l.encoding.color);
    const withKata = points.find((l: any) => l.encoding.color.scale.domain.includes('kata-9p'));
    const i = withKata.encoding.color.scale.domain.indexOf('kata-9p');
    assert.is(withKata.encoding.color.scale.range[i], kata.color, name);
    assert.is(withKata.encoding.shape.scale.range[i], kata.shape, name);
  }
});

test('panels on one scale draw its labels once, under the last, and every panel keeps its grid', () => {
  const chart = chartOf('fio-default-ratio-1') as DotChartView;
  const spec = chartSpec(chart, area.platformOrder) as any;
  const hardware = spec.vconcat.filter((_: any, i: number) => !chart.panels[i].emulated);
  assert.ok(hardware.length > 1);
  const xAxis = (panel: any) => panel.layer.find((l: any) => markType(l) === 'errorbar').encoding.x.axis;
  hardware.slice(0, -1).forEach((panel: any) => assert.equal(xAxis(panel), { labels: false, ticks: false, domain: false, title: null }));
  assert.is(xAxis(hardware[hardware.length - 1]), undefined, 'the last panel draws the whole axis');
});

test('the startup strip plot draws every instance over a box plot, on a log axis, its two clocks side by side', () => {
  const chart = chartOf('startup-default-instances') as StripChartView;
  const spec = chartSpec(chart, area.platformOrder) as any;
  // a row of hardware panels over a row of emulated ones, each row the two clocks
  assert.equal(spec.vconcat.map((row: any) => row.hconcat.length), [2, 2]);
  const hardware = chart.panels.filter((p) => !p.emulated);
  hardware.forEach((h, i) => {
    const panel = spec.vconcat[0].hconcat[i];
    const dots = panel.layer.filter((l: any) => markType(l) === 'point').flatMap((l: any) => l.data.values);
    assert.ok(panel.layer.find((l: any) => markType(l) === 'boxplot'), 'a box plot layer');
    assert.is(dots.length, h.rows.reduce((n, r) => n + r.values.length, 0));
    const x = panel.layer.find((l: any) => markType(l) === 'point').encoding.x;
    assert.is(x.scale.type, 'log');
    // the axis names its clock, in lines that fit the half-width panel
    assert.is(x.title.join(' '), h.axisTitle);
    assert.ok(x.title.length > 1);
    // every dot and box inside its own row, clear of the line to the next (a dot on it reads as the next row's)
    const step = panel.height.step;
    for (const l of panel.layer.filter((q: any) => markType(q) === 'point')) {
      const [lo, hi] = l.encoding.yOffset.scale.range;
      const radius = Math.sqrt(l.mark.size / Math.PI);
      assert.ok(lo - radius >= 1 && hi + radius <= step - 1, `dots from ${lo} to ${hi} (radius ${radius.toFixed(1)}) in a row of ${step}`);
      const jitters = l.data.values.map((d: any) => d.jitter);
      assert.ok(jitters.every((j: number) => j >= -0.5 && j <= 0.5));
    }
    assert.ok(panel.layer.find((l: any) => markType(l) === 'boxplot').mark.size <= step - 4);
    // a platform's first instance sits at the row's centre
    assert.is(panel.layer.find((l: any) => markType(l) === 'point').data.values[0].jitter, 0);
  });
  // the right column shares the left's row labels: labelled once
  const yOf = (panel: any) => panel.layer.find((l: any) => markType(l) === 'point').encoding.y;
  assert.is(yOf(spec.vconcat[0].hconcat[0]).axis, undefined);
  assert.is(yOf(spec.vconcat[0].hconcat[1]).axis, null);
  assert.equal(hardware[0].rows.map((r) => r.label), hardware[1].rows.map((r) => r.label));
});

test('the latency chart shows P50, P90 and P99 with a legend of shapes', () => {
  const chart = chartOf('latency-rr-tcp-percentiles') as PercentileChartView;
  const spec = chartSpec(chart, area.platformOrder) as any;
  const panel = spec.vconcat[0];
  const points = panel.layer.filter((l: any) => markType(l) === 'point');
  assert.equal(points[0].encoding.shape.scale.domain, ['P50', 'P90', 'P99']);
  assert.is(points[0].encoding.shape.legend.orient, 'top');
  // colour tells the platforms apart (the percentile chart once drew them all black)
  assert.ok(new Set(points[0].encoding.color.scale.range).size > 1);
  assert.ok(panel.layer.some((l: any) => markType(l) === 'errorbar'));
});

test('the rendered ratio chart is an SVG naming the platform, its ratio and the reference', async () => {
  const svg = await renderSvg(chartSpec(quickRatio, quick.platformOrder));
  assert.ok(svg.startsWith('<svg'), svg.slice(0, 80));
  for (const text of ['>runc<', '>native = 1<', 'ratio to native']) assert.ok(svg.includes(text), `SVG contains ${text}`);
  assert.match(svg, />0\.997\d*</);
  assert.match(svg, /<title>runc, ratio to native of [^<]*<\/title>/, 'hover title on the point');
  assert.ok((svg.match(/<path/g) ?? []).length >= 4, 'marks were drawn');
});

test('every chart of the area example renders to a non-empty SVG that names each platform it draws', async () => {
  for (const chart of allCharts(area)) {
    const svg = await renderSvg(chartSpec(chart, area.platformOrder));
    assert.ok(svg.length > 3000, `${chart.name}: ${svg.length} characters`);
    const labels = chart.kind === 'strip' || chart.kind === 'percentiles' ? chart.panels.flatMap((p) => p.rows.map((r) => r.label))
      : chart.kind === 'sweep' ? chart.panels.flatMap((p) => p.lines.map((l) => l.label)) : chart.panels.flatMap((p) => p.points.map((q) => q.label));
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

test('charts already drawn are reused by spec (the PDF reuses the HTML\'s), others are drawn', async () => {
  const [a, b] = [chartOf('startup-default-instances'), chartOf('fio-default-ratio-1')];
  const drawn = [{ name: 'elsewhere', spec: chartSpec(a, area.platformOrder), svg: '<svg>drawn before</svg>' }];
  const out = await renderCharts([a, b], area.platformOrder, drawn);
  assert.equal(out.map((c) => c.name), [a.name, b.name]);
  assert.is(out[0].svg, '<svg>drawn before</svg>');
  assert.match(out[1].svg, /^<svg[^>]*>/);
  assert.is.not(out[1].svg, '<svg>drawn before</svg>');
});

test('rendering is deterministic', async () => {
  const spec = chartSpec(chartOf('startup-default-instances'), area.platformOrder);
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
