import { archiveRun } from '../archive/artifact.ts';
import { loadExperiment } from '../experiment/load.ts';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { renderReport } from '../report/index.ts';
import { loadClaims } from '../claims/load.ts';
import { realDeps, runExperiment } from '../run/scheduler.ts';
import { ensureSystemPackages, packagesFor } from '../setup/system.ts';
import { budgetOracle, writeAnalysis } from '../stats/analyze.ts';
import type { Command } from './command.ts';

/** seconds of an experiment's budget kept for the analysis, the report (HTML + PDF) and the archive after the run */
export const REPORT_RESERVE_S = 75;

export const reproduce: Command = {
  name: 'reproduce',
  summary: 'All stages in a row: install what is missing, run, analyze, report (HTML + PDF), archive.',
  usage: 'isobench reproduce [--experiment FILE] [--no-install]',
  help: '  --experiment FILE    experiment file (default experiments/quick.yaml)\n  --no-install         do not install system packages; list what is missing and go on',
  options: { experiment: { type: 'string', short: 'e' }, 'no-install': { type: 'boolean' } },
  async run(values) {
    // Validate before installing anything: a typo must change nothing.
    const loaded = loadExperiment((values.experiment as string | undefined) ?? paths.defaultExperiment);
    await ensureSystemPackages(packagesFor(loaded.experiment), { install: !values['no-install'] });
    const result = await runExperiment(loaded, { ...realDeps, claimOracle: budgetOracle(loadClaims()) }, { budgetReserveS: REPORT_RESERVE_S });
    log.step('analyzing');
    await writeAnalysis(result.runDir, { summary: true });
    log.step('rendering the report');
    const out = await renderReport(result.runDir, paths.reportDir(result.runId), { pdf: true });
    log.step('archiving');
    const artifact = await archiveRun(result.runDir, paths.reportDir(result.runId));
    log.info('');
    log.info(`run:     ${result.runDir}`);
    log.info(`HTML:    ${out.html}`);
    log.info(`PDF:     ${out.pdf ?? '(not rendered: no Chromium)'}`);
    log.info(`archive: ${artifact}`);
    process.stdout.write(`${out.html}\n${out.pdf ? `${out.pdf}\n` : ''}${artifact}\n`);
    return 0;
  },
};
