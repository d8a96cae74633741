// OSv on QEMU/KVM: the paper's unikernel row (virtio-blk image, vhost TAP networking).
import { run } from '../proc.ts';
import { QEMU_BINARY } from './qemu-vm.ts';
import { osvPlatform, osvQemuArgv } from './osv-vm.ts';

export const osvQemu = osvPlatform({
  id: 'osv-qemu',
  description: 'OSv unikernel on QEMU/KVM (pc machine, virtio-blk, TAP): one boot per command, from an image built with OSv\'s tooling',
  rawImage: false,
  binary: QEMU_BINARY,
  installHint: 'apt-get install qemu-system-x86',
  argv: osvQemuArgv,
  packages: ['git'], // setup --provision osv clones OSv at its pinned commit
  // recorded with the image: 'QEMU emulator version 7.2.22 (Debian …)' -> '7.2.22'
  async versionOf(bin) {
    const r = await run([bin, '--version'], { timeoutMs: 10_000 });
    const version = /QEMU emulator version (\S+)/.exec(r.stdout)?.[1] ?? null;
    return { version, problem: version ? null : `${bin} --version printed no QEMU version (exit ${r.code})` };
  },
});
