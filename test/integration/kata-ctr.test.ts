// Kata's start path against the real ctr and a private containerd (Debian's 1.6.20): no Kata here, so the shim is missing,
// but everything before it is real: ctr must accept isobench's argv, fail only at the shim, and the cleanup leave nothing.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CTR_NAMESPACE } from '../../src/platforms/kata-config.ts';
import { kata9p } from '../../src/platforms/kata.ts';
import { run, spawnDaemon, terminate, which, type Daemon } from '../../src/proc.ts';
import { testHost } from '../helpers/host-changes.ts';
import { skip } from '../helpers/skip.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-kata-ctr-'));
const sock = path.join(tmp, 'containerd.sock');
let daemon: Daemon | undefined;

test.after(async () => {
  if (daemon) await terminate(daemon.pid, 5_000, true);
  rmSync(tmp, { recursive: true, force: true });
});

test('a start through the real ctr fails only at the missing shim (so ctr accepted the argv), and leaves no container', async () => {
  if (!which('containerd') || !which('ctr')) { skip('containerd not installed (apt-get install containerd)', ['containerd']); return; }
  if (process.getuid?.() !== 0) { skip('a private containerd needs root'); return; }
  if (which('containerd-shim-kata-v2')) { skip('Kata is installed here: this test is about the start path without it'); return; }
  daemon = spawnDaemon(['containerd', '--address', sock, '--root', path.join(tmp, 'root'), '--state', path.join(tmp, 'state'), '--log-level', 'warn'], path.join(tmp, 'containerd.log'));
  for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(existsSync(sock), 'containerd listens');

  const rootfs = path.join(tmp, 'rootfs');
  mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  const config = path.join(tmp, 'configuration-qemu.toml');
  writeFileSync(config, '[hypervisor.qemu]\npath = "/opt/kata/bin/qemu-system-x86_64"\n');
  const logDir = path.join(tmp, 'logs');
  mkdirSync(path.join(tmp, 'data'));
  let error = '';
  try {
    await kata9p.start({
      name: 'isobench-katactr-1', cpus: 1, memoryMiB: 512, rootfs, rootfsHash: 'test', dataDir: path.join(tmp, 'data'), logDir,
      options: { address: sock, config, startTimeoutS: 60 }, hostChanges: testHost,
    });
  } catch (e) {
    error = (e as Error).message;
  }
  // ctr 1.6.20's words when containerd cannot find the runtime's shim binary
  assert.match(error, /could not start container isobench-katactr-1 .*binary not installed "containerd-shim-kata-v2"/);
  assert.not.match(error, /flag provided but not defined|Incorrect Usage/);
  const list = await run(['ctr', '--address', sock, '--namespace', CTR_NAMESPACE, 'containers', 'list', '--quiet']);
  assert.is(list.code, 0, list.stderr);
  assert.is(list.stdout.trim(), '', 'the failed start left no container');
});

test.run();
