// The host's process table from /proc, and the process-tree questions platforms answer for tracing (Instance.hostPids).
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  ppid: number;
  /** process group id */
  pgid: number;
  /** command line; empty for kernel threads */
  argv: string[];
  /** the kernel's name for it (/proc/<pid>/stat), e.g. 'vhost-1234' for a kernel thread */
  comm?: string;
}

/** pid, ppid and pgrp from a /proc/<pid>/stat line (the command name may hold spaces and parentheses). */
export function parseProcStat(stat: string): { pid: number; ppid: number; pgid: number; state: string; comm: string } | undefined {
  const close = stat.lastIndexOf(')');
  const pid = Number.parseInt(stat, 10);
  if (close < 0 || !Number.isInteger(pid)) return undefined;
  const [state, ppid, pgid] = stat.slice(close + 2).split(' ');
  if (!state || !/^\d+$/.test(ppid ?? '') || !/^\d+$/.test(pgid ?? '')) return undefined;
  return { pid, ppid: Number(ppid), pgid: Number(pgid), state, comm: stat.slice(stat.indexOf('(') + 1, close) };
}

/** Every live process on the host (zombies left out), read now. */
export function readProcTable(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (!stat || stat.state === 'Z') continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: stat.pid, ppid: stat.ppid, pgid: stat.pgid, argv, comm: stat.comm });
    } catch { /* exited while we looked */ }
  }
  return out;
}

/** The roots that exist plus all their descendants, sorted. */
export function withDescendants(table: ProcEntry[], roots: Iterable<number>): number[] {
  const children = new Map<number, number[]>();
  for (const p of table) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const live = new Set(table.map((p) => p.pid));
  const seen = new Set<number>();
  const stack = [...roots].filter((r) => live.has(r));
  while (stack.length) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...seen].sort((a, b) => a - b);
}

/** Live processes whose environment holds name=value (inherited by every descendant, daemons included; pid reuse cannot fake it). */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(needle)) out.push(Number(entry));
    } catch { /* exited, or a kernel thread */ }
  }
  return out.sort((a, b) => a - b);
}

/** Parent pid of one process, if it is alive. */
export function parentOf(table: ProcEntry[], pid: number): ProcEntry | undefined {
  const self = table.find((p) => p.pid === pid);
  return self ? table.find((p) => p.pid === self.ppid) : undefined;
}
