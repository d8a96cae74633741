// One report section per measured area (CPU, memory, disk, network, startup, isolation, applications): figures, tables, notes, claims.
import type { MetricSummary } from '../../types.ts';
import { APPENDICES } from '../appendices.ts';
import type { AreaDef } from '../areas.ts';
import { chartedMetrics, isCount, isFlag, metricName, reportOf } from '../areas.ts';
import { calloutView, EVIDENCE_METHOD, type CalloutView, type EvidenceRecord } from '../callouts.ts';
import { settingsWords } from '../../claims/words.ts';
import { DASH, NATIVE, jobTitle, unique, type ReportContext } from '../context.ts';
import { claimFigures, differenceFigure, sweepFigure, workloadFigures, type FigureInput } from '../figures.ts';
import { decimalsFor, decimalsForInterval, formatFixed, formatInterval, formatNumber, shorten, slug } from '../format.ts';
import { hapMethod } from '../hap-method.ts';
import { logKey } from '../inputs.ts';
import { startupClockNotes, startupDistributionNotes } from '../startup-clocks.ts';
import { sweepPeakText, sweepPeaks } from '../sweep-peak.ts';
import type { AreaView, ChartView, CompactTable, FigureBlock, MetricTable, ResultRow, WorkloadBlock } from '../view-types.ts';

export interface AreaSections {
  areas: AreaView[];
  /** areas with no value in this run */
  unmeasured: AreaDef[];
  charts: ChartView[];
  evidence: EvidenceRecord[];
  evidenceMethod: string;
  /** architecture notes none of whose platforms ran here: named in one line */
  notShown: CalloutView[];
}

export function buildAreaSections(ctx: ReportContext, opts: { print: boolean } = { print: false }): AreaSections {
  const evidenceCtx = { summaries: ctx.summaries, records: ctx.records, notRun: ctx.notRun, failed: new Set(ctx.inputs.analysis.failures.map((f) => f.platform)) };
  const evidence: EvidenceRecord[] = [];
  const charts: ChartView[] = [];
  const placed = new Set<string>();
  const areas: AreaView[] = [];
  const unmeasured: AreaDef[] = [];
  for (const def of ctx.areas) {
    // in the experiment's order
    const jobs = def.workloads.flatMap((w) => unique(ctx.summaries.filter((s) => s.workload === w).map((s) => s.job)).map((job) => ({ workload: w, job })))
      .sort((a, b) => ctx.order.group(a) - ctx.order.group(b));
    if (jobs.length === 0) {
      unmeasured.push(def);
      continue;
    }
    const section = ctx.number.section(`area-${def.id}`, def.title);
    const verdicts = (ctx.inputs.analysis.claims?.verdicts ?? []).filter((v) => v.area === def.id && v.verdict !== 'not run' && v.verdict !== 'caveat');
    const claimCharts = claimFigures(ctx, def.id, def.title, verdicts);
    const sweepFigures: FigureBlock[] = unique(jobs.map((j) => j.workload)).flatMap((w) => sweepFigure(ctx, w) ?? []).map((chart) => ({ chart, callouts: [] }));
    // the ratio figure is the workload's, over its jobs, in its first block
    const blocks: WorkloadBlock[] = [];
    for (const [i, { workload, job }] of jobs.entries()) {
      const first = i === 0 || jobs[i - 1].workload !== workload;
      // a later job keeps its heading unless the first block's heading names every job
      const lead = first || !blocks.some((b) => b.workload === workload && b.title === workload);
      blocks.push(workloadBlock(workload, job, ctx, first, lead, opts.print));
    }
    // Each callout stands next to the first figure of the first anchor that ran, when any of its platforms ran.
    for (const block of blocks) {
      for (const c of ctx.sources.callouts) {
        if (placed.has(c.id)) continue;
        if (!c.anchors.some((a) => a.workload === block.workload && (!a.job || a.job === block.job))) continue;
        const { view, records } = calloutView(c, evidenceCtx, block.workload);
        if (!view.measured && view.evidence.length > 0) continue;
        placed.add(c.id);
        evidence.push(...records);
        const added = records.filter((r) => r.compare === 'difference');
        const figure = added.length ? differenceFigure(blockInput(block.workload, block.job, ctx), c.title, added, paperValueOf(ctx, c.claims, added[0].unit)) : null;
        if (figure) block.figures.splice(1, 0, { chart: figure, callouts: [view] });
        // on paper a note whose ratio figure the body leaves out stands under the block, not beside another figure
        else if (block.figures.length && !block.ratiosLeftOut) block.figures[0].callouts.push(view);
        else block.callouts.push(view);
      }
    }
    // "How measured": the samples' own notes, once per workload, in its first block's small print
    for (const w of unique(blocks.map((b) => b.workload))) {
      const title = reportOf(w).howMeasured;
      if (title) blocks.find((b) => b.workload === w)!.finePrint.unshift(howMeasured(w, title, ctx));
    }
    // one headline table per workload, in its last block: the body's numbers (every metric's table is in the appendix)
    for (const w of unique(blocks.map((b) => b.workload))) {
      const mine = blocks.filter((b) => b.workload === w);
      mine[mine.length - 1].compact = compactTable(w, mine, ctx, opts.print);
    }
    const figures: FigureBlock[] = claimCharts.map((chart) => ({ chart, callouts: [] }));
    charts.push(...figures.map((f) => f.chart), ...sweepFigures.map((f) => f.chart), ...blocks.flatMap((b) => b.figures.map((f) => f.chart)));
    const ran = def.workloads.filter((w) => jobs.some((j) => j.workload === w));
    const absent = def.workloads.filter((w) => !ran.includes(w));
    areas.push({
      id: def.id,
      section,
      title: def.title,
      what: def.what,
      status: [
        `Measured here: ${ran.join(', ')}.${absent.length ? ` Not measured: ${absent.join(', ')} (see “What was not run”).` : ''}`,
        ...ran.flatMap((w) => {
          const peak = reportOf(w).sweepPeak;
          return peak ? [sweepPeakText(sweepPeaks(ctx.summaries, w, peak.metric, peak.param), peak.param, `${w} ${peak.metric}`)] : [];
        }),
      ].filter(Boolean).join(' '),
      blocks,
      claimFigures: figures,
      sweepFigures,
      claims: ctx.cards.filter((c) => c.area === def.id && c.verdict !== 'not run'),
    });
  }
  // the remaining callouts: evidence records for verdicts.json, and one line in "What was not run"
  const notShown: CalloutView[] = [];
  for (const c of ctx.sources.callouts) {
    if (placed.has(c.id)) continue;
    const { view, records } = calloutView(c, evidenceCtx);
    evidence.push(...records);
    notShown.push(view);
  }
  return { areas, unmeasured, charts, evidence, evidenceMethod: EVIDENCE_METHOD, notShown };
}

/** The paper's value in this unit, when exactly one of the callout's claims gives exactly one (the daemon's 250 ms). */
function paperValueOf(ctx: ReportContext, claims: string[], unit: string | undefined): { value: number; label: string } | null {
  const found = (ctx.inputs.analysis.claims?.verdicts ?? [])
    .filter((v) => claims.includes(v.id))
    .map((v) => (v.paperValue ?? []).filter((p) => p.unit === unit))
    .filter((ps) => ps.length === 1)
    .map((ps) => ps[0]);
  return found.length === 1 ? { value: found[0].value, label: `paper: ${found[0].value >= 0 ? '+' : ''}${formatNumber(found[0].value, 3)} ${found[0].unit}` } : null;
}

/** A job's figure input; job null: the workload's, over every job (its ratio figure). */
function blockInput(workload: string, job: string | null, ctx: ReportContext): FigureInput {
  const ofJob = <T extends { workload: string; job: string }>(x: T) => x.workload === workload && (job === null || x.job === job);
  const mine = ctx.summaries.filter(ofJob);
  const planned = ctx.inputs.plan.cells.filter(ofJob).map((c) => c.platform);
  const rowPlatforms = ctx.platformIds.filter((id) => planned.includes(id) || mine.some((s) => s.platform === id));
  const failures = ctx.inputs.analysis.failures.filter((f) => ofJob(f) && f.status !== 'skipped');
  const missing = rowPlatforms.filter((id) => !mine.some((s) => s.platform === id)).map((id) => `${id} ${missingNote(id, failures.filter((f) => f.platform === id).length, ctx.notRun)}`);
  const jobs = unique(mine.map((s) => s.job));
  const one = job ?? (jobs.length === 1 ? jobs[0] : null);
  return { ctx, workload, job: one ?? '', title: one === null ? workload : jobTitle(workload, one), base: slug(one === null ? workload : `${workload}-${one}`), mine, missing: missing.join('; ') };
}

/** print: the PDF's body leaves the plain ratio figure to the HTML; its headline table gives the same ratios with their intervals */
function workloadBlock(workload: string, job: string, ctx: ReportContext, first: boolean, lead: boolean, print: boolean): WorkloadBlock {
  const input = blockInput(workload, job, ctx);
  const { mine } = input;
  const metrics = unique(mine.map((s) => s.metric));
  const planned = ctx.inputs.plan.cells.filter((c) => c.workload === workload && c.job === job).map((c) => c.platform);
  const rowPlatforms = ctx.platformIds.filter((id) => planned.includes(id) || mine.some((s) => s.platform === id));
  const failures = ctx.inputs.analysis.failures.filter((f) => f.workload === workload && f.job === job && f.status !== 'skipped');
  const ratios = first ? workloadFigures(blockInput(workload, null, ctx), { ratio: true, rest: false }) : [];
  const figures: FigureBlock[] = [...(print ? [] : ratios), ...workloadFigures(input, { ratio: false, rest: true })]
    .map((chart) => ({ chart, callouts: [] as CalloutView[] }));
  const notes: string[] = [];
  if (!mine.some((s) => s.platform === NATIVE)) notes.push('native has no value here, so no ratios to native are given.');
  if (workload === 'hap') notes.push(hapMethodNote(mine, ctx));
  const finePrint: WorkloadBlock['finePrint'] = [];
  if (workload === 'startup') {
    const label = (id: string) => ctx.names.label(id);
    finePrint.push({ title: 'What each platform\'s clock measures, and each start-up\'s tail and first start', items: [...startupClockNotes(rowPlatforms, label), ...startupDistributionNotes(mine, label)] });
  }
  const charted = figures.flatMap((f) => f.chart.sources.map((s) => s.metric));
  const ordered = [...unique(charted.filter((m) => metrics.includes(m))), ...metrics.filter((m) => !charted.includes(m))];
  const tables = ordered.map((metric) => metricTable(input.title, input.base, workload, metric, mine.filter((s) => s.metric === metric), rowPlatforms, failures, ctx));
  const jobs = unique(ctx.summaries.filter((s) => s.workload === workload).map((s) => s.job));
  // the first block of a workload of several jobs carries the workload's ratio figure (on paper, its place): its title and every job's parameters
  const merged = ratios.length > 0 && jobs.length > 1;
  const title = merged ? workload : input.title;
  const params = merged ? jobsParams(jobs.map((j) => ({ job: j, params: paramsOf(workload, j, ctx) }))) : settingsWords(paramsOf(workload, job, ctx));
  return { id: `block-${input.base}`, title, workload, job, params, figures, tables, notes, finePrint, callouts: [], lead, ratiosLeftOut: print && ratios.length > 0, compact: null };
}

function paramsOf(workload: string, job: string, ctx: ReportContext): Record<string, unknown> {
  const cell = ctx.inputs.plan.cells.find((c) => c.workload === workload && c.job === job);
  return cell?.params ?? ctx.summaries.find((s) => s.workload === workload && s.job === job)?.params ?? {};
}

/** "a=1, b=2; per job: x: c=3; y: c=4": what every job shares once, then what each sets apart */
function jobsParams(jobs: { job: string; params: Record<string, unknown> }[]): string {
  const same = (k: string) => jobs.every((j) => JSON.stringify(j.params[k]) === JSON.stringify(jobs[0].params[k]));
  const pick = (p: Record<string, unknown>, keep: (k: string) => boolean) => Object.fromEntries(Object.entries(p).filter(([k]) => keep(k)));
  const shared = settingsWords(pick(jobs[0].params, same));
  // a job named by its own settings ("threads=2") is named once
  const apart = jobs.map((j) => { const own = settingsWords(pick(j.params, (k) => !same(k))); return own === j.job ? j.job : `${j.job}: ${own || 'as shared'}`; }).join('; ');
  return `${shared}${shared ? '; ' : ''}per job: ${apart}`;
}

/** a mean without an interval: it rests on fewer than two instances, whose spread is unknown */
const oneInstance = (n: number) => `unbounded: ${n === 1 ? 'one instance' : 'no instance'}, spread unknown`;

/** why a ratio has no interval, short enough for a table cell (the verdicts and summary.csv keep the whole reason) */
function noRatioInterval(s: MetricSummary, native: MetricSummary | undefined, problem: string | undefined): string {
  if (s.n < 2) return oneInstance(s.n);
  if (native && native.n < 2) return `unbounded: native has ${native.n === 1 ? 'one instance' : 'no instance'}, spread unknown`;
  // the cell does not wrap (a number column): the reason in a few words; the verdicts and summary.csv keep it whole
  if (problem && /not distinguishable from 0/.test(problem)) return 'unbounded: a mean\'s CI reaches 0';
  if (problem && /no spread/.test(problem)) return 'none: no spread, no resolution';
  return problem ? shorten(problem, 32) : 'none';
}

function missingNote(id: string, failed: number, notRun: Map<string, string>): string {
  if (notRun.has(id)) return 'not run';
  if (failed) return `no value (${failed} failure${failed === 1 ? '' : 's'})`;
  return 'no value recorded';
}

/** "How measured (the MariaDB server settings …)": "server 10.11.6: innodb_buffer_pool_size=128M, …", from every cell's sample notes */
function howMeasured(workload: string, title: string, ctx: ReportContext): { title: string; items: string[] } {
  const cells = ctx.summaries.filter((s) => s.workload === workload);
  const notes = unique(cells.flatMap((s) => ctx.inputs.sampleNotes[logKey(s.cell, s.host)] ?? []));
  if (notes.length === 0) return { title: `${workload}: how it was measured (${title})`, items: ['not recorded in this run\'s samples'] };
  const shown = notes.slice(0, 4);
  return { title: `${workload}: how it was measured (${title})`, items: [...shown, ...(notes.length > shown.length ? [`and ${notes.length - shown.length} more variants, in the samples`] : [])] };
}

function hapMethodNote(rows: MetricSummary[], ctx: ReportContext): string {
  const m = hapMethod(rows.map((s) => ({ key: logKey(s.cell, s.host), params: s.params })), ctx.inputs.sampleNotes);
  const how = m.examples.length ? ` (${m.examples.join('; ')})` : '';
  if (m.sampled) return `HAP method${how}: ${m.exact ? 'partly ' : ''}a sampled approximation — kernel stacks sampled with perf, not the paper's ftrace function tracer; the counts are lower bounds of the paper's measure.`;
  if (m.exact) return `HAP method${how}: ftrace's function tracer on the platform's host processes, as in the paper.`;
  return 'HAP method: not recorded in the samples.';
}

function metricTable(title: string, base: string, workload: string, metric: string, rows: MetricSummary[], rowPlatforms: string[], failures: ReportContext['inputs']['analysis']['failures'], ctx: ReportContext): MetricTable {
  const first = rows[0];
  const native = rows.find((s) => s.platform === NATIVE);
  const flag = isFlag(workload, metric);
  const count = isCount(workload, metric);
  const decimals = decimalsFor(native?.mean ?? first.mean, 4);
  const better = `${first.better} is better`;
  const missingRow = (id: string): ResultRow => {
    const failedHere = failures.filter((f) => f.platform === id).length;
    const note = ctx.notRun.has(id) ? 'not run (see “What was not run”)' : failedHere ? `no value: ${failedHere} failure${failedHere === 1 ? '' : 's'} (see “What was not run”)` : 'no value recorded';
    return { platform: id, label: ctx.names.label(id), measured: false, note, n: '0', iterations: '0', failed: String(failedHere), mean: DASH, median: DASH, sd: DASH, ci: DASH, ratio: DASH, ratioCi: DASH };
  };
  const measuredRow = (s: MetricSummary): ResultRow => {
    const r = s.ratioToNative;
    const isNative = s.platform === NATIVE;
    // the mean with the decimals its interval supports (4 significant digits without one)
    const d = s.ci ? decimalsForInterval(s.ci.low, s.ci.high) : decimalsFor(s.mean, 4);
    const rd = r?.ci ? decimalsForInterval(r.ci.low, r.ci.high) : 3;
    if (flag) {
      const set = s.instanceMeans.filter((v) => v >= 0.5).length;
      return { platform: s.platform, label: ctx.names.of(s), measured: true, note: `${set} of ${s.n} instance${s.n === 1 ? '' : 's'}`, n: String(s.n), iterations: String(s.iterations), failed: String(s.failed), mean: DASH, median: DASH, sd: DASH, ci: DASH, ratio: DASH, ratioCi: DASH };
    }
    return {
      platform: s.platform,
      label: ctx.names.of(s),
      measured: true,
      note: '',
      n: String(s.n),
      iterations: String(s.iterations),
      failed: String(s.failed),
      mean: formatFixed(s.mean, Math.min(d, decimals + 2)),
      median: formatFixed(s.median, Math.min(d, decimals + 2)),
      sd: formatNumber(s.sd, 2),
      ci: s.ci ? formatInterval(s.ci.low, s.ci.high, d) : oneInstance(s.n),
      ratio: count ? 'a count' : isNative ? '1 (reference)' : r ? formatFixed(r.value, rd) : DASH,
      ratioCi: count || isNative ? DASH : r?.ci ? formatInterval(r.ci.low, r.ci.high, rd) : r ? noRatioInterval(s, native, r.problem) : DASH,
    };
  };
  // one row per summary: a platform measured on several hosts (a merged run) has a row per host
  const resultRows: ResultRow[] = rowPlatforms.flatMap((id) => {
    const mine = rows.filter((x) => x.platform === id);
    return mine.length ? mine.map(measuredRow) : [missingRow(id)];
  });
  const id = slug(`${base}-${metric}`);
  const human = metricName(workload, metric);
  const what = flag
    ? `${title}: ${human} (${metric}, a flag): in how many instances it was set`
    : `${title}: ${human} (${metric}; ${first.unit}, ${better}): n instances with a value, iterations, failed instances, mean, median and SD over instance means, 95 % CI${count ? '' : ', ratio to native with its 95 % interval'}`;
  return {
    id: `table-${id}`,
    title: `${title}: ${human}`,
    metric,
    unit: first.unit,
    better,
    // numbered where it is printed: the metric appendix (sections/metric-appendix.ts)
    table: { number: 0, id: `table-${id}`, caption: `${what}.` },
    rows: resultRows,
    screenOnly: reportOf(workload).screenOnlyTables?.includes(metric) ?? false,
    flag,
  };
}

/** The planned platforms that gave no value in any of these tables, in one line: "not run here: a, b (see …); no value: c (2 failures)". */
/** print: on paper, when they are every platform that did not run, they are counted, not named under each table again */
export function absentLine(tables: MetricTable[], ctx: ReportContext, print = false): string {
  const rows = tables.flatMap((t) => t.rows);
  const measured = new Set(rows.filter((r) => r.measured).map((r) => r.platform));
  const absent = unique(rows.filter((r) => !r.measured && !measured.has(r.platform)).map((r) => r.platform));
  const notRun = absent.filter((id) => ctx.notRun.has(id)).map((id) => ctx.names.label(id));
  const failed = absent.filter((id) => !ctx.notRun.has(id)).map((id) => {
    const n = Math.max(0, ...rows.filter((r) => r.platform === id).map((r) => Number(r.failed) || 0));
    return `${ctx.names.label(id)}${n ? ` (${n} failure${n === 1 ? '' : 's'})` : ''}`;
  });
  return [
    notRun.length ? (print && notRun.length === ctx.notRun.size && notRun.length > 3 ? `Not run here: the ${notRun.length} requested platforms that did not run (see “What was not run”).` : `Not run here: ${notRun.join(', ')} (see “What was not run”).`) : '',
    failed.length ? `No value here: ${failed.join(', ')}.` : '',
  ].filter(Boolean).join(' ');
}

/** A workload's headline table: the metrics its figures draw (the registry's `charted`), a row per platform with a value, per job. */
function compactTable(workload: string, blocks: WorkloadBlock[], ctx: ReportContext, print: boolean): CompactTable | null {
  const all = blocks.flatMap((b) => b.tables);
  const metrics = chartedMetrics(workload, unique(all.map((t) => t.metric))).filter((m) => !isFlag(workload, m));
  if (metrics.length === 0) return null;
  // few jobs × metrics: a column per job and metric, a row per platform; else a row per platform and job
  const pivot = blocks.length > 1 && blocks.length * metrics.length <= 6;
  const specs = (bs: WorkloadBlock[]) => bs.flatMap((b) => metrics.map((metric) => ({ b, metric })));
  const columns = specs(pivot ? blocks : blocks.slice(0, 1)).map(({ b, metric }) => {
    const t = all.find((x) => x.metric === metric)!;
    return { metric, title: `${pivot ? `${b.job}: ` : ''}${metricName(workload, metric)}`, unit: t.unit, better: t.better };
  });
  const rows: CompactTable['rows'] = [];
  for (const group of pivot ? [blocks] : blocks.map((b) => [b])) {
    const cols = specs(group).map(({ b, metric }) => b.tables.find((t) => t.metric === metric));
    // a row per measured label (a merged run has a row per host), in the tables' platform order
    const labels = unique(cols.flatMap((t) => (t?.rows ?? []).filter((r) => r.measured).map((r) => `${r.platform}\u0000${r.label}`)));
    for (const key of labels) {
      const [platform, label] = key.split('\u0000');
      const found = cols.map((t) => t?.rows.find((r) => r.measured && r.platform === platform && r.label === label));
      rows.push({
        platform,
        label,
        job: pivot ? '' : group[0].job,
        n: unique(found.flatMap((r) => (r ? [r.n] : []))).join('/'),
        cells: found.map((r) => (r
          ? { measured: true, mean: r.mean, ci: /^\d/.test(r.ci) ? r.ci : '', ratio: r.ratio === '1 (reference)' ? '1' : r.ratio === 'a count' || r.ratio === DASH ? '' : r.ratio, ratioCi: compactInterval(r.ratioCi) }
          : { measured: false, mean: DASH, ci: '', ratio: '', ratioCi: '' })),
      });
    }
  }
  const id = slug(`${workload}-headline`);
  const jobs = blocks.length > 1 && !pivot;
  const what = `${workload}${blocks.length > 1 ? `, jobs ${blocks.map((b) => b.job).join(', ')}` : ''}: ${metrics.map((m) => { const c = columns.find((x) => x.metric === m)!; return `${metricName(workload, m)} (${c.unit}, ${c.better})`; }).join('; ')}. Each cell: the mean over instance means with its 95 % CI, below it the ratio to native with its 95 % interval. n: instances with a value. Every metric's own table is in appendix ${APPENDICES.everyMetric.number}; every statistic is in summary.csv`;
  return { id: `table-${id}`, workload, table: ctx.number.table(id, `${what}.`), jobs, columns, rows, inline: columns.length <= 2, absent: absentLine(all, ctx, print) };
}

/** A headline cell keeps an interval's numbers; why an interval is missing ("unbounded: …") is in the appendix's table. */
function compactInterval(text: string): string {
  return /^-?\d/.test(text) ? text : text === DASH ? '' : 'no interval';
}
