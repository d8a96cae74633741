// The hostile corpus, through the real CLI: artifacts, run directories and experiment files an attacker would craft.
// Each is refused with one line and exit 2, and a decoy file outside the intended directory keeps its bytes and mtime.
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseExperiment } from '../../src/experiment/load.ts';
import { makePlan } from '../../src/experiment/plan.ts';
import { paths } from '../../src/paths.ts';
import { run, which } from '../../src/proc.ts';
import { decoyUntouched, plantDecoy, writeGzipBomb, writeRawArtifact, type RawEntry } from '../helpers/hostile.ts';
import { skip } from '../helpers/skip.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-hostile-'));
const data = path.join(tmp, 'data');
const verifyTmp = path.join(tmp, 'verify-tmp'); // the child's TMPDIR: verify's private folder lands (and must vanish) here
mkdirSync(verifyTmp);
mkdirSync(path.join(tmp, 'decoy'));
const decoy = plantDecoy(path.join(tmp, 'decoy', 'secret'));
const env = { ISOBENCH_DATA: data, ISOBENCH_REPORT: path.join(tmp, 'report'), ISOBENCH_QUIET: '1', TMPDIR: verifyTmp };
const isobench = [process.execPath, path.join(paths.root, 'bin', 'isobench.mjs')];
const cli = (...args: string[]) => run([...isobench, ...args], { env, timeoutMs: 180_000 });
const fixture = path.join(paths.root, 'test', 'fixtures', 'runs', 'quick-example');

/** Exit 2, exactly one error line (no stack trace), matching `reason`; the decoy untouched; verify's temp folder gone. */
function refused(r: { code: number | null; stderr: string }, reason: RegExp): void {
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  assert.is(r.code, 2, r.stderr);
  assert.is(errors.length, 1, r.stderr);
  assert.match(errors[0], reason);
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(decoyUntouched(decoy), 'decoy bytes and mtime unchanged');
  assert.equal(readdirSync(verifyTmp).filter((f) => f.startsWith('isobench-')), [], 'no isobench folder left in TMPDIR');
}

/** A copy of the recorded quick-example run (analysed) under a new name. */
function runCopy(name: string): string {
  const dir = path.join(tmp, 'runs', name);
  cpSync(fixture, dir, { recursive: true });
  rmSync(path.join(dir, 'README.md'), { force: true });
  return dir;
}

const top = 'isobench-x';
const artifact = async (name: string, entries: RawEntry[]) => {
  const file = path.join(tmp, `${name}.tar.gz`);
  await writeRawArtifact(file, [{ name: `${top}/`, type: 'directory' }, ...entries]);
  return file;
};

// ---- artifacts ----

test('verify refuses an entry that climbs out with ..', async () => {
  const file = await artifact('traversal', [{ name: `${top}/../../../../decoy/secret`, data: 'pwned\n' }, { name: `${top}/run/../../../../decoy/secret`, data: 'pwned\n' }]);
  refused(await cli('verify', file), /entry ".*\.\.\/decoy\/secret" is absolute, has '\.' or '\.\.' parts/);
});

test('verify refuses an absolute entry name', async () => {
  const file = path.join(tmp, 'absolute.tar.gz');
  await writeRawArtifact(file, [{ name: decoy.file, data: 'pwned\n' }]);
  refused(await cli('verify', file), /is absolute, has '\.' or '\.\.' parts|outside the one top folder/);
});

test('verify refuses a name that is not canonical', async () => {
  refused(await cli('verify', await artifact('dotted', [{ name: `${top}/./run/plan.json`, data: '{}' }])), /not in canonical form/);
  refused(await cli('verify', await artifact('doubled', [{ name: `${top}//run/plan.json`, data: '{}' }])), /not in canonical form/);
});

test('verify refuses a symlink entry, and never writes through it', async () => {
  const file = await artifact('symlink', [
    { name: `${top}/run/`, type: 'directory' },
    { name: `${top}/run/samples.jsonl`, type: 'symlink', linkname: decoy.file },
    { name: `${top}/run/samples.jsonl`, data: 'pwned\n' },
  ]);
  refused(await cli('verify', file), /entry isobench-x\/run\/samples\.jsonl is a symlink/);
});

test('verify refuses a hard link entry', async () => {
  refused(await cli('verify', await artifact('hardlink', [{ name: `${top}/secret`, type: 'link', linkname: decoy.file }])), /is a link; an artifact holds only files and folders/);
});

test('verify refuses a device entry', async () => {
  refused(await cli('verify', await artifact('device', [{ name: `${top}/null`, type: 'character-device', devmajor: 1, devminor: 3 }])), /is a character-device/);
});

test('verify refuses an entry stored twice', async () => {
  refused(await cli('verify', await artifact('duplicate', [{ name: `${top}/a`, data: '1' }, { name: `${top}/a`, data: '2' }])), /entry isobench-x\/a is stored twice/);
});

test('verify refuses a gzip bomb with its memory bounded (under 200 MB)', async () => {
  if (!which('/usr/bin/time')) { skip('/usr/bin/time not installed (apt-get install time): cannot measure the child\'s memory', ['time']); return; }
  const file = path.join(tmp, 'bomb.tar.gz');
  await writeGzipBomb(file, 8 * 1024 ** 3);
  const r = await run(['/usr/bin/time', '-f', 'maxrss_kb=%M', ...isobench, 'verify', file], { env, timeoutMs: 180_000 });
  const rssMb = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1]) / 1024;
  refused({ code: r.code, stderr: r.stderr.replace(/maxrss_kb=\d+\n?/, '') }, /unpacks to more than \d+ bytes .*decompression bomb/);
  assert.ok(rssMb < 200, `verify used ${rssMb.toFixed(0)} MB for a ${(statSync(file).size / 1024 ** 2).toFixed(1)} MB bomb`);
});

test('verify refuses a truncated artifact', async () => {
  const dir = runCopy('to-truncate');
  assert.is((await cli('analyze', '--run', dir)).code, 0); // the fixture's analysis.json is hand-made; verify re-checks a real one
  const a = await cli('archive', '--run', dir);
  assert.is(a.code, 0, a.stderr);
  const whole = readFileSync(a.stdout.trim());
  const cut = path.join(tmp, 'truncated.tar.gz');
  writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
  refused(await cli('verify', cut), /not a readable \.tar\.gz .*truncated or damaged/);
  // the whole one still verifies: the refusals above are not a verify that refuses everything
  const ok = await cli('verify', a.stdout.trim());
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
});

// ---- run directories ----

test('report refuses a symlinked experiment.yaml and publishes nothing', async () => {
  const dir = runCopy('link-experiment');
  rmSync(path.join(dir, 'experiment.yaml'));
  symlinkSync(decoy.file, path.join(dir, 'experiment.yaml'));
  refused(await cli('report', '--run', dir, '--no-pdf'), /experiment\.yaml: a symbolic link/);
  assert.not.ok(existsSync(path.join(tmp, 'report', 'link-experiment', 'index.html')));
});

test('analyze refuses a symlinked samples.jsonl', async () => {
  const dir = runCopy('link-samples');
  rmSync(path.join(dir, 'samples.jsonl'));
  symlinkSync(decoy.file, path.join(dir, 'samples.jsonl'));
  refused(await cli('analyze', '--run', dir), /samples\.jsonl: a symbolic link/);
});

test('archive refuses a hard-linked run file, so the decoy never lands in an artifact', async () => {
  const dir = runCopy('hardlink-log');
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  linkSync(decoy.file, path.join(dir, 'logs', 'stolen.log'));
  refused(await cli('archive', '--run', dir), /stolen\.log: a hard link/);
  rmSync(path.join(dir, 'logs', 'stolen.log')); // the link raised the decoy's link count, not its bytes or mtime
});

test("analyze refuses a sample whose cell is '__proto__'", async () => {
  const dir = runCopy('proto');
  const file = path.join(dir, 'samples.jsonl');
  const lines = readFileSync(file, 'utf8').split('\n');
  lines[0] = lines[0].replace(/"cell":"[^"]+"/, '"cell":"__proto__"');
  writeFileSync(file, lines.join('\n'));
  refused(await cli('analyze', '--run', dir), /samples\.jsonl:1: not a valid sample: field 'cell' is "__proto__", not a plain name/);
});

test('analyze refuses a line longer than a record may be', async () => {
  const dir = runCopy('huge-line');
  const file = path.join(dir, 'samples.jsonl');
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.splice(1, 0, `{"schema":1,"error":"${'x'.repeat(2 * 1024 * 1024)}"}`);
  writeFileSync(file, lines.join('\n'));
  refused(await cli('analyze', '--run', dir), /samples\.jsonl:2: a line of \d+ characters, more than the \d+ a record may have/);
});

test('report refuses an analysis whose platform is a Vega expression', async () => {
  const dir = runCopy('vega-expr');
  const file = path.join(dir, 'analysis.json');
  const a = JSON.parse(readFileSync(file, 'utf8'));
  a.summaries[0].platform = { expr: "(function(){return 'pwned'})()" };
  writeFileSync(file, JSON.stringify(a));
  refused(await cli('report', '--run', dir, '--no-pdf'), /analysis\.json: summaries\[0\]\.platform: expected a string/);
});

test("merge refuses a source whose hostname is '..'", async () => {
  const a = runCopy('host-a');
  const b = runCopy('host-dotdot');
  const envFile = path.join(b, 'environment.json');
  const e = JSON.parse(readFileSync(envFile, 'utf8'));
  e.host.hostname = '..';
  writeFileSync(envFile, JSON.stringify(e));
  const out = path.join(tmp, 'merged');
  refused(await cli('merge', a, b, '--out', out), /host\.hostname: hostname "\.\." is not a plain name/);
  assert.not.ok(existsSync(out), 'no merged run');
});

test('run refuses a run lock that is a symlink, and never writes through it', async () => {
  mkdirSync(path.join(data, 'runs'), { recursive: true });
  symlinkSync(decoy.file, path.join(data, 'runs', '.lock'));
  try {
    refused(await cli('run', '--experiment', path.join(paths.experiments, 'smoke.yaml')), /runs\/\.lock: the run lock is a symbolic link/);
  } finally {
    rmSync(path.join(data, 'runs', '.lock'));
  }
});

test('run --resume refuses an in-flight record with an empty namePrefix: no container is reaped', async () => {
  const text = 'name: t\nseed: 3\nrepetitions: { instances: 2, iterations: 1 }\nresources: { cpus: 1, memory: 256 }\ntimeouts: { start: 10, cell: 10 }\nplatforms: [runc]\nworkloads: [{ id: sysbench-cpu, params: { time: 1 } }]\n';
  const dir = path.join(data, 'runs', 'hostile-resume');
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const loaded = parseExperiment('experiment.yaml', text);
  writeFileSync(path.join(dir, 'experiment.yaml'), text);
  writeFileSync(path.join(dir, 'plan.json'), JSON.stringify(makePlan(loaded.experiment, 'experiment.yaml')));
  writeFileSync(path.join(dir, 'environment.json'), JSON.stringify({
    schema: 1, run: 'hostile-resume', startedAt: new Date().toISOString(), host: { hostname: os.hostname(), cpuModel: os.cpus()[0].model },
    platforms: [], hostChanges: [], experiment: { file: 'experiment.yaml', sha256: loaded.sha256 },
  }));
  writeFileSync(path.join(dir, 'samples.jsonl'), '');
  writeFileSync(path.join(dir, 'logs', 'completed.jsonl'), '');
  writeFileSync(path.join(dir, 'logs', 'in-flight.json'), JSON.stringify({ session: 'hostile-resume:1', pid: 1, platform: 'runc', namePrefix: '', cell: 'c', instance: 0, attempt: 0, startedAt: '' }));
  const before = which('runc') ? (await run(['runc', 'list', '-q'])).stdout : '';
  refused(await cli('run', '--resume', dir), /in-flight\.json: namePrefix "" is not an isobench instance name/);
  if (which('runc')) assert.is((await run(['runc', 'list', '-q'])).stdout, before, 'runc containers unchanged');
});

// ---- experiment files ----

test('run refuses an experiment file under 1 KB that expands to a billion cells, naming the limit', async () => {
  const file = path.join(paths.root, 'test', 'fixtures', 'experiments', 'bad', '30-sweep-bomb.yaml');
  assert.ok(statSync(file).size < 1024);
  refused(await cli('run', '--experiment', file), /sweep: the sweep expands to 1073741824 combinations; at most 1000 are allowed \(MAX_SWEEP_COMBINATIONS\)/);
});

test('run refuses a key flood and an oversized file before parsing them', async () => {
  const flood = path.join(tmp, 'flood.yaml');
  writeFileSync(flood, `name: flood\nplatforms: [native]\nworkloads: [sysbench-cpu]\nextra:\n${Array.from({ length: 6000 }, (_, i) => `  k${i}: ${i}`).join('\n')}\n`);
  refused(await cli('run', '--experiment', flood), /more than 5000 keys \(YAML_LIMITS\.keys\)/);
  const big = path.join(tmp, 'big.yaml');
  writeFileSync(big, `name: big\ndescription: "${'x'.repeat(300 * 1024)}"\n`);
  refused(await cli('run', '--experiment', big), /big\.yaml: the file has \d+ bytes; at most 262144 are read/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
