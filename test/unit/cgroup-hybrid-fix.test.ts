import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { bindControllerArgv, controllersToBind, parseCgroupMounts } from '../../src/platforms/cgroup-hybrid-fix.ts';

const fixture = (name: string) => readFileSync(path.join(root, 'test', 'fixtures', 'mountinfo', name), 'utf8');

test('hybrid host: hugetlb held by cgroup2 must get its own v1 hierarchy', () => {
  const m = parseCgroupMounts(fixture('hybrid-hugetlb-on-v2.txt'));
  assert.is(m.v2, '/sys/fs/cgroup/unified');
  assert.equal(controllersToBind(m, ['hugetlb']), ['hugetlb']);
  assert.equal(bindControllerArgv('hugetlb', '/sys/fs/cgroup/hugetlb'), ['mount', '-t', 'cgroup', '-o', 'hugetlb', 'cgroup', '/sys/fs/cgroup/hugetlb']);
});

test('idempotent: once hugetlb is bound in v1 (by anyone) there is nothing left to do', () => {
  const text = `${fixture('hybrid-hugetlb-on-v2.txt')}43 31 0:39 / /sys/fs/cgroup/hugetlb rw,relatime - cgroup cgroup rw,hugetlb\n`;
  assert.equal(controllersToBind(parseCgroupMounts(text), ['hugetlb']), []);
});

test('pure cgroup v2 needs no fix', () => {
  assert.equal(controllersToBind(parseCgroupMounts(fixture('pure-v2.txt')), ['cpu', 'memory', 'hugetlb']), []);
});

test.run();
