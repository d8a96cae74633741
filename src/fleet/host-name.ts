// An inventory host's name becomes a folder (data/fleet/<run>/hosts/<host>/) and a --limit pattern: one strict pattern.
import { FleetInputError } from './errors.ts';

/** letters, digits, '.', '_', '-', starting with a letter or digit, at most 63: never '..', never an Ansible pattern operator */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function checkHostName(name: string, where: string): string {
  if (HOST_NAME.test(name)) return name;
  throw new FleetInputError(`${where}: host name ${JSON.stringify(name).slice(0, 80)} cannot name a folder; use an inventory alias of letters, digits, '.', '_' and '-' (at most 63, starting with a letter or digit) and put the address in ansible_host`);
}
