// The figures of a workload (ratio, value, strip, percentiles, sweep), of an added cost, and of an area's claims, as chart views.
import { settingsWords } from '../claims/words.ts';
import type { ClaimVerdict, MetricSummary } from '../types.ts';
import { chartedMetrics, isCount, metricName, reportOf } from './areas.ts';
import * as caption from './captions.ts';
import { boundsText } from './claims-view.ts';
import { NATIVE, unique, type ReportContext } from './context.ts';
import type { EvidenceRecord } from './callouts.ts';
import { formatEstimate, shorten, slug } from './format.ts';
import { domainOf, panelValues } from './dot-domain.ts';
import { sweepPeaks } from './sweep-peak.ts';
import type { ChartPoint, ChartSource, ChartView, DotChartView, DotPanel, PercentileChartView, StripChartView, SweepChartView, SweepLine } from './view-types.ts';

/** A figure stacks panels; beyond this many rows (metrics × platforms) it is split, so that a figure fits a page. */
const MAX_CHART_ROWS = 30;

export interface FigureInput {
  ctx: ReportContext;
  workload: string;
  job: string;
  title: string;
  base: string;
  mine: MetricSummary[];
  /** "runc no value (2 failures); …" */
  missing: string;
}

/**
 * A job's figures: distributions, percentiles and absolute values. The ratio figure is the workload's, over all its jobs
 * (`ratioFigures` with an input whose `mine` holds every job), so `ratio` says whether this input should draw it.
 */
export function workloadFigures(f: FigureInput, draw: { ratio: boolean; rest: boolean } = { ratio: true, rest: true }): ChartView[] {
  const { workload, mine } = f;
  const decl = reportOf(workload);
  const metrics = unique(mine.map((s) => s.metric));
  const charted = chartedMetrics(workload, metrics);
  const out: ChartView[] = [];
  const hasNative = mine.some((s) => s.platform === NATIVE);
  const ratioMetrics = decl.charts.includes('ratio') && hasNative ? charted.filter((m) => !isCount(workload, m)) : [];
  if (draw.ratio) out.push(...ratioFigures(f, ratioMetrics));
  if (!draw.rest) return out;
  if (decl.charts.includes('strip') && charted.length) out.push(stripFigure(f, charted));
  if (decl.charts.includes('percentiles')) {
    const chart = percentileFigure(f);
    if (chart) out.push(chart);
  }
  // absolute values: counts, and every metric no other figure draws (no native to divide by)
  const distributions = new Set([...(decl.charts.includes('strip') ? charted : []), ...(decl.charts.includes('percentiles') ? (decl.percentiles ?? []).map((p) => p.metric) : [])]);
  for (const m of charted) if (isCount(workload, m) || (!ratioMetrics.includes(m) && !distributions.has(m))) out.push(valueFigure(f, m));
  return out;
}

function hoverOf(label: string, metric: string, text: string, n: number): string {
  return `${label}, ${metric}: ${text}, n = ${n}`;
}

function emulatedOnly(f: FigureInput, rows: MetricSummary[]): { hardware: MetricSummary[]; emulated: MetricSummary[] } {
  return { hardware: rows.filter((s) => !f.ctx.names.emulated(s.platform)), emulated: rows.filter((s) => f.ctx.names.emulated(s.platform)) };
}

function sourcesOf(rows: MetricSummary[], f: FigureInput): ChartSource[] {
  return rows.map((s) => ({
    platform: s.platform, ...(s.host ? { host: s.host } : {}), label: f.ctx.names.of(s), cell: s.cell, workload: s.workload, job: s.job,
    metric: s.metric, unit: s.unit, instances: [...s.instances], values: [...s.instanceMeans],
  }));
}

/** values that span more than a factor of 8 (all positive) read on a log axis: a linear one squeezes the small ones against 0 */
function wideSpread(values: number[]): boolean {
  return values.length > 0 && values.every((v) => v > 0) && Math.max(...values) / Math.min(...values) > 8;
}

/** the values a ratio point draws: the estimate and its interval */
const pointValues = (points: ChartPoint[]): number[] => points.flatMap((q) => [q.value, q.low ?? q.value, q.high ?? q.value]);

function betterText(s: MetricSummary): string {
  return `${s.better} is better`;
}

function ratioFigures(f: FigureInput, metrics: string[]): DotChartView[] {
  const { ctx, mine, workload } = f;
  // a panel per job and metric: one figure for the workload, on one scale
  const jobs = unique(mine.map((s) => s.job));
  const keys = jobs.flatMap((job) => metrics.map((metric) => ({ job, metric })));
  const panels = keys
    .map(({ job, metric }) => ({ job, metric, ...emulatedOnly(f, mine.filter((s) => s.job === job && s.metric === metric && s.platform !== NATIVE && s.ratioToNative && s.ratioToNative.method !== 'native baseline')) }))
    .filter((p) => p.hardware.length + p.emulated.length > 0);
  const chunks: (typeof panels)[] = [];
  // a row per point and one per panel title; the shared axis is drawn once
  const height = (ps: typeof panels) => ps.reduce((n, q) => n + q.hardware.length + q.emulated.length + 1, 2);
  for (const p of panels) {
    const last = chunks[chunks.length - 1];
    if (last && height([...last, p]) <= MAX_CHART_ROWS) last.push(p);
    else chunks.push([p]);
  }
  const point = (s: MetricSummary, label: string): ChartPoint => {
    const r = s.ratioToNative!;
    const text = formatEstimate(r.value, r.ci);
    return {
      platform: s.platform, label, emulated: ctx.names.emulated(s.platform), value: r.value, low: r.ci?.low ?? null, high: r.ci?.high ?? null,
      n: s.n, instanceMeans: [], valueText: text.replace(/ \[.*$/, ''), hover: hoverOf(label, `ratio to native of ${jobs.length > 1 ? `${s.job}: ` : ''}${metricName(workload, s.metric)}`, text, s.n),
    };
  };
  const panelName = (job: string, metric: string) => `${jobs.length > 1 ? `${job}: ` : ''}${metricName(workload, metric)}`;
  return chunks.map((chunk, k) => {
    const num = ctx.number.figure();
    const name = `${f.base}-ratio${chunks.length > 1 ? `-${k + 1}` : ''}`;
    const several = chunk.length > 1 || keys.length > 1;
    const dot: Omit<DotPanel, 'title' | 'points' | 'emulated'> = { axisTitle: '', reference: { value: 1, label: 'native = 1' }, band: null, paper: null, log: false };
    const hardwarePanels = chunk.filter((p) => p.hardware.length > 0).map((p) => ({ ...p, points: p.hardware.map((s) => point(s, ctx.names.of(s))) }));
    // the panels share one axis: a log one when their ratios span more than a factor of 8
    const log = wideSpread(hardwarePanels.flatMap((p) => pointValues(p.points)));
    const axisWords = (better: string | null) => { const words = [...(log ? ['log scale'] : []), ...(better ? [better] : [])]; return `ratio to native${words.length ? ` (${words.join(', ')})` : ''}`; };
    const out: DotPanel[] = hardwarePanels.map(({ job, metric, hardware, points }) => ({
      ...dot,
      title: several ? `${panelName(job, metric)} (${betterText(hardware[0])})` : null,
      axisTitle: axisWords(several ? null : betterText(hardware[0])),
      emulated: false,
      log,
      points,
    }));
    const emulatedRows = chunk.flatMap((p) => p.emulated);
    if (emulatedRows.length) {
      const points = emulatedRows.map((s) => point(s, several ? `${ctx.names.of(s)} · ${panelName(s.job, s.metric)}` : ctx.names.of(s)));
      const own = wideSpread(pointValues(points));
      out.push({
        ...dot,
        title: 'Software emulation, on its own axis (not comparable with hardware-assisted platforms)',
        axisTitle: own ? 'ratio to native (log scale)' : 'ratio to native',
        emulated: true,
        log: own,
        points,
      });
    }
    const drawn = chunk.flatMap((p) => [...p.hardware, ...p.emulated]);
    const nativeRows = chunk.flatMap((p) => mine.filter((s) => s.platform === NATIVE && s.job === p.job && s.metric === p.metric));
    const names = unique(chunk.map((p) => `${metricName(workload, p.metric)}, ${betterText(mine.find((s) => s.metric === p.metric)!)}`));
    const over = jobs.length > 1 ? `, jobs ${unique(chunk.map((p) => p.job)).join(', ')}` : '';
    return {
      kind: 'ratio',
      name,
      number: num,
      id: `figure-${num}-${name}`,
      caption: caption.ratioCaption({ title: `${f.title}${over}`, ns: drawn.map((s) => s.n), missing: f.missing, emulated: emulatedRows.length > 0, part: { k: k + 1, of: chunks.length } }, names, axisStart(out), hardwarePanels.length > 0),
      alt: caption.ratioAlt(f.title, drawn.map((s) => ({ label: ctx.names.of(s), metric: panelName(s.job, s.metric), value: s.ratioToNative!.value, low: s.ratioToNative!.ci?.low ?? null, high: s.ratioToNative!.ci?.high ?? null }))),
      panels: out,
      sources: sourcesOf([...nativeRows, ...drawn], f),
    };
  });
}

function valueFigure(f: FigureInput, metric: string): DotChartView {
  const { ctx, workload } = f;
  const rows = f.mine.filter((s) => s.metric === metric);
  const num = ctx.number.figure();
  const name = `${f.base}-${slug(metric)}`;
  // several hosts: each has its own native, so there is no single native line
  const native = new Set(rows.map((s) => s.host)).size > 1 ? undefined : rows.find((s) => s.platform === NATIVE);
  const human = metricName(workload, metric);
  const unit = rows[0].unit;
  const point = (s: MetricSummary): ChartPoint => {
    const text = formatEstimate(s.mean, s.ci);
    return {
      platform: s.platform, label: ctx.names.of(s), emulated: ctx.names.emulated(s.platform), value: s.mean, low: s.ci?.low ?? null, high: s.ci?.high ?? null,
      n: s.n, instanceMeans: [...s.instanceMeans], valueText: text.replace(/ \[.*$/, ''), hover: hoverOf(ctx.names.of(s), human, `${text} ${unit}`, s.n),
    };
  };
  const { hardware, emulated } = emulatedOnly(f, rows);
  const axisTitle = `${human} (${unit}, ${betterText(rows[0])})`;
  const panels: DotPanel[] = [];
  if (hardware.length) panels.push({ title: emulated.length ? 'Hardware-assisted and native' : null, axisTitle, reference: native ? { value: native.mean, label: 'native' } : null, band: null, paper: null, emulated: false, log: false, points: hardware.map(point) });
  if (emulated.length) panels.push({ title: 'Software emulation, on its own axis', axisTitle, reference: null, band: null, paper: null, emulated: true, log: false, points: emulated.map(point) });
  const parts = { title: f.title, ns: rows.map((s) => s.n), missing: f.missing, emulated: emulated.length > 0 };
  return {
    kind: 'value',
    name,
    number: num,
    id: `figure-${num}-${name}`,
    caption: isCount(workload, metric) ? caption.countCaption(parts, human, unit, Boolean(native)) : caption.valueCaption(parts, human, unit, rows[0].better, Boolean(native), axisStart(panels)),
    alt: caption.valueAlt(f.title, human, unit, rows.map((s) => ({ label: ctx.names.of(s), value: s.mean, low: s.ci?.low ?? null, high: s.ci?.high ?? null, n: s.n }))),
    panels,
    sources: sourcesOf(rows, f),
  };
}

/** The workload's strip figure over its charted metrics: two metrics of the same platforms side by side, else stacked. */
function stripFigure(f: FigureInput, metrics: string[]): StripChartView {
  const { ctx, workload } = f;
  const num = ctx.number.figure();
  const name = `${f.base}-instances`;
  const stripRow = (s: MetricSummary) => ({ platform: s.platform, label: ctx.names.of(s), emulated: ctx.names.emulated(s.platform), values: [...s.instanceMeans], instances: [...s.instances], mean: s.mean, n: s.n });
  const per = metrics.map((metric) => {
    const rows = f.mine.filter((s) => s.metric === metric);
    const values = rows.flatMap((s) => s.instanceMeans);
    const log = Boolean(reportOf(workload).logAxis) && values.length > 0 && values.every((v) => v > 0);
    const human = metricName(workload, metric);
    return { metric, rows, log, human, unit: rows[0].unit, axisTitle: `${human} (${rows[0].unit}${log ? ', log scale' : ''}, ${betterText(rows[0])})`, ...emulatedOnly(f, rows) };
  });
  const anyEmulated = per.some((m) => m.emulated.length > 0);
  // the right column is drawn without row labels: only when its rows are the left's, label for label
  const labelsOf = (m: (typeof per)[number]) => JSON.stringify([m.hardware, m.emulated].map((rs) => rs.map((s) => ctx.names.of(s))));
  const columns = per.length === 2 && labelsOf(per[0]) === labelsOf(per[1]) ? 2 : 1;
  // stacked panels of several metrics say which metric they draw
  const titled = (m: (typeof per)[number], what: string | null) => (columns === 1 && per.length > 1 ? `${m.human}${what ? `: ${what.toLowerCase()}` : ''}` : what);
  const panelsOf = (m: (typeof per)[number]) => [
    ...(m.hardware.length ? [{ title: titled(m, anyEmulated ? 'Hardware-assisted and native' : null), emulated: false, metric: m.metric, axisTitle: m.axisTitle, log: m.log, rows: m.hardware.map(stripRow) }] : []),
    ...(m.emulated.length ? [{ title: titled(m, 'Software emulation, on its own axis'), emulated: true, metric: m.metric, axisTitle: m.axisTitle, log: m.log, rows: m.emulated.map(stripRow) }] : []),
  ];
  // side by side: the hardware row, then the emulated row; stacked: each metric's panels in turn
  const panels = columns === 2 ? [false, true].flatMap((em) => per.flatMap(panelsOf).filter((p) => p.emulated === em)) : per.flatMap(panelsOf);
  const rows = per.flatMap((m) => m.rows);
  const humans = per.map((m) => m.human);
  const named = columns === 2 ? `${humans[0]} (left) and ${humans[1]} (right)` : humans.length > 1 ? `${humans.slice(0, -1).join(', ')} and ${humans[humans.length - 1]} (each in its own panels)` : humans[0];
  const units = unique(per.map((m) => m.unit));
  const nsOf = (m: (typeof per)[number]) => m.rows.map((s) => s.n);
  const sameN = per.every((m) => caption.nText(nsOf(m)) === caption.nText(nsOf(per[0])));
  const nWords = sameN ? undefined : per.map((m, i) => `${caption.nText(nsOf(m))} ${columns === 2 ? ['on the left', 'on the right'][i] : `for ${m.human}`}`).join('; ');
  return {
    kind: 'strip',
    name,
    number: num,
    id: `figure-${num}-${name}`,
    caption: caption.stripCaption({ title: f.title, ns: nsOf(per[0]), missing: f.missing, emulated: anyEmulated, ...(nWords ? { nWords } : {}) }, named, units.length === 1 ? units[0] : '', per.every((m) => m.log)),
    alt: per.map((m) => caption.stripAlt(f.title, m.human, m.unit, m.rows.map((s) => ({ label: ctx.names.of(s), n: s.n, median: s.median, min: Math.min(...s.instanceMeans), max: Math.max(...s.instanceMeans) })))).join(' '),
    columns,
    panels,
    sources: sourcesOf(rows, f),
  };
}

function percentileFigure(f: FigureInput): PercentileChartView | null {
  const { ctx, mine } = f;
  const ladder = reportOf(f.workload).percentiles ?? [];
  const present = ladder.filter((p) => mine.some((s) => s.metric === p.metric));
  if (present.length === 0) return null;
  const used = mine.filter((s) => present.some((p) => p.metric === s.metric));
  // one line per platform (and host, in a merged run)
  const keys = unique(used.map((s) => `${s.platform}\u0000${s.host ?? ''}`));
  const rows = keys.map((key) => {
    const [platform, host] = key.split('\u0000');
    const same = (x: MetricSummary) => x.platform === platform && (x.host ?? '') === host;
    return {
      platform,
      label: ctx.names.label(platform, host || undefined),
      emulated: ctx.names.emulated(platform),
      marks: present.flatMap((p) => {
        const s = used.find((x) => same(x) && x.metric === p.metric);
        return s ? [{ percentile: p.label, value: s.mean, low: s.ci?.low ?? null, high: s.ci?.high ?? null }] : [];
      }),
    };
  });
  const values = rows.flatMap((r) => r.marks.map((m) => m.value));
  const log = wideSpread(values);
  const num = ctx.number.figure();
  const name = `${f.base}-percentiles`;
  const unit = used[0].unit;
  const hardware = rows.filter((r) => !r.emulated);
  const emulated = rows.filter((r) => r.emulated);
  return {
    kind: 'percentiles',
    name,
    number: num,
    id: `figure-${num}-${name}`,
    caption: caption.percentileCaption({ title: f.title, ns: used.map((s) => s.n), missing: f.missing, emulated: emulated.length > 0 }, present.map((p) => p.label), unit, log),
    alt: caption.percentileAlt(f.title, unit, rows),
    axisTitle: `round-trip latency (${unit}, lower is better${log ? ', log scale' : ''})`,
    log,
    percentiles: present.map((p) => p.label),
    panels: [
      ...(hardware.length ? [{ title: emulated.length ? 'Hardware-assisted and native' : null, emulated: false, rows: hardware }] : []),
      ...(emulated.length ? [{ title: 'Software emulation, on its own axis', emulated: true, rows: emulated }] : []),
    ],
    sources: sourcesOf(used, f),
  };
}

/** An added cost (platform − reference) with its interval, from a callout's difference evidence; the paper's value marked. */
export function differenceFigure(f: FigureInput, what: string, records: EvidenceRecord[], paper: { value: number; label: string } | null): DotChartView | null {
  const measured = records.filter((r) => r.difference !== undefined && r.difference !== null);
  if (measured.length === 0) return null;
  const { ctx } = f;
  const num = ctx.number.figure();
  const name = `${f.base}-added-time`;
  const unit = measured[0].unit ?? '';
  const points: ChartPoint[] = measured.map((r) => {
    const label = `${r.label} (${r.platform} − ${r.reference})`;
    const text = `${r.difference! >= 0 ? '+' : ''}${formatEstimate(r.difference!, r.interval)}`;
    return {
      platform: r.platform!, label, emulated: false, value: r.difference!, low: r.interval?.low ?? null, high: r.interval?.high ?? null,
      n: Math.min(r.platformStats!.n, r.referenceStats!.n), instanceMeans: [], valueText: `${text.replace(/ \[.*$/, '')} ${unit}`, hover: `${label}: ${text} ${unit}, n = ${r.platformStats!.n} and ${r.referenceStats!.n}`,
    };
  });
  const rows = f.mine.filter((s) => measured.some((r) => r.metric === s.metric && (s.platform === r.platform || s.platform === r.reference)));
  return {
    kind: 'difference',
    name,
    number: num,
    id: `figure-${num}-${name}`,
    caption: caption.differenceCaption({ title: f.title, ns: measured.flatMap((r) => [r.platformStats!.n, r.referenceStats!.n]), missing: '', emulated: false }, what, unit,
      paper ? `Dotted line: the paper's value, ${paper.label.replace(/^paper: /, '')}, measured on its own host (shown, never compared).` : ''),
    alt: caption.differenceAlt(points.map((p) => ({ label: p.label, value: p.value, low: p.low, high: p.high, unit }))),
    panels: [{ title: null, axisTitle: `added time (${unit})`, reference: { value: 0, label: 'no added time' }, band: null, paper, emulated: false, log: false, points }],
    sources: sourcesOf(rows, f),
  };
}

/**
 * A swept workload's metric against its swept parameter (declared: charts 'sweep' and `sweepPeak`), over all its cells:
 * one line per platform (and host), each point the mean with its 95 % confidence interval, each platform's peak ringed.
 */
export function sweepFigure(ctx: ReportContext, workload: string): SweepChartView | null {
  const decl = reportOf(workload);
  if (!decl.charts.includes('sweep') || !decl.sweepPeak) return null;
  const { metric, param } = decl.sweepPeak;
  const rows = ctx.summaries.filter((s) => s.workload === workload && s.metric === metric && typeof s.params?.[param] === 'number');
  if (rows.length === 0) return null;
  const human = metricName(workload, metric);
  const unit = rows[0].unit;
  const peaks = sweepPeaks(rows, workload, metric, param);
  // one line per platform and host, in the report's platform order, its cells by swept value
  const lineOf = (s: MetricSummary) => `${s.platform}\u0000${s.host ?? ''}`;
  const byLine = unique(rows.map(lineOf)).map((key) => rows.filter((s) => lineOf(s) === key).sort((a, b) => (a.params[param] as number) - (b.params[param] as number)));
  const lines: SweepLine[] = byLine.map((mine) => {
    const { platform } = mine[0];
    const host = mine[0].host ?? '';
    const label = ctx.names.label(platform, host || undefined);
    const peak = peaks.find((p) => p.platform === platform && (p.host ?? '') === host);
    return {
      platform, label, emulated: ctx.names.emulated(platform),
      points: mine.map((s) => {
        const text = formatEstimate(s.mean, s.ci);
        return { at: s.params[param] as number, value: s.mean, low: s.ci?.low ?? null, high: s.ci?.high ?? null, n: s.n, hover: hoverOf(`${label}, ${param} ${s.params[param]}`, human, `${text} ${unit}`, s.n) };
      }),
      peak: peak && peak.points > 1 ? peak.at : null,
    };
  });
  const hardware = lines.filter((l) => !l.emulated);
  const emulated = lines.filter((l) => l.emulated);
  const panels = [
    ...(hardware.length ? [{ title: emulated.length ? 'Hardware-assisted and native' : null, emulated: false, lines: hardware }] : []),
    ...(emulated.length ? [{ title: 'Software emulation, on its own axis', emulated: true, lines: emulated }] : []),
  ];
  const num = ctx.number.figure();
  const name = `${slug(`${workload}-${metric}`)}-by-${slug(param)}`;
  const title = workload;
  const yFromZero = rows.every((s) => s.mean >= 0 && (s.ci?.low ?? s.mean) >= 0);
  return {
    kind: 'sweep',
    yFromZero,
    name,
    number: num,
    id: `figure-${num}-${name}`,
    caption: caption.sweepCaption({ title, ns: rows.map((s) => s.n), missing: '', emulated: emulated.length > 0 }, human, unit, rows[0].better, param, yFromZero, lines.length),
    alt: caption.sweepAlt(title, unit, param, lines.map((l) => ({ label: l.label, peak: l.peak, points: l.points }))),
    xTitle: param,
    yTitle: `${human} (${unit}, ${betterText(rows[0])})`,
    panels,
    sources: byLine.flat().map((s) => ({
      platform: s.platform, ...(s.host ? { host: s.host } : {}), label: ctx.names.of(s), cell: s.cell, workload: s.workload, job: s.job,
      metric: s.metric, unit: s.unit, instances: [...s.instances], values: [...s.instanceMeans],
    })),
  };
}

/** One figure per area: each tested claim a panel of the ratios it was tested on, with the band it needs shaded. */
export function claimFigures(ctx: ReportContext, areaId: string, areaTitle: string, verdicts: ClaimVerdict[]): DotChartView[] {
  // one panel per claim and band: a relation's conditions may need different bands (mysql-gvisor: <= 1, >= 0.95, [0.9, 1.1])
  const tested = verdicts.flatMap((v) => {
    const bounded = v.comparisons.filter((c) => c.ratio !== null && (c.bounds.low !== undefined || c.bounds.high !== undefined));
    const bands = [...new Set(bounded.map((c) => boundsText(c.bounds)))];
    return bands.map((band) => ({ v, comparisons: bounded.filter((c) => boundsText(c.bounds) === band), part: bands.length > 1 ? bounded.find((c) => boundsText(c.bounds) === band)!.condition : '' }));
  });
  if (tested.length === 0) return [];
  const chunks: (typeof tested)[] = [];
  for (const t of tested) {
    const last = chunks[chunks.length - 1];
    const rows = (ts: typeof tested) => ts.reduce((n, x) => n + x.comparisons.length + 1, 2);
    if (last && rows([...last, t]) <= MAX_CHART_ROWS) last.push(t);
    else chunks.push([t]);
  }
  return chunks.map((chunk, k) => {
    const num = ctx.number.figure();
    const name = `claims-${slug(areaId)}${chunks.length > 1 ? `-${k + 1}` : ''}`;
    const panels: DotPanel[] = chunk.map(({ v, comparisons, part }) => {
      const b = comparisons[0].bounds;
      const varying = unique(comparisons.flatMap((c) => Object.keys(c.params ?? {})))
        .filter((k) => comparisons.every((c) => c.params && k in c.params) && new Set(comparisons.map((c) => String(c.params![k]))).size > 1);
      return {
        title: `${v.id}: ${v.verdict}${part ? ` · ${shorten(part, 48)}` : ''}`,
        axisTitle: 'ratio, platform / reference',
        reference: { value: 1, label: '1' },
        band: { low: b.low ?? null, high: b.high ?? null, label: `needs ${boundsText(b)}` },
        paper: null,
        emulated: false,
        log: false,
        points: comparisons.map((c) => {
          // a swept claim compares at each swept value: name the value, or the rows would share a label
          const swept = settingsWords(Object.fromEntries(varying.map((k) => [k, c.params?.[k]])));
          const label = `${c.platform}${swept ? ` at ${swept}` : ''} / ${c.reference} · ${shorten(metricName(c.workload, c.metric), 30)}${c.job === 'default' || swept ? '' : ` (${c.job})`}`;
          const text = formatEstimate(c.ratio!, c.interval);
          return {
            platform: c.platform, label, emulated: false, value: c.ratio!, low: c.interval?.low ?? null, high: c.interval?.high ?? null,
            n: Math.min(c.platformStats.n, c.referenceStats.n), instanceMeans: [], valueText: text.replace(/ \[.*$/, ''),
            hover: `${v.id}, ${label}: ${text}, n = ${c.platformStats.n} and ${c.referenceStats.n}; needs ${boundsText(c.bounds)}; ${c.holds}`,
          };
        }),
      };
    });
    const all = chunk.flatMap((x) => x.comparisons);
    // one axis for the claims' panels: a log one when the ratios span more than a factor of 8
    if (wideSpread(panels.flatMap((p) => pointValues(p.points)))) for (const p of panels) Object.assign(p, { log: true, axisTitle: 'ratio, platform / reference (log scale)' });
    const sources: ChartSource[] = [];
    for (const c of all) {
      for (const p of [c.platform, c.reference]) {
        const s = ctx.summaries.find((x) => x.platform === p && x.workload === c.workload && x.job === c.job && x.metric === c.metric);
        if (s && !sources.some((q) => q.cell === s.cell && q.metric === s.metric)) {
          sources.push({ platform: s.platform, label: ctx.names.of(s), cell: s.cell, workload: s.workload, job: s.job, metric: s.metric, unit: s.unit, instances: [...s.instances], values: [...s.instanceMeans] });
        }
      }
    }
    return {
      kind: 'claim',
      name,
      number: num,
      id: `figure-${num}-${name}`,
      caption: caption.claimCaption({ title: `${areaTitle}: the claims' tests`, ns: all.flatMap((c) => [c.platformStats.n, c.referenceStats.n]), missing: '', emulated: false, part: { k: k + 1, of: chunks.length } }, [...new Set(chunk.map((x) => x.v.id))], panels.some((p) => p.log)),
      alt: caption.claimAlt(all.map((c) => ({ claim: chunk.find((x) => x.comparisons.includes(c))!.v.id, label: `${c.platform} / ${c.reference} ${c.metric}`, value: c.ratio!, low: c.interval?.low ?? null, high: c.interval?.high ?? null, band: boundsText(c.bounds) }))),
      panels,
      sources,
    };
  });
}

/** whether the figure's shared axis (as charts.ts draws it) starts above 0: a caption never says so when it does not */
function axisStart(panels: DotPanel[]): caption.AxisStart {
  // the hardware panels' shared axis; a figure of software emulation alone has the emulated panel's own
  const drawn = panels.some((p) => !p.emulated) ? panels.filter((p) => !p.emulated) : panels;
  if (drawn.some((p) => p.log)) return 'log';
  return domainOf(drawn.flatMap(panelValues), false, 0.16)[0] > 0 ? 'above zero' : 'from zero';
}
