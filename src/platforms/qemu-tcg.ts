// QEMU pc under TCG software emulation: not in the paper; here so the VM path runs on any host (labelled as emulation).
import { qemuPlatform } from './qemu-vm.ts';

export const qemuTcg = qemuPlatform({
  id: 'qemu-tcg',
  accel: 'tcg',
  machine: 'pc',
  description: 'QEMU pc machine under TCG software emulation (no hardware virtualization): Linux guest, virtio-blk, virtio-net',
});
