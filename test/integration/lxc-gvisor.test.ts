// LXC and gVisor (runsc ptrace, kvm) for real: commands inside, exit codes, /data on the host, and nothing left after stop.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRootfs } from '../../src/images/rootfs.ts';
import { gvisorKvm, gvisorPtrace } from '../../src/platforms/gvisor.ts';
import { lxc, lxcExecute } from '../../src/platforms/lxc.ts';
import { which } from '../../src/proc.ts';
import type { Instance, Platform } from '../../src/types.ts';
import { processesMentioning } from '../helpers/processes.ts';
import { skip } from '../helpers/skip.ts';
import { useTempData } from '../helpers/temp-data.ts';
import { testHost } from '../helpers/host-changes.ts';

const test = suite('lxc-gvisor');
const data = useTempData(test, 'isobench-lxc-gvisor-test');


/** host mounts at or under dir */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));
}

const cgroupsNamed = (leaf: string) => readdirSync('/sys/fs/cgroup').filter((h) => existsSync(path.join('/sys/fs/cgroup', h, leaf)));

interface Case {
  platform: Platform;
  tool: string;
  /** the container's memory cgroup file (v1), to check the limit */
  memoryLimitFile: (name: string) => string;
  /** what stop() must have removed: temp dirs with this prefix, cgroups with this leaf name */
  tmpPrefix: (name: string) => string;
  cgroupLeaf: (name: string) => string;
}

const cases: Case[] = [
  {
    platform: lxc,
    tool: 'lxc-start',
    memoryLimitFile: (name) => `/sys/fs/cgroup/memory/lxc.payload.${name}/memory.limit_in_bytes`,
    tmpPrefix: (name) => `isobench-lxc-${name}-`,
    cgroupLeaf: (name) => `lxc.payload.${name}`,
  },
  {
    platform: gvisorPtrace,
    tool: 'runsc',
    memoryLimitFile: (name) => `/sys/fs/cgroup/memory/isobench-${name}/memory.limit_in_bytes`,
    tmpPrefix: (name) => `isobench-gvisor-ptrace-${name}-`,
    cgroupLeaf: (name) => `isobench-${name}`,
  },
];

for (const c of cases) {
  test(`${c.platform.id}: exec, exit codes, /data(), limits, and nothing left after stop`, async () => {
    if (!which(c.tool)) return skip(`${c.tool} not installed (apt-get install ${c.platform.packages?.join(' ')})`, [c.platform.id]);
    if (!which('sysbench')) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
    const detected = await c.platform.detect();
    assert.ok(detected.available, detected.reason);

    const fs = await buildRootfs(['sysbench']);
    const dataDir = path.join(data(), 'scratch', c.platform.id);
    mkdirSync(dataDir, { recursive: true });
    const name = `isobench-it-${c.platform.id}-${process.pid}`;
    const pivotBefore = cgroupsNamed('lxc.pivot');
    let instance: Instance | undefined;
    try {
      instance = await c.platform.start({
        name, cpus: 1, memoryMiB: 512, rootfs: fs.dir, rootfsHash: fs.hash, dataDir, options: {}, logDir: path.join(data(), 'logs'), hostChanges: testHost,
      });
      assert.is(instance.dataPath, '/data');
      assert.is(instance.network, 'none');

      const version = await instance.exec(['sysbench', '--version'], { timeoutMs: 20_000 });
      assert.is(version.code, 0, version.stderr);
      assert.match(version.stdout, /^sysbench \d+\.\d+/);

      const exit3 = await instance.exec(['sh', '-c', 'exit 3'], { timeoutMs: 20_000 });
      assert.is(exit3.code, 3);

      const write = await instance.exec(['sh', '-c', 'echo "hello from $(hostname)" > /data/out.txt'], { timeoutMs: 20_000 });
      assert.is(write.code, 0, write.stderr);
      assert.is(readFileSync(path.join(dataDir, 'out.txt'), 'utf8'), `hello from ${name}\n`);

      const env = await instance.exec(['sh', '-c', 'echo "$ISOBENCH_X"'], { timeoutMs: 20_000, env: { ISOBENCH_X: 'y z' } });
      assert.is(env.stdout, 'y z\n');

      const ro = await instance.exec(['touch', '/usr/bin/x'], { timeoutMs: 20_000 });
      assert.is.not(ro.code, 0, 'the shared rootfs must be read-only');
      assert.not.ok(existsSync(path.join(fs.dir, 'usr/bin/x')));

      const net = await instance.exec(['ls', '/sys/class/net'], { timeoutMs: 20_000 });
      assert.equal(net.stdout.split(/\s+/).filter(Boolean), ['lo'], `network none should see only loopback: ${net.stdout}${net.stderr}`);

      assert.is(readFileSync(c.memoryLimitFile(name), 'utf8').trim(), String(512 * 1024 * 1024));

      const slow = await instance.exec(['sleep', '30'], { timeoutMs: 500 });
      assert.ok(slow.timedOut);
      assert.ok(slow.ms < 10_000, `a timed-out exec returned after ${slow.ms} ms`);
      const after = await instance.exec(['true'], { timeoutMs: 20_000 });
      assert.is(after.code, 0, `the instance should still work after a timed-out exec: ${after.stderr}`);
    } finally {
      await instance?.stop();
    }
    await instance!.stop(); // idempotent

    assert.equal(processesMentioning(name), [], 'processes left');
    assert.equal(readdirSync(os.tmpdir()).filter((n) => n.startsWith(c.tmpPrefix(name))), [], 'temp dir (lxcpath / bundle + state root) left');
    assert.equal(cgroupsNamed(c.cgroupLeaf(name)), [], 'cgroups left');
    assert.equal(cgroupsNamed('lxc.pivot'), pivotBefore, "LXC's lxc.pivot cgroups left where there were none");
    assert.equal(mountsUnder(fs.dir), [], 'mounts left under the rootfs');
    assert.ok(existsSync(path.join(fs.dir, 'bin')), 'the shared rootfs must survive stop()');
  });
}

for (const c of cases) {
  test(`${c.platform.id}: a one-shot instance runs its command as init and leaves nothing; reap removes an abandoned one`, async () => {
    if (!which(c.tool)) return skip(`${c.tool} not installed (apt-get install ${c.platform.packages?.join(' ')})`, [c.platform.id]);
    if (!which('sysbench')) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
    const fs = await buildRootfs(['sysbench']);
    const base = `isobench-it-${c.platform.id}-${process.pid}`;
    const spec = (name: string) => ({ name, cpus: 1, memoryMiB: 256, rootfs: fs.dir, rootfsHash: fs.hash, options: {}, logDir: path.join(data(), 'logs'), hostChanges: testHost });
    const pivotBefore = cgroupsNamed('lxc.pivot');

    const echo = await c.platform.oneShot!(spec(`${base}-s0`), ['/bin/echo', 'isobench-marker'], { timeoutMs: 30_000 });
    assert.is(echo.code, 0, echo.stderr);
    assert.is(echo.stdout, 'isobench-marker\n');
    assert.ok(echo.firstOutputMs! > 0 && echo.firstOutputMs! <= echo.ms, `first output ${echo.firstOutputMs} ms, exit ${echo.ms} ms`);
    const exit5 = await c.platform.oneShot!(spec(`${base}-s1`), ['/bin/sh', '-c', 'exit 5'], { timeoutMs: 30_000 });
    assert.is(exit5.code, 5);
    const slow = await c.platform.oneShot!(spec(`${base}-s2`), ['/bin/sleep', '30'], { timeoutMs: 1_000 });
    assert.ok(slow.timedOut);

    // a crashed run: started, never stopped
    await c.platform.start(spec(`${base}-r`));
    assert.ok(processesMentioning(`${base}-r`).length > 0);
    assert.equal(await c.platform.reap!(`${base}-r`), [`${base}-r`]);

    assert.equal(processesMentioning(base), [], 'processes left');
    assert.equal(readdirSync(os.tmpdir()).filter((n) => n.includes(base)), [], 'temp dirs left');
    assert.equal(readdirSync('/sys/fs/cgroup').flatMap((h) => readdirSync(path.join('/sys/fs/cgroup', h)).filter((d) => d.includes(base))), [], 'cgroups left');
    // reap also removes an empty lxc.pivot that predates it, so: none where there was none
    assert.equal(cgroupsNamed('lxc.pivot').filter((h) => !pivotBefore.includes(h)), [], "LXC's lxc.pivot cgroups left where there were none");
  });
}

for (const c of cases) {
  test(`${c.platform.id}: options.network 'host' shares the host's interfaces at 127.0.0.1`, async () => {
    if (!which(c.tool) || !which('sysbench')) return skip(`${c.tool} or sysbench not installed`, ['sysbench', c.platform.id]);
    const fs = await buildRootfs(['sysbench']);
    const name = `isobench-it-${c.platform.id}-host-${process.pid}`;
    let instance: Instance | undefined;
    try {
      instance = await c.platform.start({ name, cpus: 1, memoryMiB: 256, rootfs: fs.dir, rootfsHash: fs.hash, options: { network: 'host' }, logDir: path.join(data(), 'logs'), hostChanges: testHost });
      assert.is(instance.network, 'host');
      assert.is(instance.address, '127.0.0.1');
      const net = await instance.exec(['ls', '/sys/class/net'], { timeoutMs: 20_000 });
      assert.equal(net.stdout.split(/\s+/).filter(Boolean).sort(), readdirSync('/sys/class/net').sort());
    } finally {
      await instance?.stop();
    }
    assert.equal(processesMentioning(name), [], 'processes left');
  });
}

test('gvisor-kvm: a start that hangs ends at its timeout and leaves no runsc process', async () => {
  if (!which('runsc')) return skip('runsc not installed (apt-get install runsc)', ['runsc']);
  const detected = await gvisorKvm.detect();
  if (!detected.available) return skip(`gvisor-kvm: ${detected.reason}`, ['gvisor-kvm']);
  const fs = await buildRootfs(['sysbench']);
  const name = `isobench-it-gvisor-kvm-${process.pid}`;
  const t0 = Date.now();
  let instance: Instance | undefined;
  let outcome = '';
  try {
    instance = await gvisorKvm.start({
      name, cpus: 1, memoryMiB: 512, rootfs: fs.dir, rootfsHash: fs.hash, options: { startTimeoutS: 12 }, logDir: path.join(data(), 'logs'), hostChanges: testHost,
    });
    const r = await instance.exec(['true'], { timeoutMs: 20_000 });
    outcome = r.timedOut ? 'exec timed out' : `exec exit ${r.code}`; // a host with working KVM gets here
  } catch (e) {
    outcome = `start failed: ${(e as Error).message}`;
    assert.match((e as Error).message, /gvisor-kvm: could not start sandbox .*(timed out after 12 s|exit)/);
  } finally {
    await instance?.stop();
  }
  console.log(`gvisor-kvm: ${outcome.split('\n')[0]} after ${Date.now() - t0} ms`);
  assert.ok(Date.now() - t0 < 40_000, `took ${Date.now() - t0} ms`);
  assert.equal(processesMentioning(name), [], 'runsc sandbox or gofer left');
  assert.equal(readdirSync(os.tmpdir()).filter((n) => n.startsWith(`isobench-gvisor-kvm-${name}-`)), [], 'bundle + state root left');
  assert.equal(cgroupsNamed(`isobench-${name}`), [], 'cgroups left');
});

for (const platform of [lxc, lxcExecute]) {
  test(`${platform.id} one-shot start (startup): prints the marker and ends; a failing command is not a success; nothing left`, async () => {
    if (!which('lxc-start')) return skip('lxc-start not installed (apt-get install lxc)', ['lxc']);
    const fs = await buildRootfs([]);
    const logDir = path.join(data(), 'logs', platform.id);
    mkdirSync(logDir, { recursive: true });
    const spec = (name: string) => ({ name, cpus: 1, memoryMiB: 256, rootfs: fs.dir, rootfsHash: fs.hash, options: { network: 'host' }, logDir, hostChanges: testHost });
    const name = `isobench-it-os-${platform.id}-${process.pid}`;
    const r = await platform.oneShot!(spec(name), ['/bin/echo', 'isobench-ready'], { timeoutMs: 60_000, marker: 'isobench-ready' });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'isobench-ready\n');
    assert.ok(r.firstOutputMs! > 0 && r.firstOutputMs! <= r.ms, `first output ${r.firstOutputMs} ms, exit ${r.ms} ms`);
    if (platform.id === 'lxc') {
      // a system container: lxc-start with our init as PID 1, which powered the container off
      assert.equal(r.hostArgv.slice(r.hostArgv.indexOf('--') + 1, r.hostArgv.indexOf('--') + 3), ['/bin/sh', '-c']);
      assert.match(readFileSync(path.join(logDir, `lxc-${name}.log`), 'utf8'), /Child <\d+> ended on signal Interrupt\(2\)/);
    } else {
      assert.match(r.hostArgv[0], /lxc-execute$/);
    }
    const bad = await platform.oneShot!(spec(`${name}-bad`), ['/bin/no-such-command'], { timeoutMs: 60_000 });
    assert.is.not(bad.code, 0, 'a command that cannot run is no clean start');
    assert.equal(processesMentioning(`isobench-lxc-${name}`), []);
    assert.equal(readdirSync(os.tmpdir()).filter((d) => d.startsWith(`isobench-lxc-${name}`)), []);
    assert.equal(cgroupsNamed(`lxc.payload.${name}`), []);
  });
}

test.run();
