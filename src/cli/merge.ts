import { log } from '../log.ts';
import { MergeRefused, mergeRuns } from '../run/merge.ts';
import { writeAnalysis } from '../stats/analyze.ts';
import { requireString, UsageError, type Command } from './command.ts';
import { resolveRunDir } from './run-dir.ts';

export const merge: Command = {
  name: 'merge',
  summary: 'Merge runs of one experiment file from several hosts or days into one run, with the host as a dimension (never pooled).',
  usage: 'isobench merge RUN_DIR RUN_DIR... --out DIR [--common-cells]',
  help: [
    "  RUN_DIR              run directories, run ids, or 'latest' (at least two)",
    '  --out DIR            the new run directory; its name becomes the run id',
    '  --common-cells       merge runs of different experiment files on the cells they all have (says which were dropped)',
    '',
    "Then analyzes the merged run and prints its directory; 'isobench report --run DIR' shows the hosts side by side.",
  ].join('\n'),
  options: { out: { type: 'string', short: 'o' }, 'common-cells': { type: 'boolean' } },
  allowPositionals: true,
  async run(values, positionals) {
    const out = requireString(values, 'out', 'merge');
    if (positionals.length < 2) throw new UsageError("merge: give at least two run directories (see 'isobench merge --help')");
    const runDirs = positionals.map((p) => resolveRunDir(p).runDir);
    let result;
    try {
      result = await mergeRuns(runDirs, out, { commonCells: values['common-cells'] === true });
    } catch (err) {
      if (err instanceof MergeRefused) throw new UsageError(err.message);
      throw err;
    }
    log.info(`merge: ${result.runDir}: ${result.hosts.map((h) => `${h.host} (run ${h.run})`).join(', ')}; ${result.cells} cell(s), ${result.samples} sample(s)`);
    if (result.droppedCells.length) log.info(`merge: ${result.droppedCells.length} cell(s) left out (not in every run); listed in environment.json under merged.droppedCells`);
    const analysis = await writeAnalysis(result.runDir);
    log.info(`analysis: ${analysis}`);
    process.stdout.write(`${result.runDir}\n`);
    return 0;
  },
};
