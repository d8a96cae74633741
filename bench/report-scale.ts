// How the analyze and report stages grow with the run: synthetic runs of about 10^3, 10^4 and 10^5 samples, timed.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { renderReport } from '../src/report/index.ts';
import { writeAnalysis } from '../src/stats/analyze.ts';
import { runFiles } from '../src/paths.ts';
import { writeSyntheticRun } from './synthetic-run.ts';

export interface ScaleRow {
  samples: number;
  /** instances per cell; startup cells have 4 times as many (bench/synthetic-run.ts) */
  instances: number;
  samplesMiB: number;
  analyzeMs: number;
  /** reading the run, building the view, charts, HTML (the HTML-only stage) */
  htmlMs: number;
  chartsMs: number;
  pdfMs: number;
  htmlMiB: number;
  pdfMiB: number;
  pages: number;
}

/** samples per round of instances in the synthetic run (every cell once), measured from a 1-instance run */
function samplesPerInstance(dir: string): number {
  return writeSyntheticRun(path.join(dir, 'probe'), { runId: 'probe', instances: 1, iterations: 1 }).samples;
}

export async function measureReportScale(dir: string, targets: number[] = [1e3, 1e4, 1e5]): Promise<ScaleRow[]> {
  const perInstance = samplesPerInstance(dir);
  // the first render in a process also loads Vega and Handlebars: done once here, so the rows compare like with like
  await writeAnalysis(path.join(dir, 'probe'));
  await renderReport(path.join(dir, 'probe'), path.join(dir, 'report', 'probe'), { pdf: false });
  const rows: ScaleRow[] = [];
  for (const target of targets) {
    const instances = Math.max(2, Math.round(target / perInstance));
    const runId = `scale-${target}`;
    const runDir = path.join(dir, 'runs', runId);
    const outDir = path.join(dir, 'report', runId);
    mkdirSync(runDir, { recursive: true });
    const { samples } = writeSyntheticRun(runDir, { runId, instances, iterations: 1 });
    const t0 = performance.now();
    await writeAnalysis(runDir);
    const analyzeMs = performance.now() - t0;
    const r = await renderReport(runDir, outDir, { pdf: true });
    const pdf = readFileSync(r.pdf!);
    rows.push({
      samples,
      instances,
      samplesMiB: statSync(runFiles(runDir).samples).size / 2 ** 20,
      analyzeMs,
      htmlMs: r.ms.inputs + r.ms.charts + r.ms.html,
      chartsMs: r.ms.charts,
      pdfMs: r.ms.pdf!,
      htmlMiB: statSync(r.html).size / 2 ** 20,
      pdfMiB: pdf.length / 2 ** 20,
      pages: (await PDFDocument.load(pdf, { updateMetadata: false })).getPageCount(),
    });
  }
  return rows;
}

export function formatReportScale(rows: ScaleRow[]): string {
  const header = ['samples', 'instances/cell (startup)', 'samples.jsonl', 'analyze', 'HTML (charts)', 'PDF', 'index.html', 'report.pdf', 'pages'];
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const mib = (x: number) => `${x.toFixed(2)} MiB`;
  const body = rows.map((r) => [
    String(r.samples), `${r.instances} (${4 * r.instances})`, mib(r.samplesMiB), s(r.analyzeMs), `${s(r.htmlMs)} (${s(r.chartsMs)})`, s(r.pdfMs), mib(r.htmlMiB), mib(r.pdfMiB), String(r.pages),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')}`;
  const growth = rows.length > 1
    ? `\n  growth from ${rows[0].samples} to ${rows[rows.length - 1].samples} samples (${(rows[rows.length - 1].samples / rows[0].samples).toFixed(0)}x): analyze ${(rows[rows.length - 1].analyzeMs / rows[0].analyzeMs).toFixed(1)}x, HTML ${(rows[rows.length - 1].htmlMs / rows[0].htmlMs).toFixed(1)}x, PDF ${(rows[rows.length - 1].pdfMs / rows[0].pdfMs).toFixed(1)}x`
    : '';
  return [line(header), line(header.map((_, i) => '-'.repeat(widths[i]))), ...body.map(line)].join('\n') + growth;
}
