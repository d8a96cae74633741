import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError } from '../../src/types.ts';
import { parseSysbenchMemory, sysbenchMemory, sysbenchMemoryArgv } from '../../src/workloads/sysbench-memory.ts';

const fixture = (name: string) => readFileSync(path.join(root, 'test', 'fixtures', 'sysbench-memory', name), 'utf8');
const cuts = (text: string) => [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97].map((f) => Math.floor(text.length * f)).concat([text.length - 3]);

test('argv: the paper run (rnd, 1 thread, 1 KiB blocks, 15 s)', () => {
  assert.equal(sysbenchMemoryArgv({ accessMode: 'rnd', blockSize: '1K', totalSize: '100G', time: 15, threads: 1 }), [
    'sysbench', 'memory', '--memory-access-mode=rnd', '--threads=1', '--memory-block-size=1K', '--memory-total-size=100G', '--time=15', 'run',
  ]);
});

test('schema defaults are the paper parameters', () => {
  const props = (sysbenchMemory.paramsSchema as { properties: Record<string, { default: unknown }> }).properties;
  assert.equal(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.default])), {
    accessMode: 'rnd', blockSize: '1K', totalSize: '100G', time: 15, threads: 1,
  });
});

test('parses MiB/sec of a time-bound run', () => {
  assert.is(parseSysbenchMemory(fixture('ok-rnd-1k.txt')), Number(/\(([0-9.]+) MiB\/sec\)/.exec(fixture('ok-rnd-1k.txt'))![1]));
});

test('parses a run that ended on total size', () => {
  assert.is(parseSysbenchMemory(fixture('ok-total-size-reached.txt')), 2887.33);
});

test('killed mid-run and bad option: WorkloadError', () => {
  assert.throws(() => parseSysbenchMemory(fixture('killed-midrun.txt')), (e: unknown) => e instanceof WorkloadError);
  assert.throws(() => parseSysbenchMemory(fixture('bad-option.txt')), (e: unknown) => e instanceof WorkloadError);
});

test('every truncation of a good report throws WorkloadError, never a number', () => {
  for (const name of ['ok-rnd-1k.txt', 'ok-total-size-reached.txt']) {
    const text = fixture(name);
    for (const at of cuts(text)) {
      assert.throws(() => parseSysbenchMemory(text.slice(0, at)), (e: unknown) => e instanceof WorkloadError, `${name} cut at ${at}`);
    }
  }
});

test('a garbled rate throws', () => {
  const text = fixture('ok-rnd-1k.txt').replace(/\(([0-9.]+) MiB\/sec\)/, '(-nan MiB/sec)');
  assert.throws(() => parseSysbenchMemory(text), (e: unknown) => e instanceof WorkloadError);
});

test.run();
