import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRunInputs } from '../../src/report/inputs.ts';
import { buildViewModel } from '../../src/report/view-model.ts';
import { MergeRefused, mergeRuns } from '../../src/run/merge.ts';
import { analyzeSamples, analyzeRun } from '../../src/stats/analyze.ts';
import { readEnvironment, readPlan, readSamples } from '../../src/rundir/index.ts';
import type { Environment, MetricSummary, Plan, Sample } from '../../src/types.ts';

const fixture = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const NATIVE = '3355697ebe39';
const RUNC = '2fc4a4cee6fa';
const GVISOR = '2d264b21499b';

async function withTemp(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-merge-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A copy of the quick-example run, with its environment, plan and samples edited. */
async function copyRun(dir: string, name: string, edit: { env?: (e: Environment) => void; plan?: (p: Plan) => void; samples?: (s: Sample[]) => Sample[] } = {}): Promise<string> {
  const runDir = path.join(dir, name);
  await cp(fixture, runDir, { recursive: true });
  const env = JSON.parse(await readFile(path.join(runDir, 'environment.json'), 'utf8')) as Environment;
  edit.env?.(env);
  await writeFile(path.join(runDir, 'environment.json'), JSON.stringify(env, null, 2));
  const plan = JSON.parse(await readFile(path.join(runDir, 'plan.json'), 'utf8')) as Plan;
  edit.plan?.(plan);
  await writeFile(path.join(runDir, 'plan.json'), JSON.stringify(plan, null, 2));
  let samples = (await readFile(path.join(runDir, 'samples.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Sample);
  if (edit.samples) samples = edit.samples(samples);
  await writeFile(path.join(runDir, 'samples.jsonl'), samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
  return runDir;
}

const hostname = (name: string) => (e: Environment) => { e.host.hostname = name; };
/** host-b's native is twice as fast, its runc unchanged: a pooled native would give neither host's ratio */
const doubleNative = (samples: Sample[]) => samples.map((s) => (s.cell === NATIVE && s.value !== null ? { ...s, value: s.value * 2 } : s));

/** uvu has no assert.rejects */
async function refused(fn: () => Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, MergeRefused);
    assert.match((err as Error).message, message);
    return;
  }
  assert.unreachable(`expected a refusal matching ${message}`);
}
const find = (summaries: MetricSummary[], platform: string, host?: string) => summaries.find((s) => s.platform === platform && s.host === host)!;

test('two runs of one experiment merge into one run dir whose samples carry the host', () => withTemp(async (dir) => {
  const a = await copyRun(dir, 'a', { env: hostname('host-a') });
  const b = await copyRun(dir, 'b', { env: hostname('host-b'), samples: doubleNative });
  const out = path.join(dir, 'runs', 'merged-ab');
  const result = await mergeRuns([a, b], out);
  assert.equal(result.hosts.map((h) => h.host), ['host-a', 'host-b']);
  assert.is(result.run, 'merged-ab');
  assert.is(result.cells, 3);
  assert.is(result.samples, 36);
  assert.equal(result.droppedCells, []);

  const samples = readSamples(out);
  assert.equal([...new Set(samples.map((s) => s.host))], ['host-a', 'host-b']);
  assert.ok(samples.filter((s) => s.host === 'host-b' && s.log).every((s) => s.log!.startsWith('logs/host-b/')), 'logs are relocated per host');
  const env = readEnvironment(out);
  assert.is(env.run, 'merged-ab');
  assert.equal(env.merged!.hosts.map((h) => [h.host, h.environment.host.hostname]), [['host-a', 'host-a'], ['host-b', 'host-b']]);
  const plan = readPlan(out);
  assert.equal(plan.cells.map((c) => c.id), [NATIVE, RUNC, GVISOR]);
  assert.is(plan.order.length, 18);
}));

test('analysis of a merged run: per-host summaries, each ratio against its own host\'s native', () => withTemp(async (dir) => {
  const a = await copyRun(dir, 'a', { env: hostname('host-a') });
  const b = await copyRun(dir, 'b', { env: hostname('host-b'), samples: doubleNative });
  const out = path.join(dir, 'merged');
  await mergeRuns([a, b], out);
  const merged = await analyzeRun(out);
  assert.equal(merged.summaries.map((s) => [s.platform, s.host]), [['native', 'host-a'], ['native', 'host-b'], ['runc', 'host-a'], ['runc', 'host-b']]);

  const nativeA = find(merged.summaries, 'native', 'host-a');
  const nativeB = find(merged.summaries, 'native', 'host-b');
  const runcA = find(merged.summaries, 'runc', 'host-a');
  const runcB = find(merged.summaries, 'runc', 'host-b');
  assert.is(nativeA.ratioToNative!.value, 1);
  assert.is(nativeB.ratioToNative!.value, 1);
  assert.ok(Math.abs(nativeB.mean - 2 * nativeA.mean) < 1e-3, 'host-b native doubled');
  // host-a alone gives exactly the numbers it gives inside the merge
  const alone = await analyzeRun(a);
  assert.equal(runcA.ratioToNative!.value, find(alone.summaries, 'runc').ratioToNative!.value);
  assert.equal(runcA.instanceMeans, find(alone.summaries, 'runc').instanceMeans);
  // host-b's ratio is against host-b's native (about 0.5), not a pooled or host-a native (about 1 or 0.67)
  assert.ok(Math.abs(runcB.ratioToNative!.value - runcB.mean / nativeB.mean) < 1e-6, `${runcB.ratioToNative!.value}`);
  assert.ok(runcB.ratioToNative!.value > 0.49 && runcB.ratioToNative!.value < 0.51);
  assert.ok(runcB.ratioToNative!.ci!.high < 0.51, 'interval from host-b values only');
  // failures keep their host: runc's timeout happened on both copies
  assert.equal(merged.failures.filter((f) => f.status === 'timeout').map((f) => f.host), ['host-a', 'host-b']);
  // instance 2 gave a value before it timed out: counted once, in n, and listed as partial
  assert.is(runcB.failed, 0);
  assert.equal(runcB.partial, [2]);
}));

test('without host, analysis is unchanged (no host field, same ratios)', () => withTemp(async (dir) => {
  const run = await copyRun(dir, 'plain');
  const samples = readSamples(run);
  const plan = readPlan(run);
  const env = readEnvironment(run);
  const analysis = analyzeSamples(samples, plan, env);
  assert.ok(analysis.summaries.every((s) => !('host' in s)));
  assert.ok(analysis.failures.every((f) => !('host' in f)));
  assert.is(Math.round(find(analysis.summaries, 'runc').ratioToNative!.value * 1e4) / 1e4, 0.9975);
}));

test('the report view names every host beside each platform, and lists the merged hosts', () => withTemp(async (dir) => {
  const a = await copyRun(dir, 'a', { env: hostname('host-a') });
  const b = await copyRun(dir, 'b', { env: hostname('host-b'), samples: doubleNative });
  const out = path.join(dir, 'merged');
  await mergeRuns([a, b], out);
  await writeFile(path.join(out, 'analysis.json'), JSON.stringify(await analyzeRun(out)));
  const view = buildViewModel(readRunInputs(out));
  // independent of how the report lays out its sections: every per-host label appears, none unlabelled where hosts differ
  const text = JSON.stringify({ ...view, platforms: null }); // the platforms table lists each platform once, whatever its hosts
  for (const label of ['native @ host-a', 'native @ host-b', 'runc @ host-a', 'runc @ host-b']) assert.ok(text.includes(`"label":"${label}"`), label);
  assert.not.ok(text.includes('"label":"runc"'), 'no runc row or point without its host');
  assert.ok(view.host.rows.some((r) => /^Merged hosts/.test(r.key) && /host-a: .*host-b: /.test(r.value)), 'merged hosts listed');
}));

test('runs of different experiment files are refused with the reason', () => withTemp(async (dir) => {
  const a = await copyRun(dir, 'a', { env: hostname('host-a') });
  const b = await copyRun(dir, 'b', {
    env: (e) => { e.host.hostname = 'host-b'; e.experiment = { file: 'experiments/other.yaml', sha256: 'ab'.repeat(32) }; },
    plan: (p) => { p.cells = p.cells.filter((c) => c.id !== GVISOR); },
  });
  const out = path.join(dir, 'merged');
  try {
    await mergeRuns([a, b], out);
    assert.unreachable('different experiments must be refused');
  } catch (err) {
    assert.instance(err, MergeRefused);
    const msg = (err as Error).message;
    assert.match(msg, 'not of the same experiment file');
    assert.match(msg, 'experiments/other.yaml');
    assert.match(msg, 'experiments/quick.yaml');
    assert.match(msg, GVISOR);
    assert.match(msg, '--common-cells');
  }
  assert.is(await readFile(path.join(out, 'samples.jsonl')).catch(() => null), null, 'nothing written');
}));

test('--common-cells merges the cells every run has and says which were dropped', () => withTemp(async (dir) => {
  const a = await copyRun(dir, 'a', { env: hostname('host-a') });
  const b = await copyRun(dir, 'b', {
    env: (e) => { e.host.hostname = 'host-b'; e.experiment = { file: 'experiments/other.yaml', sha256: 'ab'.repeat(32) }; },
    plan: (p) => { p.cells = p.cells.filter((c) => c.id !== GVISOR); p.order = p.order.filter((o) => o.cell !== GVISOR); },
    samples: (s) => s.filter((x) => x.cell !== GVISOR),
  });
  const out = path.join(dir, 'merged');
  const result = await mergeRuns([a, b], out, { commonCells: true });
  assert.equal(result.droppedCells, [{ cell: GVISOR, platform: 'gvisor-kvm', workload: 'sysbench-cpu', job: 'default', in: ['host-a'] }]);
  const plan = readPlan(out);
  assert.equal(plan.cells.map((c) => c.id), [NATIVE, RUNC]);
  assert.is(plan.order.length, 12);
  const samples = readSamples(out);
  assert.ok(samples.every((s) => s.cell !== GVISOR));
  assert.is(samples.length, 24);
  const env = readEnvironment(out);
  assert.equal(env.merged!.droppedCells.map((d) => d.cell), [GVISOR]);
}));

test('identical hostnames are told apart by run id; the same run twice is refused', () => withTemp(async (dir) => {
  const a = await copyRun(dir, 'a', { env: (e) => { e.run = 'day-1'; } });
  const b = await copyRun(dir, 'b', { env: (e) => { e.run = 'day-2'; } });
  const result = await mergeRuns([a, b], path.join(dir, 'merged'));
  assert.equal(result.hosts.map((h) => h.host), ['isobench-ci/day-1', 'isobench-ci/day-2']);
  const samples = readSamples(path.join(dir, 'merged'));
  assert.ok(samples.some((s) => s.log?.startsWith('logs/isobench-ci-day-2/')), 'log folder is a safe name');
  try {
    await mergeRuns([a, a], path.join(dir, 'twice'));
    assert.unreachable('the same run twice must be refused');
  } catch (err) {
    assert.match((err as Error).message, /the same run/);
  }
}));

test('different schema versions, an existing --out and a merged input are refused', () => withTemp(async (dir) => {
  const a = await copyRun(dir, 'a', { env: hostname('host-a') });
  const b = await copyRun(dir, 'b', { env: hostname('host-b'), plan: (p) => { (p as { schema: number }).schema = 2; } });
  await refused(() => mergeRuns([a, b], path.join(dir, 'm1')), /plan\.json schema versions differ/);
  const c = await copyRun(dir, 'c', { env: hostname('host-c') });
  await refused(() => mergeRuns([a, c], a), /already exists/);
  await mergeRuns([a, c], path.join(dir, 'ac'));
  await refused(() => mergeRuns([path.join(dir, 'ac'), c], path.join(dir, 'again')), /itself a merged run/);
  await refused(() => mergeRuns([a], path.join(dir, 'one')), /at least two/);
}));

test('merging is deterministic: the same inputs give the same files', () => withTemp(async (dir) => {
  const a = await copyRun(dir, 'a', { env: hostname('host-a') });
  const b = await copyRun(dir, 'b', { env: hostname('host-b') });
  await mergeRuns([a, b], path.join(dir, 'x', 'm'));
  await mergeRuns([a, b], path.join(dir, 'y', 'm'));
  for (const f of ['samples.jsonl', 'plan.json', 'environment.json', 'experiment.yaml']) {
    assert.ok((await readFile(path.join(dir, 'x', 'm', f))).equals(await readFile(path.join(dir, 'y', 'm', f))), f);
  }
}));

test.run();
