import { paths } from '../paths.ts';
import { renderReport } from '../report/index.ts';
import { requireString, type Command } from './command.ts';
import { resolveRunDir } from './run-dir.ts';

export const report: Command = {
  name: 'report',
  summary: 'Render the HTML report and its PDF from a run\'s analysis (no measuring).',
  usage: 'isobench report --run DIR [--no-pdf]',
  help: "  --run DIR            run directory, run id, or 'latest'\n  --no-pdf             write only the HTML (no Chromium needed)",
  options: { run: { type: 'string', short: 'r' }, 'no-pdf': { type: 'boolean' } },
  async run(values) {
    const { runDir, runId } = resolveRunDir(requireString(values, 'run', 'report'));
    const out = await renderReport(runDir, paths.reportDir(runId), { pdf: !values['no-pdf'] });
    process.stdout.write(`${out.html}\n${out.pdf ? `${out.pdf}\n` : ''}`);
    return 0;
  },
};
