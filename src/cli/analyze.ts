import { log } from '../log.ts';
import { writeAnalysis } from '../stats/analyze.ts';
import { requireString, type Command } from './command.ts';
import { resolveRunDir } from './run-dir.ts';

export const analyze: Command = {
  name: 'analyze',
  summary: 'Compute statistics (means, 95% intervals, ratios to native) and the claims\' verdicts from a run\'s samples into analysis.json; prints the verdicts and where the run\'s time went.',
  usage: 'isobench analyze --run DIR',
  help: "  --run DIR            run directory, run id, or 'latest'",
  options: { run: { type: 'string', short: 'r' } },
  async run(values) {
    const { runDir } = resolveRunDir(requireString(values, 'run', 'analyze'));
    const file = await writeAnalysis(runDir, { summary: true });
    log.info(`analysis: ${file}`);
    process.stdout.write(`${file}\n`);
    return 0;
  },
};
