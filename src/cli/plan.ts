import path from 'node:path';
import { loadExperiment } from '../experiment/load.ts';
import { makePlan } from '../experiment/plan.ts';
import { paths } from '../paths.ts';
import { estimatePlan, formatEstimate, readHostTimings } from '../run/estimate.ts';
import { detectPlatforms } from '../run/scheduler.ts';
import { workloadById } from '../workloads/index.ts';
import type { Command } from './command.ts';

export const plan: Command = {
  name: 'plan',
  summary: 'Print what an experiment would run (cells, instances, estimated duration per platform and in total); runs nothing.',
  usage: 'isobench plan [--experiment FILE] [--detect]',
  help: [
    '  --experiment FILE    experiment file (default experiments/quick.yaml)',
    '  --detect             detect which platforms can run here now (starts no instance, may take a minute);',
    '                       without it, the last run\'s detection on this host is used, or every platform is counted',
    '',
    'The estimate uses the start, measure and stop times earlier runs measured on this host (data/cache/timings.json),',
    'and each workload\'s declared duration where this host has timed nothing yet. A budgeted experiment (budget: 15m)',
    'pays its first stage and spends the rest of its budget on the cells that undecided claims rest on.',
  ].join('\n'),
  options: { experiment: { type: 'string', short: 'e' }, detect: { type: 'boolean' } },
  async run(values) {
    const loaded = loadExperiment((values.experiment as string | undefined) ?? paths.defaultExperiment);
    const exp = loaded.experiment;
    const p = makePlan(exp, path.basename(loaded.file));
    const host = readHostTimings();
    const ids = [...new Set(exp.platforms.map((x) => x.id))];
    let available: (id: string) => boolean = () => true;
    let said = `every platform of the experiment counted (no detection on this host yet; --detect asks)`;
    if (values.detect) {
      const records = await detectPlatforms(ids);
      available = (id) => records.some((r) => r.id === id && r.available);
      said = `platforms detected now: ${records.filter((r) => r.available).length} of ${ids.length} can run here`;
    } else if (host.platforms && ids.every((id) => host.platforms![id])) {
      available = (id) => host.platforms![id].available;
      said = `platforms as the last run on this host detected them: ${ids.filter(available).length} of ${ids.length} can run here`;
    }
    const lines = [`${loaded.file}: ${p.cells.length} cells`, said, ...formatEstimate(estimatePlan(exp, p, available, workloadById, host))];
    const skipped = ids.filter((id) => !available(id));
    if (skipped.length > 0) lines.push(`not counted (cannot run here): ${skipped.join(', ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
