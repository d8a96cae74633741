// The run in facts (experiment, repetitions, files beside the report), the host, and the platforms as configured.
import { DASH, unique, type ReportContext } from '../context.ts';
import { byCodeUnit, formatFixed, formatMiB } from '../format.ts';
import { platformConfiguration } from '../platform-config.ts';
import type { CompanionFile, KeyValue, PlatformRow, ReportView } from '../view-types.ts';

/** The files written beside index.html (src/report/index.ts writes them). */
export const COMPANION_FILES: CompanionFile[] = [
  { href: 'summary.csv', what: 'every statistic, one row per platform × workload × job × metric, full precision' },
  { href: 'claims.csv', what: 'one row per claim: verdict, coverage, p-values, reason' },
  { href: 'verdicts.json', what: "the claims' verdicts with all their comparisons, and the architecture notes' evidence" },
  { href: 'charts/', what: 'each figure as a Vega-Lite specification (.vl.json), as SVG, and its values (.csv)' },
];

/** "3 fresh instances per cell × 2 iterations; per workload: startup 20 instances × 1 iteration" */
export function repetitionsText(ctx: ReportContext): string {
  const { plan, analysis } = ctx.inputs;
  const { instances, iterations } = analysis.repetitions;
  // a budgeted run plans its cells up to a maximum; the budget decided how many ran
  if (analysis.budget) {
    const max = Math.max(...plan.cells.map((c) => c.instances ?? instances));
    return `${instances} fresh instance${instances === 1 ? '' : 's'} per cell (the first stage) × ${iterations} iteration${iterations === 1 ? '' : 's'} per instance, up to ${max} where an undecided claim needed more`;
  }
  const overrides = unique(plan.cells.map((c) => c.workload)).flatMap((w) => {
    const c = plan.cells.find((x) => x.workload === w)!;
    const n = c.instances ?? instances;
    const k = c.iterations ?? iterations;
    return n !== instances || k !== iterations ? [`${w} ${n} instance${n === 1 ? '' : 's'} × ${k} iteration${k === 1 ? '' : 's'}`] : [];
  });
  return `${instances} fresh instance${instances === 1 ? '' : 's'} per cell × ${iterations} iteration${iterations === 1 ? '' : 's'} per instance${overrides.length ? `; per workload: ${overrides.join(', ')}` : ''}`;
}

export function buildRunFacts(ctx: ReportContext, period: string): ReportView['runFacts'] {
  const { analysis, plan, environment } = ctx.inputs;
  const claims = analysis.claims;
  const measuredCells = plan.cells.filter((c) => ctx.summaries.some((s) => s.platform === c.platform && s.workload === c.workload && s.job === c.job));
  const facts: KeyValue[] = [
    { key: 'Run', value: `${analysis.run}, ${period}` },
    { key: 'Experiment', value: `${analysis.experiment.name}${analysis.experiment.description ? `: ${analysis.experiment.description}` : ''} (sha256 ${analysis.experiment.sha256.slice(0, 12)})` },
    ...(claims ? [{ key: 'Claims', value: `${claims.file}, sha256 ${claims.sha256.slice(0, 12)}` }] : []),
    { key: 'isobench', value: `${environment.isobench.version}, commit ${environment.isobench.commit.slice(0, 12)}${environment.isobench.dirty ? ' (with uncommitted changes)' : ''}` },
    { key: 'Platforms', value: `${ctx.requested.length} requested; ${ctx.ran.length} measured${ctx.notRunIds.length ? `; ${ctx.notRunIds.length} not run` : ''}` },
    { key: 'Workloads', value: `${ctx.workloads.length} with values (${ctx.workloads.join(', ') || 'none'})` },
    { key: 'Cells', value: `${plan.cells.length} planned (platform × workload × job), ${measuredCells.length} with values` },
    { key: 'Repetitions', value: `${repetitionsText(ctx)}; ${analysis.budget ? `${analysis.budget.firstStage + analysis.budget.given} instances run of ${plan.order.length} planned at most` : `${plan.order.length} instances planned`}` },
    { key: 'Failures', value: analysis.failures.length ? `${analysis.failures.length} failed, timed out or skipped values (see “What was not run”)` : 'none' },
  ];
  return { section: ctx.number.section('run', 'The run'), facts, files: COMPANION_FILES };
}

export function buildHost(ctx: ReportContext, paperHost: string): { host: ReportView['host']; platforms: ReportView['platforms'] } {
  const { environment, plan } = ctx.inputs;
  const h = environment.host;
  const section = ctx.number.section('host', 'Host and platforms');
  const rows: KeyValue[] = [
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
    { key: "The paper's host (not compared)", value: paperHost },
  ];
  if (environment.merged) rows.unshift({ key: 'Merged hosts (the rows below describe the first)', value: environment.merged.hosts.map((m) => `${m.host}: ${m.environment.host.cpuModel}, ${m.environment.host.cores} cores, ${m.environment.host.kernel} (run ${m.run})`).join('; ') });
  const table = ctx.number.table('host', 'The host that ran every platform.');
  const changes = environment.hostChanges.map((c) => `${c.by}: ${c.what} (${c.undone ? 'undone afterwards' : 'NOT undone'})`);
  const platformRows: PlatformRow[] = ctx.requested.map((id) => {
    const record = ctx.records.get(id);
    const mine = ctx.summaries.filter((s) => s.platform === id);
    const ran = ctx.ran.includes(id);
    return {
      id,
      label: ctx.names.label(id),
      family: record?.family ?? 'not recorded',
      version: record?.version ?? 'not recorded',
      emulated: ctx.names.emulated(id) ? 'software emulation' : 'no',
      network: unique(mine.map((s) => s.network).filter((n): n is NonNullable<typeof n> => Boolean(n))).join(', ') || DASH,
      configuration: platformConfiguration(record, plan.cells.filter((c) => c.platform === id), mine),
      ran,
      status: ran ? 'measured' : 'not run',
      detail: ran ? (record?.description ?? '') : 'see “What was not run”',
    };
  });
  const platformsTable = ctx.number.table('platforms', 'Requested platforms: family, version, configuration as detected and as run (runtime, gVisor platform, Kata hypervisor and shared filesystem, VMM, options, network mode), whether emulated in software, and whether they ran.');
  const requested = new Set(ctx.requested);
  const alsoDetected = environment.platforms
    .filter((p) => !requested.has(p.id))
    .sort((a, b) => byCodeUnit(a.id, b.id))
    .map((p) => `${p.id} (${p.available ? 'available' : 'not available'}${p.emulated ? ', software emulation' : ''})`);
  return { host: { section, table, rows, changes }, platforms: { table: platformsTable, rows: platformRows, alsoDetected } };
}
