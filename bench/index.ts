// `npm run bench`: isobench's own costs, printed side by side with their goals. Not a test: numbers, not pass/fail.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { paths } from '../src/paths.ts';
import { formatPlans, realPlans, simulatePlans } from './adaptive.ts';
import { formatOverhead, measureOverhead } from './overhead.ts';
import { timeAnalyzeAndRender } from './render.ts';
import { formatReportScale, measureReportScale } from './report-scale.ts';
import { measureStartup } from './startup.ts';
import { measureFidelity } from './fidelity.ts';
import { loadExperiment } from '../src/experiment/load.ts';
import { runExperiment } from '../src/run/scheduler.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-bench-'));
process.env.ISOBENCH_DATA = path.join(tmp, 'data');
process.env.ISOBENCH_REPORT = path.join(tmp, 'report');
process.env.ISOBENCH_QUIET = '1';
const only = process.argv[2];
try {
  if (!only || only === 'overhead') {
    console.log('== overhead of isobench on the measurement (native, sysbench cpu, 5 s x 5 rounds, alternating)');
    console.log(formatOverhead(await measureOverhead(5, 5)));
  }
  if (!only || only === 'render') {
    console.log('\n== analyse + render HTML and PDF for a quick-sized run (smoke experiment, measured first)');
    const res = await runExperiment(loadExperiment(path.join(paths.experiments, 'smoke.yaml')));
    const t = await timeAnalyzeAndRender(res.runDir, paths.reportDir(res.runId));
    console.log(`  analyze: ${t.analyzeMs.toFixed(0)} ms, render HTML+PDF: ${t.renderMs.toFixed(0)} ms, total ${(t.analyzeMs + t.renderMs).toFixed(0)} ms (goal < 5000 ms)`);
  }
  if (!only || only === 'report-scale') {
    console.log('\n== analyse + render HTML and PDF of synthetic runs of about 10^3, 10^4 and 10^5 samples (every area, 8 platforms)');
    console.log(formatReportScale(await measureReportScale(path.join(tmp, 'scale'))));
  }
  if (!only || only === 'startup') {
    console.log('\n== start-to-first-output and start-to-exit of a fresh instance, each container platform here (5 instances x 4)');
    console.log(await measureStartup(5, 4));
  }
  if (only === 'fidelity') {
    // not in the default set: it runs fio and hundreds of container starts (minutes), and fails when a pair disagrees
    console.log('== isobench against the plain tool, interleaved: fio (gVisor, runc) vs `runsc run`/`runc run`, startup (native, runc, crun) vs hyperfine -N');
    const part = process.argv[4];
    if (part !== undefined && part !== 'fio' && part !== 'startup') throw new Error(`npm run bench -- fidelity [ROUNDS] [fio|startup]: unknown part '${part}'`);
    const { text, pairs } = await measureFidelity(Number(process.argv[3] ?? 4), part ? [part] : undefined);
    console.log(text);
    if (pairs.some((p) => !p.agree && !p.infoOnly)) process.exitCode = 1;
  }
  if (!only || only === 'adaptive') {
    console.log('\n== adaptive plans by instances spent and coverage kept (95% interval of the mean): seeded simulation, plans in rotating order');
    console.log(formatPlans(simulatePlans()));
    console.log('\n== the same on this host (native sysbench cpu, 1 s): two-stage and fixed runs alternating; coverage of the mean pooled over all runs');
    console.log(formatPlans(await realPlans()));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
