// Names read from untrusted data that become paths or container names: one strict pattern each, checked before use.
import { RefusedInput } from './refused.ts';

/** A plain file or folder name: letters, digits, '.', '_', '-', starting with a letter or digit (so never '.', '..' or hidden). */
export const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a data value is used as, for the message. */
export type NameUse = 'hostname' | 'cell' | 'run id' | 'instance name' | 'log name' | 'platform' | 'workload';

/** value itself when it is a plain name; otherwise refuses, naming where it came from. */
export function plainName(value: unknown, use: NameUse, where: string): string {
  if (typeof value === 'string' && PLAIN_NAME.test(value)) return value;
  throw new RefusedInput(`${where}: ${use} ${JSON.stringify(value)?.slice(0, 80) ?? 'nothing'} is not a plain name (letters, digits, '.', '_', '-'; starting with a letter or digit; at most 128)`);
}

/** A relative path of plain names ('logs/abc/instance-0.log'), never absolute, never with '..' or empty parts. */
export function plainRelativePath(value: unknown, use: NameUse, where: string): string {
  const ok = typeof value === 'string' && value.length <= 1024 && value.split('/').every((part) => PLAIN_NAME.test(part));
  if (ok) return value as string;
  throw new RefusedInput(`${where}: ${use} ${JSON.stringify(value)?.slice(0, 80) ?? 'nothing'} is not a relative path of plain names (no leading '/', no '..', no empty parts)`);
}

/** The prefix every isobench instance name starts with (src/run/instance-run.ts): `isobench-<cell>-<instance>-<pid>`. */
export const INSTANCE_PREFIX = /^isobench-[A-Za-z0-9][A-Za-z0-9._-]*-\d+-\d+$/;

/** An instance name prefix read from logs/in-flight.json: only one isobench wrote, so a reap never matches other containers. */
export function instancePrefix(value: unknown, where: string): string {
  if (typeof value === 'string' && value.length <= 200 && INSTANCE_PREFIX.test(value)) return value;
  throw new RefusedInput(`${where}: namePrefix ${JSON.stringify(value)?.slice(0, 80) ?? 'nothing'} is not an isobench instance name (isobench-<cell>-<instance>-<pid>); nothing was removed`);
}
