#!/usr/bin/env node
// Kata Containers' Go runtime from its GitHub release: kata-go-static-<version>-amd64.tar.zst unpacked into /opt/kata,
// kata-runtime and containerd-shim-kata-v2 linked into /usr/local/bin. Run: isobench setup --provision kata
//   Since 3.21 the archives are .tar.zst (.tar.xz before). Since 4.1 kata-static holds only runtime-rs, which has no
//   virtio-9p (the paper's shared filesystem); kata-runtime and the Go shim that isobench drives are in kata-go-static.
import { $, fs, path } from 'zx';
import { download, main, pinnedChecksum, prefix, releaseBase, say, systemRoot, versionLine } from './lib.mjs';

const VERSION = '4.1.0';
const ASSET = `kata-go-static-${VERSION}-amd64.tar.zst`;
// Kata publishes no checksum file with its releases, and none for this asset is recorded here: supply it yourself.
const SHA256 = '';
const UPSTREAM = 'https://github.com/kata-containers/kata-containers/releases/download';

await main('kata', async () => {
  const shim = path.join(prefix, 'bin', 'containerd-shim-kata-v2');
  const installed = await versionLine(shim);
  if (installed.includes('(Golang)') && installed.includes(`version: ${VERSION},`)) {
    say('kata', `${installed} is already installed: nothing to do`);
    return;
  }
  const sha = pinnedChecksum('kata', 'ISOBENCH_KATA_SHA256', SHA256,
    `Download ${UPSTREAM}/${VERSION}/${ASSET} yourself, check it against a source you trust (the release's signed tag, your distribution, a colleague's copy) and take its sha256sum.`);
  const tarball = await download('kata', `${releaseBase(UPSTREAM)}/${VERSION}/${ASSET}`, ASSET, sha);
  await fs.mkdir(systemRoot, { recursive: true });
  await $`tar --zstd -xf ${tarball} -C ${systemRoot}`; // its entries are ./opt/kata/...
  const kataBin = path.join(systemRoot, 'opt', 'kata', 'bin');
  await fs.mkdir(path.join(prefix, 'bin'), { recursive: true });
  for (const name of ['kata-runtime', 'containerd-shim-kata-v2']) {
    const target = path.join(kataBin, name);
    if (!(await fs.pathExists(target))) throw new Error(`kata: ${ASSET} has no opt/kata/bin/${name}: is it kata-go-static?`);
    const link = path.join(prefix, 'bin', name);
    await fs.rm(link, { force: true });
    await fs.symlink(target, link);
    say('kata', `linked ${link} -> ${target}`);
  }
  // the shim talks to the guest agent over vsock; containerd (Debian's package) starts the shim from PATH
  if (systemRoot === '/') await $({ nothrow: true })`modprobe vhost_vsock`;
  say('kata', `now: ${await versionLine(shim)}`);
});
