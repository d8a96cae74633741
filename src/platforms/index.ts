// The platform registry: one line per platform file.
import type { Platform } from '../types.ts';
import { native } from './native.ts';
import { runc } from './runc.ts';
import { crun } from './crun.ts';
import { dockerRunc } from './docker-runc.ts';
import { dockerGvisor } from './docker-gvisor.ts';
import { podmanCrun } from './podman-crun.ts';
import { lxc, lxcExecute } from './lxc.ts';
import { gvisorKvm, gvisorPtrace, gvisorSystrap } from './gvisor.ts';
import { kata9p, kataVirtiofs } from './kata.ts';
import { qemuKvm } from './qemu-kvm.ts';
import { qemuKvmMicrovm } from './qemu-kvm-microvm.ts';
import { qemuTcg } from './qemu-tcg.ts';
import { qemuTcgMicrovm } from './qemu-tcg-microvm.ts';
import { firecracker } from './firecracker.ts';
import { cloudHypervisor } from './cloud-hypervisor.ts';
import { osvQemu } from './osv-qemu.ts';
import { osvFirecracker } from './osv-firecracker.ts';

export const platforms: Platform[] = [
  native,
  runc,
  crun,
  dockerRunc,
  dockerGvisor,
  podmanCrun,
  lxc, lxcExecute,
  gvisorPtrace, gvisorKvm, gvisorSystrap,
  kata9p, kataVirtiofs,
  qemuKvm,
  qemuKvmMicrovm,
  qemuTcg,
  qemuTcgMicrovm,
  firecracker,
  cloudHypervisor,
  osvQemu,
  osvFirecracker,
];

export function platformById(id: string): Platform | undefined {
  return platforms.find((p) => p.id === id);
}
