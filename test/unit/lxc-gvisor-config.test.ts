import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { gvisorBundleConfig, parseRunscPlatforms, parseRunscPs, parseRunscVersion, runscGlobalArgs } from '../../src/platforms/gvisor.ts';
import { cgroupVersionFor, lxcConfig, lxcLogCause, type LxcConfigInput } from '../../src/platforms/lxc.ts';
import { ociConfig } from '../../src/platforms/oci-bundle.ts';

const fixture = (...p: string[]) => readFileSync(path.join(paths.root, 'test', 'fixtures', ...p), 'utf8');

test("runsc 20221219 (Debian) offers ptrace and kvm, not systrap", () => {
  assert.equal(parseRunscPlatforms(fixture('runsc', 'flags-debian-20221219.txt')), ['ptrace', 'kvm']);
  assert.is(parseRunscVersion(fixture('runsc', 'version-debian-20221219.txt')), '0.0~20221219.0');
});

test('a newer -platform line with systrap as default is read too; no line means nothing offered', () => {
  const text = '  -platform string\n    \tspecifies which platform to use: systrap (default), ptrace, kvm. (default "systrap")\n';
  assert.equal(parseRunscPlatforms(text), ['systrap', 'ptrace', 'kvm']);
  assert.equal(parseRunscPlatforms('  -network value\n'), []);
});

test('runsc ps json: a pid list (20221219) or process records', () => {
  assert.equal(parseRunscPs('[1,2]\n'), [1, 2]);
  assert.equal(parseRunscPs('[{"PID":1,"Cmd":"sleep"},{"PID":7,"Cmd":"sysbench"}]'), [1, 7]);
  assert.equal(parseRunscPs('null'), []);
});

test('runsc flags: per-instance state root, platform, network, pinned file access and overlay, text log; debug only when asked', () => {
  const args = runscGlobalArgs({ root: '/t/a/root', platform: 'kvm', network: 'host', logFile: '/l/g.log' });
  assert.equal(args, [
    '--root=/t/a/root', '--platform=kvm', '--network=host', '--file-access=exclusive', '--file-access-mounts=shared', '--overlay2=none',
    '--log=/l/g.log', '--log-format=text',
  ]);
  const dbg = runscGlobalArgs({ root: '/r', platform: 'ptrace', network: 'none', logFile: '/l', debugLogDir: '/l/d' });
  assert.ok(dbg.includes('--debug') && dbg.includes('--debug-log=/l/d/'));
});

test('the gVisor bundle keeps the OCI config and puts the cgroup directly under the root', () => {
  const base = ociConfig({ name: 'g1', rootfs: '/img', cpus: 1, memoryMiB: 512, hostCores: 2, dataDir: '/d', network: 'none' });
  const c = gvisorBundleConfig(base, 'g1');
  assert.is(c.linux.cgroupsPath, '/isobench-g1');
  assert.is(base.linux.cgroupsPath, '/isobench/g1', 'the input is not modified');
  assert.equal(c.mounts.find((m) => m.destination === '/data'), { destination: '/data', type: 'bind', source: '/d', options: ['rbind', 'rw'] });
  assert.equal(c.linux.resources, base.linux.resources);
});

const input: LxcConfigInput = {
  name: 'isobench-l1', rootfs: '/img/rootfs-1', cpus: 1, memoryMiB: 512, hostCores: 2, dataDir: '/scratch/d', network: 'none', cgroup: 'v1',
};
const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

test('lxc config (cgroup v1): read-only shared rootfs, /data bind, loopback only, cpuset + quota + memory limit', () => {
  const l = lines(lxcConfig(input));
  for (const want of [
    'lxc.uts.name = isobench-l1',
    'lxc.rootfs.path = dir:/img/rootfs-1',
    'lxc.rootfs.options = ro',
    'lxc.mount.entry = /scratch/d data none rbind,rw 0 0',
    'lxc.net.0.type = empty',
    'lxc.cgroup.cpuset.cpus = 0',
    'lxc.cgroup.cpu.cfs_quota_us = 100000',
    'lxc.cgroup.cpu.cfs_period_us = 100000',
    'lxc.cgroup.memory.limit_in_bytes = 536870912',
  ]) assert.ok(l.includes(want), `missing '${want}' in\n${l.join('\n')}`);
  assert.not.ok(l.some((x) => x.startsWith('lxc.cgroup2.')));
});

test('lxc config (cgroup v2), host network, 2 of 2 cores, no data dir', () => {
  const l = lines(lxcConfig({ ...input, cgroup: 'v2', network: 'host', cpus: 2, dataDir: undefined }));
  assert.ok(l.includes('lxc.net.0.type = none'));
  assert.ok(l.includes('lxc.cgroup2.cpuset.cpus = 0-1'));
  assert.ok(l.includes('lxc.cgroup2.cpu.max = 200000 100000'));
  assert.ok(l.includes('lxc.cgroup2.memory.max = 536870912'));
  assert.not.ok(l.some((x) => x.includes(' data ')));
  assert.not.ok(l.some((x) => x.startsWith('lxc.cgroup.')));
});

test('lxc config refuses what LXC would misread, naming the field', () => {
  assert.throws(() => lxcConfig({ ...input, dataDir: '/my data' }), /dataDir '\/my data' contains whitespace/);
  assert.throws(() => lxcConfig({ ...input, rootfs: 'rel/rootfs' }), /rootfs 'rel\/rootfs' must be an absolute path/);
  assert.throws(() => lxcConfig({ ...input, network: 'bridge' as never }), /options.network: 'none' or 'host'/);
  assert.throws(() => lxcConfig({ ...input, name: 'Bad_Name' }), /name 'Bad_Name'/);
});

test('cgroup keys: v1 on a hybrid host, v2 on a pure cgroup2 host', () => {
  assert.is(cgroupVersionFor(fixture('mountinfo', 'hybrid-hugetlb-on-v2.txt')), 'v1');
  assert.is(cgroupVersionFor(fixture('mountinfo', 'pure-v2.txt')), 'v2');
});

test("a failed lxc-start is explained by the log's first ERROR lines, not its generic last ones", () => {
  const cause = lxcLogCause(fixture('lxc', 'start-failed-no-dev.log'));
  assert.is(cause, 'Read-only file system - Failed to create "/dev" directory; Failed to mount "/dev"');
  assert.is(lxcLogCause('a\nb\nc\n'), 'b; c');
});

test.run();
