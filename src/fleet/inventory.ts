// The hosts an inventory (and --limit) selects, as Ansible itself resolves them; each name checked before it names a folder.
import { existsSync, statSync } from 'node:fs';
import { run } from '../proc.ts';
import { FleetInputError } from './errors.ts';
import { checkHostName } from './host-name.ts';

/** `ansible --list-hosts` output: a header `hosts (N):` and one host per indented line. */
export function parseListHosts(stdout: string): string[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^\s*hosts \(\d+\):\s*$/.test(l));
  if (header < 0) return [];
  return lines.slice(header + 1).map((l) => l.trim()).filter((l) => l !== '');
}

/** The inventory's hosts, narrowed by limit (an Ansible pattern, passed as one argument); refuses an empty selection. */
export async function inventoryHosts(inventory: string, limit?: string): Promise<string[]> {
  if (!existsSync(inventory) || !statSync(inventory).isFile()) {
    throw new FleetInputError(`--inventory ${inventory}: no such file; give the path of an Ansible inventory (INI or YAML; see docs/fleet.md)`);
  }
  const argv = ['ansible', '-i', inventory, 'all', '--list-hosts', ...(limit !== undefined ? ['--limit', limit] : [])];
  const r = await run(argv, { timeoutMs: 120_000, env: { ANSIBLE_NOCOLOR: '1' } });
  const warnings = r.stderr.split('\n').filter((l) => /WARNING|ERROR/.test(l)).map((l) => l.replace(/^\[WARNING\]:\s*|^ERROR!\s*/, '').trim());
  if (warnings.some((w) => /Unable to parse|No inventory was parsed/.test(w))) {
    throw new FleetInputError(`--inventory ${inventory}: Ansible cannot parse it (${warnings.join('; ')}); check it with 'ansible-inventory -i ${inventory} --list'`);
  }
  const hosts = r.code === 0 ? parseListHosts(r.stdout) : [];
  if (hosts.length === 0) {
    throw new FleetInputError(`--inventory ${inventory}${limit !== undefined ? ` --limit ${limit}` : ''}: selects no host${warnings.length ? ` (${warnings.join('; ')})` : ''}; name hosts in the inventory or fix --limit`);
  }
  return hosts.map((h) => checkHostName(h, `--inventory ${inventory}`));
}
