#!/usr/bin/env node
// Firecracker from its GitHub release: firecracker-<version>-x86_64.tgz, checked against the pinned sha256, then the
// release's own SHA256SUMS; firecracker and jailer go to /usr/local/bin. Run: isobench setup --provision firecracker
import { $, fs, os, path } from 'zx';
import { download, installBinary, main, pinnedChecksum, prefix, releaseBase, say, versionLine } from './lib.mjs';

const VERSION = 'v1.16.1';
const ARCH = 'x86_64';
// sha256 of firecracker-v1.16.1-x86_64.tgz as several independent public repositories pin it (their CI checks it against the
// release's .sha256.txt); isobench's development machines cannot reach the release page to read it there
// (ISOBENCH_FIRECRACKER_SHA256 replaces it, e.g. for a mirror's rebuilt archive)
const SHA256 = '382a02a869e4d6d5cb14c40577f9545e8458021ea8b0b2d3fc10ec14d9c242e6';
const UPSTREAM = 'https://github.com/firecracker-microvm/firecracker/releases/download';

await main('firecracker', async () => {
  const installed = await versionLine(path.join(prefix, 'bin', 'firecracker'));
  if (installed.includes(`Firecracker ${VERSION}`)) {
    say('firecracker', `${installed} is already installed in ${prefix}/bin: nothing to do`);
    return;
  }
  const asset = `firecracker-${VERSION}-${ARCH}.tgz`;
  const sha = pinnedChecksum('firecracker', 'ISOBENCH_FIRECRACKER_SHA256', SHA256, '');
  const tarball = await download('firecracker', `${releaseBase(UPSTREAM)}/${VERSION}/${asset}`, asset, sha);

  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'isobench-provision-firecracker-'));
  try {
    await $`tar -xzf ${tarball} -C ${work}`;
    const release = path.join(work, `release-${VERSION}-${ARCH}`);
    await $({ cwd: release })`sha256sum --check --strict --quiet SHA256SUMS`; // the files inside, as release.sh listed them
    await installBinary('firecracker', path.join(release, `firecracker-${VERSION}-${ARCH}`), 'firecracker');
    await installBinary('firecracker', path.join(release, `jailer-${VERSION}-${ARCH}`), 'jailer');
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  say('firecracker', `now: ${await versionLine(path.join(prefix, 'bin', 'firecracker'))}`);
});
