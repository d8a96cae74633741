// Adaptive repetitions through the real CLI: a steady native cell stops at its two-stage plan before maxInstances, and the analysis says so.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths, runFiles } from '../../src/paths.ts';
import { run, which } from '../../src/proc.ts';
import { parseCompletions } from '../../src/rundir/index.ts';
import type { Analysis, Sample } from '../../src/types.ts';
import { skip } from '../helpers/skip.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-adaptive-'));
const env = { ISOBENCH_DATA: path.join(tmp, 'data'), ISOBENCH_REPORT: path.join(tmp, 'report'), ISOBENCH_QUIET: '1' };
const cli = (...args: string[]) => run([process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), ...args], { env, timeoutMs: 180_000 });
const MAX = 10;

test('a steady cell stops at its two-stage plan before maxInstances; skipped instances are markers only; analysis reports the plan', async () => {
  if (!which('sysbench')) {
    skip('sysbench is not installed (apt-get install sysbench)', ['sysbench']);
    return;
  }
  const file = path.join(tmp, 'adaptive.yaml');
  writeFileSync(file, [
    'name: adaptive-test',
    'seed: 3',
    'repetitions:',
    `  adaptive: {targetHalfWidth: 0.8, minInstances: 4, maxInstances: ${MAX}, budgetS: 120}`,
    'resources: {cpus: 1, memory: 256}',
    'platforms: [native]',
    'workloads:',
    '  - id: sysbench-cpu',
    '    params: {maxPrime: 5000, time: 1, threads: 1}',
    '',
  ].join('\n'));
  const r = await cli('run', '--experiment', file);
  assert.is(r.code, 0, r.stderr);
  const runDir = r.stdout.trim();
  const files = runFiles(runDir);

  const samples = readFileSync(files.samples, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Sample);
  const used = new Set(samples.map((s) => s.instance)).size;
  // a loose target, so that even a loaded shared host plans fewer than MAX
  assert.ok(used >= 4 && used < MAX, `instances measured: ${used} (${readFileSync(files.adaptive, 'utf8').trim()})`);
  assert.ok(samples.every((s) => s.status === 'ok'), 'no sample is written for an instance the plan did not need');

  const { completions } = parseCompletions(readFileSync(files.completed, 'utf8'), files.completed);
  assert.is(completions.length, MAX, 'every planned instance has a marker');
  const skipped = completions.filter((c) => c.adaptive === 'planned');
  assert.is(skipped.length, MAX - used);
  assert.ok(skipped.every((c) => c.status === 'skipped' && c.samples === 0));

  const decisions = readFileSync(files.adaptive, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.is(decisions.length, 1);
  assert.is(decisions[0].reason, 'planned');
  assert.is(decisions[0].instances, used);
  assert.is(decisions[0].planned, used);
  assert.match(decisions[0].plan, /two-stage plan/);

  // a resume finds nothing left: the skipped instances are done, not interrupted (not even with --retry-failed)
  const again = await cli('run', '--resume', runDir, '--retry-failed');
  assert.is(again.code, 0, again.stderr);
  assert.is(readFileSync(files.samples, 'utf8').trim().split('\n').length, samples.length);

  const a = await cli('analyze', '--run', path.basename(runDir));
  assert.is(a.code, 0, a.stderr);
  const analysis = JSON.parse(readFileSync(files.analysis, 'utf8')) as Analysis;
  assert.is(analysis.summaries.length, 1);
  assert.equal(analysis.summaries[0].adaptive, { target: 0.8, reached: true, reason: 'planned', planned: used });
  assert.is(analysis.summaries[0].n, used);
  assert.is(analysis.failures.length, 0, 'instances the plan did not need are not failures');
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
