// The analyze stage: samples.jsonl + plan.json + environment.json -> analysis.json (summaries, ratios to native, failures).
import path from 'node:path';
import { crossHostView } from '../claims/cross-host.ts';
import { CLAIMS_ALPHA, evaluateClaims, type SequentialRecord } from '../claims/evaluate.ts';
import { decidedAtLooks, readBudgetLog, type BudgetLog } from '../rundir/budget-log.ts';
import { parseCompletions, readCompletionsText } from '../rundir/completed.ts';
import { budgetSpent, timeSpent } from './time-spent.ts';
import { summaryLines } from './console-summary.ts';
import { claimStatuses } from '../claims/looks.ts';
import type { ClaimOracle } from '../run/budget.ts';
import { loadClaims, type LoadedClaims } from '../claims/load.ts';
import { log } from '../log.ts';
import { runFiles } from '../paths.ts';
import { readAdaptiveLog, readEnvironment, readExperimentMeta, readPlan, readSamples, writeFileAtomic } from '../rundir/index.ts';
import type { Analysis, Environment, Failure, MetricSummary, NotRun, Params, Plan, Sample, SampleStatus } from '../types.ts';
import { describe, MIN_VALUES_FOR_PERCENTILES, percentiles } from './descriptive.ts';
import { meanInterval } from './interval.ts';
import { flagOutliers } from './outliers.ts';
import { RATIO_METHOD, ratioEstimate } from './ratio.ts';
import { resolutionOf } from './resolution.ts';
import { stableStringify } from './stable-json.ts';

/** What the three input files do not hold: the experiment file's description and repetitions. */
export interface AnalysisMeta {
  run?: string;
  description?: string;
  repetitions?: { instances: number; iterations: number };
  /** adaptive cells' decisions (logs/adaptive.jsonl): cell -> target and why it stopped */
  adaptive?: Map<string, { target: number; reason: string; planned?: number }>;
}

/** One cell x metric: the ok values, per instance, per iteration. */
interface Group {
  cell: string;
  /** the host of a merged run ('' otherwise): hosts are never pooled */
  host: string;
  platform: string;
  workload: string;
  job: string;
  params: Params;
  paramsKey: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  /** instance -> iteration -> value */
  values: Map<number, Map<number, number>>;
  /** resolutions the samples declare */
  declared: number[];
  /** values of a session's first instance of the platform (Sample.firstStart), kept apart from the warm ones */
  firstStarts: Map<string, { instance: number; iteration: number; value: number }>;
  first: Sample;
}

/** code-unit order, the same on every machine (localeCompare is not) */
const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);

function chain(...orders: number[]): number {
  for (const o of orders) if (o !== 0) return o;
  return 0;
}

const byNumber = (a: number, b: number) => a - b;

/** Only the newest attempt of each instance counts (`run --resume --retry-failed` measures failed instances again). */
export function latestAttempts(samples: readonly Sample[]): Sample[] {
  const key = (s: Sample) => `${s.host ?? ''}\u0000${s.cell}\u0000${s.instance}`;
  const newest = new Map<string, number>();
  for (const s of samples) newest.set(key(s), Math.max(newest.get(key(s)) ?? 0, s.attempt ?? 0));
  return samples.filter((s) => (s.attempt ?? 0) === newest.get(key(s)));
}

export function analyzeSamples(allSamples: readonly Sample[], plan: Plan, env: Environment, meta: AnalysisMeta = {}): Analysis {
  const samples = latestAttempts(allSamples);
  const platformRecords = new Map(env.platforms.map((p) => [p.id, p]));
  const isNative = (platform: string) => (platformRecords.get(platform)?.family ?? (platform === 'native' ? 'native' : '')) === 'native';
  const cellOptions = new Map(plan.cells.map((c) => [c.id, c.platformOptions ?? {}]));

  const groups = new Map<string, Group>();
  // cell + host -> instance -> the status of its first non-ok sample (failed, timeout, skipped)
  const lostInstances = new Map<string, Map<number, { iteration: number; status: SampleStatus }>>();
  const cellOnHost = (cell: string, host: string | undefined) => `${cell}\u0000${host ?? ''}`;
  const failures: Failure[] = [];
  let duplicates = 0;
  for (const s of samples) {
    if (s.status !== 'ok') {
      failures.push({
        platform: s.platform, workload: s.workload, job: s.job, instance: s.instance, status: s.status,
        error: s.error ?? '(no error recorded)', cell: s.cell, params: s.params, iteration: s.iteration,
        ...(s.host !== undefined ? { host: s.host } : {}),
      });
      const key = cellOnHost(s.cell, s.host);
      if (!lostInstances.has(key)) lostInstances.set(key, new Map());
      const prev = lostInstances.get(key)!.get(s.instance);
      // the earliest iteration's status names the loss (line order must not matter)
      if (!prev || s.iteration < prev.iteration || (s.iteration === prev.iteration && s.status < prev.status)) lostInstances.get(key)!.set(s.instance, { iteration: s.iteration, status: s.status });
      continue;
    }
    const metric = s.metric!;
    const key = `${cellOnHost(s.cell, s.host)}\u0000${metric}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        cell: s.cell, host: s.host ?? '', platform: s.platform, workload: s.workload, job: s.job, params: s.params,
        paramsKey: stableStringify(s.params, 0), metric, unit: s.unit!, better: s.better!, values: new Map(), declared: [], firstStarts: new Map(), first: s,
      };
      groups.set(key, g);
    } else if (g.unit !== s.unit || g.better !== s.better) {
      throw new Error(`samples: cell ${s.cell} metric '${metric}' is recorded as '${g.unit}' (${g.better} is better) and as '${s.unit}' (${s.better} is better); one metric needs one unit`);
    }
    if (s.instance < g.first.instance || (s.instance === g.first.instance && s.iteration < g.first.iteration)) g.first = s;
    if (s.firstStart) {
      g.firstStarts.set(`${s.instance}/${s.iteration}`, { instance: s.instance, iteration: s.iteration, value: s.value! });
      continue;
    }
    if (!g.values.has(s.instance)) g.values.set(s.instance, new Map());
    const iterations = g.values.get(s.instance)!;
    // a resumed run may measure an iteration again; the later line is the one that completed last
    if (iterations.has(s.iteration)) duplicates++;
    iterations.set(s.iteration, s.value!);
    if (typeof s.resolution === 'number') g.declared.push(s.resolution);
  }
  if (duplicates > 0) log.warn(`samples: ${duplicates} value(s) measured twice for the same cell, instance, iteration and metric; the later line was used`);

  // per instance, iterations in iteration order (so float sums do not depend on line order)
  const instanceValues = (g: Group): { instances: number[]; values: number[][] } => {
    const instances = [...g.values.keys()].sort(byNumber);
    const values = instances.map((i) => {
      const its = g.values.get(i)!;
      return [...its.keys()].sort(byNumber).map((k) => its.get(k)!);
    });
    return { instances, values };
  };

  const sorted = [...groups.values()].sort((a, b) => chain(
    cmp(a.workload, b.workload), cmp(a.job, b.job), cmp(a.paramsKey, b.paramsKey), cmp(a.metric, b.metric),
    cmp(isNative(a.platform) ? 0 : 1, isNative(b.platform) ? 0 : 1), cmp(a.platform, b.platform),
    cmp(stableStringify(cellOptions.get(a.cell) ?? {}, 0), stableStringify(cellOptions.get(b.cell) ?? {}, 0)), cmp(a.cell, b.cell),
    cmp(a.host, b.host),
  ));

  // the baseline of each host/workload/job/params/metric: the first native group in sorted order (a host's own native, never another's)
  const comparable = (g: Group) => `${g.host}\u0000${g.workload}\u0000${g.job}\u0000${g.paramsKey}\u0000${g.metric}`;
  const baselines = new Map<string, Group>();
  for (const g of sorted) if (isNative(g.platform) && !baselines.has(comparable(g))) baselines.set(comparable(g), g);

  // a cell whose every value is a first start has nothing to keep it apart from: those values are its values
  for (const g of groups.values()) {
    if (g.values.size > 0) continue;
    for (const f of g.firstStarts.values()) {
      if (!g.values.has(f.instance)) g.values.set(f.instance, new Map());
      g.values.get(f.instance)!.set(f.iteration, f.value);
    }
  }

  const baselineSides = new Map<Group, { mean: number; sd: number; n: number; resolution: number | null }>();
  for (const g of baselines.values()) {
    const { values } = instanceValues(g);
    const d = describe(values.map((its) => its.reduce((a, b) => a + b, 0) / its.length));
    baselineSides.set(g, { mean: d.mean, sd: d.sd, n: d.n, resolution: resolutionOf(values.flat(), g.declared).value });
  }

  const summaries: MetricSummary[] = sorted.map((g) => {
    const { instances, values } = instanceValues(g);
    const instanceMeans = values.map((its) => its.reduce((a, b) => a + b, 0) / its.length);
    const d = describe(instanceMeans);
    const flags = flagOutliers(instanceMeans);
    const record = platformRecords.get(g.platform);
    const commands = g.first.commands;

    const resolution = resolutionOf(values.flat(), g.declared);
    const side = { mean: d.mean, sd: d.sd, n: d.n, resolution: resolution.value };
    let ratioToNative: MetricSummary['ratioToNative'] = null;
    const baseline = baselines.get(comparable(g));
    if (baseline === g) {
      ratioToNative = { value: 1, ci: null, method: 'native baseline' };
    } else if (baseline) {
      const b = baselineSides.get(baseline)!;
      const r = ratioEstimate(side, b);
      if (r.value !== null) ratioToNative = { value: r.value, ci: r.ci, method: RATIO_METHOD, ...(r.problem ? { problem: r.problem } : {}) };
    }

    // an instance that gave a value counts once, in n, even when a later iteration failed (it is 'partial', not lost)
    const lostHere = [...(lostInstances.get(cellOnHost(g.cell, g.host)) ?? new Map<number, { iteration: number; status: SampleStatus }>())]
      .filter(([i]) => !g.values.has(i)).sort((a, b) => a[0] - b[0]);
    const lost = { failed: [] as number[], timeout: [] as number[], skipped: [] as number[] };
    for (const [i, { status }] of lostHere) if (status !== 'ok') lost[status].push(i);
    const partial = instances.filter((i) => lostInstances.get(cellOnHost(g.cell, g.host))?.has(i));

    const summary: MetricSummary = {
      platform: g.platform,
      ...(g.host ? { host: g.host } : {}),
      workload: g.workload,
      job: g.job,
      metric: g.metric,
      unit: g.unit,
      better: g.better,
      n: d.n,
      iterations: values.reduce((a, its) => a + its.length, 0),
      failed: lost.failed.length + lost.timeout.length,
      lost,
      ...(partial.length > 0 ? { partial } : {}),
      resolution,
      mean: d.mean,
      median: d.median,
      sd: d.sd,
      cv: d.cv,
      ci: meanInterval(instanceMeans),
      instanceMeans,
      instances,
      outliers: instances.filter((_, i) => flags[i]),
      cell: g.cell,
      params: g.params,
      platformOptions: cellOptions.get(g.cell) ?? {},
      ratioToNative,
      emulated: record?.emulated === true,
    };
    // the measurement is the last command a sample ran (earlier ones set up, e.g. start a server)
    if (commands && commands.length > 0) summary.command = commands[commands.length - 1];
    if (g.first.network) summary.network = g.first.network;
    const all = values.flat();
    if (all.length >= MIN_VALUES_FOR_PERCENTILES) summary.percentiles = percentiles(all);
    if (g.firstStarts.size > 0) summary.firstStarts = [...g.firstStarts.values()].sort((a, b) => a.instance - b.instance || a.iteration - b.iteration);
    const decision = g.host ? undefined : meta.adaptive?.get(g.cell);
    if (decision) summary.adaptive = { target: decision.target, reached: decision.reason === 'planned' || decision.reason === 'precise', reason: decision.reason, ...(decision.planned !== undefined ? { planned: decision.planned } : {}) };
    return summary;
  });

  failures.sort((a, b) => chain(
    cmp(a.platform, b.platform), cmp(a.workload, b.workload), cmp(a.job, b.job),
    cmp(stableStringify(a.params, 0), stableStringify(b.params, 0)), cmp(a.cell, b.cell),
    cmp(a.host ?? '', b.host ?? ''), a.instance - b.instance, a.iteration - b.iteration, cmp(a.status, b.status), cmp(a.error, b.error),
  ));

  const notRun: NotRun[] = env.platforms
    .filter((p) => p.requested && !p.available)
    .map((p) => ({ platform: p.id, reason: p.reason ?? 'not available (no reason recorded)' }))
    .sort((a, b) => cmp(a.platform, b.platform));

  return {
    schema: 1,
    run: meta.run ?? env.run,
    experiment: {
      name: plan.experiment,
      description: meta.description ?? '',
      file: env.experiment.file,
      sha256: env.experiment.sha256,
      seed: plan.seed,
    },
    repetitions: meta.repetitions ?? repetitionsFrom(plan, samples),
    ratioMethod: RATIO_METHOD,
    summaries,
    notRun,
    failures,
  };
}

/** when the experiment file is gone: the most instances planned for a cell, the most iterations seen */
function repetitionsFrom(plan: Plan, samples: readonly Sample[]): { instances: number; iterations: number } {
  const perCell = new Map<string, number>();
  for (const o of plan.order) perCell.set(o.cell, (perCell.get(o.cell) ?? 0) + 1);
  let iterations = 0;
  for (const s of samples) iterations = Math.max(iterations, s.iteration + 1);
  return { instances: Math.max(0, ...perCell.values()), iterations };
}

/** What the looks of a budgeted run decided, and the level left for the analysis (the last look's, or what no look spent). */
export function sequentialRecord(log: BudgetLog): SequentialRecord {
  const decided = decidedAtLooks(log.looks);
  const last = log.looks.at(-1);
  // an interrupted run made no last look: the analysis is that look, at what is left of α
  const finalLevel = !last ? CLAIMS_ALPHA : last.final ? last.level : Math.max(0, CLAIMS_ALPHA - last.spentAlpha);
  // the last look's own decisions are the analysis' (same data, same level): only earlier looks' decisions are carried over
  if (last?.final) for (const [id, d] of decided) if (d.look === last.look) decided.delete(id);
  return { looks: log.looks.length + (last?.final ? 0 : 1), finalLevel, decided };
}

/** The claims on a budgeted run's samples so far, for its planner's looks (src/run/budget.ts); injected by the CLI. */
export function budgetOracle(claims: LoadedClaims): ClaimOracle {
  return (samples, env, plan, level) => {
    const analysis = analyzeSamples(samples, plan, env);
    return claimStatuses(evaluateClaims(analysis, env, claims, level ?? CLAIMS_ALPHA), analysis);
  };
}

/** claims: the claims to evaluate (default: the project's data/paper/claims.yaml as it is now). */
export async function analyzeRun(runDir: string, opts: { claims?: LoadedClaims } = {}): Promise<Analysis> {
  const samples = readSamples(runDir);
  const plan = readPlan(runDir);
  const env = readEnvironment(runDir);
  const { budgetS, ...experiment } = readExperimentMeta(runDir);
  const adaptive = readAdaptiveLog(runDir);
  const analysis = analyzeSamples(samples, plan, env, { ...experiment, run: env.run ?? path.basename(runDir), ...(adaptive.size > 0 ? { adaptive } : {}) });
  const claims = opts.claims ?? loadClaims();
  const budgetLog = readBudgetLog(runDir);
  analysis.claims = evaluateClaims(analysis, env, claims, CLAIMS_ALPHA, budgetLog ? sequentialRecord(budgetLog) : undefined);
  const completionsText = readCompletionsText(runDir);
  const completions = completionsText === null ? [] : parseCompletions(completionsText, runFiles(runDir).completed).completions;
  const time = timeSpent(completions, plan, env);
  if (time) analysis.time = time;
  if (budgetLog && budgetS !== undefined) analysis.budget = budgetSpent(budgetS, budgetLog, completions);
  const crossHost = crossHostView(analysis, env, claims);
  if (crossHost) analysis.crossHost = crossHost;
  return analysis;
}

/** The analysis as written: keys sorted, two-space indent, trailing newline (same input, same bytes). */
export function formatAnalysis(analysis: Analysis): string {
  return `${stableStringify(analysis)}\n`;
}

/** Analyse a run and write its analysis.json (via a temporary file, so a reader never sees half a file); returns the path. */
export async function writeAnalysis(runDir: string, opts: { summary?: boolean } = {}): Promise<string> {
  const files = runFiles(runDir);
  const claims = loadClaims();
  const analysis = await analyzeRun(runDir, { claims });
  const text = formatAnalysis(analysis);
  if (opts.summary) for (const line of summaryLines(analysis)) log.info(line);
  // the claims evaluated are kept beside the analysis, so `verify` can re-run exactly this analysis later
  writeFileAtomic(files.claims, claims.text);
  writeFileAtomic(files.analysis, text);
  return files.analysis;
}
