import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guestAgentScript, guestCmdline, guestInitScript, guestOverlay, stage1Entries, stage1InitScript } from '../../src/images/guest-init.ts';
import { uuidFromHash } from '../../src/images/root-disk.ts';
import { cpioHeader, overlayHash, readCpio, sortEntries, writeCpio, type CpioEntry } from '../../src/images/initramfs.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-cpio-'));
const src = path.join(tmp, 'tool');
writeFileSync(src, 'binary\0bytes');

const entries: CpioEntry[] = [
  { path: '/usr/bin/tool', kind: 'file', mode: 0o755, source: src },
  { path: '/usr', kind: 'dir', mode: 0o755 },
  { path: '/bin', kind: 'symlink', target: 'usr/bin' },
  { path: '/usr/bin', kind: 'dir', mode: 0o755 },
  { path: '/etc/hosts', kind: 'file', mode: 0o644, data: Buffer.from('127.0.0.1 localhost\n') },
  { path: '/etc', kind: 'dir', mode: 0o755 },
];

test('newc header: 110 bytes of magic and hex fields, name NUL-terminated, padded to 4', () => {
  const h = cpioHeader('init', { ino: 1, mode: 0o100755, nlink: 1, size: 5 });
  assert.is(h.toString('latin1', 0, 6), '070701');
  assert.is(h.length % 4, 0);
  assert.is(h.toString('latin1', 6 + 8, 6 + 16), (0o100755).toString(16).padStart(8, '0'));
  assert.is(h.toString('latin1', 110, 115), 'init\0');
});

test('a written archive reads back: parents before children, modes, contents, symlinks, trailer', async () => {
  const file = path.join(tmp, 'a.cpio');
  await writeCpio(file, entries);
  const back = readCpio(readFileSync(file));
  assert.equal(back.map((e) => e.path), ['/bin', '/etc', '/etc/hosts', '/usr', '/usr/bin', '/usr/bin/tool']);
  const tool = back.find((e) => e.path === '/usr/bin/tool')!;
  assert.is(tool.data.toString(), 'binary\0bytes');
  assert.is(tool.mode, 0o100755);
  const link = back.find((e) => e.path === '/bin')!;
  assert.is(link.mode & 0o170000, 0o120000);
  assert.is(link.data.toString(), 'usr/bin');
});

test('the same entries in any order give byte-identical archives (no mtimes, owners or host inodes)', async () => {
  const a = path.join(tmp, 'a.cpio');
  const b = path.join(tmp, 'b.cpio');
  await writeCpio(a, entries);
  await writeCpio(b, [...entries].reverse());
  const hash = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
  assert.is(hash(a), hash(b));
});

test('a later entry for the same path wins (the overlay over the rootfs)', () => {
  const sorted = sortEntries([{ path: '/init', kind: 'file', mode: 0o644, data: Buffer.from('a') }, { path: '/init', kind: 'file', mode: 0o755, data: Buffer.from('b') }]);
  assert.is(sorted.length, 1);
  assert.is((sorted[0] as { data: Buffer }).data.toString(), 'b');
});

test('the overlay hash follows content and mode, not the host path of a file', async () => {
  const copy = path.join(tmp, 'copy');
  writeFileSync(copy, 'binary\0bytes');
  const h1 = await overlayHash([{ path: '/x', kind: 'file', mode: 0o755, source: src }]);
  assert.is(await overlayHash([{ path: '/x', kind: 'file', mode: 0o755, source: copy }]), h1);
  assert.is.not(await overlayHash([{ path: '/x', kind: 'file', mode: 0o644, source: copy }]), h1);
  assert.is.not(await overlayHash([{ path: '/x', kind: 'file', mode: 0o755, data: Buffer.from('other') }]), h1);
});

test('the guest init loads the given modules in order and reads its parameters from the command line', () => {
  const init = guestInitScript(['virtio_ring', 'virtio', 'virtio_blk']);
  assert.match(init, /for m in virtio_ring virtio virtio_blk; do/);
  for (const p of ['isobench.chan=', 'isobench.vsock=', 'isobench.data=', 'isobench.ip=', 'isobench.gw=', 'isobench.off=']) assert.ok(init.includes(p), p);
  assert.match(init, /mount -t ext4 -o noatime "\/dev\/\$data" \/data/);
  assert.match(guestAgentScript(), /@@ISOBENCH-END %s %s %s@@/);
  const overlay = guestOverlay([{ name: 'virtio', file: '/k/virtio.ko' }]);
  assert.ok(overlay.some((e) => e.path === '/isobench/modules/virtio.ko'));
});

test('the kernel command line carries the parameters and refuses whitespace', () => {
  const c = guestCmdline({ channel: 'ttyS1', dataDevice: 'vda', address: '10.0.2.15/24', gateway: '10.0.2.2' });
  assert.is(c, 'console=ttyS0 loglevel=4 panic=-1 rdinit=/isobench/init isobench.chan=ttyS1 isobench.data=vda isobench.ip=10.0.2.15/24 isobench.gw=10.0.2.2');
  assert.throws(() => guestCmdline({ channel: 'tty S1' }), /whitespace/);
});

test('a root-disk boot: stage 1 loads the modules, mounts the disk read-only and switches to /isobench/init', () => {
  const script = stage1InitScript(['virtio', 'virtio_blk']);
  assert.match(script, /for m in virtio virtio_blk; do/);
  assert.match(script, /mount -t ext4 -o ro,noatime "\/dev\/\$root" \/newroot/);
  assert.match(script, /exec \$bb switch_root \/newroot \/isobench\/init/);
  const paths = stage1Entries('/bin/busybox', [{ name: 'virtio', file: '/k/virtio.ko' }]).map((e) => e.path);
  for (const p of ['/init', '/bin/busybox', '/newroot', '/isobench/modules/virtio.ko']) assert.ok(paths.includes(p), p);
  assert.match(guestCmdline({ rootDevice: 'vda', dataDevice: 'vdb', channel: 'ttyS1' }), /rdinit=\/init isobench.root=vda .*isobench.data=vdb/);
});

test('the root disk gets a UUID derived from its content hash', () => {
  assert.match(uuidFromHash('6838d9c653ea56f7'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.is(uuidFromHash('6838d9c653ea56f7'), uuidFromHash('6838d9c653ea56f7'));
  assert.is.not(uuidFromHash('6838d9c653ea56f7'), uuidFromHash('6838d9c653ea56f8'));
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
