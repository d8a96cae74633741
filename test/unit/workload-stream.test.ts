import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError } from '../../src/types.ts';
import { parseStream, stream, streamArgv } from '../../src/workloads/stream.ts';

const fixture = (name: string) => readFileSync(path.join(root, 'test', 'fixtures', 'stream', name), 'utf8');
const cuts = (text: string) => [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97].map((f) => Math.floor(text.length * f)).concat([text.length - 3]);
const isWorkloadError = (e: unknown) => e instanceof WorkloadError;

test('argv: the compiled kernels with elements and passes', () => {
  assert.equal(streamArgv({ elements: 100000000, ntimes: 10 }), ['stream-kernels', '100000000', '10']);
  assert.equal(stream.tools, ['stream-kernels']);
  assert.match(stream.description, /own C implementation/);
});

test('parses the best rate of each kernel', () => {
  assert.equal(parseStream(fixture('ok-2e6-x10.json'), { elements: 2000000, ntimes: 10 }), {
    copy: 29686.226, scale: 31191.09, add: 28559.087, triad: 31666.217,
  });
});

test('a result for other params than asked is refused', () => {
  assert.throws(() => parseStream(fixture('ok-2e6-x10.json'), { elements: 100000000, ntimes: 10 }), isWorkloadError);
});

test('bad arguments and a killed run: WorkloadError', () => {
  assert.throws(() => parseStream(fixture('bad-elements.txt')), isWorkloadError);
  assert.throws(() => parseStream(fixture('killed-midrun.txt')), isWorkloadError);
});

test('every truncation of a good result throws WorkloadError', () => {
  const text = fixture('ok-2e6-x10.json');
  for (const at of cuts(text)) assert.throws(() => parseStream(text.slice(0, at)), isWorkloadError, `cut at ${at}`);
});

test('unvalidated, zero or missing rates throw', () => {
  const text = fixture('ok-2e6-x10.json');
  assert.throws(() => parseStream(text.replace('"validated":true', '"validated":false')), isWorkloadError);
  assert.throws(() => parseStream(text.replace(/"triad":\{"best_mbps":[0-9.]+/, '"triad":{"best_mbps":0')), isWorkloadError);
  assert.throws(() => parseStream(text.replace('"add":', '"ad":')), isWorkloadError);
  assert.throws(() => parseStream(text.replace('isobench stream-kernels', 'stress-ng')), isWorkloadError);
});

test.run();
