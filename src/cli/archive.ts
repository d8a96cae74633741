import { archiveRun } from '../archive/artifact.ts';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { requireString, type Command } from './command.ts';
import { resolveRunDir } from './run-dir.ts';

export const archive: Command = {
  name: 'archive',
  summary: 'Bundle a run (experiment, samples, environment, analysis, logs, report) into a deterministic artifact.tar.gz with a MANIFEST.sha256.',
  usage: 'isobench archive --run DIR',
  help: "  --run DIR            run directory, run id, or 'latest'",
  options: { run: { type: 'string', short: 'r' } },
  async run(values) {
    const { runDir, runId } = resolveRunDir(requireString(values, 'run', 'archive'));
    const file = await archiveRun(runDir, paths.reportDir(runId));
    log.info(`archive: ${file}`);
    process.stdout.write(`${file}\n`);
    return 0;
  },
};
