// Methods: repetitions, statistics, the claims' test, seeds, the exact commands, software, the data files, the experiment file.
import type { Analysis, MetricSummary, TimeRow } from '../../types.ts';
import { formatP } from '../claims-view.ts';
import { formatArgv } from '../../proc.ts';
import { settingsWords } from '../../claims/words.ts';
import { jobTitle, unique, type ReportContext } from '../context.ts';
import { byCodeUnit } from '../format.ts';
import type { CommandGroup, KeyValue, ReportView } from '../view-types.ts';
import { formatDuration } from '../../run/duration.ts';
import { APPENDICES } from '../appendices.ts';
import { repetitionsText } from './host.ts';

export function buildMethods(ctx: ReportContext, evidenceMethod: string): ReportView['methods'] {
  const { analysis, environment, plan } = ctx.inputs;
  const section = APPENDICES.methods;
  const commands: CommandGroup[] = [];
  for (const s of ctx.summaries) {
    const title = jobTitle(s.workload, s.job);
    let group = commands.find((g) => g.title === title);
    if (!group) {
      const cell = plan.cells.find((c) => c.workload === s.workload && c.job === s.job);
      group = { title, params: cell ? settingsWords(cell.params) : '', rows: [] };
      commands.push(group);
    }
    if (group.rows.some((r) => r.platform === ctx.names.label(s.platform))) continue;
    group.rows.push({ platform: ctx.names.label(s.platform), args: s.command ? s.command.map((a) => formatArgv([a])) : ['(not recorded)'] });
  }
  const softwareRows: KeyValue[] = [
    { key: 'isobench', value: `${environment.isobench.version}, commit ${environment.isobench.commit.slice(0, 12)}${environment.isobench.dirty ? ' with uncommitted changes' : ''}` },
    { key: 'Node.js', value: environment.node },
    ...Object.keys(environment.tools).sort(byCodeUnit).map((k) => ({ key: k, value: environment.tools[k] })),
  ];
  const software = { table: ctx.number.table('software', 'Software versions recorded at the start of the run.'), rows: softwareRows };
  const ratioMethods = unique(ctx.summaries.filter((s) => s.ratioToNative && s.ratioToNative.ci).map((s) => s.ratioToNative!.method));
  const claims = analysis.claims;
  return {
    section,
    repetitions: `${repetitionsText(ctx)} (instances of all cells ran interleaved in a seeded random order).${adaptiveNote(analysis.summaries)}${budgetNote(analysis)}`,
    statistics: [
      'The unit of replication is a fresh platform instance: each instance\'s iterations are averaged first, and n counts the instances that produced a value.',
      'Mean, median and standard deviation are taken over the instance means; the 95 % confidence interval of the mean uses Student\'s t with n − 1 degrees of freedom (no interval when n < 2).',
      ...ratioMethods.map((m) => `Ratio to native in the charts and tables: the platform's mean divided by native's mean; its 95 % interval: ${m}${analysis.bootstrap ? ` (${analysis.bootstrap.resamples} resamples, seed ${analysis.bootstrap.seed})` : ''}. The claims' verdicts use the same interval.`),
      'Numbers are rounded to what their interval supports: two significant digits of the interval\'s half-width.',
      `Architecture notes: ${evidenceMethod}.`,
    ],
    claims: claims
      ? [
        `Each claim of ${claims.file} (sha256 ${claims.sha256}) is tested on ratios measured in this run; docs/CLAIMS.md gives each test kind.`,
        `Multiple comparisons: ${claims.correction}.`,
        `A claim is reproduced when every clause (condition, link of a chain, stated cause) was tested on the platforms it is about and its Holm-adjusted support p is ≤ ${claims.alpha}, not reproduced when its Holm-adjusted refutation p is ≤ ${claims.alpha}, and inconclusive otherwise; partly tested when a clause was not tested on its subject (never counted as reproduced); not run when nothing it names ran here; caveats are printed, not tested.`,
      ]
      : ['This analysis holds no claim verdicts; run the analyze stage again to evaluate the claims.'],
    seeds: [
      { key: 'Experiment seed (run order)', value: String(analysis.experiment.seed) },
      ...(analysis.bootstrap ? [
        { key: 'Bootstrap seed', value: String(analysis.bootstrap.seed) },
        { key: 'Bootstrap resamples', value: String(analysis.bootstrap.resamples) },
      ] : []),
    ],
    commands,
    software,
    sources: ctx.sources.files.map((f) => ({ key: f.file, value: `sha256 ${f.sha256}` })),
    experimentFile: { file: analysis.experiment.file, sha256: analysis.experiment.sha256, text: ctx.inputs.experimentText },
  };
}

/** A budgeted run: how its budget was spent, and where its time went. */
function budgetNote(analysis: Analysis): string {
  const b = analysis.budget;
  const t = analysis.time;
  const parts: string[] = [];
  if (b) {
    const served = b.byClaim.length ? ` (${b.byClaim.map((c) => `${c.claim}: ${c.instances}`).join(', ')})` : '';
    const notGiven = b.notGiven.length ? ` Planned but not given: ${b.notGiven.map((n) => `${n.instances} (${n.why.replace(/^not given: /, '')})`).join('; ')}.` : '';
    const seq = analysis.claims?.sequential;
    parts.push(` Budget ${formatDuration(b.budgetS * 1000)}: the first stage gave every cell its instances (${b.firstStage} instances), then ${b.given} instance(s) went, one at a time, to the cell where one more instance most narrowed an interval of a claim not yet decided, per second of its measured cost${served ? `${served.slice(0, -1)}; an instance may serve several claims)` : ''}; logs/budget.jsonl says why each was given.${notGiven}`
      + ` The claims were looked at ${b.looks} time(s) during the run${seq ? ` (${seq.rule}); the last look's level was ${formatP(seq.finalLevel)}` : ''}, and a claim decided at a look keeps that verdict.`);
  }
  const d = (s: number) => formatDuration(s * 1000);
  if (t) parts.push(` Time: ${d(t.wallS)} of wall time, ${d(t.instancesS)} in instances (start ${d(sum(t.byPlatform, 'startS'))}, measured ${d(sum(t.byPlatform, 'measuredS'))}, stop ${d(sum(t.byPlatform, 'stopS'))}), ${d(t.waitingS)} outside any instance (detection, provisioning, image builds, the looks).`);
  return parts.join('');
}

const sum = (rows: TimeRow[], k: 'startS' | 'measuredS' | 'stopS') => rows.reduce((a, r) => a + r[k], 0);

/** Adaptive repetitions, in one sentence: the target and how many cells reached it before their maximum or the budget. */
function adaptiveNote(summaries: MetricSummary[]): string {
  const cells = new Map(summaries.filter((x) => x.adaptive).map((x) => [x.cell, x.adaptive!]));
  if (cells.size === 0) return '';
  const targets = [...new Set([...cells.values()].map((a) => `±${(a.target * 100).toFixed(1)}%`))].join(', ');
  const reached = [...cells.values()].filter((a) => a.reached).length;
  return ` Adaptive repetitions: each cell stopped once the 95% interval of its instance means was within ${targets} of the mean; ${reached} of ${cells.size} cells reached it, the others stopped at their maximum instances or the time budget (logs/adaptive.jsonl).`;
}
