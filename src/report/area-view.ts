// One report section per area (CPU, memory, disk, network, startup, isolation, applications): charts, tables, callouts, claims.
import type { MetricSummary, PlatformRecord } from '../types.ts';
import { sweepPeakText, sweepPeaks } from './sweep-peak.ts';
import { AREAS, PERCENTILE_METRICS, SWEEP_PEAKS, areaOfWorkload, chartedMetrics, distributionOf, hapMethod, wantsValueChart, type AreaDef } from './areas.ts';
import { calloutView, EVIDENCE_METHOD, type CalloutView, type EvidenceRecord } from './callouts.ts';
import type { ClaimCard } from './claims-view.ts';
import { decimalsFor, formatFixed, formatInterval, formatNumber, slug } from './format.ts';
import { logKey, type ReportInputs } from './inputs.ts';
import type { Callout } from './sources.ts';
import {
  DASH, NATIVE, formatParams, unique,
  type ChartPoint, type ChartSource, type ChartView, type DotChartView, type DotPanel, type FigureBlock, type Labeller, type MetricTable,
  type Numbering, type PercentileChartView, type ResultRow, type SectionRef, type StripChartView, type WorkloadBlock,
} from './view-model.ts';

export interface AreaView {
  id: string;
  section: SectionRef;
  title: string;
  what: string;
  measured: boolean;
  /** which of the area's workloads ran, and which did not */
  status: string;
  blocks: WorkloadBlock[];
  /** callouts whose charts are not in this run: shown with "not measured here" */
  looseCallouts: CalloutView[];
  claims: ClaimCard[];
  claimsNote: string;
}

export interface AreaContext {
  inputs: ReportInputs;
  summaries: MetricSummary[];
  platformIds: string[];
  notRun: Map<string, string>;
  records: Map<string, PlatformRecord>;
  names: Labeller;
  number: Numbering;
  section: (id: string, title: string) => SectionRef;
  cards: ClaimCard[];
  callouts: Callout[];
}

/** A ratio chart stacks one panel per metric; beyond this many rows (metrics × platforms) it is split, so a figure fits one page. */
const MAX_CHART_ROWS = 22;

export function buildAreas(ctx: AreaContext): { areas: AreaView[]; charts: ChartView[]; evidence: EvidenceRecord[]; evidenceMethod: string } {
  const known = new Set(AREAS.flatMap((a) => a.workloads));
  const others = unique([...ctx.inputs.plan.cells.map((c) => c.workload), ...ctx.summaries.map((s) => s.workload)]).filter((w) => !known.has(w));
  const defs: AreaDef[] = [...AREAS];
  if (others.length) defs.push({ id: 'other' as AreaDef['id'], title: 'Other measurements', workloads: others, what: 'workloads that belong to none of the paper\'s areas.' });

  const evidenceCtx = { summaries: ctx.summaries, records: ctx.records, notRun: ctx.notRun };
  const evidence: EvidenceRecord[] = [];
  const charts: ChartView[] = [];
  const placed = new Set<string>();
  const areas: AreaView[] = defs.map((def) => {
    const section = ctx.section(`area-${def.id}`, def.title);
    const blocks: WorkloadBlock[] = [];
    for (const workload of def.workloads) {
      const jobs = unique(ctx.summaries.filter((s) => s.workload === workload).map((s) => s.job));
      for (const job of jobs) blocks.push(workloadBlock(workload, job, ctx));
    }
    // Each callout stands next to the first chart of the first anchor that has one.
    for (const block of blocks) {
      for (const c of ctx.callouts) {
        if (placed.has(c.id)) continue;
        if (!c.anchors.some((a) => a.workload === block.workload && (!a.job || a.job === block.job))) continue;
        const { view, records } = calloutView(c, evidenceCtx, block.workload);
        block.figures[0].callouts.push(view);
        evidence.push(...records);
        placed.add(c.id);
      }
    }
    charts.push(...blocks.flatMap((b) => b.figures.map((f) => f.chart)));
    const ran = def.workloads.filter((w) => ctx.summaries.some((s) => s.workload === w));
    const planned = def.workloads.filter((w) => !ran.includes(w) && ctx.inputs.plan.cells.some((c) => c.workload === w));
    const absent = def.workloads.filter((w) => !ran.includes(w) && !planned.includes(w));
    const status = [
      ran.length ? `Measured here: ${ran.join(', ')}.` : 'Not measured in this run.',
      planned.length ? `Planned but without any value: ${planned.join(', ')} (see “What was not run”).` : '',
      absent.length ? `Not in this experiment: ${absent.join(', ')}.` : '',
      ...SWEEP_PEAKS.filter((p) => def.workloads.includes(p.workload)).map((p) => sweepPeakText(sweepPeaks(ctx.summaries, p.workload, p.metric, p.param), p.param, `${p.workload} ${p.metric}`)),
    ].filter(Boolean).join(' ');
    const claims = ctx.cards.filter((c) => c.area === def.id);
    return {
      id: def.id,
      section,
      title: def.title,
      what: def.what,
      measured: blocks.length > 0,
      status,
      blocks,
      looseCallouts: [],
      claims,
      claimsNote: claims.length === 0 ? '' : blocks.length === 0 ? "Not measured in this run: each of the area's claims below is not run here." : '',
    };
  });
  // Callouts whose charts are not in this run stand, with "not measured here", in their first anchor's area.
  for (const c of ctx.callouts) {
    if (placed.has(c.id)) continue;
    const areaId = areaOfWorkload(c.anchors[0].workload)?.id;
    const area = areas.find((a) => a.id === areaId);
    if (!area) continue;
    const { view, records } = calloutView(c, evidenceCtx);
    area.looseCallouts.push(view);
    evidence.push(...records);
  }
  return { areas, charts, evidence, evidenceMethod: EVIDENCE_METHOD };
}

function workloadBlock(workload: string, job: string, ctx: AreaContext): WorkloadBlock {
  const mine = ctx.summaries.filter((s) => s.workload === workload && s.job === job);
  const metrics = unique(mine.map((s) => s.metric));
  const title = job === 'default' ? workload : `${workload} / ${job}`;
  const base = slug(`${workload}-${job}`);
  const planned = ctx.inputs.plan.cells.filter((c) => c.workload === workload && c.job === job).map((c) => c.platform);
  const rowPlatforms = ctx.platformIds.filter((id) => planned.includes(id) || mine.some((s) => s.platform === id));
  const failures = ctx.inputs.analysis.failures.filter((f) => f.workload === workload && f.job === job && f.status !== 'skipped');
  const missing = rowPlatforms.filter((id) => !mine.some((s) => s.platform === id)).map((id) => `${id} ${missingNote(id, failures.filter((f) => f.platform === id).length, ctx.notRun)}`);
  const figures: FigureBlock[] = [];
  const notes: string[] = [];
  const emulatedHere = unique(mine.filter((s) => ctx.names.emulated(s.platform)).map((s) => s.platform));
  const emulationNote = emulatedHere.length ? ` Open marks and “(software emulation)”: ${emulatedHere.join(', ')} ran without hardware virtualization; not comparable with hardware-assisted platforms, and never used for a claim.` : '';
  const missingNoteText = missing.length ? ` Not shown: ${missing.join('; ')}.` : '';
  const charted = chartedMetrics(workload, metrics);

  // Normalised to native: one panel per metric, split so that a figure fits one page. Emulated platforms get their own
  // panel on their own scale: a ratio of 0.27 beside ratios of 0.99 would flatten every difference that matters.
  const ratioPanels = charted
    .map((metric) => {
      const rows = mine.filter((s) => s.metric === metric && s.platform !== NATIVE && s.ratioToNative && s.ratioToNative.method !== 'native baseline');
      return { metric, hardware: rows.filter((s) => !ctx.names.emulated(s.platform)), emulated: rows.filter((s) => ctx.names.emulated(s.platform)) };
    })
    .filter((p) => p.hardware.length + p.emulated.length > 0);
  const chunks: (typeof ratioPanels)[] = [];
  const height = (ps: typeof ratioPanels) => ps.reduce((n, q) => n + q.hardware.length + q.emulated.length + 2, 0);
  for (const p of ratioPanels) {
    const last = chunks[chunks.length - 1];
    if (last && height([...last, p]) <= MAX_CHART_ROWS) last.push(p);
    else chunks.push([p]);
  }
  const ratioPoint = (s: MetricSummary, label: string): ChartPoint => ({
    platform: s.platform,
    label,
    emulated: ctx.names.emulated(s.platform),
    value: s.ratioToNative!.value,
    low: s.ratioToNative!.ci?.low ?? null,
    high: s.ratioToNative!.ci?.high ?? null,
    n: s.n,
    instanceMeans: [],
    valueText: formatRatio(s.ratioToNative!.value),
  });
  chunks.forEach((chunk, k) => {
    const num = ctx.number.figure();
    const name = `${base}-ratio${chunks.length > 1 ? `-${k + 1}` : ''}`;
    const several = chunk.length > 1 || charted.length > 1;
    const panels: DotPanel[] = chunk.filter((p) => p.hardware.length > 0).map(({ metric, hardware }) => ({
      title: several ? `${metric} (${hardware[0].better} is better)` : null,
      axisTitle: `ratio to native (${hardware[0].better} is better)`,
      reference: { value: 1, label: 'native = 1' },
      points: hardware.map((s) => ratioPoint(s, ctx.names.of(s))),
    }));
    const emulatedRows = chunk.flatMap((p) => p.emulated);
    if (emulatedRows.length) {
      panels.push({
        title: 'Software emulation, on its own scale (not comparable with hardware-assisted platforms)',
        axisTitle: 'ratio to native',
        reference: { value: 1, label: 'native = 1' },
        points: emulatedRows.map((s) => ratioPoint(s, several ? `${ctx.names.of(s)} · ${s.metric}` : ctx.names.of(s))),
      });
    }
    const drawn = chunk.flatMap((p) => [...p.hardware, ...p.emulated]);
    const nativeRows = chunk.flatMap((p) => mine.filter((s) => s.platform === NATIVE && s.metric === p.metric));
    const chart: DotChartView = {
      kind: 'ratio',
      name,
      number: num,
      id: `figure-${num}-${name}`,
      caption: `${title}${chunks.length > 1 ? ` (part ${k + 1} of ${chunks.length})` : ''}, normalised to native: each platform's mean divided by native's mean${several ? `, one panel per metric (${chunk.map((p) => p.metric).join(', ')})` : ` (${chunk[0].metric})`}; 1 = same as native. Bar: 95 % interval of the ratio (bootstrap); the axes do not start at 0.${missingNoteText}${emulationNote}`,
      alt: `Dot plot of the ratio to native for ${title}: ${chunk.map(({ metric }) => `${metric}: ${drawn.filter((s) => s.metric === metric).map((s) => `${ctx.names.of(s)} ${formatRatio(s.ratioToNative!.value)}${s.ratioToNative!.ci ? ` (interval ${formatRatio(s.ratioToNative!.ci.low)} to ${formatRatio(s.ratioToNative!.ci.high)})` : ' (no interval)'}`).join('; ')}`).join('. ')}. Reference line at 1, native.`,
      panels,
      sources: sourcesOf([...nativeRows, ...drawn], ctx.names),
    };
    figures.push({ chart, callouts: [] });
  });

  // Distributions where the spread is the finding.
  const distribution = distributionOf(workload);
  if (distribution === 'strip') {
    for (const metric of charted) figures.push({ chart: stripChart(title, base, metric, mine.filter((s) => s.metric === metric), ctx, missingNoteText, emulationNote), callouts: [] });
  }
  if (distribution === 'percentiles') {
    const chart = percentileChart(title, base, mine, ctx, missingNoteText, emulationNote);
    if (chart) figures.push({ chart, callouts: [] });
  }

  // Absolute values: where no ratio exists, or where the value itself is the finding (HAP).
  for (const metric of charted) {
    const rows = mine.filter((s) => s.metric === metric);
    const hasRatio = ratioPanels.some((p) => p.metric === metric);
    if (hasRatio && !wantsValueChart(workload)) continue;
    if (distribution) continue; // the distribution chart already shows the values
    figures.push({ chart: valueChart(title, base, metric, rows, ctx, missingNoteText, emulationNote), callouts: [] });
  }
  if (!mine.some((s) => s.platform === NATIVE)) notes.push('native has no value here, so no ratios to native are given.');
  if (emulatedHere.length) notes.push(`${emulatedHere.map((id) => ctx.names.label(id)).join(', ')}: software emulation (no hardware virtualization); the values measure the emulator and are not comparable with hardware-assisted platforms.`);
  if (workload === 'hap') notes.push(hapMethodNote(mine, ctx));

  // the charted metrics first, in the charts' order; then the rest, which only the tables show
  const tables = [...charted, ...metrics.filter((m) => !charted.includes(m))].map((metric) => metricTable(title, base, metric, mine.filter((s) => s.metric === metric), rowPlatforms, failures, ctx));
  const cell = ctx.inputs.plan.cells.find((c) => c.workload === workload && c.job === job);
  return { id: `block-${base}`, title, workload, job, params: cell ? formatParams(cell.params) : formatParams(mine[0]?.params ?? {}), figures, tables, notes };
}

/** Ratios with 3 decimals (the tables give 4), fewer when large: 0.998, 12.35, 103.4 */
export function formatRatio(x: number): string {
  return formatFixed(x, x >= 100 ? 1 : x >= 10 ? 2 : 3);
}

function missingNote(id: string, failed: number, notRun: Map<string, string>): string {
  if (notRun.has(id)) return 'not run';
  if (failed) return `no value (${failed} failure${failed === 1 ? '' : 's'})`;
  return 'no value recorded';
}

function sourcesOf(rows: MetricSummary[], names: Labeller): ChartSource[] {
  return rows.map((s) => ({ platform: s.platform, ...(s.host ? { host: s.host } : {}), label: names.of(s), cell: s.cell, metric: s.metric, instances: instancesOf(s) }));
}

function instancesOf(s: MetricSummary): number[] {
  return [...s.instances];
}

function unitText(s: MetricSummary): string {
  return `${s.unit}, ${s.better} is better`;
}

function valueChart(title: string, base: string, metric: string, rows: MetricSummary[], ctx: AreaContext, missingNoteText: string, emulationNote: string): DotChartView {
  const num = ctx.number.figure();
  const name = `${base}-${slug(metric)}`;
  // several hosts: each has its own native, so there is no single native line
  const native = new Set(rows.map((s) => s.host)).size > 1 ? undefined : rows.find((s) => s.platform === NATIVE);
  const decimals = decimalsFor(native?.mean ?? rows[0].mean, 5);
  const points: ChartPoint[] = rows.map((s) => ({
    platform: s.platform,
    label: ctx.names.of(s),
    emulated: ctx.names.emulated(s.platform),
    value: s.mean,
    low: s.ci?.low ?? null,
    high: s.ci?.high ?? null,
    n: s.n,
    instanceMeans: [...s.instanceMeans],
    valueText: formatFixed(s.mean, decimals),
  }));
  return {
    kind: 'value',
    name,
    number: num,
    id: `figure-${num}-${name}`,
    caption: `${title}: ${metric} (${unitText(rows[0])}). Dot: mean over n instances; bar: 95 % confidence interval (Student t); small ticks: the instance means${native ? '; dashed line: native mean' : ''}; the axis does not start at 0.${missingNoteText}${emulationNote}`,
    alt: `Dot plot of ${title} ${metric} in ${rows[0].unit} (${rows[0].better} is better), mean per platform with 95 % confidence interval: ${rows.map((s) => `${ctx.names.of(s)} ${formatFixed(s.mean, decimals)}${s.ci ? ` (interval ${formatFixed(s.ci.low, decimals)} to ${formatFixed(s.ci.high, decimals)}` : ' (no interval'}, n = ${s.n})`).join('; ')}.${native ? ` Dashed reference line at the native mean, ${formatFixed(native.mean, decimals)}.` : ''}`,
    panels: [{ title: null, axisTitle: `${metric} (${unitText(rows[0])})`, reference: native ? { value: native.mean, label: 'native' } : null, points }],
    sources: sourcesOf(rows, ctx.names),
  };
}

/** A log axis when the values span more than a factor 8 (startup: runc in tens of ms, an emulated VM in seconds). */
const LOG_RANGE = 8;

function wantsLog(values: number[]): boolean {
  const positive = values.filter((v) => v > 0);
  if (positive.length !== values.length || positive.length < 2) return false;
  return Math.max(...positive) / Math.min(...positive) > LOG_RANGE;
}

function stripChart(title: string, base: string, metric: string, rows: MetricSummary[], ctx: AreaContext, missingNoteText: string, emulationNote: string): StripChartView {
  const num = ctx.number.figure();
  const name = `${base}-${slug(metric)}-instances`;
  const log = wantsLog(rows.flatMap((s) => s.instanceMeans));
  const decimals = decimalsFor(Math.min(...rows.map((s) => s.mean)), 3);
  return {
    kind: 'strip',
    name,
    number: num,
    id: `figure-${num}-${name}`,
    caption: `${title}: ${metric} of every fresh instance (${unitText(rows[0])}). Each dot is one instance; the box spans the quartiles with the median as a line, whiskers reach the furthest instance within 1.5 × the interquartile range${log ? '; logarithmic axis' : ''}.${missingNoteText}${emulationNote}`,
    alt: `Strip plot of ${title} ${metric} per instance in ${rows[0].unit}: ${rows.map((s) => `${ctx.names.of(s)}, n = ${s.n}, median ${formatFixed(s.median, decimals)}, from ${formatFixed(Math.min(...s.instanceMeans), decimals)} to ${formatFixed(Math.max(...s.instanceMeans), decimals)}`).join('; ')}.`,
    axisTitle: `${metric} (${unitText(rows[0])}${log ? ', log scale' : ''})`,
    log,
    rows: rows.map((s) => ({ platform: s.platform, label: ctx.names.of(s), emulated: ctx.names.emulated(s.platform), values: [...s.instanceMeans], instances: instancesOf(s), mean: s.mean, n: s.n })),
    sources: sourcesOf(rows, ctx.names),
  };
}

function percentileChart(title: string, base: string, mine: MetricSummary[], ctx: AreaContext, missingNoteText: string, emulationNote: string): PercentileChartView | null {
  const present = PERCENTILE_METRICS.filter((p) => mine.some((s) => s.metric === p.metric));
  if (present.length === 0) return null;
  // one line per platform (and host, in a merged run)
  const keys = unique(mine.filter((s) => present.some((p) => p.metric === s.metric)).map((s) => `${s.platform}\u0000${s.host ?? ''}`));
  const rows = keys.map((key) => {
    const [platform, host] = key.split('\u0000');
    const same = (x: MetricSummary) => x.platform === platform && (x.host ?? '') === host;
    return {
      platform,
      label: ctx.names.label(platform, host || undefined),
      emulated: ctx.names.emulated(platform),
      marks: present.flatMap((p) => {
        const s = mine.find((x) => same(x) && x.metric === p.metric);
        return s ? [{ percentile: p.label, value: s.mean, low: s.ci?.low ?? null, high: s.ci?.high ?? null }] : [];
      }),
    };
  });
  const used = mine.filter((s) => present.some((p) => p.metric === s.metric));
  const log = wantsLog(rows.flatMap((r) => r.marks.map((m) => m.value)));
  const num = ctx.number.figure();
  const name = `${base}-percentiles`;
  const unit = used[0].unit;
  return {
    kind: 'percentiles',
    name,
    number: num,
    id: `figure-${num}-${name}`,
    caption: `${title}: the latency distribution per platform as its ${present.map((p) => p.label).join(', ')} (${unit}, lower is better), each the mean over n instances with its 95 % confidence interval; the line spans the percentiles, so its length shows the tail${log ? '; logarithmic axis' : ''}. The paper compares P90.${missingNoteText}${emulationNote}`,
    alt: `Latency percentiles of ${title} in ${unit}: ${rows.map((r) => `${r.label} ${r.marks.map((m) => `${m.percentile} ${formatNumber(m.value, 4)}`).join(', ')}`).join('; ')}.`,
    axisTitle: `latency (${unit}, lower is better${log ? ', log scale' : ''})`,
    log,
    percentiles: present.map((p) => p.label),
    rows,
    sources: sourcesOf(used, ctx.names),
  };
}

function hapMethodNote(rows: MetricSummary[], ctx: AreaContext): string {
  const m = hapMethod(rows.map((s) => ({ key: logKey(s.cell, s.host), params: s.params })), ctx.inputs.sampleNotes);
  const how = m.examples.length ? ` (${m.examples.join('; ')})` : '';
  if (m.sampled) return `HAP method${how}: ${m.exact ? 'partly ' : ''}a sampled approximation — kernel stacks sampled with perf, not the paper's ftrace function tracer; the counts are lower bounds of the paper's measure.`;
  if (m.exact) return `HAP method${how}: ftrace's function tracer on the platform's host processes, as in the paper.`;
  return 'HAP method: not recorded in the samples.';
}

function metricTable(title: string, base: string, metric: string, rows: MetricSummary[], rowPlatforms: string[], failures: ReportInputs['analysis']['failures'], ctx: AreaContext): MetricTable {
  const first = rows[0];
  const native = rows.find((s) => s.platform === NATIVE);
  const decimals = decimalsFor(native?.mean ?? first.mean, 5);
  const better = `${first.better} is better`;
  const missingRow = (id: string): ResultRow => {
    const failedHere = failures.filter((f) => f.platform === id).length;
    const note = ctx.notRun.has(id) ? 'not run (see “What was not run”)' : failedHere ? `no value: ${failedHere} failure${failedHere === 1 ? '' : 's'} (see “What was not run”)` : 'no value recorded';
    return { platform: id, label: ctx.names.label(id), measured: false, note, n: '0', iterations: '0', failed: String(failedHere), mean: DASH, median: DASH, sd: DASH, ci: DASH, ratio: DASH, ratioCi: DASH };
  };
  const measuredRow = (s: MetricSummary): ResultRow => {
    const r = s.ratioToNative;
    const native = s.platform === NATIVE;
    return {
      platform: s.platform,
      label: ctx.names.of(s),
      measured: true,
      note: '',
      n: String(s.n),
      iterations: String(s.iterations),
      failed: String(s.failed),
      mean: formatFixed(s.mean, decimals),
      median: formatFixed(s.median, decimals),
      sd: formatNumber(s.sd, 3),
      ci: s.ci ? formatInterval(s.ci.low, s.ci.high, decimals) : 'n < 2',
      ratio: native ? '1 (reference)' : r ? formatFixed(r.value, 4) : DASH,
      ratioCi: native ? DASH : r?.ci ? formatInterval(r.ci.low, r.ci.high, 4) : r ? 'n < 2' : DASH,
    };
  };
  // one row per summary: a platform measured on several hosts (a merged run) has a row per host
  const resultRows: ResultRow[] = rowPlatforms.flatMap((id) => {
    const mine = rows.filter((x) => x.platform === id);
    return mine.length ? mine.map(measuredRow) : [missingRow(id)];
  });
  const id = slug(`${base}-${metric}`);
  return {
    id: `table-${id}`,
    title: `${title}: ${metric}`,
    metric,
    unit: first.unit,
    better,
    table: ctx.number.table(id, `${title}: ${metric} (${first.unit}, ${better}): n instances with a value, iterations, failed instances, mean, median and SD over instance means, 95 % CI, ratio to native with its 95 % interval.`),
    rows: resultRows,
  };
}
