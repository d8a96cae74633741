import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSamples } from '../../src/rundir/index.ts';
import { stableStringify } from '../../src/stats/stable-json.ts';

const ok = (iteration: number) => JSON.stringify({
  schema: 1, run: 'r', cell: 'c', platform: 'native', workload: 'w', job: 'default', params: {}, instance: 0, iteration,
  metric: 'm', value: 1 + iteration, unit: 'u', better: 'higher', status: 'ok', startedAt: '', endedAt: '',
});

/** stderr written while fn runs */
function captureStderr(fn: () => void): string {
  const original = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true; }) as typeof process.stderr.write;
  try { fn(); } finally { process.stderr.write = original; }
  return text;
}

test('reads complete lines and skips blank ones', () => {
  const samples = parseSamples(`${ok(0)}\n\n${ok(1)}\n`, 'samples.jsonl');
  assert.equal(samples.map((s) => s.value), [1, 2]);
});

test('a half-written last line is dropped with a warning naming the line', () => {
  let samples: ReturnType<typeof parseSamples> = [];
  const warning = captureStderr(() => { samples = parseSamples(`${ok(0)}\n${ok(1)}\n${ok(2).slice(0, 40)}`, 'run/samples.jsonl'); });
  assert.is(samples.length, 2);
  assert.match(warning, /run\/samples\.jsonl:3: dropping a half-written last line/);
});

test('a malformed line before the last is an error naming file and line', () => {
  assert.throws(() => parseSamples(`${ok(0)}\n${ok(1).slice(0, 30)}\n${ok(2)}\n`, 'run/samples.jsonl'), /run\/samples\.jsonl:2: not valid JSON/);
});

test('a well-formed line that is not a sample is an error naming the field', () => {
  const bad = ok(0).replace('"status":"ok"', '"status":"done"');
  assert.throws(() => parseSamples(`${bad}\n`, 'samples.jsonl'), /samples\.jsonl:1: not a valid sample: field 'status'/);
  const noValue = ok(0).replace('"value":1', '"value":null');
  assert.throws(() => parseSamples(`${ok(1)}\n${noValue}\n`, 'samples.jsonl'), /samples\.jsonl:2: .*finite numeric value/);
});

test('failed samples may have no metric or value', () => {
  const failed = ok(0).replace('"metric":"m","value":1', '"metric":null,"value":null').replace('"status":"ok"', '"status":"failed","error":"x"');
  assert.is(parseSamples(failed, 'samples.jsonl')[0].status, 'failed');
});

test('stable JSON sorts keys at every level and refuses non-finite numbers', () => {
  assert.is(stableStringify({ b: 1, a: { d: [2, { z: 1, y: 0 }], c: null } }, 0), '{"a":{"c":null,"d":[2,{"y":0,"z":1}]},"b":1}');
  assert.throws(() => stableStringify({ x: [1, Number.NaN] }), /\$\.x\[1\] is NaN/);
});

test.run();
