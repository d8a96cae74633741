import { loadExperiment } from '../experiment/load.ts';
import { paths } from '../paths.ts';
import { ensureSystemPackages, packagesFor } from '../setup/system.ts';
import type { Command } from './command.ts';

export const setup: Command = {
  name: 'setup',
  summary: 'Install the system packages an experiment needs (Debian/Ubuntu, as root); otherwise print the command.',
  usage: 'isobench setup [--experiment FILE] [--check]',
  help: '  --experiment FILE    experiment file (default experiments/quick.yaml)\n  --check              only list what is missing, install nothing',
  options: { experiment: { type: 'string', short: 'e' }, check: { type: 'boolean' } },
  async run(values) {
    const loaded = loadExperiment((values.experiment as string | undefined) ?? paths.defaultExperiment);
    const r = await ensureSystemPackages(packagesFor(loaded.experiment), { install: !values.check });
    return r.missing.length > 0 && values.check ? 1 : 0;
  },
};
