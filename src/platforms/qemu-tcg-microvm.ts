// QEMU microvm under TCG software emulation: the minimal machine type, labelled as emulation.
import { qemuPlatform } from './qemu-vm.ts';

export const qemuTcgMicrovm = qemuPlatform({
  id: 'qemu-tcg-microvm',
  accel: 'tcg',
  machine: 'microvm',
  description: 'QEMU microvm machine under TCG software emulation: Linux guest, virtio-mmio devices',
});
