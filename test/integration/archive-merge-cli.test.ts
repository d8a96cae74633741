// Through the real CLI: archive a run, verify it, tamper with it; merge two hosts' runs into one report.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readTarball, writeTarball, type TarInput } from '../../src/archive/tarball.ts';
import { verifyArtifact } from '../../src/archive/verify.ts';
import { paths } from '../../src/paths.ts';
import { run } from '../../src/proc.ts';
import type { Analysis, Environment } from '../../src/types.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-archive-cli-'));
const data = path.join(tmp, 'data');
const env = { ISOBENCH_DATA: data, ISOBENCH_REPORT: path.join(tmp, 'report'), ISOBENCH_QUIET: '1' };
const cli = (...args: string[]) => run([process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), ...args], { env, timeoutMs: 180_000 });
const fixture = path.join(paths.root, 'test', 'fixtures', 'runs', 'quick-example');
const runId = 'quick-example';
const top = 'isobench-20261126-101500-quick';
let artifact = '';

/** A copy of the recorded quick-example run under the temporary data directory, with another hostname and run id if asked. */
function copyRun(id: string, edit?: (e: Environment) => void): string {
  const dir = path.join(data, 'runs', id);
  cpSync(fixture, dir, { recursive: true });
  rmSync(path.join(dir, 'README.md'));
  rmSync(path.join(dir, 'analysis.json')); // hand-made; the analyze stage writes the real one
  if (edit) {
    const file = path.join(dir, 'environment.json');
    const e = JSON.parse(readFileSync(file, 'utf8')) as Environment;
    edit(e);
    writeFileSync(file, JSON.stringify(e, null, 2));
  }
  return dir;
}

/** The artifact rebuilt with its files changed by edit, as a tamperer would. */
async function tampered(name: string, edit: (files: TarInput[]) => TarInput[]): Promise<string> {
  const entries = await readTarball(artifact, { keep: () => true });
  const files: TarInput[] = entries.filter((e) => e.type === 'file').map((e) => ({ path: e.path, data: e.data!, executable: (e.mode & 0o111) !== 0 }));
  const out = path.join(tmp, name);
  await writeTarball(out, edit(files), { mtime: entries[0].mtime });
  return out;
}

test('analyze + archive a real run; archiving twice gives the same bytes', async () => {
  copyRun(runId);
  const a = await cli('analyze', '--run', runId);
  assert.is(a.code, 0, a.stderr);
  const first = await cli('archive', '--run', runId, '--author', 'van Rijn, Vincent');
  assert.is(first.code, 0, first.stderr);
  artifact = first.stdout.trim();
  const bytes = readFileSync(artifact);
  const again = await cli('archive', '--run', runId, '--author', 'van Rijn, Vincent');
  assert.is(again.code, 0, again.stderr);
  assert.ok(readFileSync(again.stdout.trim()).equals(bytes), 'identical bytes');
  const names = (await readTarball(artifact)).map((e) => e.path);
  for (const f of ['ro-crate-metadata.json', 'CITATION.cff', 'MANIFEST.sha256', 'run/samples.jsonl']) assert.ok(names.includes(`${top}/${f}`), f);
});

test('isobench verify passes on the artifact (hashes and a fresh analysis)', async () => {
  const r = await cli('verify', artifact);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.is(r.stdout, 'ok\n');
});

test('isobench verify fails naming the file after one byte of samples.jsonl changes', async () => {
  const bad = await tampered('byte.tar.gz', (files) => files.map((f) => {
    if (f.path !== `${top}/run/samples.jsonl` || !('data' in f)) return f;
    const data = Buffer.from(f.data);
    const at = data.indexOf('1644.92');
    data[at + 3] = '5'.charCodeAt(0); // 1644.92 -> 1645.92: still a valid sample
    return { ...f, data };
  }));
  const r = await cli('verify', bad);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^run\/samples\.jsonl: contents changed/m);
});

test('isobench verify catches a consistent forgery: samples and manifest changed together, analysis left alone', async () => {
  const { createHash } = await import('node:crypto');
  const bad = await tampered('forged.tar.gz', (files) => {
    const samples = files.find((f) => f.path === `${top}/run/samples.jsonl`)! as { path: string; data: Buffer };
    const forged = Buffer.from(samples.data.toString('utf8').replace('1644.92', '1744.92'));
    const manifest = files.find((f) => f.path === `${top}/MANIFEST.sha256`)! as { path: string; data: Buffer };
    const fixed = manifest.data.toString('utf8').replace(/^[0-9a-f]{64}(  run\/samples\.jsonl)$/m, `${createHash('sha256').update(forged).digest('hex')}$1`);
    return files.map((f) => (f === samples ? { ...f, data: forged } : f === manifest ? { ...f, data: Buffer.from(fixed) } : f));
  });
  const r = await cli('verify', bad);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^run\/analysis\.json: differs from a fresh analysis of run\/samples\.jsonl/m);
});

test('isobench verify fails naming the file when a file is removed', async () => {
  const bad = await tampered('removed.tar.gz', (files) => files.filter((f) => f.path !== `${top}/ro-crate-metadata.json`));
  const r = await cli('verify', bad);
  assert.is(r.code, 1);
  assert.match(r.stdout, /^ro-crate-metadata\.json: missing from the archive/m);
});

test('every single-byte change and every removal is caught and names that file', async () => {
  const files = (await readTarball(artifact)).filter((e) => e.type === 'file').map((e) => e.path);
  assert.ok(files.length >= 10, files.join(', '));
  for (const target of files) {
    const rel = target.slice(top.length + 1);
    const changed = await tampered('one.tar.gz', (fs) => fs.map((f) => {
      if (f.path !== target || !('data' in f)) return f;
      const data = Buffer.from(f.data);
      data[Math.floor(data.length / 2)] ^= 0x01;
      return { ...f, data };
    }));
    const v = await verifyArtifact(changed);
    assert.is(v.ok, false, rel);
    // a changed manifest line names the file it lists, and the manifest
    if (rel === 'MANIFEST.sha256') assert.ok(v.problems.some((p) => p.includes('MANIFEST.sha256')), v.problems.join('\n'));
    else assert.ok(v.problems.some((p) => p.startsWith(`${rel}: contents changed`)), `${rel}: ${v.problems.join('\n')}`);
    const removed = await tampered('gone.tar.gz', (fs) => fs.filter((f) => f.path !== target));
    const w = await verifyArtifact(removed);
    assert.is(w.ok, false, `${rel} removed`);
    assert.ok(w.problems.some((p) => p.startsWith(rel === 'MANIFEST.sha256' ? 'MANIFEST.sha256: missing' : `${rel}: missing`)), `${rel} removed: ${w.problems.join('\n')}`);
  }
});

test('isobench merge: two hosts become one run and one report with both hosts side by side', async () => {
  copyRun('day1-host-a', (e) => { e.host.hostname = 'host-a'; e.run = 'day1-host-a'; });
  copyRun('day2-host-b', (e) => { e.host.hostname = 'host-b'; e.run = 'day2-host-b'; });
  const out = path.join(data, 'runs', 'merged-ab');
  const m = await cli('merge', 'day1-host-a', 'day2-host-b', '--out', out);
  assert.is(m.code, 0, m.stderr);
  assert.is(m.stdout.trim(), out);
  const analysis = JSON.parse(readFileSync(path.join(out, 'analysis.json'), 'utf8')) as Analysis;
  assert.equal(analysis.summaries.map((s) => `${s.platform}@${s.host}`), ['native@host-a', 'native@host-b', 'runc@host-a', 'runc@host-b']);

  const rep = await cli('report', '--run', 'merged-ab', '--no-pdf');
  assert.is(rep.code, 0, rep.stderr);
  const html = readFileSync(path.join(tmp, 'report', 'merged-ab', 'index.html'), 'utf8');
  for (const label of ['native @ host-a', 'native @ host-b', 'runc @ host-a', 'runc @ host-b']) assert.ok(html.includes(label), label);

  const arc = await cli('archive', '--run', 'merged-ab');
  assert.is(arc.code, 0, arc.stderr);
  const v = await cli('verify', arc.stdout.trim());
  assert.is(v.code, 0, v.stdout + v.stderr);
});

test('isobench merge refuses runs of different experiment files with exit 2 and the reason', async () => {
  const other = copyRun('other-experiment', (e) => { e.host.hostname = 'host-c'; e.run = 'other-experiment'; e.experiment = { file: 'experiments/paper.yaml', sha256: 'cd'.repeat(32) }; });
  const r = await cli('merge', 'day1-host-a', other, '--out', path.join(data, 'runs', 'refused'));
  assert.is(r.code, 2);
  assert.match(r.stderr, /not of the same experiment file/);
  assert.match(r.stderr, /experiments\/paper\.yaml/);
  assert.match(r.stderr, /--common-cells/);
  const ok = await cli('merge', 'day1-host-a', other, '--out', path.join(data, 'runs', 'common'), '--common-cells');
  assert.is(ok.code, 0, ok.stderr);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
