// OSv on Firecracker: the paper's unikernel startup comparison (raw image, OSv's loader as the kernel).
import { FIRECRACKER_INSTALL_HINT } from './firecracker.ts';
import { osvFirecrackerArgv, osvPlatform } from './osv-vm.ts';

export const osvFirecracker = osvPlatform({
  id: 'osv-firecracker',
  description: 'OSv unikernel on Firecracker: one boot per command, from a raw image built with OSv\'s tooling',
  rawImage: true,
  binary: 'firecracker',
  installHint: FIRECRACKER_INSTALL_HINT,
  argv: osvFirecrackerArgv,
});
