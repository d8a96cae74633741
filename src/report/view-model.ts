// Analysis + Environment + Plan (+ the paper's facts and callouts) -> the plain, ordered, pre-formatted data that the templates and charts show.
import { hostKind } from './host-kind.ts';
import { parse as parseYaml } from 'yaml';
import { formatArgv } from '../proc.ts';
import type { MetricSummary } from '../types.ts';
import { AREAS } from './areas.ts';
import { buildAreas, type AreaView } from './area-view.ts';
import type { CalloutView, EvidenceRecord } from './callouts.ts';
import { claimCard, verdictCounts, verdictSentence, type ClaimCard, type VerdictCount } from './claims-view.ts';
import { byCodeUnit, formatFixed, formatMiB, formatTime } from './format.ts';
import type { ReportInputs } from './inputs.ts';
import { platformConfiguration } from './platform-config.ts';
import { loadReportSources, type ReportSources } from './sources.ts';
import { buildAppendix, buildThreats, ranges, type AppendixView, type ThreatsView } from './threats-appendix.ts';

export type { AreaView } from './area-view.ts';

export interface KeyValue { key: string; value: string }

export interface TableRef { number: number; id: string; caption: string }

/** One platform's mark in a dot chart: the point, its interval and the instance means behind it. */
export interface ChartPoint {
  platform: string;
  label: string; // axis label (platform, marked when emulated)
  emulated: boolean;
  value: number;
  low: number | null;
  high: number | null;
  n: number;
  instanceMeans: number[];
  valueText: string; // direct label next to the mark
}

/** One panel of a dot chart (a metric); a chart with several panels stacks them. */
export interface DotPanel {
  title: string | null;
  axisTitle: string;
  reference: { value: number; label: string } | null;
  points: ChartPoint[];
}

/** A summary that a chart draws: for the appendix, which links every figure to its samples. */
export interface ChartSource { platform: string; host?: string; label: string; cell: string; metric: string; instances: number[] }

interface ChartCommon {
  name: string; // file stem under charts/
  number: number; // figure number
  id: string; // HTML anchor
  caption: string;
  alt: string; // the values in words, for readers who cannot see the chart
  sources: ChartSource[];
}

export interface DotChartView extends ChartCommon { kind: 'value' | 'ratio'; panels: DotPanel[] }

export interface StripRow { platform: string; label: string; emulated: boolean; values: number[]; instances: number[]; mean: number; n: number }
/** every instance's value per platform, with a box plot: where the spread is the finding (startup) */
export interface StripChartView extends ChartCommon { kind: 'strip'; axisTitle: string; log: boolean; rows: StripRow[] }

export interface PercentileMark { percentile: string; value: number; low: number | null; high: number | null }
export interface PercentileRow { platform: string; label: string; emulated: boolean; marks: PercentileMark[] }
/** P50, P90 and P99 per platform on one line: the latency distribution's shape */
export interface PercentileChartView extends ChartCommon { kind: 'percentiles'; axisTitle: string; log: boolean; percentiles: string[]; rows: PercentileRow[] }

export type ChartView = DotChartView | StripChartView | PercentileChartView;

export interface ResultRow {
  platform: string;
  label: string;
  measured: boolean;
  note: string; // why there is no value, or ''
  n: string;
  iterations: string;
  failed: string;
  mean: string;
  median: string;
  sd: string;
  ci: string;
  ratio: string;
  ratioCi: string;
}

/** One metric's numbers: n, mean, interval and ratio to native per platform. */
export interface MetricTable {
  id: string;
  title: string;
  metric: string;
  unit: string;
  better: string; // 'higher is better'
  table: TableRef;
  rows: ResultRow[];
}

/** A chart and the architecture callouts that explain it, kept together on the page. */
export interface FigureBlock { chart: ChartView; callouts: CalloutView[] }

/** One workload (and job) inside an area: its figures, then a table per metric. */
export interface WorkloadBlock {
  id: string;
  title: string;
  workload: string;
  job: string;
  params: string;
  figures: FigureBlock[];
  tables: MetricTable[];
  notes: string[];
}

export interface PlatformRow {
  id: string;
  label: string;
  family: string;
  version: string;
  emulated: string;
  network: string;
  configuration: KeyValue[];
  ran: boolean;
  status: string;
  detail: string; // description, or the reason it was not run
}

/** args: each argument shell-quoted for reading, so the template can keep an argument on one line */
export interface CommandRow { platform: string; args: string[] }
export interface CommandGroup { title: string; params: string; rows: CommandRow[] }
export interface NotRunRow { platform: string; reason: string }
/** failures that share platform, status and error: the workloads and instances they hit */
export interface FailureRow { platform: string; workloads: string; instances: string; status: string; error: string }
export interface SectionRef { number: string; id: string; title: string }

export interface ReportView {
  title: string;
  run: string;
  /** ISO time the run ended (or started): the report's only date, so re-rendering changes nothing */
  runTime: string;
  /** when the run ran, for readers */
  period: string;
  experiment: { name: string; description: string; file: string; sha256: string; seed: number };
  /** platform ids in report order (native first); charts give each the same colour and shape everywhere */
  platformOrder: string[];
  titlePage: { heading: string; citation: string; facts: KeyValue[]; abstract: string[] };
  toc: SectionRef[];
  summary: {
    section: SectionRef;
    facts: KeyValue[];
    counts: VerdictCount[];
    claims: { table: TableRef; rows: { id: string; anchor: string; area: string; areaAnchor: string; claim: string; provenance: string; verdict: string; verdictClass: string; partial: boolean }[] } | null;
    noClaims: string;
  };
  host: { section: SectionRef; table: TableRef; rows: KeyValue[]; changes: string[] };
  platforms: { table: TableRef; rows: PlatformRow[]; alsoDetected: string[] };
  areas: AreaView[];
  notRun: {
    section: SectionRef;
    table: TableRef | null;
    rows: NotRunRow[];
    workloads: string[];
    claims: { id: string; anchor: string; reason: string }[];
    failures: { table: TableRef | null; rows: FailureRow[] };
  };
  threats: ThreatsView;
  methods: {
    section: SectionRef;
    repetitions: string;
    statistics: string[];
    claims: string[];
    seeds: KeyValue[];
    commands: CommandGroup[];
    software: { table: TableRef; rows: KeyValue[] };
    sources: KeyValue[];
    experimentFile: { file: string; sha256: string; text: string };
  };
  appendix: AppendixView;
  /** the callouts' measured evidence, for verdicts.json */
  calloutEvidence: EvidenceRecord[];
  keywords: string[];
}

export const NATIVE = 'native';
export const DASH = '—';

/** Summaries in report order: workload and job as planned, metric as analysed, native first then planned platform order. */
export function orderedSummaries(inputs: ReportInputs): MetricSummary[] {
  const order = orders(inputs);
  return [...inputs.analysis.summaries].sort((a, b) =>
    order.group(a) - order.group(b) || order.metric(a) - order.metric(b) || order.platform(a.platform) - order.platform(b.platform));
}

export function orders(inputs: ReportInputs) {
  const { plan, analysis } = inputs;
  const platformIds = platformOrder(inputs);
  const groups: string[] = [];
  for (const c of plan.cells) pushNew(groups, `${c.workload}\u0000${c.job}`);
  for (const s of analysis.summaries) pushNew(groups, `${s.workload}\u0000${s.job}`);
  // metrics by name: the analysis' order, and the same whatever order the summaries come in
  const metrics = [...new Set(analysis.summaries.map((s) => `${s.workload}\u0000${s.job}\u0000${s.metric}`))].sort(byCodeUnit);
  return {
    platformIds,
    groups,
    group: (s: { workload: string; job: string }) => groups.indexOf(`${s.workload}\u0000${s.job}`),
    metric: (s: MetricSummary) => metrics.indexOf(`${s.workload}\u0000${s.job}\u0000${s.metric}`),
    platform: (id: string) => platformIds.indexOf(id),
  };
}

/** native first, then the experiment's order (plan cells), then anything else the data names, alphabetically. */
function platformOrder({ plan, analysis, environment }: ReportInputs): string[] {
  const ids: string[] = [];
  for (const c of plan.cells) pushNew(ids, c.platform);
  const extra = [
    ...analysis.summaries.map((s) => s.platform),
    ...analysis.notRun.map((r) => r.platform),
    ...analysis.failures.map((f) => f.platform),
    ...environment.platforms.filter((p) => p.requested).map((p) => p.id),
  ].filter((id) => !ids.includes(id));
  for (const id of [...new Set(extra)].sort(byCodeUnit)) ids.push(id);
  return ids.includes(NATIVE) ? [NATIVE, ...ids.filter((id) => id !== NATIVE)] : ids;
}

export function pushNew<T>(list: T[], item: T): void {
  if (!list.includes(item)) list.push(item);
}

export type Numbering = ReturnType<typeof numbering>;

/** Numbers figures and tables in document order; the template shows them in the same order. */
function numbering() {
  let figures = 0;
  let tables = 0;
  return {
    figure: () => ++figures,
    table: (id: string, caption: string): TableRef => {
      const number = ++tables;
      return { number, id: `table-${number}-${id}`, caption };
    },
  };
}

/** How a platform is named wherever it appears: emulated platforms carry "(software emulation)"; in a merged run, "@ host". */
export interface Labeller {
  label: (id: string, host?: string) => string;
  /** the same as label: a platform on a host */
  at: (id: string, host?: string) => string;
  /** the label of a summary's (or a failure's) platform on its host */
  of: (s: { platform: string; host?: string }) => string;
  emulated: (id: string) => boolean;
}

export function buildViewModel(inputs: ReportInputs, sources: ReportSources = loadReportSources()): ReportView {
  const { analysis, environment, plan } = inputs;
  const order = orders(inputs);
  const number = numbering();
  const summaries = orderedSummaries(inputs).map((s) => completeSummary(s, plan));
  const records = new Map(environment.platforms.map((p) => [p.id, p]));
  const notRun = new Map(analysis.notRun.map((r) => [r.platform, r.reason]));
  const emulated = (id: string) => Boolean(records.get(id)?.emulated || summaries.some((s) => s.platform === id && s.emulated));
  // a merged run's summaries carry their host: 'native @ host-a' (src/run/merge.ts)
  const label = (id: string, host?: string) => `${emulated(id) ? `${id} (software emulation)` : id}${host ? ` @ ${host}` : ''}`;
  const names: Labeller = { emulated, label, at: label, of: (s) => label(s.platform, s.host) };
  const runTime = environment.endedAt ?? environment.startedAt;
  const period = `${formatTime(environment.startedAt)}${environment.endedAt ? ` to ${formatTime(environment.endedAt)}` : ''}`;
  const claims = analysis.claims;
  const cards = (claims?.verdicts ?? []).map((v) => claimCard(v, claims!.alpha));

  const requested = order.platformIds.filter((id) => plan.cells.some((c) => c.platform === id) || records.get(id)?.requested);
  const ran = requested.filter((id) => summaries.some((s) => s.platform === id));
  const notRunIds = requested.filter((id) => !ran.includes(id));
  const workloads = unique(plan.cells.map((c) => c.workload));
  const measuredCells = plan.cells.filter((c) => summaries.some((s) => s.platform === c.platform && s.workload === c.workload && s.job === c.job));
  const values = summaries.reduce((sum, s) => sum + s.iterations, 0);
  const { instances, iterations } = analysis.repetitions;
  // workloads whose cells repeat otherwise than the experiment's default (the paper's 300 startups)
  const overrides = workloads.flatMap((w) => {
    const c = plan.cells.find((x) => x.workload === w)!;
    const n = c.instances ?? instances;
    const k = c.iterations ?? iterations;
    return n !== instances || k !== iterations ? [`${w} ${n} instance${n === 1 ? '' : 's'} × ${k} iteration${k === 1 ? '' : 's'}`] : [];
  });
  const overridesText = overrides.length ? `; per workload: ${overrides.join(', ')}` : '';
  const h = environment.host;
  const hostLine = `${h.cpuModel}, ${h.cores} cores, ${formatMiB(h.memoryMiB)}, ${h.kernel}${hostKind(h.virtualization) ? `, ${hostKind(h.virtualization)!.words}` : ''}`;
  const emulatedRan = ran.filter(emulated);

  // Sections are numbered in document order: summary, host, one per area, then the rest.
  let sectionNo = 0;
  const section = (id: string, title: string): SectionRef => ({ number: String(++sectionNo), id, title });

  // Title page
  const paper = sources.paper;
  const areasMeasured = AREAS.filter((a) => summaries.some((s) => a.workloads.includes(s.workload)));
  const titlePage = {
    heading: `A reproduction of “${paper.title}”`,
    citation: `${paper.authors.join(' and ')}, ${paper.venue}, ${paper.year}. DOI ${paper.doi}, arXiv ${paper.arxiv}.`,
    facts: [
      { key: 'Host', value: `${h.hostname}: ${hostLine}; ${h.distribution}` },
      { key: 'Run', value: `${analysis.run}, ${period}` },
      { key: 'isobench', value: `${environment.isobench.version}, commit ${environment.isobench.commit}${environment.isobench.dirty ? ' (with uncommitted changes)' : ''}` },
      { key: 'Experiment', value: `${analysis.experiment.name} (${analysis.experiment.file}, sha256 ${analysis.experiment.sha256.slice(0, 12)})` },
      ...(claims ? [{ key: 'Claims', value: `${claims.file}, sha256 ${claims.sha256.slice(0, 12)}` }] : []),
    ],
    abstract: [
      verdictSentence(claims),
      `This run measured ${ran.length} platform${ran.length === 1 ? '' : 's'} (${ran.map((id) => names.label(id)).join(', ') || 'none'}) on ${hostLine}, with ${workloads.length} workload${workloads.length === 1 ? '' : 's'} (${workloads.join(', ')}) in ${areasMeasured.length} of the paper's ${AREAS.length} areas, ${instances} fresh instance${instances === 1 ? '' : 's'} per cell × ${iterations} iteration${iterations === 1 ? '' : 's'}${overridesText}.${notRunIds.length ? ` Requested but not run here: ${notRunIds.join(', ')}.` : ''}`,
      `Verdicts rest on ratios measured in this run, with 95 % intervals${claims ? ` and Holm's correction over the tested claims` : ''}. The paper's absolute numbers come from its own host (${paper.host}); they are shown for reference and never compared.${emulatedRan.length ? ` ${emulatedRan.join(', ')} ran under software emulation: shown and labelled as such, never used for a claim.` : ''}`,
    ],
  };

  // 1 Summary
  const summarySection = section('summary', 'Summary');
  const facts: KeyValue[] = [
    { key: 'Experiment', value: `${analysis.experiment.name}${analysis.experiment.description ? `: ${analysis.experiment.description}` : ''}` },
    { key: 'Platforms', value: `${requested.length} requested; ${ran.length} measured (${ran.map((id) => names.label(id)).join(', ') || 'none'})${notRunIds.length ? `; ${notRunIds.length} not run (${notRunIds.join(', ')})` : ''}` },
    { key: 'Workloads', value: `${workloads.length} (${workloads.join(', ')}); ${unique(summaries.map((s) => `${s.workload}/${s.job}/${s.metric}`)).length} metrics reported` },
    { key: 'Cells', value: `${plan.cells.length} planned (platform × workload × job), ${measuredCells.length} with values` },
    { key: 'Repetitions', value: `${instances} fresh instance${instances === 1 ? '' : 's'} per cell × ${iterations} iteration${iterations === 1 ? '' : 's'} per instance${overridesText}; ${plan.order.length} instances planned` },
    { key: 'Values', value: `${values} measured value${values === 1 ? '' : 's'} (summed over metrics)` },
    { key: 'Failures', value: analysis.failures.length ? `${analysis.failures.length} (failed, timed out or skipped; see section “What was not run”)` : 'none' },
  ];
  const areaIds = new Map(AREAS.map((a) => [a.id as string, a]));
  const claimsTable = cards.length
    ? {
      table: number.table('claims', "The paper's claims and this run's verdicts. Provenance: text = a sentence of the paper, summary = a reader's paraphrase, scripts = the authors' scripts. 'partial': some platforms or measures the claim names did not run here."),
      rows: cards.map((c) => ({
        id: c.id, anchor: c.anchor, area: areaIds.get(c.area)?.title ?? c.area, areaAnchor: `area-${c.area}`,
        claim: c.claim, provenance: `${c.provenanceKind} · ${c.provenance}`, verdict: c.verdict, verdictClass: c.verdictClass, partial: c.partial,
      })),
    }
    : null;

  // 2 Host and platforms
  const hostSection = section('host', 'Host and platforms');
  const hostRows: KeyValue[] = [
    { key: 'Hostname', value: h.hostname },
    { key: 'CPU', value: h.cpuModel },
    { key: 'Cores', value: String(h.cores) },
    { key: 'Memory', value: formatMiB(h.memoryMiB) },
    { key: 'Kernel', value: h.kernel },
    { key: 'Distribution', value: h.distribution },
    { key: 'Architecture', value: h.arch },
    { key: 'Virtualization', value: h.virtualization ?? 'none detected' },
    { key: 'CPU frequency governor', value: environment.noise.governor ?? 'not exposed' },
    { key: 'SMT', value: environment.noise.smt ?? 'unknown' },
    { key: 'Swap', value: environment.noise.swapMiB === undefined ? 'unknown' : formatMiB(environment.noise.swapMiB) },
    { key: 'Load average at start (1, 5, 15 min)', value: environment.noise.loadavg.map((x) => formatFixed(x, 2)).join(', ') },
    { key: "The paper's host (not compared)", value: paper.host },
  ];
  if (environment.merged) hostRows.unshift({ key: 'Merged hosts (the rows below describe the first)', value: environment.merged.hosts.map((m) => `${m.host}: ${m.environment.host.cpuModel}, ${m.environment.host.cores} cores, ${m.environment.host.kernel} (run ${m.run})`).join('; ') });
  const hostTable = number.table('host', 'The host that ran every platform.');
  const hostChanges = environment.hostChanges.map((c) => `${c.by}: ${c.what} (${c.undone ? 'undone afterwards' : 'NOT undone'})`);
  const platformRows: PlatformRow[] = requested.map((id) => {
    const record = records.get(id);
    const mine = summaries.filter((s) => s.platform === id);
    const isRan = ran.includes(id);
    return {
      id,
      label: names.label(id),
      family: record?.family ?? 'not recorded',
      version: record?.version ?? 'not recorded',
      emulated: emulated(id) ? 'software emulation' : 'no',
      network: unique(mine.map((s) => s.network).filter((n): n is NonNullable<typeof n> => Boolean(n))).join(', ') || DASH,
      configuration: platformConfiguration(record, plan.cells.filter((c) => c.platform === id), mine),
      ran: isRan,
      status: isRan ? 'measured' : 'not run',
      detail: isRan ? (record?.description ?? '') : (notRun.get(id) ?? record?.reason ?? 'no value was recorded and no reason was given'),
    };
  });
  const platformsTable = number.table('platforms', 'Requested platforms: family, version, configuration as detected and as run (runtime, gVisor platform, Kata hypervisor and shared filesystem, VMM, options, network mode), whether emulated in software, and whether they ran.');
  const alsoDetected = environment.platforms
    .filter((p) => !requested.includes(p.id))
    .sort((a, b) => byCodeUnit(a.id, b.id))
    .map((p) => `${p.id} (${p.available ? 'available' : 'not available'}${p.emulated ? ', software emulation' : ''})`);

  // 3.. one section per area
  const areaResult = buildAreas({ inputs, summaries, platformIds: order.platformIds, notRun, records, names, number, section, cards, callouts: sources.callouts });
  // Chart names become file names: two charts whose names slug alike get -2, -3, ...
  const usedNames = new Set<string>();
  for (const chart of areaResult.charts) {
    let name = chart.name;
    for (let k = 2; usedNames.has(name); k++) name = `${chart.name}-${k}`;
    chart.name = name;
    usedNames.add(name);
  }

  // What was not run
  const notRunSection = section('not-run', 'What was not run, and why');
  const notRunRows: NotRunRow[] = notRunIds.map((id) => ({ platform: id, reason: notRun.get(id) ?? records.get(id)?.reason ?? 'no value was recorded and no reason was given' }));
  const notRunTable = notRunRows.length ? number.table('not-run', 'Requested platforms that did not run, and why.') : null;
  const missingWorkloads = AREAS.flatMap((a) => a.workloads.filter((w) => !workloads.includes(w)).map((w) => `${w} (${a.title})`));
  // One row per platform, status and error: a platform that failed the same way everywhere is one line, not fifty.
  const failureRows: FailureRow[] = [];
  const sortedFailures = [...analysis.failures]
    .sort((a, b) => order.platform(a.platform) - order.platform(b.platform) || order.group(a) - order.group(b) || a.instance - b.instance || a.iteration - b.iteration);
  const failureGroups = new Map<string, typeof sortedFailures>();
  for (const f of sortedFailures) {
    const key = `${f.platform}\u0000${f.host ?? ''}\u0000${f.status}\u0000${f.error}`;
    failureGroups.set(key, [...(failureGroups.get(key) ?? []), f]);
  }
  for (const fs of failureGroups.values()) {
    const jobs = unique(fs.map((f) => (f.job === 'default' ? f.workload : `${f.workload} / ${f.job}`)));
    const instancesOf = (job: string) => ranges(fs.filter((f) => (f.job === 'default' ? f.workload : `${f.workload} / ${f.job}`) === job).map((f) => f.instance));
    // the instances most workloads share, then the workloads that differ: "0–4 (startup: 0–19)"
    const counts = new Map<string, number>();
    for (const j of jobs) counts.set(instancesOf(j), (counts.get(instancesOf(j)) ?? 0) + 1);
    const common = [...counts].sort((a, b) => b[1] - a[1] || byCodeUnit(a[0], b[0]))[0][0];
    const differ = jobs.filter((j) => instancesOf(j) !== common);
    failureRows.push({
      platform: names.of(fs[0]),
      workloads: jobs.join(', '),
      instances: `${common}${differ.length ? ` (${differ.map((j) => `${j}: ${instancesOf(j)}`).join('; ')})` : ''}`,
      status: fs[0].status,
      error: fs[0].error,
    });
  }
  const failuresTable = failureRows.length ? number.table('failures', 'Measurements that failed, timed out or were skipped, grouped by platform and error: the workloads and the instances (numbered from 0) they hit.') : null;

  // Threats to validity
  const threats = buildThreats({ inputs, summaries, names, number, section: section('threats', 'Threats to validity'), paper, resources: experimentResources(inputs.experimentText) });

  // Methods
  const methodsSection = section('methods', 'Methods');
  const commandGroups: CommandGroup[] = [];
  for (const s of summaries) {
    const title = `${s.workload} / ${s.job}`;
    let group = commandGroups.find((g) => g.title === title);
    if (!group) {
      const cell = plan.cells.find((c) => c.workload === s.workload && c.job === s.job);
      group = { title, params: cell ? formatParams(cell.params) : '', rows: [] };
      commandGroups.push(group);
    }
    if (group.rows.some((r) => r.platform === names.label(s.platform))) continue;
    group.rows.push({ platform: names.label(s.platform), args: s.command ? s.command.map((a) => formatArgv([a])) : ['(not recorded)'] });
  }
  const softwareRows: KeyValue[] = [
    { key: 'isobench', value: `${environment.isobench.version}, commit ${environment.isobench.commit.slice(0, 12)}${environment.isobench.dirty ? ' with uncommitted changes' : ''}` },
    { key: 'Node.js', value: environment.node },
    ...Object.keys(environment.tools).sort(byCodeUnit).map((k) => ({ key: k, value: environment.tools[k] })),
  ];
  const softwareTable = number.table('software', 'Software versions recorded at the start of the run.');
  const ratioMethods = unique(summaries.filter((s) => s.ratioToNative && s.ratioToNative.ci).map((s) => s.ratioToNative!.method));
  const statistics = [
    `The unit of replication is a fresh platform instance: each instance's iterations are averaged first, and n counts the instances that produced a value.`,
    `Mean, median and standard deviation are taken over the instance means; the 95 % confidence interval of the mean uses Student's t with n − 1 degrees of freedom (no interval when n < 2).`,
    ...ratioMethods.map((m) => `Ratio to native in the charts and tables: the platform's mean divided by native's mean; its 95 % interval: ${m}${analysis.bootstrap ? ` (${analysis.bootstrap.resamples} resamples, seed ${analysis.bootstrap.seed})` : ''}. The claims' verdicts use the same interval.`),
    `Architecture callouts: ${areaResult.evidenceMethod}.`,
  ];
  const claimsMethods = claims
    ? [
      `Each claim of ${claims.file} (sha256 ${claims.sha256}) is tested on ratios measured in this run; docs/CLAIMS.md gives each test kind.`,
      `Multiple comparisons: ${claims.correction}.`,
      `A claim is reproduced when every clause (condition, link of a chain, stated cause) was tested on the platforms it is about and its Holm-adjusted support p is ≤ ${claims.alpha}, not reproduced when its Holm-adjusted refutation p is ≤ ${claims.alpha}, and inconclusive otherwise; 'partly tested' when a clause was not tested on its subject (never counted as reproduced); 'not run' when nothing it names ran here; caveats are printed, not tested.`,
    ]
    : ['This analysis holds no claim verdicts; run the analyze stage again to evaluate the claims.'];

  const appendix = buildAppendix(areaResult.charts, inputs);

  return {
    title: `isobench report: ${analysis.experiment.name}`,
    run: analysis.run,
    runTime,
    period,
    experiment: { ...analysis.experiment },
    platformOrder: order.platformIds,
    titlePage,
    toc: [summarySection, hostSection, ...areaResult.areas.map((a) => a.section), notRunSection, threats.section, methodsSection, appendix.section],
    summary: {
      section: summarySection,
      facts,
      counts: verdictCounts(claims),
      claims: claimsTable,
      noClaims: claims ? '' : verdictSentence(claims),
    },
    host: { section: hostSection, table: hostTable, rows: hostRows, changes: hostChanges },
    platforms: { table: platformsTable, rows: platformRows, alsoDetected },
    areas: areaResult.areas,
    notRun: {
      section: notRunSection,
      table: notRunTable,
      rows: notRunRows,
      workloads: missingWorkloads,
      claims: cards.filter((c) => c.verdict === 'not run').map((c) => ({ id: c.id, anchor: c.anchor, reason: c.reason })),
      failures: { table: failuresTable, rows: failureRows },
    },
    threats,
    methods: {
      section: methodsSection,
      repetitions: `${instances} fresh instance${instances === 1 ? '' : 's'} of each platform per cell, ${iterations} iteration${iterations === 1 ? '' : 's'} inside each instance (${instances * iterations} values per cell and metric when nothing fails)${overridesText}. Instances of all cells ran interleaved in a seeded random order.${adaptiveNote(analysis.summaries)}`,
      statistics,
      claims: claimsMethods,
      seeds: [
        { key: 'Experiment seed (run order)', value: String(analysis.experiment.seed) },
        ...(analysis.bootstrap ? [
          { key: 'Bootstrap seed', value: String(analysis.bootstrap.seed) },
          { key: 'Bootstrap resamples', value: String(analysis.bootstrap.resamples) },
        ] : []),
      ],
      commands: commandGroups,
      software: { table: softwareTable, rows: softwareRows },
      sources: sources.files.map((f) => ({ key: f.file, value: `sha256 ${f.sha256}` })),
      experimentFile: { file: analysis.experiment.file, sha256: analysis.experiment.sha256, text: inputs.experimentText },
    },
    appendix,
    calloutEvidence: areaResult.evidence,
    keywords: ['isobench', 'isolation', 'benchmark', 'reproduction', analysis.experiment.name, ...ran, ...workloads],
  };
}

/**
 * Analyses written before summaries named their cell and instances: the plan's cell of the platform, workload and
 * job, and the first n instances (which holds when no instance lost all its values).
 */
function completeSummary(s: MetricSummary, plan: ReportInputs['plan']): MetricSummary {
  if (s.cell && s.instances) return s;
  const cell = s.cell ?? plan.cells.find((c) => c.platform === s.platform && c.workload === s.workload && c.job === s.job)?.id ?? 'not recorded';
  return { ...s, cell, instances: s.instances ?? s.instanceMeans.map((_, i) => i), params: s.params ?? {} };
}

/** Every chart of the report, in figure order. */
export function allCharts(view: ReportView): ChartView[] {
  return view.areas.flatMap((a) => a.blocks.flatMap((b) => b.figures.map((f) => f.chart)));
}

export function formatParams(params: Record<string, unknown>): string {
  return Object.keys(params).sort(byCodeUnit).map((k) => `${k}=${typeof params[k] === 'string' ? params[k] : JSON.stringify(params[k])}`).join(', ');
}

/** cpus and memory per instance, from the experiment file as run (absent in old or hand-made runs) */
function experimentResources(text: string): { cpus?: number; memoryMiB?: number } {
  try {
    const r = (parseYaml(text) as { resources?: { cpus?: unknown; memory?: unknown } } | null)?.resources;
    return {
      ...(Number.isFinite(r?.cpus) ? { cpus: Number(r!.cpus) } : {}),
      ...(Number.isFinite(r?.memory) ? { memoryMiB: Number(r!.memory) } : {}),
    };
  } catch {
    return {};
  }
}

export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** Adaptive repetitions, in one sentence: the target and how many cells reached it before their maximum or the budget. */
function adaptiveNote(summaries: MetricSummary[]): string {
  const cells = new Map(summaries.filter((x) => x.adaptive).map((x) => [x.cell, x.adaptive!]));
  if (cells.size === 0) return '';
  const targets = [...new Set([...cells.values()].map((a) => `±${(a.target * 100).toFixed(1)}%`))].join(', ');
  const reached = [...cells.values()].filter((a) => a.reached).length;
  return ` Adaptive repetitions: each cell stopped once the 95% interval of its instance means was within ${targets} of the mean; ${reached} of ${cells.size} cells reached it, the others stopped at their maximum instances or the time budget (logs/adaptive.jsonl).`;
}
