// The shape of a CLI subcommand: its help text, its options, and what it does.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** option help lines, shown by --help */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  allowPositionals?: boolean;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

/** An error the user can fix; printed as one line without a stack trace. */
export class UsageError extends Error {}

export function parseCommandArgs(cmd: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: { ...cmd.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: cmd.allowPositionals ?? false, strict: true });
  } catch (e) {
    throw new UsageError(`${cmd.name}: ${(e as Error).message.replace(/\. To specify.*$/s, '')} (see 'isobench ${cmd.name} --help')`);
  }
}

export function helpText(cmd: Command): string {
  return `${cmd.summary}\n\nUsage: ${cmd.usage}\n\nOptions:\n${cmd.help}\n  -h, --help           show this help\n`;
}

export function requireString(values: Record<string, unknown>, key: string, cmd: string): string {
  const v = values[key];
  if (typeof v !== 'string' || v === '') throw new UsageError(`${cmd}: --${key} is required (see 'isobench ${cmd} --help')`);
  return v;
}
