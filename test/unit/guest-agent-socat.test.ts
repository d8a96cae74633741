// The vsock agent's listener, run for real: the init's socat options with a UNIX listener instead of VSOCK-LISTEN, and the real agent.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GUEST_AGENT, guestAgentScript, guestInitScript } from '../../src/images/guest-init.ts';
import { which } from '../../src/proc.ts';
import { skip } from '../helpers/skip.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-socat-'));

/** The socat line of the init script, as argv, with the vsock address swapped for a unix socket and the agent for its copy here. */
function listenerArgv(socketPath: string, agentPath: string): string[] {
  const line = guestInitScript([]).split('\n').find((l) => /^\s*socat VSOCK-LISTEN:/.test(l));
  assert.ok(line, 'the init script has a socat VSOCK-LISTEN line');
  const m = /socat VSOCK-LISTEN:"\$vsock"(,\S+)? EXEC:(\S+)$/.exec(line!.trim());
  assert.ok(m, `unexpected socat line: ${line}`);
  assert.is(m![2], GUEST_AGENT);
  return [`UNIX-LISTEN:${socketPath}${m![1] ?? ''}`, `EXEC:${agentPath}`];
}

test('the guest side ends when its agent does: socat exits after POWEROFF, so init goes on to power off', async () => {
  if (!which('socat') || !which('busybox')) { skip('socat or busybox not installed (apt-get install socat busybox-static)'); return; }
  const agent = path.join(tmp, 'agent');
  // the agent's scratch directory moved from the guest's /run into this test's directory
  writeFileSync(agent, guestAgentScript().replace('run=/run/isobench', `run=${tmp}/run`), { mode: 0o755 });
  const sock = path.join(tmp, 'agent.sock');
  const listener = spawn('socat', listenerArgv(sock, agent), { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => listener.once('exit', (code) => r(code)));
  try {
    let conn: net.Socket | undefined;
    for (let i = 0; i < 50 && !conn; i++) {
      conn = await new Promise<net.Socket | undefined>((r) => {
        const c = net.connect(sock);
        c.once('connect', () => r(c));
        c.once('error', () => setTimeout(() => r(undefined), 100));
      });
    }
    assert.ok(conn, 'connected to the listener');
    let got = '';
    conn!.on('data', (b) => { got += b.toString(); });
    conn!.write('@@ISOBENCH-PING n1@@\n');
    for (let i = 0; i < 50 && !got.includes('@@ISOBENCH-READY n1@@'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(got.includes('@@ISOBENCH-READY n1@@'), `the real agent answered the ping (got ${JSON.stringify(got)})`);
    conn!.write('@@ISOBENCH-POWEROFF@@\n');
    const code = await Promise.race([exited, new Promise<'still listening'>((r) => setTimeout(() => r('still listening'), 5_000))]);
    assert.is.not(code, 'still listening', 'socat still listens 5 s after the agent exited: init would never power off');
    conn!.destroy();
  } finally {
    listener.kill('SIGKILL');
  }
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
