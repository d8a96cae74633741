// OSv on QEMU/KVM: the paper's unikernel row (virtio-blk image, vhost TAP networking).
import { QEMU_BINARY } from './qemu-vm.ts';
import { osvPlatform, osvQemuArgv } from './osv-vm.ts';

export const osvQemu = osvPlatform({
  id: 'osv-qemu',
  description: 'OSv unikernel on QEMU/KVM (pc machine, virtio-blk, TAP): one boot per command, from an image built with OSv\'s tooling',
  rawImage: false,
  binary: QEMU_BINARY,
  installHint: 'apt-get install qemu-system-x86',
  argv: osvQemuArgv,
});
