// The report stage as named passes: inputs -> context and sections (the view) -> charts -> HTML -> PDF, and the files beside them.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { reportFiles } from '../paths.ts';
import { stableStringify } from '../stats/stable-json.ts';
import { renderCharts } from './charts.ts';
import { claimsCsv } from './claims-view.ts';
import { orderedSummaries } from './context.ts';
import { readRunInputs, type ReportInputs } from './inputs.ts';
import { printPdf } from './pdf.ts';
import { readOutline, sectionPages } from './pdf-outline.ts';
import { renderHtml } from './render.ts';
import { figureValuesCsv } from './sections/appendix.ts';
import { summaryCsv } from './summary-csv.ts';
import { allCharts, buildViewModel } from './view-model.ts';
import type { ReportView } from './view-types.ts';

export interface RenderOptions {
  /** print report.pdf with Chromium (default true) */
  pdf?: boolean;
}

export interface RenderResult {
  html: string;
  pdf?: string;
  /** wall time of each part in ms (for bench/report-scale.ts): reading and the view, charts, HTML, PDF */
  ms: { inputs: number; charts: number; html: number; pdf?: number };
}

export async function renderReport(runDir: string, outDir: string, opts: RenderOptions = {}): Promise<RenderResult> {
  const t0 = performance.now();
  const inputs = readRunInputs(runDir);
  const view = buildViewModel(inputs);
  const t1 = performance.now();
  const charts = await renderCharts(allCharts(view), view.platformOrder);
  const t2 = performance.now();
  const html = renderHtml(view, charts);

  const files = reportFiles(outDir);
  mkdirSync(files.charts, { recursive: true });
  removeOldCharts(files.charts);
  for (const c of charts) {
    writeFileSync(path.join(files.charts, `${c.name}.vl.json`), `${JSON.stringify(c.spec, null, 2)}\n`);
    writeFileSync(path.join(files.charts, `${c.name}.svg`), `${c.svg}\n`);
  }
  for (const chart of allCharts(view)) writeFileSync(path.join(files.charts, `${chart.name}.csv`), figureValuesCsv(chart));
  writeFileSync(files.summary, summaryCsv(orderedSummaries(inputs)));
  writeFileSync(files.claimsCsv, claimsCsv(inputs.analysis.claims));
  writeFileSync(files.verdicts, verdictsJson(inputs, view));
  writeFileSync(files.html, html);
  log.info(`report: ${files.html}`);
  const t3 = performance.now();
  const ms = { inputs: t1 - t0, charts: t2 - t1, html: t3 - t2 };

  if (opts.pdf === false) return { html: files.html, ms };
  // The PDF prints its own view (its body leaves plain ratio figures to the HTML), in two passes: print, read where each
  // section landed, print again with the contents' page numbers.
  const printView = buildViewModel(inputs, undefined, { print: true });
  const printCharts = await renderCharts(allCharts(printView), printView.platformOrder, charts);
  let pages: Record<string, number> = {};
  try {
    writeFileSync(files.printHtml, renderHtml(printView, printCharts));
    await printPdf(files.printHtml, files.pdf, {
      title: `${printView.title} (run ${printView.run})`,
      subject: `Isolation platform benchmarks, experiment '${view.experiment.name}': ${view.experiment.description}`.trim(),
      keywords: view.keywords,
      date: view.runTime,
    }, async (pdf) => {
      const found = sectionPages((await readOutline(pdf)).entries, printView.toc);
      if (printView.toc.every((s) => pages[s.id] === found[s.id])) return null;
      pages = found;
      writeFileSync(files.printHtml, renderHtml(withPageNumbers(printView, pages), printCharts));
      return files.printHtml;
    });
  } finally {
    rmSync(files.printHtml, { force: true });
  }
  log.info(`report: ${files.pdf}`);
  return { html: files.html, pdf: files.pdf, ms: { ...ms, pdf: performance.now() - t3 } };
}

/** The view for print: the contents list each section's page. */
function withPageNumbers(view: ReportView, pages: Record<string, number>): ReportView {
  return { ...view, print: true, toc: view.toc.map((s) => ({ ...s, page: pages[s.id] !== undefined ? String(pages[s.id]) : '' })) };
}

/** The claims' verdicts with their evidence (as analysed) and the callouts' measured evidence, for reuse outside the report. */
export function verdictsJson(inputs: ReportInputs, view: ReportView): string {
  const claims = inputs.analysis.claims;
  return `${stableStringify({
    schema: 1,
    run: inputs.analysis.run,
    claims: claims ?? null,
    callouts: view.calloutEvidence,
  })}\n`;
}

/** Charts of an earlier render that this one no longer draws must not linger next to the new ones. */
function removeOldCharts(dir: string): void {
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.vl.json') || f.endsWith('.svg') || f.endsWith('.csv')) rmSync(path.join(dir, f));
  }
}

export { allCharts, buildViewModel } from './view-model.ts';
export { orderedSummaries } from './context.ts';
export type { ReportView } from './view-types.ts';
export { readRunInputs } from './inputs.ts';
