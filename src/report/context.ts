// The context every section builds its view from: ordered summaries, platform names, numbering. Below all sections.
import type { MetricSummary, PlatformRecord } from '../types.ts';
import { reportAreas, type AreaDef } from './areas.ts';
import { claimCard, type ClaimCard } from './claims-view.ts';
import { byCodeUnit } from './format.ts';
import type { ReportInputs } from './inputs.ts';
import type { ReportSources } from './sources.ts';
import type { SectionRef, TableRef } from './view-types.ts';

export const NATIVE = 'native';
export const DASH = '—';

/** How a platform is named wherever it appears: emulated platforms carry "(software emulation)"; in a merged run, "@ host". */
export interface Labeller {
  label: (id: string, host?: string) => string;
  /** the label of a summary's (or a failure's) platform on its host */
  of: (s: { platform: string; host?: string }) => string;
  emulated: (id: string) => boolean;
}

/** Numbers figures, tables and sections in document order; the template shows them in the same order. */
export interface Numbering {
  figure: () => number;
  table: (id: string, caption: string) => TableRef;
  section: (id: string, title: string) => SectionRef;
}

export interface ReportContext {
  inputs: ReportInputs;
  sources: ReportSources;
  /** in report order, completed for old analyses */
  summaries: MetricSummary[];
  platformIds: string[];
  /** workload and job groups in plan order */
  groups: string[];
  records: Map<string, PlatformRecord>;
  /** why a requested platform did not run */
  notRun: Map<string, string>;
  names: Labeller;
  number: Numbering;
  cards: ClaimCard[];
  areas: AreaDef[];
  /** platforms the experiment asked for, those with a value, the others */
  requested: string[];
  ran: string[];
  notRunIds: string[];
  /** workloads with a value */
  workloads: string[];
  order: { group: (s: { workload: string; job: string }) => number; platform: (id: string) => number };
}

export function buildContext(inputs: ReportInputs, sources: ReportSources): ReportContext {
  const { analysis, environment, plan } = inputs;
  const platformIds = platformOrder(inputs);
  const groups: string[] = [];
  for (const c of plan.cells) pushNew(groups, `${c.workload}\u0000${c.job}`);
  for (const s of analysis.summaries) pushNew(groups, `${s.workload}\u0000${s.job}`);
  const order = {
    group: (s: { workload: string; job: string }) => groups.indexOf(`${s.workload}\u0000${s.job}`),
    platform: (id: string) => platformIds.indexOf(id),
  };
  const summaries = orderedSummaries(inputs).map((s) => completeSummary(s, plan));
  const records = new Map(environment.platforms.map((p) => [p.id, p]));
  const notRun = new Map(analysis.notRun.map((r) => [r.platform, r.reason]));
  const emulated = (id: string) => Boolean(records.get(id)?.emulated || summaries.some((s) => s.platform === id && s.emulated));
  // a merged run's summaries carry their host: 'native @ host-a' (src/run/merge.ts)
  const label = (id: string, host?: string) => `${emulated(id) ? `${id} (software emulation)` : id}${host ? ` @ ${host}` : ''}`;
  const requested = platformIds.filter((id) => plan.cells.some((c) => c.platform === id) || records.get(id)?.requested);
  const ran = requested.filter((id) => summaries.some((s) => s.platform === id));
  const claims = analysis.claims;
  return {
    inputs,
    sources,
    summaries,
    platformIds,
    groups,
    records,
    notRun,
    names: { label, of: (s) => label(s.platform, s.host), emulated },
    number: numbering(),
    cards: (claims?.verdicts ?? []).map((v) => claimCard(v, claims!.alpha)),
    areas: reportAreas([...plan.cells.map((c) => c.workload), ...summaries.map((s) => s.workload)]),
    requested,
    ran,
    notRunIds: requested.filter((id) => !ran.includes(id)),
    workloads: unique(summaries.map((s) => s.workload)),
    order,
  };
}

/** Summaries in report order: workload and job as planned, metric by name, native first then planned platform order. */
export function orderedSummaries(inputs: ReportInputs): MetricSummary[] {
  const { plan, analysis } = inputs;
  const platformIds = platformOrder(inputs);
  const groups: string[] = [];
  for (const c of plan.cells) pushNew(groups, `${c.workload}\u0000${c.job}`);
  for (const s of analysis.summaries) pushNew(groups, `${s.workload}\u0000${s.job}`);
  const metrics = [...new Set(analysis.summaries.map((s) => `${s.workload}\u0000${s.job}\u0000${s.metric}`))].sort(byCodeUnit);
  const group = (s: MetricSummary) => groups.indexOf(`${s.workload}\u0000${s.job}`);
  const metric = (s: MetricSummary) => metrics.indexOf(`${s.workload}\u0000${s.job}\u0000${s.metric}`);
  return [...analysis.summaries].sort((a, b) => group(a) - group(b) || metric(a) - metric(b) || platformIds.indexOf(a.platform) - platformIds.indexOf(b.platform));
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

function numbering(): Numbering {
  let figures = 0;
  let tables = 0;
  let sections = 0;
  return {
    figure: () => ++figures,
    table: (id, caption) => {
      const number = ++tables;
      return { number, id: `table-${number}-${id}`, caption };
    },
    section: (id, title) => ({ number: String(++sections), id, title }),
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

export function pushNew<T>(list: T[], item: T): void {
  if (!list.includes(item)) list.push(item);
}

export function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** "fio / randread" or "sysbench-cpu" */
export function jobTitle(workload: string, job: string): string {
  return job === 'default' ? workload : `${workload} / ${job}`;
}
