// Detection shared by the KVM-only VMMs (Firecracker, Cloud Hypervisor): binary, version, /dev/kvm, socat for the vsock agent, a probe boot.
import { defaultGuestKernel, type GuestKernel } from '../images/guest-kernel.ts';
import { run, which } from '../proc.ts';
import type { Detection } from '../types.ts';
import { kvmDeviceProblem, kvmProblem } from './qemu-vm.ts';
import type { ProbeResult } from './vm-probe.ts';

export interface KvmVmm {
  id: string;
  binary: string;
  /** how to get the binary (not packaged in Debian) */
  installHint: string;
  versionArgv: string[];
  parseVersion: (stdout: string) => string | null;
  /** why this version cannot be driven (doctor shows it), or null */
  versionProblem?: (version: string) => string | null;
  /** what the version chose (schema, syntax), recorded in environment.json with the detection */
  versionDetails?: (version: string) => Record<string, string>;
  /** boot the tiny probe guest once (cached) */
  probe: (kernel: GuestKernel, version: string) => Promise<ProbeResult>;
}

/** Why the guest image cannot carry the vsock agent, or null. */
export function socatProblem(): string | null {
  return which('socat') ? null : 'socat is not installed on the host; the guest agent listens on vsock with it (apt-get install socat)';
}

export async function detectKvmVmm(v: KvmVmm): Promise<Detection> {
  const bin = which(v.binary);
  if (!bin) {
    const kvmHere = await kvmProblem();
    return { available: false, reason: `${v.binary} not found on PATH: ${v.installHint}${kvmHere ? `; and ${kvmHere}` : ''}` };
  }
  const kvm = kvmDeviceProblem();
  const r = await run([bin, ...v.versionArgv], { timeoutMs: 10_000 });
  const version = v.parseVersion(`${r.stdout}\n${r.stderr}`);
  if (!version) return { available: false, reason: `${bin} ${v.versionArgv.join(' ')} printed no version (exit ${r.code}): is it ${v.id}?` };
  const refused = v.versionProblem?.(version);
  if (refused) return { available: false, version, reason: refused };
  const chosen = v.versionDetails?.(version) ?? {};
  if (kvm) return { available: false, version, details: chosen, reason: kvm };
  const socat = socatProblem();
  if (socat) return { available: false, version, details: chosen, reason: socat };
  let kernel: GuestKernel;
  try {
    kernel = await defaultGuestKernel();
  } catch (e) {
    return { available: false, version, details: chosen, reason: (e as Error).message };
  }
  const p = await v.probe(kernel, version);
  const details = { ...chosen, guestKernel: `${kernel.release} (${kernel.source})`, probe: p.ok ? `test guest booted in ${p.seconds} s (${p.at})` : `failed: ${p.reason}` };
  if (!p.ok) {
    const last = p.tail ? ` (last output: ${p.tail.split('\n').slice(-2).join(' | ')})` : '';
    return { available: false, version, details, reason: `${p.reason}${last}: KVM here cannot run this guest; run on bare metal or a VM with nested virtualization. Verdict cached in ${p.file} (delete it to probe again)` };
  }
  return { available: true, version, details };
}
