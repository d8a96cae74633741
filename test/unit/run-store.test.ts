import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkWritable, writeFileAtomic } from '../../src/rundir/write.ts';
import { nodeIo, openSampleStore, StoreError, type StoreIo } from '../../src/run/store.ts';
import { parseCompletions, parseSampleLines } from '../../src/rundir/index.ts';
import type { Sample } from '../../src/types.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-store-test-'));
writeFileSync(path.join(tmp, 'x'), ''); // a file where a directory is expected
let n = 0;
const files = () => {
  const dir = path.join(tmp, String(n++));
  mkdirSync(dir);
  return { samples: path.join(dir, 'samples.jsonl'), completed: path.join(dir, 'completed.jsonl') };
};

const sample = (instance: number, iteration: number, status: Sample['status'] = 'ok'): Sample => ({
  schema: 1, run: 'r', cell: 'c1', platform: 'native', workload: 'sysbench-cpu', job: 'default', params: {}, instance, attempt: 0, iteration,
  metric: status === 'ok' ? 'events_per_s' : null, value: status === 'ok' ? 100 + iteration : null, unit: status === 'ok' ? 'events/s' : null,
  better: status === 'ok' ? 'higher' : null, status, ...(status === 'ok' ? {} : { error: 'boom' }), startedAt: 't', endedAt: 't',
});

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

test('samples and completion markers are appended whole, the marker counts the attempt\'s samples and its worst status', () => {
  const f = files();
  const store = openSampleStore(f);
  store.append(sample(0, 0));
  store.append(sample(0, 1, 'failed'));
  const c = store.completeInstance('c1', 0, 0);
  store.close();
  assert.is(c.samples, 2);
  assert.is(c.status, 'failed');
  assert.is(parseSampleLines(readFileSync(f.samples, 'utf8'), f.samples).lines.length, 2);
  assert.equal(parseCompletions(readFileSync(f.completed, 'utf8'), f.completed).completions.map((x) => [x.cell, x.instance, x.samples]), [['c1', 0, 2]]);
});

test('a full disk mid-line: the partial line is cut off, the error names the file and the cause, the store stays parseable', () => {
  const f = files();
  let full = false;
  const io: StoreIo = {
    ...nodeIo,
    // the kernel wrote part of the line, then the disk was full
    writeSync: (fd, buf, off, len) => {
      if (!full) return nodeIo.writeSync(fd, buf, off, len);
      if (len > 10) return nodeIo.writeSync(fd, buf, off, 10);
      throw enospc();
    },
  };
  const store = openSampleStore(f, io);
  store.append(sample(0, 0));
  store.append(sample(0, 1));
  full = true;
  let err: unknown;
  try { store.append(sample(1, 0)); } catch (e) { err = e; }
  assert.ok(err instanceof StoreError, 'a StoreError');
  assert.match((err as Error).message, /samples\.jsonl: cannot store: no space left on device/);
  // once broken, it stays broken: nothing is appended after a gap
  full = false;
  assert.throws(() => store.append(sample(1, 1)), /no space left/);
  store.close();
  const text = readFileSync(f.samples, 'utf8');
  const parsed = parseSampleLines(text, f.samples);
  assert.is(parsed.halfWritten, undefined, 'no half line left');
  assert.is(parsed.lines.length, 2);
  assert.ok(text.endsWith('\n'));
});

test('a full disk where the cut fails too leaves at most a half-written last line, which readers drop', () => {
  const f = files();
  let full = false;
  const io: StoreIo = {
    ...nodeIo,
    writeSync: (fd, buf, off, len) => {
      if (!full) return nodeIo.writeSync(fd, buf, off, len);
      if (len > 10) return nodeIo.writeSync(fd, buf, off, 10);
      throw enospc();
    },
    ftruncateSync: () => { throw enospc(); },
  };
  const store = openSampleStore(f, io);
  store.append(sample(0, 0));
  full = true;
  assert.throws(() => store.append(sample(0, 1)), /half-written last line remains; resume removes it/);
  store.close();
  const parsed = parseSampleLines(readFileSync(f.samples, 'utf8'), f.samples);
  assert.is(parsed.lines.length, 1);
  assert.is(parsed.halfWritten?.line, 2);
});

test('an fsync error (EIO) is a StoreError and the unsynced line is cut off', () => {
  const f = files();
  let fail = false;
  const io: StoreIo = { ...nodeIo, fsyncSync: (fd) => { if (fail) throw Object.assign(new Error('EIO'), { code: 'EIO' }); nodeIo.fsyncSync(fd); } };
  const store = openSampleStore(f, io);
  store.append(sample(0, 0));
  fail = true;
  assert.throws(() => store.append(sample(0, 1)), (e: Error) => e instanceof StoreError && /input\/output error/.test(e.message));
  store.close();
  // the cut's own fsync failed too, so the line may remain: either way the file parses
  const parsed = parseSampleLines(readFileSync(f.samples, 'utf8'), f.samples);
  assert.ok(parsed.lines.length >= 1 && parsed.lines.length <= 2);
});

test('a closed store refuses appends instead of writing into a reused file descriptor', () => {
  const f = files();
  const store = openSampleStore(f);
  store.close();
  assert.throws(() => store.append(sample(0, 0)), /store is closed/);
});

test('an unopenable store and an unwritable directory are one-line errors naming the path and the fix', () => {
  const notADir = path.join(tmp, 'x');
  assert.throws(() => openSampleStore({ samples: path.join(notADir, 'samples.jsonl'), completed: path.join(notADir, 'c.jsonl') }),
    /x\/samples\.jsonl: cannot open for appending: a path component is a file/);
  assert.throws(() => checkWritable(path.join(notADir, 'runs')), /x\/runs: cannot write run data here: a path component is a file/);
  assert.throws(() => checkWritable('/proc/isobench-runs'), /\/proc\/isobench-runs: cannot write run data here/);
});

test('writeFileAtomic leaves the old content when the write fails, and no temporary file', () => {
  const dir = path.join(tmp, 'atomic');
  mkdirSync(dir);
  const file = path.join(dir, 'environment.json');
  writeFileAtomic(file, 'old\n');
  writeFileAtomic(file, 'new\n');
  assert.is(readFileSync(file, 'utf8'), 'new\n');
  assert.throws(() => writeFileAtomic(path.join(tmp, 'x', 'f.json'), 'y'), /f\.json: cannot write/);
});

test('parseCompletions drops a half-written last marker and refuses a damaged one before it', () => {
  const good = JSON.stringify({ schema: 1, cell: 'c', instance: 0, attempt: 0, status: 'ok', samples: 1, endedAt: 't' });
  assert.is(parseCompletions(`${good}\n${good.slice(0, 20)}`, 'completed.jsonl').halfWritten, 2);
  assert.throws(() => parseCompletions(`${good.slice(0, 20)}\n${good}\n`, 'completed.jsonl'), /completed\.jsonl:1: not valid JSON/);
  assert.throws(() => parseCompletions(`{"schema":1}\n`, 'completed.jsonl'), /completed\.jsonl:1: not a completion marker/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
