#!/usr/bin/env node
// The guest kernel for Firecracker and Cloud Hypervisor: Debian 12's cloud kernel package, pinned by version and by the
// sha256 in Debian's signed package index, unpacked where src/images/guest-kernel.ts keeps kernels. On a Debian or Ubuntu
// host isobench fetches the current one with apt by itself; this script is for other hosts, or to pin the kernel.
// Run: isobench setup --provision guest-kernel
import { $, fs, os, path } from 'zx';
import { dataDir, download, main, pinnedChecksum, releaseBase, say } from './lib.mjs';

const PACKAGE = 'linux-image-6.1.0-57-cloud-amd64';
const VERSION = '6.1.192-3';
// from bookworm-security's Packages index (apt-cache show); once superseded there, point ISOBENCH_PROVISION_BASE_URL at
// https://snapshot.debian.org/archive/debian-security/<time>/ , which keeps every file
const FILENAME = `pool/updates/main/l/linux-signed-amd64/${PACKAGE}_${VERSION}_amd64.deb`;
const SHA256 = '4fdd0172a8c3f41a97e92465b2ac1867e1c10d82d7aeed3d26ee7a5d14df1754';
const UPSTREAM = 'https://deb.debian.org/debian-security';

await main('guest-kernel', async () => {
  const tree = path.join(dataDir, 'cache', 'kernels', `${PACKAGE}_${VERSION}`);
  if (await fs.pathExists(path.join(tree, 'boot'))) {
    say('guest-kernel', `${tree} is already there: nothing to do`);
    return;
  }
  const sha = pinnedChecksum('guest-kernel', 'ISOBENCH_GUEST_KERNEL_SHA256', SHA256, '');
  const deb = await download('guest-kernel', `${releaseBase(UPSTREAM)}/${FILENAME}`, path.basename(FILENAME), sha);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-provision-kernel-'));
  try {
    await $`dpkg-deb -x ${deb} ${path.join(work, 'tree')}`;
    if (!(await fs.readdir(path.join(work, 'tree', 'boot'))).some((n) => n.startsWith('vmlinuz-'))) throw new Error(`guest-kernel: ${deb} holds no boot/vmlinuz-*`);
    await fs.mkdir(path.dirname(tree), { recursive: true });
    await fs.move(path.join(work, 'tree'), tree);
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  say('guest-kernel', `unpacked into ${tree}`);
});
