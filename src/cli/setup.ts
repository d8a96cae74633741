import { loadExperiment } from '../experiment/load.ts';
import { paths } from '../paths.ts';
import { ensureSystemPackages, packagesFor, packagesForAll } from '../setup/system.ts';
import type { Command } from './command.ts';

export const setup: Command = {
  name: 'setup',
  summary: 'Install the system packages an experiment needs (Debian/Ubuntu, as root); otherwise print the command.',
  usage: 'isobench setup [--experiment FILE | --all] [--check | --list]',
  help: [
    '  --experiment FILE    experiment file (default experiments/quick.yaml)',
    '  --all                every package a registered platform or workload declares (what CI and the tests install)',
    '  --check              only list what is missing, install nothing',
    '  --list               print the wanted packages, one per line, installed or not (for scripts such as .ci/run)',
  ].join('\n'),
  options: { experiment: { type: 'string', short: 'e' }, all: { type: 'boolean' }, check: { type: 'boolean' }, list: { type: 'boolean' } },
  async run(values) {
    const wanted = values.all ? packagesForAll() : packagesFor(loadExperiment((values.experiment as string | undefined) ?? paths.defaultExperiment).experiment);
    if (values.list) {
      process.stdout.write(wanted.map((w) => `${w.pkg}\n`).join(''));
      return 0;
    }
    const r = await ensureSystemPackages(wanted, { install: !values.check });
    return r.missing.length > 0 && values.check ? 1 : 0;
  },
};
