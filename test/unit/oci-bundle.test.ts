import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpusetFor, ociConfig, type OciBundleInput } from '../../src/platforms/oci-bundle.ts';

const input: OciBundleInput = {
  name: 'isobench-t1',
  rootfs: '/images/rootfs-0123456789abcdef',
  cpus: 1,
  memoryMiB: 512,
  hostCores: 2,
  network: 'none',
};
const nsTypes = (c: ReturnType<typeof ociConfig>) => c.linux.namespaces.map((n) => n.type).sort();
const mountAt = (c: ReturnType<typeof ociConfig>, dest: string) => c.mounts.find((m) => m.destination === dest);

test('the init keeps the container alive without a terminal', () => {
  const c = ociConfig(input);
  assert.equal(c.process.args, ['/bin/sleep', '2147483647']);
  assert.is(c.process.terminal, false);
  assert.ok(c.process.env.some((e) => e.startsWith('PATH=') && e.includes('/usr/bin')));
});

test('the shared rootfs is mounted read-only by absolute path, with tmpfs scratch space', () => {
  const c = ociConfig(input);
  assert.equal(c.root, { path: '/images/rootfs-0123456789abcdef', readonly: true });
  assert.is(mountAt(c, '/tmp')?.type, 'tmpfs');
  assert.is(mountAt(c, '/run')?.type, 'tmpfs');
});

test('cpu quota is cpus × period and the cpuset the first cores', () => {
  assert.equal(ociConfig(input).linux.resources.cpu, { quota: 100000, period: 100000, cpus: '0' });
  assert.equal(ociConfig({ ...input, cpus: 2 }).linux.resources.cpu, { quota: 200000, period: 100000, cpus: '0-1' });
  assert.equal(ociConfig({ ...input, cpus: 1.5 }).linux.resources.cpu, { quota: 150000, period: 100000, cpus: '0-1' });
});

test('the cpuset never names more cores than the host has', () => {
  assert.is(ociConfig({ ...input, cpus: 16 }).linux.resources.cpu.cpus, '0-1');
  assert.is(cpusetFor(16, 64), '0-15');
  assert.is(cpusetFor(0.5, 4), '0');
});

test('memory limit is memoryMiB in bytes', () => {
  assert.is(ociConfig(input).linux.resources.memory.limit, 512 * 1024 * 1024);
});

test('network none gets its own network namespace; host shares the host network', () => {
  assert.equal(nsTypes(ociConfig(input)), ['ipc', 'mount', 'network', 'pid', 'uts']);
  assert.equal(nsTypes(ociConfig({ ...input, network: 'host' })), ['ipc', 'mount', 'pid', 'uts']);
});

test('standard mounts: proc, dev tmpfs, devpts, shm, mqueue, read-only sysfs', () => {
  const c = ociConfig(input);
  assert.is(mountAt(c, '/proc')?.type, 'proc');
  assert.is(mountAt(c, '/dev')?.type, 'tmpfs');
  assert.is(mountAt(c, '/dev/pts')?.type, 'devpts');
  assert.is(mountAt(c, '/dev/shm')?.type, 'tmpfs');
  assert.is(mountAt(c, '/dev/mqueue')?.type, 'mqueue');
  assert.ok(mountAt(c, '/sys')?.options.includes('ro'));
  // /dev must come before what is mounted inside it
  const order = c.mounts.map((m) => m.destination);
  assert.ok(order.indexOf('/dev') < order.indexOf('/dev/pts'));
});

test('the data directory is bind-mounted read-write at /data only when given', () => {
  assert.is(mountAt(ociConfig(input), '/data'), undefined);
  const m = mountAt(ociConfig({ ...input, dataDir: '/srv/scratch/x' }), '/data');
  assert.equal(m, { destination: '/data', type: 'bind', source: '/srv/scratch/x', options: ['rbind', 'rw'] });
});

test('cgroup path, hostname and nofile limit', () => {
  const c = ociConfig(input);
  assert.is(c.linux.cgroupsPath, '/isobench/isobench-t1');
  assert.is(c.hostname, 'isobench-t1');
  assert.equal(c.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
});

test('bad input is refused with the field named', () => {
  assert.throws(() => ociConfig({ ...input, name: 'Bad_Name' }), /name 'Bad_Name'/);
  assert.throws(() => ociConfig({ ...input, rootfs: 'relative/dir' }), /rootfs/);
  assert.throws(() => ociConfig({ ...input, cpus: 0 }), /cpus must be > 0/);
  assert.throws(() => ociConfig({ ...input, memoryMiB: -1 }), /memoryMiB/);
  assert.throws(() => ociConfig({ ...input, dataDir: 'data' }), /dataDir/);
  assert.throws(() => ociConfig({ ...input, network: 'bridge' as 'none' }), /network 'bridge'/);
});

test('the config is plain JSON (round-trips unchanged)', () => {
  const c = ociConfig({ ...input, dataDir: '/d' });
  assert.equal(JSON.parse(JSON.stringify(c)), c);
});

test.run();
