// OSv on Firecracker: the paper's unikernel startup comparison (raw image, OSv's loader as the kernel).
import { run } from '../proc.ts';
import { describeSchemaChoice, firecrackerSupport } from './firecracker-config.ts';
import { FIRECRACKER_INSTALL_HINT, parseFirecrackerVersion } from './firecracker.ts';
import { osvFirecrackerArgv, osvPlatform } from './osv-vm.ts';

export const osvFirecracker = osvPlatform({
  id: 'osv-firecracker',
  description: 'OSv unikernel on Firecracker: one boot per command, from a raw image built with OSv\'s tooling',
  rawImage: true,
  binary: 'firecracker',
  installHint: FIRECRACKER_INSTALL_HINT,
  argv: osvFirecrackerArgv,
  // the same version gate as the firecracker platform: its config dialect and schema
  async versionOf(bin) {
    const r = await run([bin, '--version'], { timeoutMs: 10_000 });
    const version = parseFirecrackerVersion(r.stdout);
    if (!version) return { version: null, problem: `${bin} --version printed no version (exit ${r.code})` };
    const s = firecrackerSupport(version, undefined, 'osv');
    return s.ok ? { version, problem: null, details: { configSchema: describeSchemaChoice(version, s.schema) } } : { version, problem: s.reason };
  },
  packages: ['qemu-utils', 'git'], // qemu-img converts OSv's qcow2 usr.img to the raw image Firecracker needs; git clones OSv
});
