import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { controllersToBind, parseCgroupMounts } from '../../src/platforms/cgroup-hybrid-fix.ts';
import { root } from '../../src/paths.ts';

const fixture = (name: string) => readFileSync(path.join(root, 'test', 'fixtures', 'mountinfo', name), 'utf8');

test('parses the hybrid layout: v1 hierarchies with their controllers and the cgroup2 mount', () => {
  const m = parseCgroupMounts(fixture('hybrid-hugetlb-on-v2.txt'));
  assert.is(m.v2, '/sys/fs/cgroup/unified');
  assert.is(m.v1.length, 9);
  assert.equal(m.v1.find((h) => h.mountPoint === '/sys/fs/cgroup/cpu')?.controllers, ['cpu']);
  assert.equal(m.v1.find((h) => h.mountPoint === '/sys/fs/cgroup/systemd')?.controllers, []); // name=systemd is no controller
});

test('hugetlb held by cgroup2 in hybrid mode must be bound to a v1 hierarchy', () => {
  const m = parseCgroupMounts(fixture('hybrid-hugetlb-on-v2.txt'));
  assert.equal(controllersToBind(m, ['hugetlb']), ['hugetlb']);
});

test('nothing to do once every controller has a v1 hierarchy', () => {
  const text = `${fixture('hybrid-hugetlb-on-v2.txt')}43 31 0:39 / /sys/fs/cgroup/hugetlb rw,relatime - cgroup cgroup rw,hugetlb\n`;
  assert.equal(controllersToBind(parseCgroupMounts(text), ['']), []);
  assert.equal(controllersToBind(parseCgroupMounts(text), ['hugetlb']), []);
});

test('nothing to do on a pure cgroup v2 host', () => {
  const m = parseCgroupMounts(fixture('pure-v2.txt'));
  assert.is(m.v2, '/sys/fs/cgroup');
  assert.equal(controllersToBind(m, ['cpu', 'memory', 'hugetlb']), []);
});

test('combined v1 hierarchies count each of their controllers as bound', () => {
  const text = '1 0 0:1 / /c/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n2 0 0:2 / /c/unified rw - cgroup2 cgroup2 rw\n';
  assert.equal(controllersToBind(parseCgroupMounts(text), ['cpuacct', 'pids']), ['pids']);
});

test.run();
