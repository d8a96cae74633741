// isobench's overhead on the measurement: sysbench cpu through `isobench run` on native versus the same command run directly.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseExperiment } from '../src/experiment/load.ts';
import { run } from '../src/proc.ts';
import { runExperiment } from '../src/run/scheduler.ts';
import { median } from '../src/stats/descriptive.ts';
import { meanInterval } from '../src/stats/interval.ts';
import type { Sample } from '../src/types.ts';
import { parseSysbenchCpu, sysbenchCpuArgv } from '../src/workloads/sysbench-cpu.ts';
import { readSamples } from '../src/rundir/index.ts';
import { runFiles } from '../src/paths.ts';

export interface OverheadResult { direct: number[]; isobench: number[]; ratio: number }

/** Alternates direct and isobench rounds, so drift of the host affects both alike. */
export async function measureOverhead(rounds: number, seconds: number): Promise<OverheadResult> {
  const params = { maxPrime: 20000, time: seconds, threads: 1 as const };
  const text = `name: bench-overhead\nseed: 1\nrepetitions: {instances: 1, iterations: 1}\nresources: {cpus: 1}\nplatforms: [native]\nworkloads:\n  - id: sysbench-cpu\n    params: {maxPrime: ${params.maxPrime}, time: ${seconds}, threads: 1}\n`;
  const loaded = parseExperiment('bench-overhead.yaml', text);
  const direct: number[] = [];
  const through: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // the direct run is pinned the same way as the native platform (taskset -c 0)
    const r = await run(['taskset', '-c', '0', ...sysbenchCpuArgv(params, 1)], { timeoutMs: (seconds + 30) * 1000 });
    direct.push(parseSysbenchCpu(r.stdout));
    const res = await runExperiment(loaded);
    const samples: Sample[] = readSamples(res.runDir);
    const ok = samples.find((s) => s.status === 'ok');
    if (!ok) throw new Error(`isobench run produced no ok sample: ${JSON.stringify(samples)}`);
    through.push(ok.value!);
  }
  return { direct, isobench: through, ratio: median(through) / median(direct) };
}

export function formatOverhead(r: OverheadResult): string {
  const ci = (xs: number[]) => { const c = meanInterval(xs); return c ? `[${c.low.toFixed(1)}, ${c.high.toFixed(1)}]` : ''; };
  return [
    'sysbench cpu events/s (median of rounds, 95% CI of the mean)',
    `  direct:            ${median(r.direct).toFixed(1)} ${ci(r.direct)}  n=${r.direct.length}`,
    `  via isobench run:  ${median(r.isobench).toFixed(1)} ${ci(r.isobench)}  n=${r.isobench.length}`,
    `  ratio isobench/direct: ${r.ratio.toFixed(4)} (goal >= 0.99)`,
  ].join('\n');
}

export function saveJson(dir: string, name: string, value: unknown) {
  writeFileSync(path.join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
}
