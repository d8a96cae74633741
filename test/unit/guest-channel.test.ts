import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guestChannel } from '../../src/platforms/guest-channel.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-chan-'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A fake guest agent speaking the protocol; `script` is the decoded command text. */
function fakeAgent(sock: net.Socket, opts: { noise?: boolean; ready?: boolean } = {}) {
  let buf = '';
  sock.on('error', () => undefined); // the host may hang up mid-answer
  const say = (s: string) => { if (!sock.destroyed) sock.write(s); };
  if (opts.ready !== false) say('[    2.2] Run /isobench/init as init process\r\n');
  sock.on('data', (b) => {
    buf += b.toString('latin1');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const ping = /@@ISOBENCH-PING (\w+)@@/.exec(line);
      if (ping && opts.ready !== false) say(`@@ISOBENCH-READY ${ping[1]}@@\n`);
      const m = /@@ISOBENCH-RUN (\w+) (\d+) (\S+)@@/.exec(line);
      if (!m) continue;
      const script = Buffer.from(m[3], 'base64').toString();
      if (script.includes('hang')) continue;
      const out = Buffer.from(script);
      const err = Buffer.from('');
      const code = /exit (\d+)/.exec(script)?.[1] ?? '0';
      const lines = [`@@ISOBENCH-BEGIN ${m[1]}@@`, `@@ISOBENCH-STDOUT ${m[1]} ${out.length} ${script.includes('garble') ? '0'.repeat(64) : sha(out)}@@`, out.toString('base64'),
        ...(opts.noise ? ['[   33.1] virtio_net virtio1 eth0: link up'] : []),
        `@@ISOBENCH-STDERR ${m[1]} 0 ${sha(err)}@@`, `@@ISOBENCH-END ${m[1]} ${code} 0@@`];
      // dribble the answer in small pieces, as a serial line does
      const text = `${lines.join('\r\n')}\r\n`;
      let i = 0;
      const tick = () => { if (i < text.length) { say(text.slice(i, i + 7)); i += 7; setImmediate(tick); } };
      tick();
    }
  });
}

function server(file: string, onConn: (s: net.Socket) => void): Promise<net.Server> {
  return new Promise((resolve) => { const srv = net.createServer(onConn); srv.listen(file, () => resolve(srv)); });
}

test('serial channel: ready, commands with exit codes, noise ignored, answers dribbled in pieces', async () => {
  const file = path.join(tmp, 'serial.sock');
  const srv = await server(file, (s) => fakeAgent(s, { noise: true }));
  const ch = guestChannel({ socketPath: file, label: 'test' });
  await ch.ready(5_000, () => true);
  const r = await ch.exec(['sh', '-c', 'exit 3'], { timeoutMs: 5_000 });
  assert.is(r.code, 3);
  assert.is(r.stdout, "exec sh -c 'exit 3'\n");
  assert.equal(r.hostArgv, ['test', '--', 'sh', '-c', 'exit 3']);
  const r2 = await ch.exec(['echo', 'hi']);
  assert.is(r2.code, 0);
  ch.close();
  srv.close();
});

test('a garbled answer is an error result, never a wrong value', async () => {
  const file = path.join(tmp, 'garble.sock');
  const srv = await server(file, (s) => fakeAgent(s));
  const ch = guestChannel({ socketPath: file, label: 'test' });
  await ch.ready(5_000, () => true);
  const r = await ch.exec(['garble'], { timeoutMs: 5_000 });
  assert.is(r.code, null);
  assert.match(r.stderr, /garbled on the channel/);
  ch.close();
  srv.close();
});

test('a guest that never answers: timed out after the grace, then the instance refuses further commands', async () => {
  const file = path.join(tmp, 'hang.sock');
  const srv = await server(file, (s) => fakeAgent(s));
  const ch = guestChannel({ socketPath: file, label: 'test', graceMs: 200 });
  await ch.ready(5_000, () => true);
  const t0 = Date.now();
  const r = await ch.exec(['hang'], { timeoutMs: 300 });
  assert.ok(Date.now() - t0 >= 500 && Date.now() - t0 < 3_000, `${Date.now() - t0} ms`);
  assert.is(r.timedOut, true);
  assert.is(r.code, null);
  const r2 = await ch.exec(['echo', 'x'], { timeoutMs: 1_000 });
  assert.match(r2.stderr, /unusable/);
  ch.close();
  srv.close();
});

test('ready fails when the VMM dies or the agent never answers', async () => {
  const file = path.join(tmp, 'silent.sock');
  const srv = await server(file, (s) => fakeAgent(s, { ready: false }));
  const ch = guestChannel({ socketPath: file, label: 'test' });
  try { await ch.ready(1_200, () => true); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /did not answer within 1.2 s/); }
  ch.close();
  const ch2 = guestChannel({ socketPath: path.join(tmp, 'nobody.sock'), label: 'test' });
  try { await ch2.ready(5_000, () => false); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /VMM exited/); }
  srv.close();
});

test('hybrid vsock: CONNECT is refused until the guest listens, then OK and the same protocol', async () => {
  const file = path.join(tmp, 'vsock.sock');
  let attempts = 0;
  const srv = await server(file, (s) => {
    s.once('data', (b) => {
      assert.is(b.toString(), 'CONNECT 5252\n');
      if (++attempts < 3) { s.end(); return; } // Firecracker closes the connection while nothing listens on the port
      s.write('OK 1073741824\n');
      fakeAgent(s);
    });
  });
  const ch = guestChannel({ socketPath: file, vsockPort: 5252, label: 'fc' });
  await ch.ready(10_000, () => true);
  assert.is(attempts, 3);
  const r = await ch.exec(['true'], { timeoutMs: 5_000 });
  assert.is(r.code, 0);
  ch.close();
  srv.close();
});

test('a closed channel gives an error result', async () => {
  const file = path.join(tmp, 'close.sock');
  const srv = await server(file, (s) => { fakeAgent(s); s.on('data', (b) => { if (b.toString().includes('RUN')) s.destroy(); }); });
  const ch = guestChannel({ socketPath: file, label: 'test' });
  await ch.ready(5_000, () => true);
  const r = await ch.exec(['hang'], { timeoutMs: 5_000 });
  assert.match(r.stderr, /closed before the command finished/);
  ch.close();
  srv.close();
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
