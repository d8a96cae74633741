// What a container daemon leaves in iptables after it stops (chains, jumps, the FORWARD policy), and how to remove only that.
import { run, which } from '../proc.ts';

export interface NetfilterChain {
  name: string;
  /** ACCEPT/DROP for built-in chains, '-' for user chains */
  policy: string;
}

export interface NetfilterTable {
  name: string;
  chains: NetfilterChain[];
  /** each rule as iptables arguments, starting with '-A', '<chain>' */
  rules: string[][];
}

/** Split one iptables-save rule line into arguments ("quoted comments" stay one argument). */
export function splitRule(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') {
      quoted = true;
      inToken = true;
    } else if (c === ' ' || c === '\t') {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

/** Tables, chains and rules from `iptables-save` output. */
export function parseIptablesSave(text: string): NetfilterTable[] {
  const tables: NetfilterTable[] = [];
  let table: NetfilterTable | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = { name: line.slice(1), chains: [], rules: [] };
      tables.push(table);
    } else if (line === 'COMMIT') {
      table = null;
    } else if (table && line.startsWith(':')) {
      const [name, policy] = line.slice(1).split(/\s+/);
      table.chains.push({ name, policy });
    } else if (table && line.startsWith('-A ')) {
      table.rules.push(splitRule(line));
    }
  }
  return tables;
}

export interface NetfilterOwner {
  /** chains whose name starts with this were made by the daemon (e.g. 'DOCKER') */
  chainPrefix: string;
  /** the daemon's bridge (e.g. 'docker0'); rules naming it as -i/-o were made by the daemon */
  bridge?: string;
}

function valueOf(rule: string[], flag: string): string | undefined {
  const i = rule.indexOf(flag);
  return i >= 0 ? rule[i + 1] : undefined;
}

/**
 * iptables argv lists that remove what appeared between two snapshots and belongs to the owner:
 * its rules in other chains, then its chains (flushed, then deleted), then built-in policies it changed.
 */
export function netfilterCleanupArgv(before: NetfilterTable[], after: NetfilterTable[], owner: NetfilterOwner): string[][] {
  const argv: string[][] = [];
  const flushes: string[][] = [];
  const deletes: string[][] = [];
  const policies: string[][] = [];
  for (const t of after) {
    const old = before.find((b) => b.name === t.name);
    const oldChains = new Set(old?.chains.map((c) => c.name) ?? []);
    const oldRules = new Set(old?.rules.map((r) => r.join('\0')) ?? []);
    const newChains = new Set(t.chains.filter((c) => c.name.startsWith(owner.chainPrefix) && !oldChains.has(c.name)).map((c) => c.name));
    for (const rule of t.rules) {
      const chain = rule[1];
      if (newChains.has(chain) || oldRules.has(rule.join('\0'))) continue;
      const target = valueOf(rule, '-j') ?? valueOf(rule, '-g');
      const viaBridge = owner.bridge !== undefined && (valueOf(rule, '-i') === owner.bridge || valueOf(rule, '-o') === owner.bridge);
      if ((target !== undefined && newChains.has(target)) || viaBridge) {
        argv.push(['iptables', '-t', t.name, '-D', ...rule.slice(1)]);
      }
    }
    for (const name of newChains) {
      flushes.push(['iptables', '-t', t.name, '-F', name]);
      deletes.push(['iptables', '-t', t.name, '-X', name]);
    }
    for (const c of t.chains) {
      if (c.policy === '-') continue;
      // a table absent before had every built-in chain at ACCEPT
      const was = old ? old.chains.find((o) => o.name === c.name)?.policy : 'ACCEPT';
      if (was && was !== '-' && was !== c.policy) policies.push(['iptables', '-t', t.name, '-P', c.name, was]);
    }
  }
  return [...argv, ...flushes, ...deletes, ...policies];
}

/** The current ruleset, or null when iptables is not installed or not usable here. */
export async function snapshotNetfilter(): Promise<NetfilterTable[] | null> {
  if (!which('iptables-save')) return null;
  const r = await run(['iptables-save'], { timeoutMs: 30_000 });
  return r.code === 0 ? parseIptablesSave(r.stdout) : null;
}

/** Remove the owner's leftovers relative to `before`; returns the commands that failed (never throws). */
export async function removeNetfilterLeftovers(before: NetfilterTable[], owner: NetfilterOwner): Promise<string[]> {
  const after = await snapshotNetfilter();
  if (!after) return [];
  const failed: string[] = [];
  for (const argv of netfilterCleanupArgv(before, after, owner)) {
    const r = await run(argv, { timeoutMs: 30_000 });
    if (r.code !== 0) failed.push(`${argv.join(' ')}: ${r.stderr.trim()}`);
  }
  return failed;
}
