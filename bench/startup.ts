// Start-to-first-output and start-to-exit of a fresh instance through each container platform this host has.
import { parseExperiment } from '../src/experiment/load.ts';
import { platforms } from '../src/platforms/index.ts';
import { runExperiment, detectPlatforms } from '../src/run/scheduler.ts';
import { analyzeRun } from '../src/stats/analyze.ts';

/** Runs the startup workload on every available container and secure-container platform; returns the table text. */
export async function measureStartup(instances: number, iterations: number): Promise<string> {
  const candidates = platforms.filter((p) => p.family === 'container' || p.family === 'secure-container').map((p) => p.id);
  const available = (await detectPlatforms(candidates)).filter((r) => r.available && r.id !== 'gvisor-kvm').map((r) => r.id);
  const text = `name: bench-startup\nseed: 3\nrepetitions: {instances: ${instances}, iterations: ${iterations}}\nplatforms: [${available.join(', ')}]\nworkloads: [startup]\n`;
  const res = await runExperiment(parseExperiment('bench-startup.yaml', text));
  const analysis = await analyzeRun(res.runDir);
  const rows = analysis.summaries
    .filter((s) => s.workload === 'startup')
    .sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : a.median - b.median));
  const out = [`${'platform'.padEnd(16)} ${'metric'.padEnd(16)} ${'median ms'.padStart(10)} ${'mean ms'.padStart(9)}   95% CI of the mean   n`];
  for (const s of rows) {
    const ci = s.ci ? `[${s.ci.low.toFixed(1)}, ${s.ci.high.toFixed(1)}]` : '-';
    out.push(`${s.platform.padEnd(16)} ${s.metric.padEnd(16)} ${s.median.toFixed(1).padStart(10)} ${s.mean.toFixed(1).padStart(9)}   ${ci.padEnd(19)}  ${s.n}`);
  }
  const failed = analysis.failures.length;
  if (failed) out.push(`(${failed} failed samples: ${[...new Set(analysis.failures.map((f) => f.platform))].join(', ')})`);
  return out.join('\n');
}
