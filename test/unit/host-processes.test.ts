import { test } from 'uvu';
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { containerOneShotArgv, containerProcessTree, containerRunArgv } from '../../src/platforms/docker-cli.ts';
import { parentOf, parseProcStat, processesWithEnv, readProcTable, withDescendants, type ProcEntry } from '../../src/platforms/host-processes.ts';
import { run } from '../../src/proc.ts';

test('proc stat: pid, state, ppid, pgrp even when the command name holds spaces and parentheses', () => {
  assert.equal(parseProcStat('4242 (tmux: server) S 1 4242 4242 0 -1 4194624 ...'), { pid: 4242, ppid: 1, pgid: 4242, state: 'S', comm: 'tmux: server' });
  assert.equal(parseProcStat('77 (a) b (c)) R 76 70 70 0'), { pid: 77, ppid: 76, pgid: 70, state: 'R', comm: 'a) b (c)' });
  assert.is(parseProcStat('garbage'), undefined);
});

const table: ProcEntry[] = [
  { pid: 1, ppid: 0, pgid: 1, argv: ['/sbin/init'] },
  { pid: 100, ppid: 1, pgid: 100, argv: ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby', '-id', 'c0ffee1234567890abcd', '-address', '/run/containerd.sock'] },
  { pid: 101, ppid: 100, pgid: 101, argv: ['/bin/sleep', '2147483647'] },
  { pid: 102, ppid: 100, pgid: 102, argv: ['sh', '-c', 'sysbench …'] },
  { pid: 103, ppid: 102, pgid: 102, argv: ['sysbench', 'cpu'] },
  { pid: 200, ppid: 1, pgid: 200, argv: ['runsc-gofer', '--root=/run/runsc', 'gofer', '--bundle', '/run/c0ffee1234567890abcd'] },
  { pid: 300, ppid: 1, pgid: 300, argv: ['/usr/bin/dockerd'] },
];

test('descendants: the roots that exist and everything below them', () => {
  assert.equal(withDescendants(table, [100]), [100, 101, 102, 103]);
  assert.equal(withDescendants(table, [102, 9999]), [102, 103]);
  assert.equal(withDescendants(table, []), []);
});

test('parent of a process', () => {
  assert.is(parentOf(table, 101)?.pid, 100);
  assert.is(parentOf(table, 1), undefined);
});

test('container tree: init, the shim above it and all below, plus processes naming the container id; never the daemon', () => {
  assert.equal(containerProcessTree(table, 101, 'c0ffee1234567890abcd'), [100, 101, 102, 103, 200]);
  assert.equal(containerProcessTree(table, 101), [100, 101, 102, 103]);
  const noShim = table.map((p) => (p.pid === 100 ? { ...p, argv: ['/usr/bin/something-else'] } : p));
  assert.equal(containerProcessTree(noShim, 101), [101]);
  assert.not.ok(containerProcessTree(table, 101, 'c0ffee1234567890abcd').includes(300));
});

test('the live table has this process, its parent, and its group', () => {
  const live = readProcTable();
  const me = live.find((p) => p.pid === process.pid);
  assert.ok(me, 'this process is listed');
  assert.is(me!.ppid, process.ppid);
  assert.ok(me!.argv.length > 0);
});

test('an environment mark finds a background child after its shell exited, and nothing else', async () => {
  const mark = `t${process.pid}x${Date.now()}`;
  const r = await run(['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $!'], { env: { ISOBENCH_TEST_MARK: mark }, timeoutMs: 10_000 });
  const child = Number(r.stdout.trim());
  try {
    // wait until the child has exec'd sleep: mid-exec its environ reads empty (seen once under load)
    for (let i = 0; i < 100 && !readFileSync(`/proc/${child}/cmdline`, 'utf8').startsWith('sleep'); i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(processesWithEnv('ISOBENCH_TEST_MARK', mark), [child]);
    assert.equal(processesWithEnv('ISOBENCH_TEST_MARK', `${mark}-other`), []);
  } finally {
    process.kill(child, 'SIGKILL');
  }
});

test('one-shot argv: run --rm with a cidfile and the command in place of the keep-alive sleep', () => {
  const spec = { cli: 'docker' as const, name: 'isobench-c1-0-s0', image: 'isobench-rootfs:abc', cpus: 1, hostCores: 2, memoryMiB: 512, network: 'none' as const };
  const argv = containerOneShotArgv(spec, ['/bin/echo', 'isobench-ready'], '/tmp/x/cid');
  assert.equal(argv.slice(0, 5), ['docker', 'run', '--rm', '--cidfile', '/tmp/x/cid']);
  assert.equal(argv.slice(-3), ['isobench-rootfs:abc', '/bin/echo', 'isobench-ready']);
  assert.not.ok(argv.includes('-d'));
  // everything between the mode flags and the command is what a long-lived instance gets, less its tmpfs (no extra mount in the timed start)
  const long = containerRunArgv(spec);
  assert.equal(long.slice(2, 5), ['-d', '--tmpfs', '/tmp:rw,nosuid,nodev,mode=1777']);
  assert.not.ok(argv.includes('--tmpfs'));
  assert.equal(argv.slice(5, -2), long.slice(5, -2));
  assert.throws(() => containerOneShotArgv(spec, [], '/tmp/x/cid'), /empty command/);
});

test.run();
