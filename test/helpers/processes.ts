// The host's live processes as the tests look for leftovers: pid and argv, zombies and this process left out.
import { readdirSync, readFileSync } from 'node:fs';

export interface LiveProcess { pid: string; argv: string[] }

export function liveProcesses(): LiveProcess[] {
  const out: LiveProcess[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (stat[stat.lastIndexOf(')') + 2] === 'Z') continue;
      out.push({ pid: p, argv: readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1) });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** live processes whose command line mentions `needle`, as 'pid: command line' */
export function processesMentioning(needle: string): string[] {
  return liveProcesses().map((p) => `${p.pid}: ${p.argv.join(' ')}`).filter((line) => line.slice(line.indexOf(': ') + 2).includes(needle));
}

export { exitOf } from '../../src/proc.ts';
