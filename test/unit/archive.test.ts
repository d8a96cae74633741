import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { archiveRun } from '../../src/archive/artifact.ts';
import { formatManifest, parseManifest, sha256Hex } from '../../src/archive/manifest.ts';
import { checkEntryPath, readTarball, writeTarball, type TarInput } from '../../src/archive/tarball.ts';
import { unpackArtifact } from '../../src/archive/unpack.ts';
import { verifyArtifact } from '../../src/archive/verify.ts';
import { run, which } from '../../src/proc.ts';
import { RefusedInput } from '../../src/rundir/index.ts';
import { gunzipSync, gzipSync } from 'node:zlib';
import { skip } from '../helpers/skip.ts';

const startedAt = '2026-03-04T05:06:07.890Z';
const top = 'isobench-r1';

/** A small run dir and report dir, as the run, analyze and report stages leave them. */
async function fakeRun(base: string): Promise<{ runDir: string; reportDir: string }> {
  const runDir = path.join(base, 'runs', 'r1');
  const reportDir = path.join(base, 'report', 'r1');
  await mkdir(path.join(runDir, 'logs', 'native'), { recursive: true });
  await mkdir(path.join(reportDir, 'charts'), { recursive: true });
  const env = { schema: 1, run: 'r1', startedAt, isobench: { version: '0.1.0', commit: 'abc123', dirty: false } };
  await writeFile(path.join(runDir, 'experiment.yaml'), 'name: quick\n');
  await writeFile(path.join(runDir, 'plan.json'), '{"schema":1}\n');
  await writeFile(path.join(runDir, 'samples.jsonl'), '{"value":1}\n{"value":2}\n');
  await writeFile(path.join(runDir, 'environment.json'), JSON.stringify(env));
  await writeFile(path.join(runDir, 'analysis.json'), '{"schema":1,"summaries":[]}\n');
  await writeFile(path.join(runDir, 'logs', 'native', 'cell-0.log'), 'sysbench output\n');
  await writeFile(path.join(runDir, 'logs', 'run.log'), 'started\n');
  await writeFile(path.join(reportDir, 'index.html'), '<html></html>\n');
  await writeFile(path.join(reportDir, 'summary.csv'), 'platform,value\nnative,1\n');
  await writeFile(path.join(reportDir, 'charts', 'cpu.svg'), '<svg/>\n');
  await writeFile(path.join(reportDir, 'charts', 'cpu.vl.json'), '{}\n');
  return { runDir, reportDir };
}

async function withTemp(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-archive-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rebuild an archive with its entries changed by edit (as a tamperer would). */
async function rewrite(src: string, dest: string, edit: (files: TarInput[]) => TarInput[]) {
  const entries = await readTarball(src, { keep: () => true });
  const files: TarInput[] = entries
    .filter((e) => e.type === 'file')
    .map((e) => ({ path: e.path, data: e.data!, executable: (e.mode & 0o111) !== 0 }));
  await writeTarball(dest, edit(files), { mtime: new Date(startedAt) });
}

test('manifest is sorted sha256sum lines and parses back', () => {
  const text = formatManifest([
    { path: 'run/b.json', sha256: sha256Hex('b') },
    { path: 'report/a.html', sha256: sha256Hex('a') },
  ]);
  assert.is(text, `${sha256Hex('a')}  report/a.html\n${sha256Hex('b')}  run/b.json\n`);
  assert.equal(parseManifest(text).map((e) => e.path), ['report/a.html', 'run/b.json']);
  assert.throws(() => parseManifest(`${sha256Hex('a')}  x\nnot a line\n`), /line 2/);
  assert.throws(() => formatManifest([{ path: 'a\nb', sha256: sha256Hex('a') }]), /newline/);
});

test('entry paths that could leave the extraction folder are refused', () => {
  for (const bad of ['/etc/passwd', 'a/../b', '', 'a//b']) assert.throws(() => checkEntryPath(bad), /plain relative path/);
  assert.is(checkEntryPath('a/b.txt'), 'a/b.txt');
});

test('archiving the same run twice gives identical bytes; gzip header has no mtime', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  const first = await readFile(await archiveRun(runDir, reportDir));
  const out = await archiveRun(runDir, reportDir); // the first artifact now sits in reportDir and must not be included
  const second = await readFile(out);
  assert.is(sha256Hex(second), sha256Hex(first));
  assert.is(out, path.join(reportDir, 'artifact.tar.gz'));
  assert.equal([...second.subarray(0, 4)], [0x1f, 0x8b, 8, 0]); // gzip, deflate, no flags (no file name)
  assert.equal([...second.subarray(4, 8)], [0, 0, 0, 0]); // gzip mtime 0
}));

test('tar lists sorted entries owned by 0/0 with fixed modes and the run start time', () => withTemp(async (dir) => {
  if (!which('tar')) { skip('tar not installed', ['tar']); return; }
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  const names = (await run(['tar', '-tzf', out])).stdout.trim().split('\n');
  assert.equal(names, [...names].sort());
  for (const want of ['run/samples.jsonl', 'run/logs/native/cell-0.log', 'run/experiment.yaml', 'report/charts/cpu.svg', 'report/summary.csv',
    'software/package.json', 'software/COMMIT', 'MANIFEST.sha256', 'run/logs/']) {
    assert.ok(names.includes(`${top}/${want}`), `archive lists ${want}`);
  }
  assert.not.ok(names.some((n) => n.includes('artifact.tar.gz')), 'the artifact does not hold itself');
  const long = (await run(['tar', '-tvzf', out, '--numeric-owner', '--full-time'], { env: { TZ: 'UTC' } })).stdout.trim().split('\n');
  for (const line of long) {
    const [mode, owner, , date, time] = line.split(/\s+/);
    assert.is(owner, '0/0', line);
    assert.ok(['drwxr-xr-x', '-rw-r--r--'].includes(mode), line);
    assert.is(`${date} ${time}`, '2026-03-04 05:06:07', line);
  }
  const entries = await readTarball(out);
  assert.ok(entries.every((e) => e.uname === '' && e.gname === ''), 'no owner names');
}));

test('extracted artifact passes sha256sum -c MANIFEST.sha256', () => withTemp(async (dir) => {
  if (!which('tar') || !which('sha256sum')) { skip('tar or sha256sum not installed', ['tar', 'sha256sum']); return; }
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  const dest = path.join(dir, 'extracted');
  await mkdir(dest);
  assert.is((await run(['tar', '-xzf', out, '-C', dest])).code, 0);
  const check = await run(['sha256sum', '-c', 'MANIFEST.sha256'], { cwd: path.join(dest, top) });
  assert.is(check.code, 0, check.stdout + check.stderr);
  assert.match(check.stdout, /run\/samples\.jsonl: OK/);
  assert.match(check.stdout, /software\/COMMIT: OK/);
  assert.is(await readFile(path.join(dest, top, 'software', 'COMMIT'), 'utf8'), 'abc123\n');
}));

test('unpackArtifact writes the same files tar does', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  const { files } = await unpackArtifact(out, path.join(dir, 'x'), path.join(dir, 'stream.tar'));
  assert.ok(files.some((f) => f.path === `${top}/run/logs/run.log`));
  assert.is(await readFile(path.join(dir, 'x', top, 'run', 'samples.jsonl'), 'utf8'), '{"value":1}\n{"value":2}\n');
}));

test('verify passes on a fresh artifact and runs the re-analysis hook', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  assert.equal(await verifyArtifact(out), { ok: true, problems: [] });
  let seen: string[] = [];
  const same = await verifyArtifact(out, async (runDir) => {
    seen = (readdirSync(runDir, { recursive: true }) as string[]).sort();
    return readFileSync(path.join(runDir, 'analysis.json'));
  });
  assert.equal(same, { ok: true, problems: [] });
  assert.ok(seen.includes('samples.jsonl') && seen.includes('logs/native/cell-0.log'), seen.join(', '));
  const differs = await verifyArtifact(out, async () => Buffer.from('{"schema":1,"summaries":[1]}\n'));
  assert.is(differs.ok, false);
  assert.match(differs.problems.join('\n'), /run\/analysis\.json: differs/);
}));

test('verify fails naming the file after one byte is changed', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  const bad = path.join(dir, 'tampered.tar.gz');
  await rewrite(out, bad, (files) => files.map((f) => {
    if (f.path !== `${top}/run/samples.jsonl` || !('data' in f)) return f;
    const data = Buffer.from(f.data);
    data[9] ^= 1; // '1' -> '0'
    return { ...f, data };
  }));
  const v = await verifyArtifact(bad);
  assert.is(v.ok, false);
  assert.is(v.problems.length, 1, v.problems.join('\n'));
  assert.match(v.problems[0], /^run\/samples\.jsonl: contents changed/);
}));

test('verify fails naming a removed file and an extra file', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  const removed = path.join(dir, 'removed.tar.gz');
  await rewrite(out, removed, (files) => files.filter((f) => f.path !== `${top}/report/charts/cpu.svg`));
  const v = await verifyArtifact(removed);
  assert.is(v.ok, false);
  assert.equal(v.problems, [`report/charts/cpu.svg: missing from the archive (listed in MANIFEST.sha256)`]);

  const extra = path.join(dir, 'extra.tar.gz');
  await rewrite(out, extra, (files) => [...files, { path: `${top}/run/injected.json`, data: Buffer.from('{}') }]);
  const w = await verifyArtifact(extra);
  assert.is(w.ok, false);
  assert.equal(w.problems, [`run/injected.json: in the archive but not listed in MANIFEST.sha256`]);
}));

test('verify names the file whose tar header alone was changed (mode, no content change)', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  const bad = path.join(dir, 'mode.tar.gz');
  await rewrite(out, bad, (files) => files.map((f) => (f.path === `${top}/run/plan.json` ? { ...f, executable: true } : f)));
  const v = await verifyArtifact(bad);
  assert.is(v.ok, false);
  assert.equal(v.problems.length, 1, v.problems.join('\n'));
  assert.match(v.problems[0], /^run\/plan\.json: tar header or padding differs/);
}));

test('verify fails after any single byte of the tar stream changes, headers and padding included', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  const stream = gunzipSync(await readFile(out));
  const bad = path.join(dir, 'flipped.tar.gz');
  const step = Math.max(1, Math.floor(stream.length / 150));
  let named = 0;
  for (let at = 0; at < stream.length; at += step) {
    const flipped = Buffer.from(stream);
    flipped[at] ^= 0x20;
    await writeFile(bad, gzipSync(flipped, { level: 9 }));
    // a flip that makes the archive unsafe or unreadable is refused (thrown); any other is a named problem
    const v = await verifyArtifact(bad).catch((e: Error) => ({ ok: false, problems: [`${bad}: ${e.message}`] }));
    assert.is(v.ok, false, `byte ${at} of the tar stream changed, yet verify passed`);
    if (v.problems.some((p) => /^[a-zA-Z]/.test(p) && !p.startsWith(`${bad}:`))) named++;
  }
  assert.ok(named > 0);
}));

test('verify fails on a changed gzip header byte and on bytes appended to the artifact', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  const out = await archiveRun(runDir, reportDir);
  const bytes = await readFile(out);
  const os9 = Buffer.from(bytes);
  os9[9] = 0xff; // OS byte: not covered by the gzip CRC
  await writeFile(path.join(dir, 'os.tar.gz'), os9);
  const v = await verifyArtifact(path.join(dir, 'os.tar.gz'));
  assert.equal(v.problems, ['os.tar.gz: gzip header byte 9 is 0xff, isobench archive writes 0x03 (re-compressed or edited)']);
  await writeFile(path.join(dir, 'longer.tar.gz'), Buffer.concat([bytes, Buffer.alloc(16)]));
  const w = await verifyArtifact(path.join(dir, 'longer.tar.gz'));
  assert.equal(w.problems, ['longer.tar.gz: 16 byte(s) after the end of the gzip stream']);
}));

test('verify refuses an unreadable file with one line naming it', () => withTemp(async (dir) => {
  const notTar = path.join(dir, 'x.tar.gz');
  await writeFile(notTar, 'plain text');
  try {
    await verifyArtifact(notTar);
    assert.unreachable('verify should refuse a file that is not a .tar.gz');
  } catch (e) {
    assert.instance(e, RefusedInput);
    assert.match((e as Error).message, /x\.tar\.gz: not a readable \.tar\.gz/);
  }
}));

test('a missing analysis.json names the file and the command that writes it', () => withTemp(async (dir) => {
  const { runDir, reportDir } = await fakeRun(dir);
  await rm(path.join(runDir, 'analysis.json'));
  try {
    await archiveRun(runDir, reportDir);
    assert.unreachable('archiveRun should refuse a run without analysis.json');
  } catch (err) {
    const msg = (err as Error).message;
    assert.match(msg, path.join(runDir, 'analysis.json'));
    assert.match(msg, `isobench analyze --run ${runDir}`);
  }
}));

test.run();
