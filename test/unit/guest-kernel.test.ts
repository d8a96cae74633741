import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { distroIds, parseAptCandidate, parseAptDepends } from '../../src/images/guest-kernel.ts';
import { moduleClosure, moduleName, parseModinfo, parseModulesBuiltin, type KernelModule } from '../../src/images/kernel-modules.ts';
import { LZ4_LEGACY_MAGIC, lz4LegacyDecompress } from '../../src/images/lz4-legacy.ts';
import { extractVmlinux, parseBzImageHeader, payloadFormat } from '../../src/images/vmlinux.ts';
import { root } from '../../src/paths.ts';

const fixture = (...p: string[]) => readFileSync(path.join(root, 'test', 'fixtures', ...p));

test('bzImage header of the Debian cloud kernel: protocol, payload position, release', () => {
  const h = parseBzImageHeader(fixture('kernel', 'bzimage-6.1.0-56-cloud-amd64.head'));
  assert.is(h.protocol, '2.15');
  assert.is(h.setupSects, 39);
  assert.is(h.kernelOffset, 40 * 512);
  assert.is(h.payloadOffset, 21196);
  assert.is(h.payloadLength, 14063308);
  assert.is(h.release, '6.1.0-56-cloud-amd64');
  assert.match(h.versionString, /Debian 6\.1\.192-2/);
});

test('the payload of the Debian cloud kernel is LZ4 (legacy frame)', () => {
  const head = fixture('kernel', 'bzimage-6.1.0-56-cloud-amd64.head');
  assert.is(payloadFormat(head, parseBzImageHeader(head).payloadOffset), 'lz4');
});

test('a file without the HdrS signature is refused, naming the file', () => {
  assert.throws(() => parseBzImageHeader(Buffer.alloc(0x1000), '/boot/x'), /\/boot\/x: no "HdrS" boot header/);
  assert.throws(() => parseBzImageHeader(Buffer.alloc(16), 'k'), /too short/);
});

test('payload formats are told apart by their magic', () => {
  assert.is(payloadFormat(Buffer.from([0x1f, 0x8b, 8, 0])), 'gzip');
  assert.is(payloadFormat(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), 'zstd');
  assert.is(payloadFormat(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
  assert.is(payloadFormat(Buffer.from('\x7fELF', 'latin1')), 'elf');
  assert.is(payloadFormat(Buffer.from([1, 2, 3, 4])), null);
});

/** A legacy frame holding one block: literals 'abc', a match (offset 3, length 9), literals 'xyz!'. */
function lz4Vector(): { frame: Buffer; plain: string } {
  const block = Buffer.from([0x35, 0x61, 0x62, 0x63, 0x03, 0x00, 0x40, 0x78, 0x79, 0x7a, 0x21]);
  const frame = Buffer.alloc(4 + 4 + block.length);
  frame.writeUInt32LE(LZ4_LEGACY_MAGIC, 0);
  frame.writeUInt32LE(block.length, 4);
  block.copy(frame, 8);
  return { frame, plain: 'abcabcabcabcxyz!' };
}

test('lz4 legacy: literals and an overlapping match decode exactly', () => {
  const { frame, plain } = lz4Vector();
  assert.is(lz4LegacyDecompress(frame, plain.length).toString(), plain);
});

test('lz4 legacy: a wrong expected size or a truncated block is an error, not short output', () => {
  const { frame, plain } = lz4Vector();
  assert.throws(() => lz4LegacyDecompress(frame, plain.length + 1), /decoded 16 bytes, expected 17/);
  assert.throws(() => lz4LegacyDecompress(frame.subarray(0, frame.length - 3), plain.length), /runs past the end/);
  assert.throws(() => lz4LegacyDecompress(Buffer.from('nope'), 1), /no legacy-frame magic/);
});

test('extract-vmlinux on a synthetic bzImage with a gzip payload returns the ELF inside', async () => {
  const elf = Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(100, 7)]);
  const payload = gzipSync(elf);
  const img = Buffer.alloc(5 * 512 + 64 + payload.length);
  img[0x1f1] = 4;
  img.write('HdrS', 0x202, 'latin1');
  img.writeUInt16LE(0x20f, 0x206);
  img.writeUInt32LE(64, 0x248);
  img.writeUInt32LE(payload.length, 0x24c);
  payload.copy(img, 5 * 512 + 64);
  const out = await extractVmlinux(img, 'synthetic', '/nonexistent');
  assert.equal(out, elf);
  img.writeUInt32LE(payload.length + 10_000, 0x24c);
  try { await extractVmlinux(img, 'synthetic', '/nonexistent'); assert.unreachable('truncated image accepted'); } catch (e) { assert.match((e as Error).message, /runs past the end of the file/); }
});

test('modinfo of a real module: name and dependencies from the .modinfo section', () => {
  const info = parseModinfo(fixture('kernel', 'virtio_mmio-6.1.0-56-cloud-amd64.ko'));
  assert.equal(info.name, ['virtio_mmio']);
  assert.equal(info.depends?.[0].split(',').sort(), ['virtio', 'virtio_ring']);
  assert.throws(() => parseModinfo(Buffer.from('not an elf file at all, really not'), 'x.ko'), /x\.ko: not an ELF file/);
});

const mod = (name: string, depends: string[] = []): KernelModule => ({ name, file: `/m/${name}.ko`, depends });

test('module closure loads dependencies first, each once, and skips built-ins', () => {
  const index = new Map([mod('virtio'), mod('virtio_ring'), mod('virtio_pci', ['virtio_ring', 'virtio']), mod('virtio_blk', ['virtio', 'virtio_ring']), mod('failover'), mod('net_failover', ['failover']), mod('virtio_net', ['virtio_ring', 'virtio', 'net_failover'])].map((m) => [m.name, m]));
  const { order, missing } = moduleClosure(['virtio_pci', 'virtio_blk', 'virtio_net', 'vsock'], index, new Set(['failover']));
  const names = order.map((m) => m.name);
  assert.equal(names, ['virtio_ring', 'virtio', 'virtio_pci', 'virtio_blk', 'net_failover', 'virtio_net']);
  assert.equal(missing, ['vsock']);
});

test('module closure refuses a dependency cycle', () => {
  const index = new Map([mod('a', ['b']), mod('b', ['a'])].map((m) => [m.name, m]));
  assert.throws(() => moduleClosure(['a'], index, new Set()), /cycle a -> b -> a/);
});

test('modules.builtin and module names: dashes equal underscores', () => {
  const b = parseModulesBuiltin('kernel/drivers/virtio/virtio.ko\nkernel/drivers/char/hw_random/virtio-rng.ko\n');
  assert.ok(b.has('virtio') && b.has('virtio_rng'));
  assert.is(moduleName('virtio-rng'), 'virtio_rng');
});

test('apt: the concrete kernel package of the meta-package, and its candidate version', () => {
  assert.is(parseAptDepends(fixture('apt', 'depends-linux-image-cloud-amd64.txt').toString()), 'linux-image-6.1.0-56-cloud-amd64');
  assert.is(parseAptCandidate(fixture('apt', 'policy-linux-image-6.1.0-56-cloud-amd64.txt').toString()), '6.1.192-2');
  assert.is(parseAptCandidate('x:\n  Installed: (none)\n  Candidate: (none)\n'), null);
  assert.is(parseAptDepends('linux-image-cloud-amd64\n  Depends: <linux-image-virtual>\n'), null);
});

test('distribution ids from os-release choose the kernel package family', () => {
  assert.equal(distroIds('PRETTY_NAME="Debian GNU/Linux 12"\nID=debian\n'), ['debian']);
  assert.equal(distroIds('ID=linuxmint\nID_LIKE="ubuntu debian"\n'), ['linuxmint', 'ubuntu', 'debian']);
});

test.run();
