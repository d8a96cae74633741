// Adaptive stopping versus a fixed plan: instances needed to reach ±2% on sysbench-cpu (native), side by side in one run.
import { parseExperiment } from '../src/experiment/load.ts';
import { runExperiment } from '../src/run/scheduler.ts';
import { analyzeRun } from '../src/stats/analyze.ts';
import { relativeHalfWidth } from '../src/stats/stopping.ts';

export interface PlanOutcome {
  label: string;
  instances: number;
  /** relative half-width of the 95% interval of the instance means (null: n < 2) */
  relHalfWidth: number | null;
  wallMs: number;
  reason?: string;
}

function experimentText(name: string, repetitions: string, seconds: number): string {
  return `name: ${name}\nseed: 1\nrepetitions: ${repetitions}\nresources: {cpus: 1}\nplatforms: [native]\n` +
    `workloads:\n  - id: sysbench-cpu\n    params: {maxPrime: 10000, time: ${seconds}, threads: 1}\n`;
}

async function measure(label: string, text: string): Promise<PlanOutcome> {
  const t0 = Date.now();
  const res = await runExperiment(parseExperiment(`${label}.yaml`, text));
  const wallMs = Date.now() - t0;
  const s = (await analyzeRun(res.runDir)).summaries[0];
  if (!s) throw new Error(`${label}: the run produced no ok value (is sysbench installed?)`);
  return { label, instances: s.n, relHalfWidth: relativeHalfWidth(s.instanceMeans), wallMs, reason: s.adaptive?.reason };
}

/** Adaptive (target ±target, minInstances..maxInstances) first, then the same cell with `fixed` instances. */
export async function compareAdaptive(opts = { target: 0.02, min: 3, max: 15, fixed: 10, seconds: 2 }): Promise<PlanOutcome[]> {
  const adaptive = `{adaptive: {targetHalfWidth: ${opts.target}, minInstances: ${opts.min}, maxInstances: ${opts.max}, budgetS: 600}}`;
  return [
    await measure('bench-adaptive', experimentText('bench-adaptive', adaptive, opts.seconds)),
    await measure('bench-fixed', experimentText('bench-fixed', `{instances: ${opts.fixed}, iterations: 1}`, opts.seconds)),
  ];
}

export function formatAdaptive(rows: PlanOutcome[]): string {
  const pct = (x: number | null) => (x === null ? 'n/a' : `±${(x * 100).toFixed(2)}%`);
  return [
    `  ${'plan'.padEnd(28)}${'instances'.padStart(10)}${'95% half-width'.padStart(16)}${'wall time'.padStart(12)}`,
    ...rows.map((r) => `  ${r.label.padEnd(28)}${String(r.instances).padStart(10)}${pct(r.relHalfWidth).padStart(16)}${`${(r.wallMs / 1000).toFixed(1)} s`.padStart(12)}`
      + (r.reason ? `  (stopped: ${r.reason})` : '')),
  ].join('\n');
}
