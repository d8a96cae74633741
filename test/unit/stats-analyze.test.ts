import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import { logRatio, ratioInterval } from '../../src/stats/ratio.ts';
import * as assert from 'uvu/assert';
import { runFiles } from '../../src/paths.ts';
import { analyzeRun, analyzeSamples, formatAnalysis, writeAnalysis } from '../../src/stats/analyze.ts';
import type { Environment, Plan, Sample, SampleStatus } from '../../src/types.ts';

const params = { maxPrime: 20000, time: 10, threads: 1 };
const cells = { native: 'c-native', runc: 'c-runc', gvisorKvm: 'c-gvisor-kvm' } as const;

function sample(platform: keyof typeof cells, instance: number, iteration: number, value: number | null, status: SampleStatus = 'ok', error?: string): Sample {
  const ok = status === 'ok';
  return {
    schema: 1, run: 'r1', cell: cells[platform], platform: platform === 'gvisorKvm' ? 'gvisor-kvm' : platform,
    workload: 'sysbench-cpu', job: 'default', params, instance, iteration,
    metric: ok ? 'events_per_s' : null, value: ok ? value : null, unit: ok ? 'events/s' : null, better: ok ? 'higher' : null,
    status, ...(error ? { error } : {}), network: 'host',
    commands: [['taskset', '-c', '0', 'sysbench', 'cpu', 'run']],
    startedAt: '2026-01-01T00:00:00Z', endedAt: '2026-01-01T00:00:10Z',
  };
}

// native instance means 101, 99, 100 (mean 100, sd 1); runc 51, 50, 50 (about half); runc instance 3 failed
const samples: Sample[] = [
  sample('native', 0, 0, 100), sample('native', 0, 1, 102),
  sample('native', 1, 0, 98), sample('native', 1, 1, 100),
  sample('native', 2, 0, 101), sample('native', 2, 1, 99),
  sample('runc', 0, 0, 50), sample('runc', 0, 1, 52),
  sample('runc', 1, 0, 49), sample('runc', 1, 1, 51),
  sample('runc', 2, 0, 50), sample('runc', 2, 1, 50),
  sample('runc', 3, 0, null, 'failed', 'runc run failed (exit 1): container init'),
  sample('runc', 3, 1, null, 'timeout', 'sysbench timed out after 70000 ms'),
];

const plan: Plan = {
  schema: 1, experiment: 'unit', seed: 1234,
  cells: [
    { id: cells.native, platform: 'native', platformOptions: {}, workload: 'sysbench-cpu', job: 'default', params },
    { id: cells.runc, platform: 'runc', platformOptions: {}, workload: 'sysbench-cpu', job: 'default', params },
    { id: cells.gvisorKvm, platform: 'gvisor-kvm', platformOptions: {}, workload: 'sysbench-cpu', job: 'default', params },
  ],
  order: Object.values(cells).flatMap((cell) => [0, 1, 2, 3].map((instance) => ({ cell, instance }))),
};

const platformRecord = (id: string, family: 'native' | 'container' | 'secure-container' | 'hypervisor', available: boolean, requested: boolean, reason?: string) =>
  ({ id, family, description: id, available, requested, ...(reason ? { reason } : {}) });

const env: Environment = {
  schema: 1, run: 'r1', startedAt: '2026-01-01T00:00:00Z',
  host: { hostname: 'h', cpuModel: 'cpu', cores: 2, memoryMiB: 1024, kernel: '6.1', distribution: 'Debian 12', arch: 'x86_64' },
  noise: { loadavg: [0, 0, 0] }, tools: {},
  platforms: [
    platformRecord('native', 'native', true, true),
    platformRecord('runc', 'container', true, true),
    platformRecord('gvisor-kvm', 'secure-container', false, true, 'runsc --platform=kvm hangs here (no working KVM)'),
    platformRecord('firecracker', 'hypervisor', false, false, 'not installed'),
  ],
  hostChanges: [], isobench: { version: '0.1.0', commit: 'abc', dirty: false },
  experiment: { file: 'experiments/unit.yaml', sha256: 'f'.repeat(64) }, node: 'v20',
};

const meta = { description: 'crafted', repetitions: { instances: 4, iterations: 2 } };

test('adaptive decisions (logs/adaptive.jsonl) mark their cell\'s summaries; other cells get none', () => {
  const nativeCell = samples.find((x) => x.platform === 'native')!.cell;
  const adaptive = new Map([[nativeCell, { target: 0.02, reason: 'budget' }]]);
  const [native, runc] = analyzeSamples(samples, plan, env, { ...meta, adaptive }).summaries;
  assert.equal(native.adaptive, { target: 0.02, reached: false, reason: 'budget' });
  assert.is(runc.adaptive, undefined);
});

test('summaries per platform over instance means, native first', () => {
  const a = analyzeSamples(samples, plan, env, meta);
  assert.equal(a.summaries.map((s) => s.platform), ['native', 'runc']);
  const [native, runc] = a.summaries;
  assert.equal(native.instanceMeans, [101, 99, 100]);
  assert.equal(native.instances, [0, 1, 2]);
  assert.is(native.n, 3);
  assert.is(native.iterations, 6);
  assert.is(native.mean, 100);
  assert.is(native.median, 100);
  assert.is(native.sd, 1);
  // t_{0.975,2} = 0.95 / sqrt(2 * 0.975 * 0.025) (closed form of the t CDF for df = 2)
  const half = (0.95 / Math.sqrt(2 * 0.975 * 0.025)) / Math.sqrt(3);
  assert.ok(Math.abs(native.ci!.low - (100 - half)) < 1e-9 && Math.abs(native.ci!.high - (100 + half)) < 1e-9);
  assert.equal(native.ratioToNative, { value: 1, ci: null, method: 'native baseline' });
  assert.is(native.failed, 0);
  assert.equal(native.command, ['taskset', '-c', '0', 'sysbench', 'cpu', 'run']);
  assert.is(native.network, 'host');
  assert.is(native.emulated, false);

  assert.equal(runc.instanceMeans, [51, 50, 50]);
  assert.is(runc.failed, 1, 'instance 3 failed (once as failed, once as timeout)');
  assert.is(runc.unit, 'events/s');
  assert.is(runc.better, 'higher');
  const ratio = runc.ratioToNative!;
  assert.ok(Math.abs(ratio.value - (151 / 3) / 100) < 1e-12, `ratio ${ratio.value}`);
  assert.ok(ratio.ci!.low <= ratio.value && ratio.value <= ratio.ci!.high);
  // the one interval of a ratio: the claims' Welch t on the log ratio, from the same instance means
  const same = ratioInterval(logRatio({ mean: runc.mean, sd: runc.sd, n: runc.n, resolution: runc.resolution!.value }, { mean: native.mean, sd: native.sd, n: native.n, resolution: native.resolution!.value }));
  assert.equal(ratio.ci, same);
  assert.ok(ratio.ci!.low > 0.46 && ratio.ci!.high < 0.55, `interval [${ratio.ci!.low}, ${ratio.ci!.high}]`);
  assert.match(ratio.method, /Welch t on the log ratio/);
  assert.equal(runc.resolution, { value: 1, source: 'inferred from the values' });
});

test('failures list every non-ok sample; notRun lists requested platforms that are not available', () => {
  const a = analyzeSamples(samples, plan, env, meta);
  assert.equal(a.failures.map((f) => [f.platform, f.instance, f.iteration, f.status]), [['runc', 3, 0, 'failed'], ['runc', 3, 1, 'timeout']]);
  assert.is(a.failures[0].error, 'runc run failed (exit 1): container init');
  assert.equal(a.notRun, [{ platform: 'gvisor-kvm', reason: 'runsc --platform=kvm hangs here (no working KVM)' }]);
});

test('header: run, experiment, seed, repetitions, the ratio method', () => {
  const a = analyzeSamples(samples, plan, env, meta);
  assert.is(a.run, 'r1');
  assert.equal(a.experiment, { name: 'unit', description: 'crafted', file: 'experiments/unit.yaml', sha256: 'f'.repeat(64), seed: 1234 });
  assert.equal(a.repetitions, { instances: 4, iterations: 2 });
  assert.match(a.ratioMethod!, /Welch t/);
  assert.is(a.bootstrap, undefined);
  // without the experiment file, repetitions come from the plan and the samples
  assert.equal(analyzeSamples(samples, plan, env, {}).repetitions, { instances: 4, iterations: 2 });
});

test('no native values: no ratio', () => {
  const a = analyzeSamples(samples.filter((s) => s.platform !== 'native'), plan, env, meta);
  assert.is(a.summaries.length, 1);
  assert.is(a.summaries[0].ratioToNative, null);
});

test('an outlying instance is flagged and still counted', () => {
  const extra = [3, 4, 5].flatMap((i) => [sample('native', i, 0, 100), sample('native', i, 1, 100)]);
  const slow = [sample('native', 6, 0, 40), sample('native', 6, 1, 42)];
  const native = analyzeSamples([...samples, ...extra, ...slow], plan, env, meta).summaries[0];
  assert.equal(native.outliers, [6]);
  assert.is(native.n, 7);
});

test('deterministic: same input, same JSON; line order does not matter; no randomness in the intervals', () => {
  const once = formatAnalysis(analyzeSamples(samples, plan, env, meta));
  const twice = formatAnalysis(analyzeSamples(samples, plan, env, meta));
  assert.is(once, twice);
  const shuffled = [...samples].reverse();
  assert.is(formatAnalysis(analyzeSamples(shuffled, plan, env, meta)), once);
  const ratioCi = (seed: number) => analyzeSamples(samples, { ...plan, seed }, env, meta).summaries[1].ratioToNative!.ci;
  assert.equal(ratioCi(1234), ratioCi(1234));
  assert.equal(ratioCi(99), ratioCi(1234), 'the interval needs no seed');
  assert.ok(once.endsWith('}\n'));
});

test('one metric with two units is an error naming the cell', () => {
  const bad = { ...sample('native', 0, 2, 5), unit: 'ops/s' };
  assert.throws(() => analyzeSamples([...samples, bad], plan, env, meta), /c-native metric 'events_per_s'.*one metric needs one unit/);
});

test('writeAnalysis: reads a run directory and writes the same bytes twice', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-analyze-'));
  try {
    const files = runFiles(dir);
    // the last line was cut off mid-write
    await writeFile(files.samples, samples.map((s) => JSON.stringify(s)).join('\n') + '\n{"schema":1,"run":"r1","ce');
    await writeFile(files.plan, JSON.stringify(plan));
    await writeFile(files.environment, JSON.stringify(env));
    await writeFile(files.experiment, 'name: unit\ndescription: from yaml\nrepetitions: {instances: 4, iterations: 2}\n');
    const original = process.stderr.write.bind(process.stderr);
    let warnings = '';
    process.stderr.write = ((chunk: string | Uint8Array) => { warnings += String(chunk); return true; }) as typeof process.stderr.write;
    let analysis;
    let first: string;
    try {
      analysis = await analyzeRun(dir);
      const file = await writeAnalysis(dir);
      assert.is(file, files.analysis);
      first = await readFile(file, 'utf8');
      await writeAnalysis(dir);
      assert.is(await readFile(file, 'utf8'), first);
    } finally {
      process.stderr.write = original;
    }
    assert.match(warnings, /samples\.jsonl:15: dropping a half-written last line/);
    assert.is(analysis.experiment.description, 'from yaml');
    assert.is(analysis.summaries.length, 2);
    assert.match(analysis.ratioMethod!, /Welch t/);
    assert.equal(JSON.parse(first), JSON.parse(formatAnalysis(analysis)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});


test('first starts (Sample.firstStart) stay out of the warm statistics and are listed apart; percentiles of warm values', () => {
  const warm = Array.from({ length: 12 }, (_, i) => ({ ...sample('runc', i, 0, 100 + i), metric: 'first_output_ms', unit: 'ms', better: 'lower' as const }));
  const cold = { ...sample('runc', 12, 0, 900), metric: 'first_output_ms', unit: 'ms', better: 'lower' as const, firstStart: true as const };
  const [s] = analyzeSamples([cold, ...warm], plan, env, meta).summaries;
  assert.is(s.n, 12);
  assert.ok(!s.instances.includes(12) && s.mean < 200);
  assert.equal(s.firstStarts, [{ instance: 12, iteration: 0, value: 900 }]);
  // type 7: rank (n - 1) p = 9.9 between 109 and 110, 10.89 between 110 and 111
  assert.ok(Math.abs(s.percentiles!.p90 - 109.9) < 1e-9 && Math.abs(s.percentiles!.p99 - 110.89) < 1e-9 && s.percentiles!.p50 === 105.5 && s.percentiles!.values === 12, JSON.stringify(s.percentiles));
});

test('fewer than 10 values: no percentiles; a cell of first starts only keeps them as its values', () => {
  const [few] = analyzeSamples(samples, plan, env, meta).summaries;
  assert.is(few.percentiles, undefined);
  assert.is(few.firstStarts, undefined);
  const only = { ...sample('runc', 0, 0, 900), firstStart: true as const };
  const [s] = analyzeSamples([only], plan, env, meta).summaries;
  assert.equal(s.instanceMeans, [900]);
  assert.equal(s.firstStarts, [{ instance: 0, iteration: 0, value: 900 }]);
});
test.run();
