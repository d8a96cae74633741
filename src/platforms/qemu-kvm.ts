// QEMU with KVM, pc machine: the paper's QEMU/KVM row (a Linux guest with virtio-blk and virtio-net).
import { qemuPlatform } from './qemu-vm.ts';

export const qemuKvm = qemuPlatform({
  id: 'qemu-kvm',
  accel: 'kvm',
  machine: 'pc',
  description: 'QEMU with KVM, pc machine: Linux guest, virtio-blk data disk, virtio-net',
});
