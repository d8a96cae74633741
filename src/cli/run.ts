import { loadExperiment } from '../experiment/load.ts';
import { paths } from '../paths.ts';
import { ResumeRefused } from '../run/resume.ts';
import { loadClaims } from '../claims/load.ts';
import { realDeps, resumeRun, runExperiment } from '../run/scheduler.ts';
import { budgetOracle } from '../stats/analyze.ts';
import { UsageError, type Command } from './command.ts';
import { resolveRunDir } from './run-dir.ts';

export const runCommand: Command = {
  name: 'run',
  summary: 'Run an experiment file: a fresh platform instance per repetition, every value stored as measured.',
  usage: 'isobench run [--experiment FILE] | isobench run --resume RUN_DIR [--retry-failed] [--force]',
  help: [
    '  --experiment FILE    experiment file (default experiments/quick.yaml)',
    '  --resume RUN_DIR     continue an interrupted run (crash, kill -9, power loss, Ctrl-C) with its stored',
    '                       experiment, plan and seed; instances that had not finished are measured again',
    '                       (RUN_DIR: a run directory, a run id, or latest)',
    '  --retry-failed       with --resume: also measure again the instances that failed, timed out or were skipped',
    '                       (a budgeted run that made its last look is refused: start a new run)',
    '                       (the new attempt supersedes the old one in the analysis)',
    '  --force              with --resume: resume on another host than the one the run was measured on',
    '',
    'Prints the run directory (data/runs/<run-id>) on stdout.',
  ].join('\n'),
  options: {
    experiment: { type: 'string', short: 'e' },
    resume: { type: 'string' },
    'retry-failed': { type: 'boolean' },
    force: { type: 'boolean' },
  },
  async run(values) {
    const resume = values.resume as string | undefined;
    if (resume === undefined) {
      if (values['retry-failed'] || values.force) throw new UsageError(`run: --${values['retry-failed'] ? 'retry-failed' : 'force'} needs --resume RUN_DIR (see 'isobench run --help')`);
      const loaded = loadExperiment((values.experiment as string | undefined) ?? paths.defaultExperiment);
      const result = await runExperiment(loaded, { ...realDeps, claimOracle: budgetOracle(loadClaims()) });
      process.stdout.write(`${result.runDir}\n`);
      return 0;
    }
    if (values.experiment) throw new UsageError('run: --resume uses the experiment stored in the run directory; drop --experiment');
    const { runDir } = resolveRunDir(resume);
    try {
      const result = await resumeRun(runDir, { retryFailed: values['retry-failed'] === true, force: values.force === true }, { ...realDeps, claimOracle: budgetOracle(loadClaims()) });
      process.stdout.write(`${result.runDir}\n`);
      return 0;
    } catch (e) {
      if (e instanceof ResumeRefused) throw new UsageError(`run --resume ${resume}: ${e.message}`);
      throw e;
    }
  },
};
