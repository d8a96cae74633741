// isobench: the command-line entry point; one subcommand per stage.
import { ExperimentError } from '../experiment/load.ts';
import { log } from '../log.ts';
import { RefusedInput } from '../rundir/index.ts';
import { analyze } from './analyze.ts';
import { archive } from './archive.ts';
import { helpText, parseCommandArgs, UsageError, type Command } from './command.ts';
import { doctor } from './doctor.ts';
import { fleet } from './fleet.ts';
import { merge } from './merge.ts';
import { plan } from './plan.ts';
import { report } from './report.ts';
import { reproduce } from './reproduce.ts';
import { runCommand } from './run.ts';
import { setup } from './setup.ts';
import { verify } from './verify.ts';

export const commands: Command[] = [reproduce, plan, runCommand, analyze, report, archive, verify, merge, fleet, doctor, setup];

function mainHelp(): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    'isobench: reproduce "A Fresh Look at the Architecture and Performance of Contemporary Isolation Platforms" (Middleware \'21) on this machine.',
    '',
    'Usage: isobench <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    "Run 'isobench <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return name ? 0 : 2;
  }
  const cmd = commands.find((c) => c.name === name);
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}' (commands: ${commands.map((c) => c.name).join(', ')})`);
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) {
      process.stdout.write(helpText(cmd));
      return 0;
    }
    return await cmd.run(values as Record<string, string | boolean | undefined>, positionals);
  } catch (e) {
    log.endStatus();
    // input isobench will not use (a bad experiment file, a hostile run directory or artifact): one line, exit 2
    const refused = e instanceof UsageError || e instanceof ExperimentError || e instanceof RefusedInput;
    if (refused) log.error(e.message.split('\n')[0]);
    else if (process.env.ISOBENCH_DEBUG) log.error((e as Error).stack ?? String(e));
    else log.error((e as Error).message.split('\n')[0]);
    return refused ? 2 : 1;
  }
}
