import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRootfs } from '../../src/images/rootfs.ts';
import { crun } from '../../src/platforms/crun.ts';
import { runc } from '../../src/platforms/runc.ts';
import { run, which } from '../../src/proc.ts';
import type { Instance, Platform } from '../../src/types.ts';
import { useTempData } from '../helpers/temp-data.ts';
import { skip } from '../helpers/skip.ts';
import { testHost } from '../helpers/host-changes.ts';

const test = suite('oci-runtimes');
const data = useTempData(test, 'isobench-oci-test');

/** pids whose cgroup (v1 or v2) is this container's */
function pidsInCgroup(name: string): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`/isobench/${name}\n`)) pids.push(Number(p));
    } catch { /* exited meanwhile */ }
  }
  return pids;
}

/** a resource file of the container's cgroup, from the v1 hierarchy or the cgroup2 mount, whichever the runtime used */
function cgroupValue(name: string, v1: string, v2: string): string {
  const candidates = [v1, path.join('unified', v2), v2].map((f) => path.join('/sys/fs/cgroup', path.dirname(f), 'isobench', name, path.basename(f)));
  const file = candidates.find((f) => existsSync(f));
  assert.ok(file, `none of ${candidates.join(', ')} exists`);
  return readFileSync(file!, 'utf8').trim();
}

for (const platform of [runc, crun] as Platform[]) {
  test(`${platform.id}: exec, exit codes, /data(), limits, isolation, and nothing left after stop`, async () => {
    const binary = platform.id;
    if (!which(binary)) return skip(`${binary} not installed (apt-get install ${binary})`, [binary]);
    if (!which('sysbench')) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
    const detected = await platform.detect();
    assert.ok(detected.available, detected.reason);
    assert.match(detected.version ?? '', /^\d+\.\d+/);
    await platform.prepare?.(testHost);

    const fs = await buildRootfs(['sysbench']);
    const dataDir = path.join(data(), 'scratch', binary);
    mkdirSync(dataDir, { recursive: true });
    const name = `isobench-it-${binary}-${process.pid}`;
    let instance: Instance | undefined;
    let listedAfterStop = '';
    try {
      instance = await platform.start({
        name, cpus: 1, memoryMiB: 512, rootfs: fs.dir, rootfsHash: fs.hash, dataDir,
        options: {}, logDir: path.join(data(), 'logs'), hostChanges: testHost,
      });
      assert.is(instance.dataPath, '/data');
      assert.is(instance.network, 'none');

      const version = await instance.exec(['sysbench', '--version'], { timeoutMs: 20_000 });
      assert.is(version.code, 0, version.stderr);
      assert.match(version.stdout, /^sysbench \d+\.\d+/);
      assert.equal(version.hostArgv.slice(-2), ['sysbench', '--version']);

      const exit3 = await instance.exec(['sh', '-c', 'exit 3'], { timeoutMs: 20_000 });
      assert.is(exit3.code, 3);

      const write = await instance.exec(['sh', '-c', 'echo "hello from $(hostname)" > /data/out.txt'], { timeoutMs: 20_000 });
      assert.is(write.code, 0, write.stderr);
      assert.is(readFileSync(path.join(dataDir, 'out.txt'), 'utf8'), `hello from ${name}\n`);

      const net = await instance.exec(['ls', '/sys/class/net'], { timeoutMs: 20_000 });
      assert.equal(net.stdout.split(/\s+/).filter(Boolean), ['lo'], 'network none should see only loopback');
      const ro = await instance.exec(['touch', '/usr/bin/x'], { timeoutMs: 20_000 });
      assert.is.not(ro.code, 0, 'the shared rootfs must be read-only');

      assert.is(cgroupValue(name, 'memory/memory.limit_in_bytes', 'memory.max'), String(512 * 1024 * 1024));
      assert.match(cgroupValue(name, 'cpu/cpu.cfs_quota_us', 'cpu.max'), /^100000( 100000)?$/);

      const slow = await instance.exec(['sleep', '30'], { timeoutMs: 500 });
      assert.ok(slow.timedOut);
      assert.ok(slow.ms < 10_000, `a timed-out exec returned after ${slow.ms} ms`);
      assert.ok(pidsInCgroup(name).length >= 1, 'the container init should still run');
    } finally {
      const first = instance?.stop();
      await instance?.stop(); // a second, concurrent stop must wait for the cleanup in flight
      listedAfterStop = (await run([binary, 'list', '-q'], { timeoutMs: 20_000 })).stdout;
      await first;
    }
    await instance!.stop(); // idempotent

    assert.not.ok(listedAfterStop.split('\n').includes(name), `${binary} list still shows ${name}`);
    assert.equal(readdirSync(os.tmpdir()).filter((n) => n.startsWith(`isobench-${binary}-${name}-`)), [], 'bundle dir left');
    assert.equal(pidsInCgroup(name), [], 'processes left in the container cgroup');
    assert.equal(readdirSync('/sys/fs/cgroup').filter((h) => existsSync(path.join('/sys/fs/cgroup', h, 'isobench', name))), [], 'cgroups left');
  });
}

for (const platform of [runc, crun] as Platform[]) {
  test(`${platform.id}: options.network 'host' shares the host's interfaces`, async () => {
    if (!which(platform.id) || !which('sysbench')) return skip(`${platform.id} or sysbench not installed`, ['sysbench', platform.id]);
    await platform.prepare?.(testHost);
    const fs = await buildRootfs(['sysbench']);
    const name = `isobench-it-${platform.id}-host-${process.pid}`;
    let instance: Instance | undefined;
    try {
      instance = await platform.start({
        name, cpus: 1, memoryMiB: 256, rootfs: fs.dir, rootfsHash: fs.hash,
        options: { network: 'host' }, logDir: path.join(data(), 'logs'), hostChanges: testHost,
      });
      assert.is(instance.network, 'host');
      assert.is(instance.address, '127.0.0.1');
      assert.is(instance.dataPath, undefined);
      const net = await instance.exec(['ls', '/sys/class/net'], { timeoutMs: 20_000 });
      assert.equal(net.stdout.split(/\s+/).filter(Boolean).sort(), readdirSync('/sys/class/net').sort());
    } finally {
      await instance?.stop();
    }
  });
}

for (const platform of [runc, crun] as Platform[]) {
  test(`${platform.id}: a one-shot is timed by the startup-spawner, its cgroup removed, the shared parent kept until teardown`, async () => {
    if (!which(platform.id)) return skip(`${platform.id} not installed (apt-get install ${platform.id})`, [platform.id]);
    if (!which('gcc')) return skip('gcc not installed (apt-get install gcc libc6-dev): the startup-spawner cannot be built', ['gcc']);
    await platform.prepare?.(testHost);
    const fs = await buildRootfs(['sysbench']);
    const name = `isobench-it-${platform.id}-shot-${process.pid}`;
    const r = await platform.oneShot!({ name, cpus: 1, memoryMiB: 256, rootfs: fs.dir, rootfsHash: fs.hash, options: {}, logDir: path.join(data(), 'logs'), hostChanges: testHost }, ['/bin/echo', 'isobench-ready'], { timeoutMs: 60_000 });
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, 'isobench-ready\n');
    assert.is(r.hostArgv[0], which(platform.id), 'the sample names the runtime, not the spawner');
    assert.match(r.method ?? '', /startup-spawner/);
    assert.ok(r.firstOutputMs! > 0 && r.ms >= r.firstOutputMs!, `first output ${r.firstOutputMs} ms, exit ${r.ms} ms`);
    const hierarchies = readdirSync('/sys/fs/cgroup').map((h) => path.join('/sys/fs/cgroup', h)).concat('/sys/fs/cgroup');
    assert.equal(hierarchies.filter((h) => existsSync(path.join(h, 'isobench', name))), [], 'the one-shot\'s own cgroups are gone');
    assert.ok(hierarchies.some((h) => existsSync(path.join(h, 'isobench'))), 'the parent stays, so the next start does not create it inside its clock');
    await platform.teardown!();
    // a parent that still exists holds another live instance (the host is shared)
    const left = hierarchies.filter((h) => existsSync(path.join(h, 'isobench')) && readdirSync(path.join(h, 'isobench'), { withFileTypes: true }).every((e) => !e.isDirectory()));
    assert.equal(left, [], 'teardown removes the empty parents');
  });
}

test.run();
