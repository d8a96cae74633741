#!/usr/bin/env node
// gVisor's runsc from its release bucket, for systrap and netstack (Debian's runsc has no systrap in bookworm, and its
// netstack refuses to start on some kernels: docs/kvm-host.md). Installed as /usr/local/bin/runsc, ahead of /usr/bin.
// Run: isobench setup --provision gvisor
import { fs, path } from 'zx';
import { download, main, prefix, releaseBase, say, versionLine } from './lib.mjs';

const RELEASE = '20250820.0';
const ARCH = 'x86_64';
// sha512 of runsc as one public repository pins it (the only source found); the release's own runsc.sha512 is fetched
// too and must agree, so a wrong pin refuses rather than installs
const SHA512 = 'd6c12a4cb4f714bfcba6fd6611ad4ca73fd88dce790a083d2ceda807cd7e074c0131d5dd2a3490399e8be91feed9afe450793e9708dacddc4afc99ee6e5c3d2e';
const UPSTREAM = 'https://storage.googleapis.com/gvisor/releases';

await main('gvisor', async () => {
  const runsc = path.join(prefix, 'bin', 'runsc');
  const installed = await versionLine(runsc);
  if (installed.includes(`release-${RELEASE}`)) {
    say('gvisor', `${installed} is already installed: nothing to do`);
    return;
  }
  const pin = process.env.ISOBENCH_GVISOR_SHA512 ?? SHA512;
  const base = `${releaseBase(UPSTREAM)}/release/${RELEASE}/${ARCH}`;
  const published = await fetch(`${base}/runsc.sha512`);
  if (!published.ok) throw new Error(`gvisor: GET ${base}/runsc.sha512: HTTP ${published.status}`);
  const theirs = (await published.text()).trim().split(/\s+/)[0];
  if (theirs !== pin) throw new Error(`gvisor: the release's runsc.sha512 says ${theirs}, the pin says ${pin}: refusing (set ISOBENCH_GVISOR_SHA512 after checking which is right)`);
  const file = await download('gvisor', `${base}/runsc`, `runsc-${RELEASE}`, pin);
  const dest = path.join(prefix, 'bin', 'runsc');
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.copyFile(file, `${dest}.new`);
  await fs.chmod(`${dest}.new`, 0o755);
  await fs.rename(`${dest}.new`, dest);
  say('gvisor', `installed ${dest}; now: ${await versionLine(dest)}`);
});
