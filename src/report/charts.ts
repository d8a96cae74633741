// Vega-Lite specs for the result charts, compiled and rendered to SVG in Node (no browser, no network).
import type { TopLevelSpec } from 'vega-lite';
import type { ChartView, DotChartView, DotPanel, PercentileChartView, StripChartView } from './view-model.ts';

export interface RenderedChart {
  name: string;
  spec: TopLevelSpec;
  svg: string;
}

// Okabe–Ito: distinguishable with colour-vision deficiencies; black first so native is black everywhere.
const PALETTE = ['#000000', '#E69F00', '#56B4E9', '#009E73', '#D55E00', '#0072B2', '#CC79A7', '#F0E442'];
// A different shape per platform keeps the charts readable in greyscale (7 shapes x 8 colours never repeat a pair before 56).
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'triangle-down', 'cross', 'triangle-right'];
export const FONT = 'Liberation Sans, Arial, Helvetica, sans-serif';
const WIDTH = 460;

// Advance widths (1/1000 em) of Arial/Liberation Sans for ASCII 32..126, so layout in Node (no canvas) matches the browser's text.
const ADVANCE = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/** vega's text measuring hook (exported by vega, missing from its type declarations) */
interface TextMetrics { width: (item: { text?: unknown; fontSize?: number | string }, text?: unknown) => number }

/** Width in px of text in the chart font; other characters count as 0.6 em. */
export function textWidth(text: string, fontSize: number): number {
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    units += code >= 32 && code <= 126 ? ADVANCE[code - 32] : 600;
  }
  return (units * fontSize) / 1000;
}
const ROW = 36;
/** ratio charts draw no instance ticks under the points, so their rows can be tighter */
const RATIO_ROW = 28;
const STRIP_ROW = 40;

/** One platform's colour and shape, the same in every chart of a report. */
export function platformStyle(platform: string, platformOrder: string[]): { color: string; shape: string } {
  const i = Math.max(0, platformOrder.indexOf(platform));
  return { color: PALETTE[i % PALETTE.length], shape: SHAPES[i % SHAPES.length] };
}

/** The Vega-Lite spec of a chart: dot plot (values or ratios, one panel per metric), strip plot, or percentile ladder. */
export function chartSpec(chart: ChartView, platformOrder: string[]): TopLevelSpec {
  switch (chart.kind) {
    case 'value':
    case 'ratio':
      return dotSpec(chart, platformOrder);
    case 'strip':
      return stripSpec(chart, platformOrder);
    case 'percentiles':
      return percentileSpec(chart);
  }
}

function topLevel(description: string, body: Record<string, unknown>, labelWidth: number): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    description,
    padding: { top: 18, right: 12, bottom: 6, left: 6 },
    background: '#ffffff',
    ...body,
    config: {
      font: FONT,
      aria: false,
      view: { stroke: '#cccccc' },
      axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#e4e4e4', domainColor: '#888888', tickColor: '#888888', labelColor: '#000000', titleColor: '#000000' },
      // a fixed label column, so stacked panels line up
      axisY: { labelLimit: 320, grid: false, minExtent: labelWidth, maxExtent: labelWidth },
      axisX: { labelSeparation: 10, tickCount: 6 },
      title: { fontSize: 11, fontWeight: 'bold', anchor: 'start', color: '#000000', offset: 14 },
      legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
      concat: { spacing: 16 },
    },
  } as TopLevelSpec;
}

function labelColumn(labels: string[]): number {
  return Math.ceil(Math.max(40, ...labels.map((l) => textWidth(l, 11)))) + 8;
}

/** Point marks: filled for hardware-assisted platforms, open for software emulation (readable in greyscale too). */
function pointLayers(rows: { platform: string; emulated: boolean }[], y: object, x: object, platformOrder: string[], size: number, extra: Record<string, unknown> = {}, domain?: string[]): object[] {
  // one domain for every layer and panel of a chart: Vega-Lite merges their colour and shape scales
  const platforms = domain ?? [...new Set(rows.map((r) => r.platform))];
  const color = { field: 'platform', type: 'nominal', legend: null, scale: { domain: platforms, range: platforms.map((p) => platformStyle(p, platformOrder).color) } };
  const shape = { field: 'platform', type: 'nominal', legend: null, scale: { domain: platforms, range: platforms.map((p) => platformStyle(p, platformOrder).shape) } };
  const layers: object[] = [];
  const solid = rows.filter((r) => !r.emulated);
  const open = rows.filter((r) => r.emulated);
  if (solid.length) layers.push({ data: { values: solid }, mark: { type: 'point', filled: true, size, stroke: '#000000', strokeWidth: 0.8, opacity: 1, ...extra }, encoding: { y, x, color, shape } });
  if (open.length) layers.push({ data: { values: open }, mark: { type: 'point', filled: false, size, strokeWidth: 2, opacity: 1, ...extra }, encoding: { y, x, color, shape } });
  return layers;
}

/** Dot plot: mean (or ratio) per platform, 95 % interval as an error bar, instance means as ticks, a dashed reference line. */
function dotPanelLayers(panel: DotPanel, platformOrder: string[], domain: string[]): object[] {
  const labels = panel.points.map((p) => p.label);
  const rows = panel.points.map((p) => ({
    platform: p.platform,
    label: p.label,
    emulated: p.emulated,
    value: p.value,
    low: p.low,
    high: p.high,
    labelAt: p.high ?? p.value,
    valueText: p.valueText,
  }));
  const ticks = panel.points.flatMap((p) => p.instanceMeans.map((value) => ({ label: p.label, value })));
  const y = { field: 'label', type: 'nominal', sort: labels, scale: { domain: labels }, title: null } as const;
  // Padding keeps marks off the frame; zero is left out so intervals stay visible (the captions say so).
  const scale = { zero: false, nice: false, padding: 18 } as const;
  const x = { field: 'value', type: 'quantitative', title: panel.axisTitle, scale } as const;
  const layer: object[] = [];
  if (panel.reference) {
    const ref = { values: [{ value: panel.reference.value, text: panel.reference.label }] };
    layer.push(
      { data: ref, mark: { type: 'rule', strokeDash: [5, 3], color: '#555555', strokeWidth: 1 }, encoding: { x } },
      { data: ref, mark: { type: 'text', align: 'center', baseline: 'bottom', dy: -4, fontSize: 10, color: '#333333' }, encoding: { x, y: { value: 0 }, text: { field: 'text' } } },
    );
  }
  const withInterval = rows.filter((r) => r.low !== null && r.high !== null);
  if (withInterval.length) {
    layer.push({
      data: { values: withInterval },
      mark: { type: 'errorbar', ticks: { size: 12 }, thickness: 1.6, color: '#222222' },
      encoding: { y, x: { field: 'low', type: 'quantitative', title: panel.axisTitle, scale }, x2: { field: 'high' } },
    });
  }
  if (ticks.length) {
    layer.push({
      data: { values: ticks },
      mark: { type: 'tick', orient: 'vertical', size: 9, thickness: 1.5, color: '#333333', yOffset: 12 },
      encoding: { y, x },
    });
  }
  layer.push(
    ...pointLayers(rows, y, x, platformOrder, 110, {}, domain),
    // The value label twice: a white outline first, so a grid or reference line behind it does not cross the digits.
    ...['halo', 'label'].map((role) => ({
      data: { values: rows },
      mark: {
        type: 'text', align: 'left', baseline: 'middle', dx: 9, fontSize: 11,
        ...(role === 'halo' ? { color: '#ffffff', stroke: '#ffffff', strokeWidth: 4, strokeJoin: 'round' } : { color: '#000000' }),
      },
      encoding: { y, x: { field: 'labelAt', type: 'quantitative' }, text: { field: 'valueText' } },
    })),
  );
  return layer;
}

function dotSpec(chart: DotChartView, platformOrder: string[]): TopLevelSpec {
  const labelWidth = labelColumn(chart.panels.flatMap((p) => p.points.map((q) => q.label)));
  const domain = [...new Set(chart.panels.flatMap((p) => p.points.map((q) => q.platform)))];
  const panels = chart.panels.map((panel) => ({
    ...(panel.title ? { title: panel.title } : {}),
    width: WIDTH,
    height: { step: chart.kind === 'ratio' ? RATIO_ROW : ROW },
    layer: dotPanelLayers(panel, platformOrder, domain),
  }));
  if (panels.length === 1) return topLevel(chart.alt, panels[0], labelWidth);
  return topLevel(chart.alt, { vconcat: panels }, labelWidth);
}

/** Every instance's value as a dot (deterministic jitter), with a box plot per platform drawn over the dots. */
function stripSpec(chart: StripChartView, platformOrder: string[]): TopLevelSpec {
  const labels = chart.rows.map((r) => r.label);
  // no band padding: the jitter offsets count from the band's top, so the row's centre is STRIP_ROW / 2
  const y = { field: 'label', type: 'nominal', sort: labels, scale: { domain: labels, paddingInner: 0, paddingOuter: 0 }, title: null } as const;
  const scale = chart.log ? { type: 'log', nice: false, padding: 14 } : { zero: false, nice: false, padding: 14 };
  const x = { field: 'value', type: 'quantitative', title: chart.axisTitle, scale } as const;
  // golden-ratio spacing: spreads the dots of one platform evenly across the row, the same on every render
  const dots = chart.rows.flatMap((r) => r.values.map((value, i) => ({ platform: r.platform, label: r.label, emulated: r.emulated, value, jitter: ((i * 0.6180339887) % 1) - 0.5 })));
  const boxes = chart.rows.filter((r) => r.values.length >= 3).flatMap((r) => r.values.map((value) => ({ label: r.label, value })));
  // many instances: smaller, lighter dots, so that the box drawn over them stays visible
  const most = Math.max(...chart.rows.map((r) => r.values.length));
  const dotSize = most > 30 ? 14 : 26;
  const dotOpacity = most > 30 ? 0.45 : 0.85;
  const layer: object[] = [];
  layer.push(...pointLayers(dots, y, x, platformOrder, dotSize, { opacity: dotOpacity }).map((l: any) => ({
    ...l,
    encoding: { ...l.encoding, yOffset: { field: 'jitter', type: 'quantitative', scale: { domain: [-0.5, 0.5], range: [STRIP_ROW / 2 - 11, STRIP_ROW / 2 + 11] }, legend: null } },
  })));
  if (boxes.length) {
    layer.push({
      data: { values: boxes },
      mark: { type: 'boxplot', extent: 1.5, size: 26, outliers: false, box: { fill: '#ffffff', fillOpacity: 0, stroke: '#222222', strokeWidth: 1.2 }, median: { color: '#000000', strokeWidth: 2.5 }, rule: { color: '#222222' }, ticks: { color: '#222222', size: 12 } },
      encoding: { y, x },
    });
  }
  return topLevel(chart.alt, { width: WIDTH, height: { step: STRIP_ROW }, layer }, labelColumn(labels));
}

const PERCENTILE_SHAPES = ['circle', 'square', 'triangle-up', 'diamond'];

/** P50, P90, P99 per platform on one line, each with its 95 % interval; shapes (with a legend) tell the percentiles apart. */
function percentileSpec(chart: PercentileChartView): TopLevelSpec {
  const labels = chart.rows.map((r) => r.label);
  const y = { field: 'label', type: 'nominal', sort: labels, scale: { domain: labels }, title: null } as const;
  const scale = chart.log ? { type: 'log', nice: false, padding: 16 } : { zero: false, nice: false, padding: 16 };
  const x = { field: 'value', type: 'quantitative', title: chart.axisTitle, scale } as const;
  const marks = chart.rows.flatMap((r) => r.marks.map((m) => ({ label: r.label, emulated: r.emulated, percentile: m.percentile, value: m.value, low: m.low, high: m.high })));
  const spans = chart.rows.filter((r) => r.marks.length > 1).map((r) => ({ label: r.label, value: Math.min(...r.marks.map((m) => m.value)), high: Math.max(...r.marks.map((m) => m.value)) }));
  const shape = { field: 'percentile', type: 'nominal', scale: { domain: chart.percentiles, range: PERCENTILE_SHAPES.slice(0, chart.percentiles.length) }, legend: { title: null, orient: 'top', direction: 'horizontal' } };
  const layer: object[] = [];
  if (spans.length) layer.push({ data: { values: spans }, mark: { type: 'rule', color: '#9a9a9a', strokeWidth: 3 }, encoding: { y, x, x2: { field: 'high' } } });
  const withInterval = marks.filter((m) => m.low !== null && m.high !== null);
  if (withInterval.length) {
    layer.push({ data: { values: withInterval }, mark: { type: 'errorbar', ticks: { size: 8 }, thickness: 1.2, color: '#222222' }, encoding: { y, x: { field: 'low', type: 'quantitative', title: chart.axisTitle, scale }, x2: { field: 'high' } } });
  }
  const solid = marks.filter((m) => !m.emulated);
  const open = marks.filter((m) => m.emulated);
  if (solid.length) layer.push({ data: { values: solid }, mark: { type: 'point', filled: true, size: 90, color: '#000000', opacity: 1 }, encoding: { y, x, shape } });
  if (open.length) layer.push({ data: { values: open }, mark: { type: 'point', filled: false, size: 90, color: '#000000', strokeWidth: 2, opacity: 1 }, encoding: { y, x, shape } });
  return topLevel(chart.alt, { width: WIDTH, height: { step: ROW }, layer }, labelColumn(labels));
}

/** Vega-Lite -> Vega -> SVG text, headless (renderer 'none'); deterministic for the same spec. */
/**
 * Throws unless the spec holds only what isobench writes: no `expr` or `signal` object anywhere (Vega would compile it
 * as code), and plain strings, numbers, booleans or null in every scale domain and data row.
 */
export function assertInert(spec: unknown, at = 'spec'): void {
  if (Array.isArray(spec)) {
    spec.forEach((x, i) => assertInert(x, `${at}[${i}]`));
    return;
  }
  if (spec === null || typeof spec !== 'object') return;
  for (const [key, value] of Object.entries(spec)) {
    if (key === 'expr' || key === 'signal') throw new Error(`chart ${at}.${key}: an expression in a chart spec; isobench writes none, so a value from the run directory put it there — refusing to render`);
    if ((key === 'domain' || key === 'values') && Array.isArray(value)) {
      value.forEach((v, i) => {
        const rows = key === 'values' && v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v) : [[String(i), v] as const];
        for (const [field, x] of rows) {
          if (x !== null && typeof x === 'object') throw new Error(`chart ${at}.${key}[${i}]${key === 'values' ? `.${field}` : ''}: an object where a plain string or number belongs; refusing to render`);
        }
      });
    }
    assertInert(value, `${at}.${key}`);
  }
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded with import(): vega's Node build uses top-level await, which a require()-based test runner (uvu -r tsx) cannot load.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  // vega's own estimate without a canvas (0.8 em a character) leaves wide gaps and cuts labels short.
  (vega as unknown as { textMetrics: TextMetrics }).textMetrics.width = (item, text) =>
    textWidth(String(text ?? item.text ?? ''), item.fontSize != null ? Number(item.fontSize) : 11);
  assertInert(spec);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderCharts(charts: ChartView[], platformOrder: string[]): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const chart of charts) {
    const spec = chartSpec(chart, platformOrder);
    out.push({ name: chart.name, spec, svg: await renderSvg(spec) });
  }
  return out;
}
