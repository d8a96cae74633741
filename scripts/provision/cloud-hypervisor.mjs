#!/usr/bin/env node
// Cloud Hypervisor's static release binary (cloud-hypervisor-static), checked against the pinned sha256, installed as
// /usr/local/bin/cloud-hypervisor. Run: isobench setup --provision cloud-hypervisor
import { path } from 'zx';
import { download, installBinary, main, pinnedChecksum, prefix, releaseBase, say, versionLine } from './lib.mjs';

const VERSION = 'v53.0'; // the release whose option syntax data/cloud-hypervisor/v53.0/options.json holds
const ASSET = 'cloud-hypervisor-static'; // x86-64; aarch64 is cloud-hypervisor-static-aarch64
// (ISOBENCH_CLOUD_HYPERVISOR_SHA256 replaces it)
// sha256 of cloud-hypervisor-static v53.0 as several independent public repositories pin it (not read from the release page here)
const SHA256 = '448af3d4e59b22c2987f7df94c213ad40fb53a10d437e42b5ee6c4fce7c29ecc';
const UPSTREAM = 'https://github.com/cloud-hypervisor/cloud-hypervisor/releases/download';

await main('cloud-hypervisor', async () => {
  const installed = await versionLine(path.join(prefix, 'bin', 'cloud-hypervisor'));
  if (installed.trim() === `cloud-hypervisor ${VERSION}`) {
    say('cloud-hypervisor', `${installed} is already installed in ${prefix}/bin: nothing to do`);
    return;
  }
  const sha = pinnedChecksum('cloud-hypervisor', 'ISOBENCH_CLOUD_HYPERVISOR_SHA256', SHA256, '');
  const binary = await download('cloud-hypervisor', `${releaseBase(UPSTREAM)}/${VERSION}/${ASSET}`, `${ASSET}-${VERSION}`, sha);
  await installBinary('cloud-hypervisor', binary, 'cloud-hypervisor');
  say('cloud-hypervisor', `now: ${await versionLine(path.join(prefix, 'bin', 'cloud-hypervisor'))}`);
});
