import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandScript, encodeRequest, hasReady, parseResponse, shQuote } from '../../src/platforms/serial-protocol.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const b64lines = (b: Buffer) => (b.toString('base64').match(/.{1,76}/g) ?? []);

/** What the guest agent prints for one result (same shape as src/images/guest-init.ts's agent). */
function response(nonce: string, out: string | Buffer, err: string | Buffer, code = 0, late = 0): string[] {
  const o = Buffer.isBuffer(out) ? out : Buffer.from(out);
  const e = Buffer.isBuffer(err) ? err : Buffer.from(err);
  return [
    `@@ISOBENCH-BEGIN ${nonce}@@`,
    `@@ISOBENCH-STDOUT ${nonce} ${o.length} ${sha(o)}@@`, ...b64lines(o),
    `@@ISOBENCH-STDERR ${nonce} ${e.length} ${sha(e)}@@`, ...b64lines(e),
    `@@ISOBENCH-END ${nonce} ${code} ${late}@@`,
  ];
}

const bigOut = 'sysbench 1.0.20 (using system LuaJIT 2.1.0-beta3)\n'.repeat(40) + '    events per second:  1309.12\n';

test('a clean response is decoded: stdout, stderr, exit code', () => {
  const r = parseResponse(response('abc123', 'hello\n', 'warn\n', 3).join('\n') + '\n', 'abc123');
  assert.is(r.status, 'complete');
  if (r.status !== 'complete') return;
  assert.is(r.result.stdout.toString(), 'hello\n');
  assert.is(r.result.stderr.toString(), 'warn\n');
  assert.is(r.result.code, 3);
  assert.is(r.result.timedOut, false);
});

test('kernel messages interleaved between lines are dropped as noise', () => {
  const lines = response('n1', bigOut, '');
  const noisy: string[] = ['[    2.306507] tsc: Refined TSC clocksource calibration: 2596.118 MHz'];
  lines.forEach((l, i) => { noisy.push(l); if (i % 3 === 1) noisy.push(`[   ${i}.123456] random: crng init done`); });
  const r = parseResponse(noisy.join('\r\n'), 'n1');
  assert.is(r.status, 'complete');
  if (r.status !== 'complete') return;
  assert.is(r.result.stdout.toString(), bigOut);
  assert.ok(r.result.noise > 0);
});

test('a kernel message that breaks into the middle of a base64 line is salvaged (checked by sha256)', () => {
  const lines = response('n2', bigOut, '');
  const i = 4; // a base64 line of stdout
  const cut = 30;
  lines.splice(i, 1, `${lines[i].slice(0, cut)}[   12.000001] virtio_net virtio1 eth0: link up`, lines[i].slice(cut));
  const r = parseResponse(lines.join('\n'), 'n2');
  assert.is(r.status, 'complete');
  if (r.status === 'complete') assert.is(r.result.stdout.toString(), bigOut);
});

test('a marker preceded by noise on the same line is still found', () => {
  const lines = response('n3', 'x\n', '', 0);
  lines[0] = `[    1.0] printk without newline${lines[0]}`;
  lines[lines.length - 1] = `garbage${lines[lines.length - 1]}`;
  const r = parseResponse(lines.join('\n'), 'n3');
  assert.is(r.status, 'complete');
});

test('lost output is reported as corrupt, never decoded into a wrong result', () => {
  const lines = response('n4', bigOut, '');
  lines.splice(5, 1); // one base64 line lost on the wire
  const r = parseResponse(lines.join('\n'), 'n4');
  assert.is(r.status, 'corrupt');
  if (r.status === 'corrupt') assert.match(r.error, /stdout: expected \d+ bytes/);
});

test('a flipped character inside base64 is caught by the checksum', () => {
  const lines = response('n5', bigOut, '');
  lines[3] = lines[3].replace(/^./, (c) => (c === 'A' ? 'B' : 'A'));
  assert.is(parseResponse(lines.join('\n'), 'n5').status, 'corrupt');
});

test('truncated output (no END marker yet) is incomplete, with the complete base64 so far', () => {
  const lines = response('n6', bigOut, '');
  const r = parseResponse(lines.slice(0, 4).join('\n'), 'n6');
  assert.is(r.status, 'incomplete');
  if (r.status === 'incomplete') assert.ok(bigOut.startsWith(r.stdout.toString()) && r.stdout.length > 0);
});

test('a guest that never prints anything for this nonce stays incomplete', () => {
  assert.is(parseResponse('[    3.1] Kernel panic - not syncing: Attempted to kill init!\n', 'n7').status, 'incomplete');
});

test('a half-written END line is incomplete until the line is complete', () => {
  const text = response('n8', 'ok\n', '', 0).join('\n');
  assert.is(parseResponse(text.slice(0, text.length - 4), 'n8').status, 'incomplete');
  assert.is(parseResponse(text, 'n8').status, 'complete');
});

test('responses to other (stale) nonces are ignored', () => {
  const stale = response('old', 'stale\n', '', 1).join('\n');
  const fresh = response('new', 'fresh\n', '', 0).join('\n');
  const r = parseResponse(`${stale}\n${fresh}\n`, 'new');
  assert.is(r.status, 'complete');
  if (r.status === 'complete') assert.is(r.result.stdout.toString(), 'fresh\n');
});

test('the guest timeout flag and binary output survive', () => {
  const bin = Buffer.from([0, 1, 2, 255, 10, 13, 64, 64]);
  const r = parseResponse(response('n9', bin, 'Killed\n', 137, 1).join('\n'), 'n9');
  assert.is(r.status, 'complete');
  if (r.status !== 'complete') return;
  assert.equal([...r.result.stdout], [...bin]);
  assert.is(r.result.timedOut, true);
  assert.is(r.result.code, 137);
});

test('empty output has empty sections', () => {
  const r = parseResponse(response('na', '', '').join('\n'), 'na');
  assert.is(r.status, 'complete');
  if (r.status === 'complete') assert.is(r.result.stdout.length + r.result.stderr.length, 0);
});

test('shQuote round-trips every byte through sh quoting rules', () => {
  assert.is(shQuote('plain-arg_1.0'), 'plain-arg_1.0');
  assert.is(shQuote("it's"), `'it'\\''s'`);
  assert.is(shQuote(''), `''`);
  assert.is(shQuote('$(reboot) `x` ; | & > *'), `'$(reboot) \`x\` ; | & > *'`);
});

test('the request is one line whose payload is an exec of the quoted argv, with env', () => {
  const line = encodeRequest('abc', ['sh', '-c', 'exit 3'], { timeoutS: 2.5, env: { A: 'x y' } });
  assert.ok(line.endsWith('@@\n') && line.indexOf('\n') === line.length - 1);
  const m = /^@@ISOBENCH-RUN abc 3 (\S+)@@\n$/.exec(line);
  assert.ok(m, line);
  assert.is(Buffer.from(m![1], 'base64').toString(), `exec env 'A=x y' sh -c 'exit 3'\n`);
  assert.throws(() => commandScript([]), /empty argv/);
  assert.throws(() => commandScript(['true'], { 'A B': '1' }), /not valid/);
});

test('READY is recognised with or without a nonce', () => {
  assert.ok(hasReady('noise\n@@ISOBENCH-READY @@\n'));
  assert.ok(hasReady('@@ISOBENCH-READY 0a1b2c@@'));
  assert.not.ok(hasReady('@@ISOBENCH-PING 0a1b2c@@'));
});

test.run();
