import { loadExperiment } from '../experiment/load.ts';
import { paths } from '../paths.ts';
import { runExperiment } from '../run/scheduler.ts';
import type { Command } from './command.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'Run an experiment file: a fresh platform instance per repetition, every value stored as measured.',
  usage: 'isobench run [--experiment FILE]',
  help: '  --experiment FILE    experiment file (default experiments/quick.yaml)\n\nPrints the run directory (data/runs/<run-id>) on stdout.',
  options: { experiment: { type: 'string', short: 'e' } },
  async run(values) {
    const loaded = loadExperiment((values.experiment as string | undefined) ?? paths.defaultExperiment);
    const result = await runExperiment(loaded);
    process.stdout.write(`${result.runDir}\n`);
    return 0;
  },
};
