import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRootfs, rootfsTarball } from '../../src/images/rootfs.ts';
import { paths } from '../../src/paths.ts';
import { run, which } from '../../src/proc.ts';
import { useTempData } from '../helpers/temp-data.ts';
import { skip } from '../helpers/skip.ts';
import { packageOfTool } from '../../src/workloads/index.ts';

const test = suite('rootfs');
const data = useTempData(test, 'isobench-rootfs-test');
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

test('a rootfs for sysbench runs sysbench and a busybox shell under chroot; a second build is a cache hit', async () => {
  if (!which('sysbench') || !which('chroot')) return skip('sysbench or chroot not installed (apt-get install sysbench coreutils)', ['sysbench', 'chroot']);
  const first = await buildRootfs(['sysbench']);
  assert.is(first.dir, paths.rootfs(first.hash));
  assert.ok(first.dir.startsWith(data()));
  assert.ok(first.files > 5 && first.bytes > 1_000_000, `${first.files} files, ${first.bytes} bytes`);

  const version = await run(['chroot', first.dir, '/usr/bin/sysbench', '--version'], { timeoutMs: 10_000 });
  assert.is(version.code, 0, version.stderr);
  assert.match(version.stdout, /^sysbench \d+\.\d+/);
  const shell = await run(['chroot', first.dir, '/bin/sh', '-c', 'echo ok; cat /etc/passwd | head -1; ls -d /proc /sys /dev /tmp /data /run'], { timeoutMs: 10_000 });
  assert.is(shell.code, 0, shell.stderr);
  assert.match(shell.stdout, /^ok\nroot:x:0:0:/);

  const inode = statSync(first.dir).ino;
  const t0 = Date.now();
  const second = await buildRootfs(['sysbench']);
  assert.equal(second, first);
  assert.is(statSync(second.dir).ino, inode, 'the cached tree was rebuilt');
  assert.ok(Date.now() - t0 < 5000, `cache hit took ${Date.now() - t0} ms`);
  assert.equal(readdirSync(paths.images()).filter((n) => n.includes('.tmp-')), [], 'a temporary build directory was left');
});

test('the rootfs tarball is deterministic', async () => {
  if (!which('sysbench')) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
  const fs = await buildRootfs(['sysbench']);
  const tar = await rootfsTarball(fs.dir, fs.hash);
  assert.is(tar, paths.rootfsTar(fs.hash));
  const digest = sha256(tar);
  rmSync(tar);
  assert.is(sha256(await rootfsTarball(fs.dir, fs.hash)), digest);
  const list = await run(['tar', '--utc', '-tvf', tar], { timeoutMs: 10_000 });
  assert.match(list.stdout, / 0\/0 .* 1970-01-01 00:00 \.\/usr\/bin\/sysbench\n/);
});

test('a missing tool is named with its apt package', async () => {
  const savedPath = process.env.PATH;
  process.env.PATH = data(); // nothing executable here; sysbench lives in /usr/bin
  try {
    await buildRootfs(['sysbench'], packageOfTool).then(() => assert.unreachable('built without sysbench on PATH'), (e: Error) => {
      assert.match(e.message, /tool 'sysbench' not found on PATH \(apt-get install sysbench\)/);
    });
  } finally {
    process.env.PATH = savedPath;
  }
  await buildRootfs(['no-such-tool-isobench']).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /'no-such-tool-isobench'/));
});

test.run();
