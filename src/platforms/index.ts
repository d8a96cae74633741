// The platform registry: one line per platform file.
import type { Platform } from '../types.ts';
import { native } from './native.ts';
import { runc } from './runc.ts';
import { crun } from './crun.ts';
import { dockerRunc } from './docker-runc.ts';
import { dockerGvisor } from './docker-gvisor.ts';
import { podmanCrun } from './podman-crun.ts';
import { lxc } from './lxc.ts';
import { gvisorKvm, gvisorPtrace, gvisorSystrap } from './gvisor.ts';
import { kata9p, kataVirtiofs } from './kata.ts';

export const platforms: Platform[] = [
  native,
  runc,
  crun,
  dockerRunc,
  dockerGvisor,
  podmanCrun,
  lxc,
  gvisorPtrace, gvisorKvm, gvisorSystrap,
  kata9p, kataVirtiofs,
];

export function platformById(id: string): Platform | undefined {
  return platforms.find((p) => p.id === id);
}
