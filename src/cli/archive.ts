import { archiveRun } from '../archive/artifact.ts';
import { parseAuthor } from '../archive/dataset.ts';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { requireString, UsageError, type Command } from './command.ts';
import { resolveRunDir } from './run-dir.ts';

export const archive: Command = {
  name: 'archive',
  summary: 'Bundle a run (experiment, samples, environment, analysis, logs, report) into a deterministic artifact.tar.gz with a MANIFEST.sha256, RO-Crate metadata and CITATION.cff.',
  usage: "isobench archive --run DIR [--author 'Family, Given']...",
  help: [
    "  --run DIR            run directory, run id, or 'latest'",
    "  --author NAME        the dataset's author, for ro-crate-metadata.json and CITATION.cff: 'Family, Given' for a person,",
    '                       a name without a comma for an organisation; repeat for several (default: isobench authors)',
  ].join('\n'),
  options: { run: { type: 'string', short: 'r' }, author: { type: 'string', multiple: true } },
  async run(values) {
    const { runDir, runId } = resolveRunDir(requireString(values, 'run', 'archive'));
    const given = (values.author as unknown as string[] | undefined) ?? [];
    let authors;
    try {
      authors = given.length ? given.map(parseAuthor) : undefined;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const file = await archiveRun(runDir, paths.reportDir(runId), { authors });
    log.info(`archive: ${file}`);
    process.stdout.write(`${file}\n`);
    return 0;
  },
};
