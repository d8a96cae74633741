// TAP + bridge networking as the paper's hypervisors had it: one host bridge (a recorded host change) and one TAP per VM.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { run, runOk, which } from '../proc.ts';
import type { HostChanges } from '../types.ts';

/** the bridge and its private /24; the host is .1, guests get .2 to .254 */
export const BRIDGE = 'isobr0';
export const SUBNET = '10.213.7';
export const HOST_ADDRESS = `${SUBNET}.1`;

export interface Tap {
  /** host interface name (at most 15 characters) */
  name: string;
  mac: string;
  /** the guest's address as CIDR, and the gateway (the host's bridge address) */
  guestCidr: string;
  guestAddress: string;
  gateway: string;
}

/** Why TAP networking cannot work here, or null when it can. */
export function tapUnavailable(): string | null {
  if (!which('ip')) return 'ip (iproute2) not found (apt-get install iproute2)';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun missing (modprobe tun)';
  if (process.getuid?.() !== 0) return 'creating TAP devices and a bridge needs root';
  return null;
}

/** A locally administered unicast MAC derived from a name (stable per instance name). */
export function macFor(name: string): string {
  const h = createHash('sha256').update(name).digest();
  return ['06', ...[0, 1, 2, 3, 4].map((i) => h[i].toString(16).padStart(2, '0'))].join(':');
}

let bridgeReady = false;
let nextGuest = 0;

async function ensureBridge(by: string, host: HostChanges): Promise<void> {
  if (bridgeReady) return;
  const exists = await run(['ip', 'link', 'show', BRIDGE], { timeoutMs: 10_000 });
  if (exists.code !== 0) {
    await runOk(['ip', 'link', 'add', BRIDGE, 'type', 'bridge'], { timeoutMs: 10_000 });
    host.record(by, `created bridge ${BRIDGE} with ${HOST_ADDRESS}/24 for TAP networking`, async () => {
      await runOk(['ip', 'link', 'del', BRIDGE], { timeoutMs: 10_000 });
      bridgeReady = false;
    });
    await runOk(['ip', 'addr', 'add', `${HOST_ADDRESS}/24`, 'dev', BRIDGE], { timeoutMs: 10_000 });
  }
  await runOk(['ip', 'link', 'set', BRIDGE, 'up'], { timeoutMs: 10_000 });
  bridgeReady = true;
}

/** Create a TAP on the bridge for one VM; remove it with removeTap. */
export async function createTap(by: string, instanceName: string, host: HostChanges): Promise<Tap> {
  const why = tapUnavailable();
  if (why) throw new Error(`TAP networking: ${why}`);
  await ensureBridge(by, host);
  const name = `ibt${randomBytes(5).toString('hex')}`;
  await runOk(['ip', 'tuntap', 'add', 'dev', name, 'mode', 'tap'], { timeoutMs: 10_000 });
  try {
    await runOk(['ip', 'link', 'set', name, 'master', BRIDGE], { timeoutMs: 10_000 });
    await runOk(['ip', 'link', 'set', name, 'up'], { timeoutMs: 10_000 });
  } catch (e) {
    await removeTap(name);
    throw e;
  }
  const guestAddress = `${SUBNET}.${2 + (nextGuest++ % 253)}`;
  return { name, mac: macFor(instanceName), guestAddress, guestCidr: `${guestAddress}/24`, gateway: HOST_ADDRESS };
}

export async function removeTap(name: string): Promise<void> {
  await run(['ip', 'link', 'del', name], { timeoutMs: 10_000 });
}
