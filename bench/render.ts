// Time to analyse a run and render its HTML + PDF.
import { writeAnalysis } from '../src/stats/analyze.ts';
import { renderReport } from '../src/report/index.ts';

export async function timeAnalyzeAndRender(runDir: string, outDir: string): Promise<{ analyzeMs: number; renderMs: number }> {
  const t0 = performance.now();
  await writeAnalysis(runDir);
  const t1 = performance.now();
  await renderReport(runDir, outDir, { pdf: true });
  const t2 = performance.now();
  return { analyzeMs: t1 - t0, renderMs: t2 - t1 };
}
