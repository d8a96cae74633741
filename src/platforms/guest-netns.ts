// A network namespace per instance with a veth pair to the host, for runtimes that take a prepared netns (gVisor's
// netstack): addresses from the benchmarking range, claimed atomically across processes, always removed.
import { readFileSync } from 'node:fs';
import { log } from '../log.ts';
import { processAlive, run, runOk, which } from '../proc.ts';
import type { HostChanges } from '../types.ts';

/** 198.19.128.0/17, the upper part of the benchmarking range 198.18.0.0/15 (RFC 2544): 8192 /30 subnets, one per instance. */
const BASE = (198 << 24) | (19 << 16) | (128 << 8);
export const SUBNETS = 8192;
/** prefix of the host-side veth (the claim), its peer adds 'g'; the netns is NETNS_PREFIX + index */
export const VETH_PREFIX = 'ibgn';
export const NETNS_PREFIX = 'isobench-gn';
/** the host veth's alias names its owner, so a later session can tell a crashed run's leftovers from a live one's */
const ALIAS_PREFIX = 'isobench-guest-netns';
const TIMEOUT_MS = 10_000;

export interface GuestNetwork {
  index: number;
  /** name under /var/run/netns */
  netns: string;
  /** path a runtime joins (OCI linux.namespaces[].path) */
  netnsPath: string;
  hostVeth: string;
  guestVeth: string;
  hostAddress: string;
  guestAddress: string;
  /** prefix length of the point-to-point subnet */
  prefix: 30;
}

const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** Names and addresses of subnet `index` (0 ≤ index < SUBNETS): host .1, guest .2 of a /30. */
export function guestNetworkFor(index: number): GuestNetwork {
  if (!Number.isInteger(index) || index < 0 || index >= SUBNETS) throw new Error(`guest netns: index ${index} outside 0..${SUBNETS - 1}`);
  const net = BASE + index * 4;
  const netns = `${NETNS_PREFIX}${index}`;
  return {
    index,
    netns,
    netnsPath: `/var/run/netns/${netns}`,
    hostVeth: `${VETH_PREFIX}${index}`,
    guestVeth: `${VETH_PREFIX}${index}g`,
    hostAddress: dotted(net + 1),
    guestAddress: dotted(net + 2),
    prefix: 30,
  };
}

export interface NetnsOwner {
  pid: number;
  /** the owner's start time (/proc/<pid>/stat field 22), so a reused pid is not taken for the owner */
  start: number;
  instance: string;
}

/** The owner recorded in a host veth's alias: "isobench-guest-netns pid=123 start=4567 instance=name". */
export function ownerAlias(o: NetnsOwner): string {
  return `${ALIAS_PREFIX} pid=${o.pid} start=${o.start} instance=${o.instance}`;
}

export function parseOwnerAlias(alias: string): NetnsOwner | undefined {
  const m = new RegExp(`^${ALIAS_PREFIX} pid=(\\d+) start=(\\d+) instance=(\\S+)$`).exec(alias.trim());
  return m ? { pid: Number(m[1]), start: Number(m[2]), instance: m[3] } : undefined;
}

/** A process's start time in clock ticks since boot, or undefined when it is gone. */
export function processStart(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const v = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Host veths of guest networks and their owners, from `ip -j link show` output. */
export function parseGuestVeths(ipLinkJson: string): { hostVeth: string; index: number; owner?: NetnsOwner }[] {
  let links: { ifname?: string; ifalias?: string }[];
  try {
    links = JSON.parse(ipLinkJson || '[]');
  } catch {
    return [];
  }
  const re = new RegExp(`^${VETH_PREFIX}(\\d+)$`);
  return links.flatMap((l) => {
    const m = re.exec(l.ifname ?? '');
    if (!m) return [];
    const owner = parseOwnerAlias(l.ifalias ?? '');
    return [{ hostVeth: l.ifname!, index: Number(m[1]), ...(owner ? { owner } : {}) }];
  });
}

/** Why guest network namespaces cannot be made here, or null. */
export function guestNetnsUnavailable(): string | null {
  if (!which('ip')) return 'ip (iproute2) not found (apt-get install iproute2)';
  if (process.getuid?.() !== 0) return 'creating network namespaces and veth pairs needs root';
  return null;
}

/** IPv4 addresses on this host's interfaces (to stay clear of whoever else uses the benchmarking range). */
async function hostAddresses(): Promise<Set<string>> {
  const r = await run(['ip', '-j', '-4', 'addr', 'show'], { timeoutMs: TIMEOUT_MS });
  try {
    const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local?: string }[] }[];
    return new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local ?? '')).filter(Boolean));
  } catch {
    return new Set();
  }
}

const live = new Map<string, GuestNetwork>();
/** the session logs that already hold the change: one line per session, not per instance */
const recordedIn = new WeakSet<HostChanges>();

/**
 * Claim a free subnet (creating its host veth is the atomic claim: a name taken by another process fails), then make
 * the netns, move the peer into it, address both ends and add the guest's default route via the host end.
 */
export async function createGuestNetwork(by: string, instance: string, host: HostChanges): Promise<GuestNetwork> {
  const why = guestNetnsUnavailable();
  if (why) throw new Error(`${by}: guest network namespace: ${why}`);
  const taken = await hostAddresses();
  const start = (process.pid * 31 + live.size * 7) % SUBNETS;
  for (let k = 0; k < 64; k++) {
    const g = guestNetworkFor((start + k) % SUBNETS);
    if (taken.has(g.hostAddress) || taken.has(g.guestAddress)) continue;
    const claim = await run(['ip', 'link', 'add', g.hostVeth, 'type', 'veth', 'peer', 'name', g.guestVeth], { timeoutMs: TIMEOUT_MS });
    if (claim.code !== 0) continue; // taken by someone else meanwhile
    live.set(g.netns, g);
    if (!recordedIn.has(host)) {
      recordedIn.add(host);
      host.record(by, `network namespaces ${NETNS_PREFIX}<n> with veth pairs ${VETH_PREFIX}<n> in 198.19.128.0/17, one per instance, each removed when its instance stops`, removeAllOurs);
    }
    try {
      await runOk(['ip', 'link', 'set', g.hostVeth, 'alias', ownerAlias({ pid: process.pid, start: processStart(process.pid) ?? 0, instance })], { timeoutMs: TIMEOUT_MS });
      // a netns of this index without its veth is a crashed session's: the veth claim makes it ours to replace
      await run(['ip', 'netns', 'delete', g.netns], { timeoutMs: TIMEOUT_MS });
      await runOk(['ip', 'netns', 'add', g.netns], { timeoutMs: TIMEOUT_MS });
      await runOk(['ip', 'link', 'set', g.guestVeth, 'netns', g.netns], { timeoutMs: TIMEOUT_MS });
      await runOk(['ip', 'addr', 'add', `${g.hostAddress}/${g.prefix}`, 'dev', g.hostVeth], { timeoutMs: TIMEOUT_MS });
      await runOk(['ip', 'link', 'set', g.hostVeth, 'up'], { timeoutMs: TIMEOUT_MS });
      await runOk(['ip', '-n', g.netns, 'addr', 'add', `${g.guestAddress}/${g.prefix}`, 'dev', g.guestVeth], { timeoutMs: TIMEOUT_MS });
      await runOk(['ip', '-n', g.netns, 'link', 'set', 'lo', 'up'], { timeoutMs: TIMEOUT_MS });
      await runOk(['ip', '-n', g.netns, 'link', 'set', g.guestVeth, 'up'], { timeoutMs: TIMEOUT_MS });
      await runOk(['ip', '-n', g.netns, 'route', 'add', 'default', 'via', g.hostAddress], { timeoutMs: TIMEOUT_MS });
    } catch (e) {
      await removeGuestNetwork(g);
      throw new Error(`${by}: could not set up guest network ${g.netns}: ${(e as Error).message}`);
    }
    return g;
  }
  throw new Error(`${by}: no free guest subnet in 198.19.128.0/17 after 64 tries (leftovers? see 'ip link show type veth')`);
}

/** Delete the host veth (its peer goes with it) and the netns; never throws, idempotent. */
export async function removeGuestNetwork(g: Pick<GuestNetwork, 'netns' | 'hostVeth'>): Promise<void> {
  const link = await run(['ip', 'link', 'delete', g.hostVeth], { timeoutMs: TIMEOUT_MS });
  const ns = await run(['ip', 'netns', 'delete', g.netns], { timeoutMs: TIMEOUT_MS });
  live.delete(g.netns);
  const gone = (r: { code: number | null; stderr: string }) => r.code === 0 || /Cannot find device|No such file|does not exist/i.test(r.stderr);
  if (!gone(link) || !gone(ns)) log.warn(`guest network ${g.netns}: ${[link.stderr.trim(), ns.stderr.trim()].filter(Boolean).join('; ')}`);
}

async function removeAllOurs(): Promise<void> {
  for (const g of [...live.values()]) await removeGuestNetwork(g);
}

/** Whether the owning process still runs (the same process: a reused pid has another start time). */
const ownerAlive = (o: NetnsOwner) => processAlive(o.pid) && processStart(o.pid) === o.start;

/** Guest networks whose owner is gone (a crashed session) or whose instance name starts with namePrefix: removed; returns their netns names. */
export async function reapGuestNetworks(namePrefix?: string): Promise<string[]> {
  if (guestNetnsUnavailable()) return [];
  const r = await run(['ip', '-j', 'link', 'show'], { timeoutMs: TIMEOUT_MS });
  const removed: string[] = [];
  for (const v of parseGuestVeths(r.stdout)) {
    if (!v.owner) continue; // not made by isobench (or still being set up): not ours to judge
    const mine = namePrefix !== undefined && v.owner.instance.startsWith(namePrefix);
    if (!mine && ownerAlive(v.owner)) continue;
    const g = guestNetworkFor(v.index);
    await removeGuestNetwork(g);
    removed.push(g.netns);
  }
  return removed;
}
