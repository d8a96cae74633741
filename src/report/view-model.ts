// The view pass: inputs -> context -> one builder per section, in document order. Nothing imports back from here.
import { parseYamlDocument } from '../yaml-document.ts';
import { LIMITS } from '../rundir/index.ts';
import { buildContext, orderedSummaries } from './context.ts';
import { formatTime } from './format.ts';
import type { ReportInputs } from './inputs.ts';
import { buildAppendix } from './sections/appendix.ts';
import { buildAreaSections } from './sections/area.ts';
import { buildCrossHost } from './sections/cross-host.ts';
import { buildHost, buildRunFacts } from './sections/host.ts';
import { buildMethods } from './sections/methods.ts';
import { buildMetricAppendix } from './sections/metric-appendix.ts';
import { buildClaimsAppendix } from './sections/claims-appendix.ts';
import { buildNotRun } from './sections/not-run.ts';
import { buildSummary } from './sections/summary.ts';
import { buildThreats } from './sections/threats.ts';
import { loadReportSources, type ReportSources } from './sources.ts';
import type { ChartView, ReportView } from './view-types.ts';

/** `print`: the PDF's view, whose body leaves each workload's plain ratio figure to the HTML (its headline table gives the same ratios). */
export function buildViewModel(inputs: ReportInputs, sources: ReportSources = loadReportSources(), opts: { print?: boolean } = {}): ReportView {
  const { analysis, environment } = inputs;
  const ctx = buildContext(inputs, sources);
  const paper = sources.paper;
  const period = `${formatTime(environment.startedAt)}${environment.endedAt ? ` to ${formatTime(environment.endedAt)}` : ''}`;

  // sections and tables are numbered as they are built, so build them in document order
  const summary = buildSummary(ctx);
  const runFacts = buildRunFacts(ctx, period);
  const { host, platforms } = buildHost(ctx, paper.host);
  const crossHost = buildCrossHost(ctx);
  const areaResult = buildAreaSections(ctx, { print: opts.print ?? false });
  const notRun = buildNotRun(ctx, areaResult.unmeasured, areaResult.notShown);
  const threats = buildThreats(ctx, experimentResources(inputs.experimentText));
  const methods = buildMethods(ctx, areaResult.evidenceMethod);
  const metricAppendix = buildMetricAppendix(areaResult.areas, ctx, opts.print ?? false);
  const claimsAppendix = buildClaimsAppendix(areaResult.areas);

  const areas = areaResult.areas;
  const charts = areas.flatMap(areaCharts);
  numberFigures(charts);
  const appendix = buildAppendix(charts, inputs);

  return {
    title: `isobench report: ${analysis.experiment.name}`,
    run: analysis.run,
    runTime: environment.endedAt ?? environment.startedAt,
    period,
    experiment: { ...analysis.experiment },
    platformOrder: ctx.platformIds,
    titlePage: {
      heading: `A reproduction of “${paper.title}”`,
      citation: `${paper.authors.join(' and ')}, ${paper.venue}, ${paper.year}. arXiv ${paper.arxiv}.`,
      doi: paper.doi,
      doiUrl: doiUrl(paper.doi),
    },
    toc: [summary.section, runFacts.section, host.section, ...(crossHost ? [crossHost.section] : []), ...areas.map((a) => a.section), notRun.section, threats.section, methods.section, metricAppendix.section, claimsAppendix.section, appendix.section].map((s) => ({ ...s, page: '' })),
    summary,
    runFacts,
    host,
    crossHost,
    platforms,
    areas,
    notRun,
    threats,
    methods,
    appendix,
    metricAppendix,
    claimsAppendix,
    calloutEvidence: areaResult.evidence,
    ...(opts.print ? { print: true } : {}),
    keywords: ['isobench', 'isolation', 'benchmark', 'reproduction', analysis.experiment.name, ...ctx.ran, ...ctx.workloads],
  };
}

/** Figures in document order get their numbers, anchors and unique file names (two names that slug alike get -2, -3, …). */
function numberFigures(charts: ChartView[]): void {
  const used = new Set<string>();
  charts.forEach((chart, i) => {
    let name = chart.name;
    for (let k = 2; used.has(name); k++) name = `${chart.name}-${k}`;
    used.add(name);
    chart.name = name;
    chart.number = i + 1;
    chart.id = `figure-${i + 1}-${name}`;
  });
}

/** Only a DOI's own characters reach the link: anything else leaves it unlinked. */
function doiUrl(doi: string): string {
  return /^10\.\d{4,9}\/[-._;()/:A-Za-z0-9]+$/.test(doi) ? `https://doi.org/${doi}` : '';
}

/** An area's charts in document order: the claims', the sweeps', then each block's. */
const areaCharts = (a: ReportView['areas'][number]): ChartView[] => [...a.claimFigures, ...a.sweepFigures, ...a.blocks.flatMap((b) => b.figures)].map((f) => f.chart);

/** Every chart of the report, in figure order. */
export function allCharts(view: ReportView): ChartView[] {
  return view.areas.flatMap(areaCharts);
}

/** cpus and memory per instance, from the experiment file as run (absent in old or hand-made runs) */
function experimentResources(text: string): { cpus?: number; memoryMiB?: number } {
  try {
    const r = (parseYamlDocument(text, { bytes: LIMITS.yamlBytes }).value as { resources?: { cpus?: unknown; memory?: unknown } } | null)?.resources;
    return {
      ...(Number.isFinite(r?.cpus) ? { cpus: Number(r!.cpus) } : {}),
      ...(Number.isFinite(r?.memory) ? { memoryMiB: Number(r!.memory) } : {}),
    };
  } catch {
    return {};
  }
}

export { orderedSummaries };
export type * from './view-types.ts';
