// The hosts an inventory (and --limit) selects, as Ansible itself resolves them, checked before any host is touched:
// the inventory parsed whole (`ansible-inventory --list`), every host name a plain folder name that no group shares
// (so `--limit name` selects that host exactly), the --limit selection made only of those hosts.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { run } from '../proc.ts';
import { FleetInputError } from './errors.ts';
import { plainText } from './events.ts';
import { checkHostName } from './host-name.ts';

/** an unparsable inventory source (a file, or any file of a folder) is an error, not a warning */
const STRICT = { ANSIBLE_NOCOLOR: '1', ANSIBLE_INVENTORY_UNPARSED_FAILED: '1', ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED: '1' };

/** `ansible --list-hosts` output: a header `hosts (N):` and one host per indented line. */
export function parseListHosts(stdout: string): string[] {
  const lines = stdout.split('\n');
  const header = lines.findIndex((l) => /^\s*hosts \(\d+\):\s*$/.test(l));
  if (header < 0) return [];
  return lines.slice(header + 1).map((l) => l.trim()).filter((l) => l !== '');
}

export interface InventoryTree {
  hosts: string[];
  groups: string[];
}

/** `ansible-inventory --list` JSON: every host (in a group's `hosts` or in `_meta.hostvars`) and every group name. */
export function parseInventoryList(json: string, where: string): InventoryTree {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch {
    throw new FleetInputError(`${where}: ansible-inventory --list did not print JSON; check it with 'ansible-inventory -i ${where} --list'`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new FleetInputError(`${where}: ansible-inventory --list printed no inventory object`);
  const hosts = new Set<string>();
  const groups: string[] = [];
  for (const [name, value] of Object.entries(doc as Record<string, unknown>)) {
    if (name === '_meta') {
      const hostvars = (value as { hostvars?: unknown } | null)?.hostvars;
      if (hostvars && typeof hostvars === 'object') for (const h of Object.keys(hostvars)) hosts.add(h);
      continue;
    }
    groups.push(name);
    const listed = (value as { hosts?: unknown } | null)?.hosts;
    if (Array.isArray(listed)) for (const h of listed) if (typeof h === 'string') hosts.add(h);
  }
  return { hosts: [...hosts].sort(), groups: groups.sort() };
}

/** Every host checked: a folder name, and no group of the same name (a --limit entry naming both would select the group). */
export function checkInventoryHosts(tree: InventoryTree, where: string): void {
  const groups = new Set([...tree.groups, 'all', 'ungrouped']);
  for (const h of tree.hosts) {
    checkHostName(h, where);
    if (groups.has(h)) throw new FleetInputError(`${where}: host ${h} has the name of a group; a --limit entry would select the whole group. Rename the host (an alias, with its address in ansible_host) or the group`);
  }
}

/** The inventory path as Ansible gets it: absolute, a file or a folder of inventory files. */
export function inventoryPath(inventory: string): string {
  const abs = path.resolve(inventory);
  const st = existsSync(abs) ? statSync(abs) : undefined;
  if (!st || !(st.isFile() || st.isDirectory())) {
    throw new FleetInputError(`--inventory ${inventory}: no such file or folder; give the path of an Ansible inventory (INI or YAML file, or a folder of them; see docs/fleet.md)`);
  }
  return abs;
}

/** The inventory's hosts, narrowed by limit (an Ansible pattern, passed as one argument); refuses a bad inventory or an empty selection. */
export async function inventoryHosts(inventory: string, limit?: string): Promise<string[]> {
  const where = `--inventory ${inventory}`;
  const listed = await run(['ansible-inventory', '-i', inventory, '--list'], { timeoutMs: 120_000, env: STRICT });
  if (listed.code !== 0) {
    const lines = listed.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    // Ansible's own verdict (ERROR! …) says it in one line; the plugins' warnings before it are long and wrapped
    const why = plainText((lines.find((l) => l.startsWith('ERROR!')) ?? lines.slice(0, 3).join(' ')).replace(/^ERROR!\s*/, ''));
    throw new FleetInputError(`${where}: Ansible cannot parse it (${why || `ansible-inventory exit ${listed.code}`}); check it with 'ansible-inventory -i ${inventory} --list'`);
  }
  const tree = parseInventoryList(listed.stdout, where);
  checkInventoryHosts(tree, where);
  const known = new Set(tree.hosts);

  const argv = ['ansible', '-i', inventory, 'all', '--list-hosts', ...(limit !== undefined ? ['--limit', limit] : [])];
  const r = await run(argv, { timeoutMs: 120_000, env: STRICT });
  const warnings = r.stderr.split('\n').filter((l) => /WARNING|ERROR/.test(l)).map((l) => l.replace(/^\[WARNING\]:\s*|^ERROR!\s*/, '').trim());
  const hosts = r.code === 0 ? parseListHosts(r.stdout) : [];
  if (hosts.length === 0) {
    throw new FleetInputError(`${where}${limit !== undefined ? ` --limit ${limit}` : ''}: selects no host${warnings.length ? ` (${warnings.join('; ')})` : ''}; name hosts in the inventory or fix --limit`);
  }
  const stranger = hosts.find((h) => !known.has(h));
  if (stranger !== undefined) throw new FleetInputError(`${where}: ansible selects ${JSON.stringify(stranger).slice(0, 80)}, which ansible-inventory --list does not name as a host; check the inventory with 'ansible-inventory -i ${inventory} --list'`);
  return hosts;
}
