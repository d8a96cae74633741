// Vega-Lite specs for the result charts, compiled and rendered to SVG in Node (no browser, no network).
import type { TopLevelSpec } from 'vega-lite';
import { domainOf, panelValues, sharedDotDomain } from './dot-domain.ts';
import { platformStyle } from './platform-style.ts';
import type { ChartView, DotChartView, DotPanel, PercentileChartView, PercentilePanel, StripChartView, StripPanel, SweepChartView, SweepPanel } from './view-types.ts';

export interface RenderedChart {
  name: string;
  spec: TopLevelSpec;
  svg: string;
}

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
const ROW = 34;
/** ratio charts draw no instance ticks under the points, so their rows can be tighter */
const RATIO_ROW = 21;
/** a claim's figure may hold twenty comparisons: tighter still */
const CLAIM_ROW = 18;
const STRIP_ROW = 22;
/** a strip row's dots keep this far from its edges (a dot's radius and a gap), so none reads as the next row's */
const STRIP_DOTS_FROM = 5;

export { platformStyle };

/** The Vega-Lite spec of a chart: dot plot (values, ratios, a claim's band, an added cost), strip plot, percentile ladder, or sweep. */
export function chartSpec(chart: ChartView, platformOrder: string[]): TopLevelSpec {
  switch (chart.kind) {
    case 'value':
    case 'ratio':
    case 'claim':
    case 'difference':
      return dotSpec(chart, platformOrder);
    case 'strip':
      return stripSpec(chart, platformOrder);
    case 'percentiles':
      return percentileSpec(chart, platformOrder);
    case 'sweep':
      return sweepSpec(chart, platformOrder);
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
      // marks are silent to screen readers (the figure's aria-label has the values) except the points, whose label becomes a hover title
      mark: { aria: false },
      axis: { aria: false, labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal', gridColor: '#e4e4e4', domainColor: '#888888', tickColor: '#888888', labelColor: '#000000', titleColor: '#000000' },
      legend: { aria: false, labelFontSize: 11, titleFontSize: 11, titleFontWeight: 'normal' },
      view: { stroke: '#cccccc' },
      // a fixed label column, so stacked panels line up
      axisY: { labelLimit: 320, grid: false, minExtent: labelWidth, maxExtent: labelWidth },
      axisX: { labelSeparation: 10, tickCount: 6 },
      title: { fontSize: 11, fontWeight: 'bold', anchor: 'start', color: '#000000', offset: 14 },
      concat: { spacing: 10 },
    },
  } as TopLevelSpec;
}

function labelColumn(labels: string[]): number {
  return Math.ceil(Math.max(40, ...labels.map((l) => textWidth(l, 11)))) + 8;
}

/** [low, high] that holds every value, with room on the right for the value labels; a log domain stays positive. */

/** Point marks: filled for hardware-assisted platforms, open for software emulation; each carries its hover text. */
function pointLayers(rows: { platform: string; emulated: boolean; hover?: string }[], y: object, x: object, domain: string[], order: string[], size: number, extra: Record<string, unknown> = {}): object[] {
  const color = { field: 'platform', type: 'nominal', legend: null, scale: { domain, range: domain.map((p) => platformStyle(p, order).color) } };
  const shape = { field: 'platform', type: 'nominal', legend: null, scale: { domain, range: domain.map((p) => platformStyle(p, order).shape) } };
  const layers: object[] = [];
  const solid = rows.filter((r) => !r.emulated);
  const open = rows.filter((r) => r.emulated);
  const hover = rows.some((r) => r.hover) ? { description: { field: 'hover' } } : {};
  const aria = rows.some((r) => r.hover) ? { aria: true } : {};
  if (solid.length) layers.push({ data: { values: solid }, mark: { type: 'point', filled: true, size, stroke: '#000000', strokeWidth: 0.8, opacity: 1, ...aria, ...extra }, encoding: { y, x, color, shape, ...hover } });
  if (open.length) layers.push({ data: { values: open }, mark: { type: 'point', filled: false, size, strokeWidth: 2, opacity: 1, ...aria, ...extra }, encoding: { y, x, color, shape, ...hover } });
  return layers;
}

/** Dot plot: the estimate per row, its 95 % interval, instance means as ticks, a dashed reference, the claim's band, the paper's value. */
function dotPanelLayers(panel: DotPanel, domain: string[], order: string[], xDomain: [number, number], showAxis = true): object[] {
  const labels = panel.points.map((p) => p.label);
  const rows = panel.points.map((p) => ({ platform: p.platform, label: p.label, emulated: p.emulated, value: p.value, low: p.low, high: p.high, labelAt: p.high ?? p.value, valueText: p.valueText, hover: p.hover }));
  const ticks = panel.points.flatMap((p) => p.instanceMeans.map((value) => ({ label: p.label, value })));
  const y = { field: 'label', type: 'nominal', sort: labels, scale: { domain: labels }, title: null } as const;
  const scale = { domain: xDomain, nice: false, clamp: true, ...(panel.log ? { type: 'log' } : { zero: false }) };
  // panels on one scale draw its axis once, under the last; those above keep its grid, without labels, ticks or title
  const axis = showAxis ? {} : { axis: { labels: false, ticks: false, domain: false, title: null } };
  const x = { field: 'value', type: 'quantitative', title: panel.axisTitle, scale, ...axis } as const;
  const layer: object[] = [];
  if (panel.band) {
    const band = [{ low: panel.band.low ?? xDomain[0], high: panel.band.high ?? xDomain[1], text: panel.band.label }];
    layer.push(
      { data: { values: band }, mark: { type: 'rect', color: '#cfe3f3', opacity: 1 }, encoding: { x: { field: 'low', type: 'quantitative', title: panel.axisTitle, scale, ...axis }, x2: { field: 'high' } } },
      { data: { values: band }, mark: { type: 'text', align: 'left', baseline: 'bottom', dy: -4, dx: 2, fontSize: 10, color: '#1f4e79' }, encoding: { x: { field: 'low', type: 'quantitative', scale, ...axis }, y: { value: 0 }, text: { field: 'text' } } },
    );
  }
  if (panel.reference) {
    const ref = { values: [{ value: panel.reference.value, text: panel.reference.label }] };
    layer.push(
      { data: ref, mark: { type: 'rule', strokeDash: [5, 3], color: '#555555', strokeWidth: 1 }, encoding: { x } },
      ...(panel.band ? [] : [{ data: ref, mark: { type: 'text', align: 'center', baseline: 'bottom', dy: -4, fontSize: 10, color: '#333333' }, encoding: { x, y: { value: 0 }, text: { field: 'text' } } }]),
    );
  }
  if (panel.paper) {
    const mark = { values: [{ value: panel.paper.value, text: panel.paper.label }] };
    layer.push(
      { data: mark, mark: { type: 'rule', strokeDash: [2, 2], color: '#8c2d04', strokeWidth: 1.5 }, encoding: { x } },
      { data: mark, mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -4, dx: -3, fontSize: 10, color: '#8c2d04' }, encoding: { x, y: { value: 0 }, text: { field: 'text' } } },
    );
  }
  const withInterval = rows.filter((r) => r.low !== null && r.high !== null);
  if (withInterval.length) {
    layer.push({
      data: { values: withInterval },
      mark: { type: 'errorbar', ticks: { size: 12 }, thickness: 1.6, color: '#222222' },
      encoding: { y, x: { field: 'low', type: 'quantitative', title: panel.axisTitle, scale, ...axis }, x2: { field: 'high' } },
    });
  }
  if (ticks.length) {
    layer.push({ data: { values: ticks }, mark: { type: 'tick', orient: 'vertical', size: 9, thickness: 1.5, color: '#333333', yOffset: 12 }, encoding: { y, x } });
  }
  layer.push(
    ...pointLayers(rows, y, x, domain, order, 110),
    // no stroked halo under the labels: stroked text prints as a Type 3 font
    { data: { values: rows }, mark: { type: 'text', align: 'left', baseline: 'middle', dx: 9, fontSize: 11, color: '#000000' }, encoding: { y, x: { field: 'labelAt', type: 'quantitative', scale, ...axis }, text: { field: 'valueText' } } },
  );
  return layer;
}


function dotSpec(chart: DotChartView, platformOrder: string[]): TopLevelSpec {
  const labelWidth = labelColumn(chart.panels.flatMap((p) => p.points.map((q) => q.label)));
  const domain = [...new Set(chart.panels.flatMap((p) => p.points.map((q) => q.platform)))];
  // one scale for the panels that compare the same quantity; software emulation keeps its own
  const shared = sharedDotDomain(chart.panels);
  const lastShared = chart.panels.map((p) => !p.emulated).lastIndexOf(true);
  const panels = chart.panels.map((panel, i) => ({
    ...(panel.title ? { title: panel.title } : {}),
    width: WIDTH,
    height: { step: chart.kind === 'value' ? ROW : chart.kind === 'claim' ? CLAIM_ROW : RATIO_ROW },
    layer: dotPanelLayers(panel, domain, platformOrder, panel.emulated ? domainOf(panelValues(panel), panel.log, 0.16) : shared, panel.emulated || i === lastShared),
  }));
  if (panels.length === 1) return topLevel(chart.alt, panels[0], labelWidth);
  return topLevel(chart.alt, { vconcat: panels, resolve: { scale: { x: 'independent', color: 'shared', shape: 'shared' } } }, labelWidth);
}

/** Every instance's value as a dot (deterministic jitter), with a box plot per platform drawn over the dots. */
function stripPanel(panel: StripPanel, domain: string[], order: string[], width: number, labelled: boolean): object {
  const labels = panel.rows.map((r) => r.label);
  const { log } = panel;
  // no band padding: the jitter offsets count from the band's top, so the row's centre is STRIP_ROW / 2
  const y = { field: 'label', type: 'nominal', sort: labels, scale: { domain: labels, paddingInner: 0, paddingOuter: 0 }, title: null, ...(labelled ? {} : { axis: null }) } as const;
  const values = panel.rows.flatMap((r) => r.values);
  const scale = { domain: domainOf(values, log, 0), nice: false, ...(log ? { type: 'log' } : { zero: false }) };
  // a half-width panel's axis title wraps rather than run under its neighbour's, and it has room for fewer ticks
  const half = width < WIDTH ? { axis: { tickCount: 4 } } : {};
  const x = { field: 'value', type: 'quantitative', title: width < WIDTH ? wrapText(panel.axisTitle, width, 11) : panel.axisTitle, scale, ...half } as const;
  // golden-ratio spacing from the row's centre: spreads the dots of one platform evenly across the row, the same on every render
  const dots = panel.rows.flatMap((r) => r.values.map((value, i) => ({ platform: r.platform, label: r.label, emulated: r.emulated, value, jitter: ((i * 0.6180339887 + 0.5) % 1) - 0.5, hover: `${r.label}, instance ${r.instances[i]}: ${formatHover(value)}` })));
  const boxes = panel.rows.filter((r) => r.values.length >= 3).flatMap((r) => r.values.map((value) => ({ label: r.label, value })));
  const most = Math.max(...panel.rows.map((r) => r.values.length));
  const dotSize = most > 30 ? 14 : 26;
  const dotOpacity = most > 30 ? 0.45 : 0.85;
  const layer: object[] = [];
  layer.push(...pointLayers(dots, y, x, domain, order, dotSize, { opacity: dotOpacity }).map((l: any) => ({
    ...l,
    encoding: { ...l.encoding, yOffset: { field: 'jitter', type: 'quantitative', scale: { domain: [-0.5, 0.5], range: [STRIP_DOTS_FROM, STRIP_ROW - STRIP_DOTS_FROM] }, legend: null } },
  })));
  if (boxes.length) {
    layer.push({
      data: { values: boxes },
      mark: { type: 'boxplot', extent: 1.5, size: STRIP_ROW - 6, outliers: false, box: { fill: '#ffffff', fillOpacity: 0, stroke: '#222222', strokeWidth: 1.2 }, median: { color: '#000000', strokeWidth: 2.5 }, rule: { color: '#222222' }, ticks: { color: '#222222', size: 12 } },
      encoding: { y, x },
    });
  }
  return { ...(panel.title ? { title: panel.title } : {}), width, height: { step: STRIP_ROW }, layer };
}

/** gap between two side-by-side panels */
const COLUMN_GAP = 16;

function stripSpec(chart: StripChartView, platformOrder: string[]): TopLevelSpec {
  const domain = [...new Set(chart.panels.flatMap((p) => p.rows.map((r) => r.platform)))];
  const labelWidth = labelColumn(chart.panels.flatMap((p) => p.rows.map((r) => r.label)));
  const resolve = { scale: { x: 'independent', color: 'shared', shape: 'shared' } };
  if (chart.columns === 2) {
    // two metrics of the same platforms: the right column shares the left's row labels, in the same width as one panel
    const width = Math.floor((WIDTH - COLUMN_GAP) / 2);
    const rows = [false, true].map((em) => chart.panels.filter((p) => p.emulated === em)).filter((r) => r.length > 0);
    const hconcat = (r: StripPanel[]) => ({ hconcat: r.map((p, i) => stripPanel(p, domain, platformOrder, width, i === 0)), spacing: COLUMN_GAP, resolve });
    return topLevel(chart.alt, { vconcat: rows.map(hconcat), resolve }, labelWidth);
  }
  const panels = chart.panels.map((p) => stripPanel(p, domain, platformOrder, WIDTH, true));
  if (panels.length === 1) return topLevel(chart.alt, panels[0] as Record<string, unknown>, labelWidth);
  return topLevel(chart.alt, { vconcat: panels, resolve }, labelWidth);
}

/** Text broken into lines of at most `width` px in the chart font (a Vega title given as lines). */
function wrapText(text: string, width: number, fontSize: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && textWidth(`${lines[last]} ${word}`, fontSize) <= width) lines[last] = `${lines[last]} ${word}`;
    else lines.push(word);
  }
  return lines;
}

const PERCENTILE_SHAPES = ['circle', 'square', 'triangle-up', 'diamond'];

/** P50, P90, P99 per platform on one line, each with its 95 % interval; colour: the platform, shape (with a legend): the percentile. */
function percentilePanel(chart: PercentileChartView, panel: PercentilePanel, domain: string[], order: string[], first: boolean): object {
  const labels = panel.rows.map((r) => r.label);
  const y = { field: 'label', type: 'nominal', sort: labels, scale: { domain: labels }, title: null } as const;
  const marks = panel.rows.flatMap((r) => r.marks.map((m) => ({ platform: r.platform, label: r.label, emulated: r.emulated, percentile: m.percentile, value: m.value, low: m.low, high: m.high, hover: `${r.label}, ${m.percentile}: ${formatHover(m.value)}${m.low !== null && m.high !== null ? ` [${formatHover(m.low)}, ${formatHover(m.high)}]` : ''}` })));
  const values = marks.flatMap((m) => [m.value, m.low ?? m.value, m.high ?? m.value]);
  const scale = { domain: domainOf(values, chart.log, 0), nice: false, ...(chart.log ? { type: 'log' } : { zero: false }) };
  const x = { field: 'value', type: 'quantitative', title: chart.axisTitle, scale } as const;
  const spans = panel.rows.filter((r) => r.marks.length > 1).map((r) => ({ label: r.label, value: Math.min(...r.marks.map((m) => m.value)), high: Math.max(...r.marks.map((m) => m.value)) }));
  const color = { field: 'platform', type: 'nominal', legend: null, scale: { domain, range: domain.map((p) => platformStyle(p, order).color) } };
  const shape = { field: 'percentile', type: 'nominal', scale: { domain: chart.percentiles, range: PERCENTILE_SHAPES.slice(0, chart.percentiles.length) }, legend: { title: null, orient: 'top', direction: 'horizontal' } };
  const layer: object[] = [];
  if (spans.length) layer.push({ data: { values: spans }, mark: { type: 'rule', color: '#b0b0b0', strokeWidth: 3 }, encoding: { y, x, x2: { field: 'high' } } });
  const withInterval = marks.filter((m) => m.low !== null && m.high !== null);
  if (withInterval.length) {
    layer.push({ data: { values: withInterval }, mark: { type: 'errorbar', ticks: { size: 8 }, thickness: 1.2, color: '#222222' }, encoding: { y, x: { field: 'low', type: 'quantitative', title: chart.axisTitle, scale }, x2: { field: 'high' } } });
  }
  const solid = marks.filter((m) => !m.emulated);
  const open = marks.filter((m) => m.emulated);
  if (solid.length) layer.push({ data: { values: solid }, mark: { type: 'point', filled: true, size: 90, stroke: '#000000', strokeWidth: 0.8, opacity: 1, aria: true }, encoding: { y, x, color, shape, description: { field: 'hover' } } });
  if (open.length) layer.push({ data: { values: open }, mark: { type: 'point', filled: false, size: 90, strokeWidth: 2, opacity: 1, aria: true }, encoding: { y, x, color, shape, description: { field: 'hover' } } });
  return { ...(panel.title ? { title: panel.title } : {}), width: WIDTH, height: { step: ROW }, layer };
}

function percentileSpec(chart: PercentileChartView, platformOrder: string[]): TopLevelSpec {
  const domain = [...new Set(chart.panels.flatMap((p) => p.rows.map((r) => r.platform)))];
  const labelWidth = labelColumn(chart.panels.flatMap((p) => p.rows.map((r) => r.label)));
  const panels = chart.panels.map((p, i) => percentilePanel(chart, p, domain, platformOrder, i === 0));
  if (panels.length === 1) return topLevel(chart.alt, panels[0] as Record<string, unknown>, labelWidth);
  return topLevel(chart.alt, { vconcat: panels, resolve: { scale: { x: 'independent', color: 'shared', shape: 'shared' } } }, labelWidth);
}

const SWEEP_HEIGHT = 190;

/** One line per platform over the swept values, each point's 95 % interval as a bar, the peak ringed; a legend names the lines. */
function sweepPanel(chart: SweepChartView, panel: SweepPanel, order: string[]): object {
  const allAts = [...new Set(panel.lines.flatMap((l) => l.points.map((q) => q.at)))].sort((a, b) => a - b);
  const span = (allAts[allAts.length - 1] - allAts[0]) || 1;
  const gaps = allAts.slice(1).map((a, i) => a - allAts[i]);
  // platforms side by side around each swept value (dodged), so that their intervals never overlap: together at most 60 % of the
  // closest two values' gap and 10 % of the axis
  const spread = panel.lines.length > 1 ? Math.min(0.6 * (gaps.length ? Math.min(...gaps) : span), 0.1 * span) : 0;
  const offset = (i: number) => (panel.lines.length > 1 ? (i / (panel.lines.length - 1) - 0.5) * spread : 0);
  const rows = panel.lines.flatMap((l, i) => l.points.map((q) => ({ label: l.label, at: q.at, x: q.at + offset(i), value: q.value, low: q.low, high: q.high, hover: q.hover })));
  const labels = panel.lines.map((l) => l.label);
  const ats = allAts;
  const xScale = { domain: [ats[0] - span * 0.05 - spread / 2, ats[ats.length - 1] + span * 0.05 + spread / 2], nice: false, zero: false };
  const x = { field: 'x', type: 'quantitative', title: chart.xTitle, scale: xScale, axis: { values: ats, tickCount: ats.length, format: 'd', labelOverlap: false } } as const;
  const yValues = rows.flatMap((r) => [r.value, r.low ?? r.value, r.high ?? r.value]);
  // from 0 (throughput against threads reads as a share of the peak); below 0 only where an interval reaches there
  const [, top] = domainOf(yValues, false, 0);
  const yScale = { domain: chart.yFromZero ? [0, top] : domainOf(yValues, false, 0), nice: false, zero: chart.yFromZero };
  const y = { field: 'value', type: 'quantitative', title: chart.yTitle, scale: yScale } as const;
  const style = panel.lines.map((l) => platformStyle(l.platform, order));
  // one legend for colour and shape (the same field and legend properties, so Vega-Lite merges them)
  const legend = { title: null, orient: 'bottom', direction: 'horizontal', columns: 3 };
  const color = { field: 'label', type: 'nominal', sort: labels, scale: { domain: labels, range: style.map((s) => s.color) }, legend };
  const shape = { field: 'label', type: 'nominal', sort: labels, scale: { domain: labels, range: style.map((s) => s.shape) }, legend };
  const layer: object[] = [
    { data: { values: rows }, mark: { type: 'line', strokeWidth: 1.6, ...(panel.emulated ? { strokeDash: [4, 3] } : {}) }, encoding: { x, y, color, detail: { field: 'label' } } },
  ];
  const withInterval = rows.filter((r) => r.low !== null && r.high !== null);
  if (withInterval.length) {
    layer.push({ data: { values: withInterval }, mark: { type: 'errorbar', ticks: { size: 5 }, thickness: 1.3 }, encoding: { x, y: { field: 'low', type: 'quantitative', title: chart.yTitle, scale: yScale }, y2: { field: 'high' }, color } });
  }
  const peaks = rows.filter((r) => panel.lines.some((l) => l.label === r.label && l.peak === r.at)).map((r) => ({ label: r.label, at: r.at, x: r.x, value: r.value }));
  if (peaks.length) layer.push({ data: { values: peaks }, mark: { type: 'point', shape: 'circle', filled: false, size: 420, stroke: '#000000', strokeWidth: 1.2, opacity: 1 }, encoding: { x, y } });
  layer.push({
    data: { values: rows },
    mark: { type: 'point', filled: !panel.emulated, size: 70, ...(panel.emulated ? { strokeWidth: 2 } : { stroke: '#000000', strokeWidth: 0.6 }), opacity: 1, aria: true },
    encoding: { x, y, color, shape, description: { field: 'hover' } },
  });
  return { ...(panel.title ? { title: panel.title } : {}), width: WIDTH, height: SWEEP_HEIGHT, layer };
}

function sweepSpec(chart: SweepChartView, platformOrder: string[]): TopLevelSpec {
  const panels = chart.panels.map((p) => sweepPanel(chart, p, platformOrder));
  if (panels.length === 1) return topLevel(chart.alt, panels[0] as Record<string, unknown>, 56);
  return topLevel(chart.alt, { vconcat: panels, resolve: { scale: { x: 'independent', y: 'independent', color: 'independent', shape: 'independent' } } }, 56);
}

function formatHover(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const magnitude = x === 0 ? 0 : Math.floor(Math.log10(Math.abs(x)));
  return x.toFixed(Math.min(6, Math.max(0, 3 - magnitude)));
}

/** Each point's aria-label (its hover text, escaped by vega) becomes an SVG <title>, which browsers show on hover. */
export function withHoverTitles(svg: string): string {
  return svg.replace(/<path aria-label="([^"]*)"([^>]*?)\/>/g, '<path aria-label="$1"$2><title>$1</title></path>');
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
    return withHoverTitles(await view.toSVG());
  } finally {
    view.finalize();
  }
}

/** `drawn`: charts already rendered (the HTML's, when the PDF's view is drawn): a chart of the same spec reuses its SVG */
export async function renderCharts(charts: ChartView[], platformOrder: string[], drawn: RenderedChart[] = []): Promise<RenderedChart[]> {
  const known = new Map(drawn.map((c) => [JSON.stringify(c.spec), c.svg]));
  const out: RenderedChart[] = [];
  for (const chart of charts) {
    const spec = chartSpec(chart, platformOrder);
    out.push({ name: chart.name, spec, svg: known.get(JSON.stringify(spec)) ?? await renderSvg(spec) });
  }
  return out;
}
