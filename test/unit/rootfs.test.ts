import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseLdd, rootfsHash, type RootfsEntry } from '../../src/images/rootfs.ts';
import { root } from '../../src/paths.ts';

const fixture = (name: string) => readFileSync(path.join(root, 'test', 'fixtures', 'ldd', name), 'utf8');

const base: RootfsEntry[] = [
  { dest: '/usr', kind: 'dir', mode: 0o755 },
  { dest: '/usr/bin', kind: 'dir', mode: 0o755 },
  { dest: '/usr/bin/tool', kind: 'file', mode: 0o755, sha256: 'a'.repeat(64), size: 10, source: '/usr/bin/tool' },
  { dest: '/bin', kind: 'symlink', target: 'usr/bin' },
];
const replace = (i: number, e: RootfsEntry) => base.map((x, j) => (j === i ? e : x));

test('rootfs hash is 16 hex digits and ignores entry order', () => {
  const h = rootfsHash(base);
  assert.match(h, /^[0-9a-f]{16}$/);
  assert.is(rootfsHash([...base].reverse()), h);
});

test('rootfs hash ignores where a file was copied from and its size field', () => {
  assert.is(rootfsHash(replace(2, { ...base[2], source: '/elsewhere/tool', size: 99 } as RootfsEntry)), rootfsHash(base));
});

test('rootfs hash changes with content, mode, path, link target and layout version', () => {
  const h = rootfsHash(base);
  const variants = [
    replace(2, { ...base[2], sha256: 'b'.repeat(64) } as RootfsEntry),
    replace(2, { ...base[2], mode: 0o644 } as RootfsEntry),
    replace(2, { ...base[2], dest: '/usr/bin/tool2' } as RootfsEntry),
    replace(1, { dest: '/usr/bin', kind: 'dir', mode: 0o700 }),
    replace(3, { dest: '/bin', kind: 'symlink', target: '/usr/bin' }),
    [...base, { dest: '/tmp', kind: 'dir', mode: 0o1777 } as RootfsEntry],
  ];
  const hashes = variants.map((v) => rootfsHash(v));
  for (const v of hashes) assert.is.not(v, h);
  assert.is(new Set(hashes).size, hashes.length);
  assert.is.not(rootfsHash(base, 'isobench-rootfs/999'), h);
});

test('parseLdd lists libraries and the loader of sysbench, skipping vdso', () => {
  const r = parseLdd(fixture('sysbench.txt'));
  assert.is(r.static, false);
  assert.equal(r.missing, []);
  assert.ok(r.libs.includes('/lib/x86_64-linux-gnu/libc.so.6'));
  assert.ok(r.libs.includes('/lib64/ld-linux-x86-64.so.2'));
  assert.not.ok(r.libs.some((l) => l.includes('vdso')));
  assert.is(r.libs.length, 31);
});

test('parseLdd recognises a static binary', () => {
  assert.equal(parseLdd(fixture('busybox-static.txt')), { libs: [], missing: [], static: true });
});

test('parseLdd reports missing libraries', () => {
  const r = parseLdd('\tlibfoo.so.1 => not found\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n');
  assert.equal(r.missing, ['libfoo.so.1']);
  assert.equal(r.libs, ['/lib/x86_64-linux-gnu/libc.so.6']);
});

test.run();
