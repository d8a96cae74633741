// Adaptive repetitions through the real CLI: a precise native cell stops before maxInstances, and the analysis says so.
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

test('a precise cell stops before maxInstances; skipped instances are markers only; analysis reports the target reached', async () => {
  if (!which('sysbench')) {
    skip('sysbench is not installed (apt-get install sysbench)', ['sysbench']);
    return;
  }
  const file = path.join(tmp, 'adaptive.yaml');
  writeFileSync(file, [
    'name: adaptive-test',
    'seed: 3',
    'repetitions:',
    `  adaptive: {targetHalfWidth: 0.1, minInstances: 3, maxInstances: ${MAX}, budgetS: 120}`,
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
  assert.ok(used >= 3 && used < MAX, `instances measured: ${used}`);
  assert.ok(samples.every((s) => s.status === 'ok'), 'no sample is written for an instance a precise cell skipped');

  const { completions } = parseCompletions(readFileSync(files.completed, 'utf8'), files.completed);
  assert.is(completions.length, MAX, 'every planned instance has a marker');
  const skipped = completions.filter((c) => c.adaptive === 'precise');
  assert.is(skipped.length, MAX - used);
  assert.ok(skipped.every((c) => c.status === 'skipped' && c.samples === 0));

  const decisions = readFileSync(files.adaptive, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.is(decisions.length, 1);
  assert.is(decisions[0].reason, 'precise');
  assert.is(decisions[0].instances, used);
  assert.ok(decisions[0].relHalfWidth <= 0.1);

  // a resume finds nothing left: the skipped instances are done, not interrupted (not even with --retry-failed)
  const again = await cli('run', '--resume', runDir, '--retry-failed');
  assert.is(again.code, 0, again.stderr);
  assert.is(readFileSync(files.samples, 'utf8').trim().split('\n').length, samples.length);

  const a = await cli('analyze', '--run', path.basename(runDir));
  assert.is(a.code, 0, a.stderr);
  const analysis = JSON.parse(readFileSync(files.analysis, 'utf8')) as Analysis;
  assert.is(analysis.summaries.length, 1);
  assert.equal(analysis.summaries[0].adaptive, { target: 0.1, reached: true, reason: 'precise' });
  assert.is(analysis.summaries[0].n, used);
  assert.is(analysis.failures.length, 0, 'skipped-by-precision instances are not failures');
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
