// A platform whose starts keep failing is not started again for every remaining instance (gvisor-kvm hangs on nested hosts).
// The breaker itself is tested on a fake platform in test/unit/run-fakes.test.ts; this checks it against the real hang.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { gvisorKvm } from '../../src/platforms/gvisor.ts';
import { run } from '../../src/proc.ts';
import { START_FAILURES_BEFORE_SKIP } from '../../src/run/scheduler.ts';
import type { Sample } from '../../src/types.ts';
import { skip } from '../helpers/skip.ts';

test('after a hung start, or repeated failed starts, the rest of the platform is skipped with the reason, and nothing is left running', async () => {
  const d = await gvisorKvm.detect();
  if (!d.available) {
    skip(`gvisor-kvm not available here (${d.reason})`, ['gvisor-kvm']);
    return;
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-breaker-'));
  try {
    const exp = path.join(tmp, 'breaker.yaml');
    writeFileSync(exp, 'name: breaker\nrepetitions: {instances: 2}\nplatforms:\n  - id: gvisor-kvm\n    options: {startTimeoutS: 8}\nworkloads:\n  - {id: sysbench-cpu, params: {time: 1}}\n  - {id: sysbench-memory, params: {time: 1}}\n');
    const r = await run([process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), 'run', '--experiment', exp],
      { env: { ISOBENCH_DATA: path.join(tmp, 'data'), ISOBENCH_QUIET: '1' }, timeoutMs: 180_000 });
    assert.is(r.code, 0, r.stderr);
    const samples = readFileSync(path.join(r.stdout.trim(), 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Sample);
    assert.is(samples.filter((s) => s.iteration === 0).length >= 4, true, 'every planned instance has a sample');
    const failedStarts = samples.filter((s) => s.status !== 'ok' && (s.error ?? '').startsWith('start:'));
    if (failedStarts.length === 0) {
      assert.ok(samples.every((s) => s.status === 'ok'), JSON.stringify(samples.map((s) => s.error)));
      return skip('gvisor-kvm starts on this host, so the breaker has nothing to break here (test/unit/run-fakes.test.ts covers it)');
    }
    // a start that hung until its timeout is paid once; other failed starts twice in a row
    const hung = /\btimed out\b/.test(failedStarts[0].error ?? '') || failedStarts[0].status === 'timeout';
    assert.is(failedStarts.length, hung ? 1 : START_FAILURES_BEFORE_SKIP);
    const skipped = samples.filter((s) => s.status === 'skipped');
    assert.is(skipped.length, 4 - failedStarts.length);
    assert.match(skipped[0].error!, hung ? /not attempted: a start of gvisor-kvm in this run hung until its timeout/ : /not attempted: the last 2 starts of gvisor-kvm in this run failed/);
    const left = await run(['pgrep', '-f', 'runsc.*isobench-'], { timeoutMs: 5000 });
    assert.is(left.stdout.trim(), '', 'no runsc process left');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
