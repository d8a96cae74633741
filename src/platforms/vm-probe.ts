// Proof that an accelerator boots a guest: a tiny busybox initramfs booted once with a short timeout, the verdict cached.
// /dev/kvm existing is not enough: on a paravirtual nested KVM it exists and boots nothing (host-notes).
import { createHash } from 'node:crypto';
import { promises as fsp, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { paths } from '../paths.ts';
import { formatArgv, run, which } from '../proc.ts';
import { writeCpio, type CpioEntry } from '../images/initramfs.ts';

export const PROBE_MARKER = '@@ISOBENCH-PROBE-OK@@';
/** bump when the probe guest changes, so old verdicts are not reused */
const PROBE_VERSION = 'probe/3';

export interface ProbeResult {
  ok: boolean;
  /** seconds from start to the marker (or to the timeout) */
  seconds: number;
  reason?: string;
  /** the last console / stderr lines, for doctor and the report */
  tail?: string;
  key: string;
  at: string;
  /** where the verdict is cached (delete it to probe again) */
  file: string;
  /** the TSC frequency the guest kernel measured (against HPET on the pc machine), when it printed it */
  tscMHz?: number;
}

/** The guest kernel's TSC frequency from its boot log: the refined calibration if printed, else the first estimate. */
export function parseTscMHz(consoleText: string): number | undefined {
  const m = /tsc: Refined TSC clocksource calibration: (\d+\.\d+) MHz/.exec(consoleText) ?? /tsc: Detected (\d+\.\d+) MHz processor/.exec(consoleText);
  return m ? Number(m[1]) : undefined;
}

/** The cache key: everything that can change the verdict. */
export function probeKey(parts: { vmm: string; vmmVersion: string; accel: string; guestKernel: string; hostKernel?: string }): string {
  const raw = [PROBE_VERSION, parts.vmm, parts.vmmVersion, parts.accel, parts.guestKernel, parts.hostKernel ?? os.release()].join('\n');
  const readable = `${parts.vmm}-${parts.accel}`.replace(/[^\w.-]/g, '_');
  return `${readable}-${createHash('sha256').update(raw).digest('hex').slice(0, 16)}`;
}

/** busybox-static's binary: no libraries, so it runs in any initramfs */
export function staticBusybox(): string | null {
  if (existsSync('/bin/busybox')) return '/bin/busybox';
  return which('busybox');
}

/**
 * How the probe guest ends so that the VMM exits: QEMU (-no-reboot) and Firecracker (reboot=k) exit on reset; Cloud
 * Hypervisor reboots the VM on reset (vmm/src/lib.rs, EpollDispatch::Reset) and exits only on power-off.
 */
export type ProbeHalt = 'reboot' | 'poweroff';

/**
 * /init waits 2 s (so the kernel logs its refined TSC calibration), prints the marker and halts: nothing else, so a failure
 * is the accelerator's (or the kernel's).
 */
export async function probeInitramfs(halt: ProbeHalt = 'reboot'): Promise<string> {
  const busybox = staticBusybox();
  if (!busybox) throw new Error('VM probe: busybox not found (apt-get install busybox-static)');
  const init = `#!/bin/busybox sh\n/bin/busybox sleep 2\n/bin/busybox echo ${PROBE_MARKER}\n/bin/busybox ${halt} -f\n`;
  const bb = await fsp.readFile(busybox);
  const hash = createHash('sha256').update(init).update(bb).digest('hex').slice(0, 16);
  const file = path.join(paths.vmProbes(), `probe-initramfs-${hash}.cpio`);
  if (existsSync(file)) return file;
  await fsp.mkdir(paths.vmProbes(), { recursive: true });
  const entries: CpioEntry[] = [
    { path: '/bin', kind: 'dir', mode: 0o755 },
    { path: '/bin/busybox', kind: 'file', mode: 0o755, data: bb },
    { path: '/dev', kind: 'dir', mode: 0o755 },
    { path: '/init', kind: 'file', mode: 0o755, data: Buffer.from(init) },
  ];
  const tmp = `${file}.tmp-${process.pid}`;
  await writeCpio(tmp, entries);
  await fsp.rename(tmp, file);
  return file;
}

function lastLines(text: string, n = 6): string {
  return text.replace(/\r/g, '').split('\n').map((l) => l.trimEnd()).filter(Boolean).slice(-n).join('\n');
}

/** Boot argv once (the console on stdout), cached under key; `refresh` probes again. */
export async function probeBoot(key: string, argv: string[], timeoutMs: number, refresh = false): Promise<ProbeResult> {
  const file = path.join(paths.vmProbes(), `${key}.json`);
  if (!refresh && existsSync(file)) {
    try { return { ...(JSON.parse(await fsp.readFile(file, 'utf8')) as ProbeResult), file }; } catch { /* re-probe */ }
  }
  const r = await run(argv, { timeoutMs });
  // a guest that printed the marker but kept the VMM running until the timeout did not finish the probe: never "booted"
  const ok = r.stdout.includes(PROBE_MARKER) && !r.timedOut;
  const tail = lastLines(`${r.stdout}\n${r.stderr}`);
  const reason = ok
    ? undefined
    : r.timedOut
      ? r.stdout.includes(PROBE_MARKER)
        ? `a test guest booted but the VMM did not exit within ${timeoutMs / 1000} s (the guest's halt did not end it)`
        : `a test guest did not boot within ${timeoutMs / 1000} s`
      : `a test guest did not boot (exit ${r.code ?? r.signal})`;
  const result: ProbeResult = { ok, seconds: Math.round(r.ms / 100) / 10, reason, tail, key, at: new Date().toISOString(), file, tscMHz: parseTscMHz(r.stdout) };
  await fsp.mkdir(paths.vmProbes(), { recursive: true });
  await fsp.writeFile(file, `${JSON.stringify({ ...result, argv: formatArgv(argv) }, null, 2)}\n`);
  return result;
}
