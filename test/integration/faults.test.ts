// Fault injection through the real CLI: kill -9 and resume, a container killed under its workload, Ctrl-C, two runs at
// once, a read-only and a full output directory. After each, the host holds nothing the run created.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths, runFiles } from '../../src/paths.ts';
import { processAlive, run, spawnDaemon, which, type Daemon } from '../../src/proc.ts';
import { sessionProcesses } from '../../src/run/leftovers.ts';
import { latestAttempts } from '../../src/stats/analyze.ts';
import { parseCompletions, parseSamples } from '../../src/rundir/index.ts';
import type { Analysis, Environment, Plan, Sample } from '../../src/types.ts';
import { exitOf } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';
import { skip, skipPart } from '../helpers/skip.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-faults-'));
const bin = path.join(paths.root, 'bin', 'isobench.mjs');
const isRoot = process.getuid?.() === 0;
const haveSysbench = which('sysbench') !== null;
const haveRunc = which('runc') !== null && isRoot;
let n = 0;

/** A fresh data directory per test, so runs, locks and caches never meet. */
function dataDir(): string {
  const d = path.join(tmp, `data-${n++}`);
  mkdirSync(d, { recursive: true });
  return d;
}
const envFor = (data: string) => ({ ISOBENCH_DATA: data, ISOBENCH_QUIET: '1' });
const cli = (data: string, ...args: string[]) => run([process.execPath, bin, ...args], { env: envFor(data), timeoutMs: 300_000 });
/** the runner as a separate process we can signal: stdout+stderr go to a log file */
function startRun(data: string, ...args: string[]): { daemon: Daemon; log: string } {
  const log = path.join(tmp, `runner-${n++}.log`); // outside data: a full or read-only data directory must not take the runner's stderr with it
  return { daemon: spawnDaemon([process.execPath, bin, ...args], log, { env: envFor(data) }), log };
}

function experiment(name: string, platforms: string[], o: { instances: number; iterations: number; time: number }): string {
  const file = path.join(tmp, `${name}.yaml`);
  writeFileSync(file, [
    `name: ${name}`,
    'description: fault injection',
    'seed: 11',
    `repetitions: { instances: ${o.instances}, iterations: ${o.iterations} }`,
    'resources: { cpus: 1, memory: 512 }',
    'timeouts: { start: 60, cell: 60 }',
    `platforms: [${platforms.join(', ')}]`,
    'workloads:',
    '  - id: sysbench-cpu',
    `    params: { maxPrime: 2000, time: ${o.time}, threads: 1 }`,
    '',
  ].join('\n'));
  return file;
}

function theRunDir(data: string): string | undefined {
  const runs = path.join(data, 'runs');
  if (!existsSync(runs)) return undefined;
  const d = readdirSync(runs).filter((x) => !x.startsWith('.'));
  return d.length === 1 ? path.join(runs, d[0]) : undefined;
}

const sampleLines = (runDir: string): number => {
  const f = runFiles(runDir).samples;
  return existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l.endsWith('}')).length : 0;
};

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

/**
 * The store against the plan: every planned instance of an available platform has one completed attempt counting, and
 * in it each iteration once (one value per metric, or one failure) — nothing lost, nothing twice.
 */
function assertStoreMatchesPlan(runDir: string, iterations: number): Sample[] {
  const files = runFiles(runDir);
  const plan = readJson<Plan>(files.plan);
  const env = readJson<Environment>(files.environment);
  const available = new Set(env.platforms.filter((p) => p.available).map((p) => p.id));
  const all = parseSamples(readFileSync(files.samples, 'utf8'), files.samples);
  const seen = new Set<string>();
  for (const s of all) {
    const k = `${s.cell}/${s.instance}/${s.attempt ?? 0}/${s.iteration}/${s.metric}`;
    assert.not.ok(seen.has(k), `sample ${k} is stored twice`);
    seen.add(k);
  }
  const latest = latestAttempts(all);
  const cells = new Map(plan.cells.map((c) => [c.id, c]));
  const planned = new Set(plan.order.map((o) => `${o.cell}/${o.instance}`));
  for (const s of all) assert.ok(planned.has(`${s.cell}/${s.instance}`), `sample of an unplanned instance ${s.cell}/${s.instance}`);
  const completions = parseCompletions(readFileSync(files.completed, 'utf8'), files.completed).completions;
  for (const o of plan.order) {
    if (!available.has(cells.get(o.cell)!.platform)) continue;
    const mine = latest.filter((s) => s.cell === o.cell && s.instance === o.instance);
    assert.ok(mine.length > 0, `instance ${o.cell}/${o.instance} (${cells.get(o.cell)!.platform}) was lost`);
    const failed = mine.some((s) => s.status !== 'ok');
    if (!failed) assert.equal(mine.map((s) => s.iteration).sort(), Array.from({ length: iterations }, (_, i) => i), `iterations of ${o.cell}/${o.instance}`);
    const attempt = mine[0].attempt ?? 0;
    assert.ok(completions.some((c) => c.cell === o.cell && c.instance === o.instance && c.attempt === attempt && c.samples === mine.length),
      `instance ${o.cell}/${o.instance} attempt ${attempt} has a completion marker naming its ${mine.length} samples`);
  }
  return all;
}

/** Nothing the run created is left: no lock, no process of its sessions, no container, bundle, cgroup or mount. */
async function assertNothingLeft(data: string, runDir: string | undefined, runner?: Daemon, ownMount?: string) {
  if (runner) assert.not.ok(processAlive(runner.pid), 'the runner is gone');
  assert.not.ok(existsSync(path.join(data, 'runs', '.lock')), 'the run lock is released');
  if (!runDir) return;
  const runId = path.basename(runDir);
  assert.equal(sessionProcesses(runId).map((p) => p.pid), [], 'no process spawned by the run is alive');
  assert.not.ok(existsSync(runFiles(runDir).inFlight), 'no instance is marked in flight');
  const cells = existsSync(runFiles(runDir).plan) ? readJson<Plan>(runFiles(runDir).plan).cells.map((c) => c.id) : [];
  const prefixes = cells.map((c) => `isobench-${c}-`);
  if (haveRunc) {
    const list = await run(['runc', 'list', '-q'], { timeoutMs: 20_000 });
    assert.equal(list.stdout.split('\n').filter((l) => prefixes.some((p) => l.startsWith(p))), [], 'no runc container of the run');
  }
  const bundles = readdirSync(os.tmpdir()).filter((d) => prefixes.some((p) => d.startsWith(`isobench-runc-${p}`)));
  assert.equal(bundles, [], 'no OCI bundle of the run');
  const cgroups: string[] = [];
  for (const root of ['/sys/fs/cgroup', ...readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h))]) {
    const dir = path.join(root, 'isobench');
    if (existsSync(dir)) for (const c of readdirSync(dir)) if (prefixes.some((p) => c.startsWith(p))) cgroups.push(path.join(dir, c));
  }
  assert.equal(cgroups, [], 'no cgroup of the run');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(tmp) && !(ownMount && l.split(' ')[4] === ownMount));
  assert.equal(mounts, [], 'no mount under the test directory');
}

test('kill -9 mid-instance, a torn last line, then --resume: nothing lost, nothing twice, nothing left behind', async () => {
  if (!haveSysbench) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
  const platforms = haveRunc ? ['native', 'runc'] : ['native'];
  if (!haveRunc) skipPart('runc not installed or not root; native only', ['runc']);
  const data = dataDir();
  const { daemon } = startRun(data, 'run', '--experiment', experiment('kill9', platforms, { instances: 2, iterations: 2, time: 1 }));
  // wait for an instance that has stored its first iteration but not its second: the kill lands inside an instance
  const runDir = await waitFor('a partly measured instance', () => {
    const d = theRunDir(data);
    if (!d || !existsSync(runFiles(d).completed)) return undefined;
    const lines = sampleLines(d);
    const completed = readFileSync(runFiles(d).completed, 'utf8').split('\n').filter(Boolean).length;
    return lines >= 1 && lines % 2 === 1 && completed < platforms.length * 2 ? d : undefined;
  }, { timeoutMs: 120_000 });
  process.kill(daemon.pid, 'SIGKILL');
  await exitOf(daemon);
  const before = sampleLines(runDir);
  const partial = before % 2; // almost always 1: the kill landed between an instance's two iterations
  assert.ok(existsSync(path.join(data, 'runs', '.lock')), 'a crash leaves the lock behind');
  // what a power loss in the middle of an append leaves
  appendFileSync(runFiles(runDir).samples, '{"schema":1,"run":"' + path.basename(runDir) + '","cell":"');

  const r = await cli(data, 'run', '--resume', runDir);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), runDir);
  assert.match(r.stderr, /samples\.jsonl:\d+: removed a half-written last line/);
  if (partial) assert.match(r.stderr, /removed 1 sample\(s\) of 1 instance\(s\) that had not finished/);
  const backups = readdirSync(runFiles(runDir).logs).filter((f) => f.startsWith('samples.jsonl.before-resume-'));
  assert.is(backups.length, 1, 'the original store is kept in logs/');
  assert.is(readFileSync(path.join(runFiles(runDir).logs, backups[0]), 'utf8').split('\n').length - 1, before, 'the backup is the store as the crash left it');

  const samples = assertStoreMatchesPlan(runDir, 2);
  const plan = readJson<Plan>(runFiles(runDir).plan);
  assert.is(samples.filter((s) => s.status === 'ok').length, plan.order.length * 2, 'every planned value, exactly once');
  const env = readJson<Environment>(runFiles(runDir).environment);
  assert.is(env.resumes?.length, 1);
  assert.is(env.resumes![0].host.hostname, os.hostname());
  assert.is(env.resumes![0].droppedPartialSamples, partial);
  assert.ok(env.resumes![0].endedAt && env.endedAt, 'the resume and the run have an end time');
  await assertNothingLeft(data, runDir, daemon);

  // a finished run resumes to nothing
  const again = await cli(data, 'run', '--resume', runDir);
  assert.is(again.code, 0, again.stderr);
  assert.is(sampleLines(runDir), samples.length);
});

test('a container killed under its workload gives a failed sample, the run goes on; --retry-failed measures it again', async () => {
  if (!haveSysbench) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
  if (!haveRunc) return skip('runc not installed or not root (apt-get install runc; run as root)', ['runc']);
  const data = dataDir();
  const { daemon, log } = startRun(data, 'run', '--experiment', experiment('killcontainer', ['runc'], { instances: 2, iterations: 1, time: 3 }));
  const runDir = await waitFor('the run directory', () => theRunDir(data) && existsSync(runFiles(theRunDir(data)!).plan) && theRunDir(data));
  const prefix = `isobench-${readJson<Plan>(runFiles(runDir).plan).cells[0].id}-`;
  // the container, once sysbench runs inside it (its init plus at least one more process)
  const name = await waitFor('sysbench running in a container', async () => {
    const list = await run(['runc', 'list', '-q'], { timeoutMs: 10_000 });
    const c = list.stdout.split('\n').find((l) => l.startsWith(prefix));
    if (!c) return undefined;
    const ps = await run(['runc', 'ps', '--format', 'json', c], { timeoutMs: 10_000 });
    try { return (JSON.parse(ps.stdout) as number[]).length >= 2 ? c : undefined; } catch { return undefined; }
  }, { timeoutMs: 120_000 });
  const killed = await run(['runc', 'kill', name, 'KILL'], { timeoutMs: 10_000 });
  assert.is(killed.code, 0, killed.stderr);
  const exit = await exitOf(daemon);
  assert.is(exit.code, 0, readFileSync(log, 'utf8'));

  const samples = assertStoreMatchesPlan(runDir, 1);
  const failedSamples = samples.filter((s) => s.status === 'failed');
  assert.is(failedSamples.length, 1, `one failed sample: ${JSON.stringify(samples.map((s) => [s.status, s.error]))}`);
  assert.match(failedSamples[0].error ?? '', /sysbench/);
  assert.is(samples.filter((s) => s.status === 'ok').length, 1, 'the other instance was measured');
  await assertNothingLeft(data, runDir, daemon);

  const retry = await cli(data, 'run', '--resume', runDir, '--retry-failed');
  assert.is(retry.code, 0, retry.stderr);
  const after = assertStoreMatchesPlan(runDir, 1);
  assert.is(after.length, 3, 'the old failed sample stays in the file, superseded');
  const retried = after.find((s) => s.attempt === 1);
  assert.ok(retried && retried.status === 'ok' && retried.instance === failedSamples[0].instance, 'the failed instance was measured again as attempt 1');
  assert.ok(existsSync(path.join(runDir, retried!.log!)), 'the retry has its own log');

  const analyzed = await cli(data, 'analyze', '--run', runDir);
  assert.is(analyzed.code, 0, analyzed.stderr);
  const analysis = readJson<Analysis>(runFiles(runDir).analysis);
  assert.is(analysis.summaries[0].n, 2, 'both instances count');
  assert.is(analysis.summaries[0].failed, 0, 'the superseded failure does not count');
  assert.equal(analysis.failures, []);
  await assertNothingLeft(data, runDir);
});

test('Ctrl-C: exit 130, the message names the resume command, nothing left; the resume completes the run', async () => {
  if (!haveSysbench) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
  const platforms = haveRunc ? ['native', 'runc'] : ['native'];
  const data = dataDir();
  const { daemon, log } = startRun(data, 'run', '--experiment', experiment('sigint', platforms, { instances: 2, iterations: 2, time: 1 }));
  const runDir = await waitFor('a stored sample', () => { const d = theRunDir(data); return d && sampleLines(d) >= 1 ? d : undefined; }, { timeoutMs: 120_000 });
  process.kill(daemon.pid, 'SIGINT');
  const exit = await exitOf(daemon);
  const out = readFileSync(log, 'utf8');
  assert.is(exit.code, 130, out);
  assert.ok(out.includes(`continue this run with: isobench run --resume ${runDir}`), out);
  await assertNothingLeft(data, runDir, daemon);

  // as if the run directory had been copied to another machine: refused, naming both hosts
  const envFile = runFiles(runDir).environment;
  const original = readFileSync(envFile, 'utf8');
  const env = JSON.parse(original) as Environment;
  writeFileSync(envFile, JSON.stringify({ ...env, host: { ...env.host, hostname: 'elsewhere' } }));
  const refused = await cli(data, 'run', '--resume', runDir);
  assert.is(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, new RegExp(`measured on elsewhere \\(.*\\); this is ${os.hostname()} .*--force`));
  assert.is(readFileSync(envFile, 'utf8').length, JSON.stringify({ ...env, host: { ...env.host, hostname: 'elsewhere' } }).length, 'a refused resume changes nothing');
  writeFileSync(envFile, original);

  const r = await cli(data, 'run', '--resume', runDir);
  assert.is(r.code, 0, r.stderr);
  const samples = assertStoreMatchesPlan(runDir, 2);
  assert.equal(samples.filter((x) => x.status !== 'ok').map((x) => x.error), [], 'the instance stopped by Ctrl-C is not recorded as failed');
  await assertNothingLeft(data, runDir);
});

test('two runs at once: the second is refused, naming the first, and writes nothing', async () => {
  if (!haveSysbench) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
  const data = dataDir();
  const { daemon } = startRun(data, 'run', '--experiment', experiment('first', ['native'], { instances: 4, iterations: 1, time: 3 }));
  const first = await waitFor('the first run to hold the lock and store a sample', () => {
    const d = theRunDir(data);
    return existsSync(path.join(data, 'runs', '.lock')) && d && sampleLines(d) >= 1 ? d : undefined;
  }, { timeoutMs: 120_000 });
  const second = await cli(data, 'run', '--experiment', experiment('second', ['native'], { instances: 1, iterations: 1, time: 1 }));
  assert.is(second.code, 1, `the second run: ${second.stderr}`);
  assert.match(second.stderr, new RegExp(`another isobench run is in progress: run ${path.basename(first)} \\(pid ${daemon.pid}`));
  assert.is(readdirSync(path.join(data, 'runs')).filter((d) => !d.startsWith('.')).length, 1, 'the second run made no directory');
  // resuming the run that is in progress is refused the same way
  const resume = await cli(data, 'run', '--resume', first);
  assert.is(resume.code, 1, `resuming the run in progress: ${resume.stderr}`);
  assert.match(resume.stderr, /another isobench run is in progress/);
  // the first goes on undisturbed until stopped
  assert.ok(processAlive(daemon.pid), 'the first run is still measuring');
  process.kill(daemon.pid, 'SIGINT');
  assert.is((await exitOf(daemon)).code, 130);
  const stored = parseSamples(readFileSync(runFiles(first).samples, 'utf8'), 'samples.jsonl');
  assert.equal(stored.filter((x) => x.status !== 'ok').map((x) => x.error), [], 'the instance stopped by Ctrl-C is not recorded as failed');
  await assertNothingLeft(data, first, daemon);
});

test('a read-only output directory: one clear error, exit 1, nothing written', async () => {
  if (!isRoot) return skip('needs root to mount a read-only bind mount (root ignores permission bits)');
  const data = dataDir();
  mkdirSync(path.join(data, 'runs'));
  const mounted = await run(['mount', '--bind', data, data], { timeoutMs: 10_000 });
  assert.is(mounted.code, 0, mounted.stderr);
  try {
    const ro = await run(['mount', '-o', 'remount,bind,ro', data], { timeoutMs: 10_000 });
    assert.is(ro.code, 0, ro.stderr);
    const r = await cli(data, 'run', '--experiment', experiment('readonly', ['native'], { instances: 1, iterations: 1, time: 1 }));
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /runs: cannot write run data here: read-only file system \(point ISOBENCH_DATA at a writable directory\)/);
    assert.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.equal(readdirSync(path.join(data, 'runs')), []);
  } finally {
    await run(['umount', data], { timeoutMs: 10_000 });
  }
  await assertNothingLeft(data, undefined);
});

test('the disk fills up mid-run: a clear error naming the resume command, a parseable store; after freeing space the resume completes', async () => {
  if (!isRoot) return skip('needs root to mount a small tmpfs');
  if (!haveSysbench) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
  const data = dataDir();
  const mounted = await run(['mount', '-t', 'tmpfs', '-o', 'size=2m', 'isobench-test-full', data], { timeoutMs: 10_000 });
  assert.is(mounted.code, 0, mounted.stderr);
  const filler = path.join(data, 'filler');
  let runDir = '';
  try {
    const { daemon, log } = startRun(data, 'run', '--experiment', experiment('diskfull', ['native'], { instances: 4, iterations: 1, time: 1 }));
    runDir = await waitFor('a stored sample', () => { const d = theRunDir(data); return d && sampleLines(d) >= 1 ? d : undefined; }, { timeoutMs: 120_000 });
    // fill the file system to the last block
    const chunk = Buffer.alloc(64 * 1024, 120);
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      try { for (;;) appendFileSync(filler, chunk.subarray(0, size)); } catch (e) { assert.is((e as NodeJS.ErrnoException).code, 'ENOSPC'); }
    }
    const exit = await exitOf(daemon);
    const out = readFileSync(log, 'utf8');
    assert.is(exit.code, 1, out);
    assert.match(out, /no space left on device.*the samples stored so far are intact.*continue with: isobench run --resume /);
    const stored = parseSamples(readFileSync(runFiles(runDir).samples, 'utf8'), 'samples.jsonl'); // throws if corrupt
    assert.ok(stored.length >= 1);
    assert.not.ok(existsSync(path.join(data, 'runs', '.lock')), 'the lock is released');
    rmSync(filler);
    const r = await cli(data, 'run', '--resume', runDir);
    assert.is(r.code, 0, r.stderr);
    assertStoreMatchesPlan(runDir, 1);
    await assertNothingLeft(data, runDir, daemon, data);
  } finally {
    await run(['umount', data], { timeoutMs: 10_000 });
  }
  assert.not.ok(readFileSync('/proc/self/mountinfo', 'utf8').includes(data), 'the tmpfs is gone');
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
