// The whole pipeline through the real CLI, as a user runs it: run -> analyze -> report -> archive.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { run, which } from '../../src/proc.ts';
import type { Analysis, Sample } from '../../src/types.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-pipeline-'));
const env = { ISOBENCH_DATA: path.join(tmp, 'data'), ISOBENCH_REPORT: path.join(tmp, 'report'), ISOBENCH_QUIET: '1' };
const cli = (...args: string[]) => run([process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), ...args], { env, timeoutMs: 300_000 });
let runDir = '';

test('a malformed experiment is refused with exit 2, naming the field, and nothing is written', async () => {
  const bad = path.join(paths.root, 'test', 'fixtures', 'experiments', 'bad', '01-unknown-platform.yaml');
  const r = await cli('run', '--experiment', bad);
  assert.is(r.code, 2);
  assert.match(r.stderr, /platforms\[1\]: unknown platform 'gvisor-kmv'/);
  assert.is(r.stdout, '');
  assert.not.ok(existsSync(path.join(tmp, 'data', 'runs')) && readdirSync(path.join(tmp, 'data', 'runs')).some((d) => !d.startsWith('.')), 'no run directory');
});

test('--help works for every command', async () => {
  for (const c of ['run', 'plan', 'analyze', 'report', 'archive', 'reproduce', 'doctor', 'setup', 'verify', 'merge']) {
    const r = await cli(c, '--help');
    assert.is(r.code, 0, `${c} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage: isobench/);
  }
  const r = await cli('frobnicate');
  assert.is(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
});

test('plan prints cells, instances and an estimate per platform and in total, and runs nothing', async () => {
  const r = await cli('plan', '--experiment', path.join(paths.experiments, 'quick.yaml'));
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /quick\.yaml: \d+ cells/);
  assert.match(r.stdout, /^platform +cells +instances +estimated$/m);
  assert.match(r.stdout, /^native +\d+ +\d+ +[\d.]+ (s|min|h)$/m);
  assert.match(r.stdout, /^total +\d+ +\d+ +[\d.]+ (s|min|h)$/m);
  assert.match(r.stdout, /budget 15\.0 min/);
  assert.not.ok(existsSync(path.join(tmp, 'data', 'runs')) && readdirSync(path.join(tmp, 'data', 'runs')).some((d) => !d.startsWith('.')), 'no run directory');
});

test('doctor --json lists every platform with id, family, available, version, reason', async () => {
  const r = await cli('doctor', '--json');
  assert.is(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { id: string; family: string; available: boolean; version: string | null; reason: string | null }[];
  const nat = rows.find((x) => x.id === 'native');
  assert.ok(nat?.available);
  for (const row of rows) {
    assert.ok(['native', 'container', 'secure-container', 'hypervisor', 'unikernel'].includes(row.family), row.id);
    if (!row.available) assert.ok(row.reason, `${row.id} unavailable without a reason`);
  }
});

test('run on the smoke experiment stores samples for native and runc', async () => {
  const r = await cli('run', '--experiment', path.join(paths.experiments, 'smoke.yaml'));
  assert.is(r.code, 0, r.stderr);
  runDir = r.stdout.trim();
  assert.ok(existsSync(path.join(runDir, 'samples.jsonl')));
  const samples = readFileSync(path.join(runDir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Sample);
  const ok = samples.filter((s) => s.status === 'ok');
  assert.ok(ok.filter((s) => s.platform === 'native').length === 2, 'two native instances');
  if (which('runc')) assert.is(ok.filter((s) => s.platform === 'runc').length, 2, `runc samples: ${JSON.stringify(samples.filter((s) => s.platform === 'runc').map((s) => s.error))}`);
  for (const s of ok) {
    assert.ok(s.value! > 0);
    assert.is(s.metric, 'events_per_s');
    assert.ok(s.commands?.[0]?.[0] === 'sysbench', 'the command is recorded');
    assert.ok(existsSync(path.join(runDir, s.log!)), 'the log exists');
  }
  const envJson = JSON.parse(readFileSync(path.join(runDir, 'environment.json'), 'utf8'));
  assert.ok(envJson.host.cores >= 1);
  assert.is(envJson.experiment.sha256.length, 64);
  assert.ok(envJson.endedAt);
  assert.not.ok(existsSync(path.join(tmp, 'data', 'runs', '.lock')), 'lock released');
});

test('analyze, report and archive produce their outputs', async () => {
  assert.ok(runDir, 'run test passed first');
  const a = await cli('analyze', '--run', runDir);
  assert.is(a.code, 0, a.stderr);
  const analysis = JSON.parse(readFileSync(path.join(runDir, 'analysis.json'), 'utf8')) as Analysis;
  const nat = analysis.summaries.find((s) => s.platform === 'native');
  assert.ok(nat && nat.n === 2 && nat.ci);
  const rep = await cli('report', '--run', runDir, ...(which('chromium') ? [] : ['--no-pdf']));
  assert.is(rep.code, 0, rep.stderr);
  const reportDir = path.join(tmp, 'report', path.basename(runDir));
  assert.ok(existsSync(path.join(reportDir, 'index.html')));
  const ar = await cli('archive', '--run', runDir);
  assert.is(ar.code, 0, ar.stderr);
  assert.ok(existsSync(path.join(reportDir, 'artifact.tar.gz')));
  const v = await cli('verify', path.join(reportDir, 'artifact.tar.gz'));
  assert.is(v.code, 0, v.stderr + v.stdout);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
