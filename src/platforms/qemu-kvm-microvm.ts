// QEMU with KVM, microvm machine: the minimal machine type the paper used for OSv startup.
import { qemuPlatform } from './qemu-vm.ts';

export const qemuKvmMicrovm = qemuPlatform({
  id: 'qemu-kvm-microvm',
  accel: 'kvm',
  machine: 'microvm',
  description: 'QEMU with KVM, microvm machine: Linux guest, virtio-mmio devices',
});
