// Load an experiment file: YAML -> JSON Schema validation -> known platforms/workloads -> typed Experiment.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { paths } from '../paths.ts';
import { budgetSeconds } from '../rundir/budget-syntax.ts';
import { platformById, platforms } from '../platforms/index.ts';
import type { Experiment, LoadedExperiment, Params, PlatformEntry, WorkloadEntry } from '../types.ts';
import { workloadById, workloads } from '../workloads/index.ts';
import { decodeYaml, parseYamlDocument, readYamlBytes, YAML_LIMITS, YamlProblem } from '../yaml-document.ts';
import { formatSchemaError, makeValidator, suggest, type SchemaError } from './validate.ts';

/** An experiment file that cannot run; the message names the file, the place in it, and what is allowed. */
export class ExperimentError extends Error {
  constructor(readonly file: string, readonly where: string, readonly problem: string, readonly line?: number) {
    super(`${file}${line ? `:${line}` : ''}: ${where ? `${where}: ` : ''}${problem}`);
    this.name = 'ExperimentError';
  }
}

/** Upper bound on planned instances: a typo like 100000 repetitions should not start a week-long run. */
export const MAX_PLANNED_INSTANCES = 20000;

/** Upper bound on `budget`: 720 h (30 days), the same as the longest adaptive budget. */
export const MAX_BUDGET_S = 720 * 3600;

/** A budgeted cell plans up to this many instances; the budget decides how many of them run (src/run/budget.ts). */
export const BUDGET_MAX_INSTANCES = 30;

/** Upper bound on one workload's sweep (the product of its value lists' lengths), checked before it is expanded. */
export const MAX_SWEEP_COMBINATIONS = 1000;

/** The limits an experiment file must stay within, all checked before anything is expanded (README: "Limits"). */
export const EXPERIMENT_LIMITS = {
  fileBytes: YAML_LIMITS.bytes,
  keys: YAML_LIMITS.keys,
  aliases: YAML_LIMITS.aliases,
  sweepCombinations: MAX_SWEEP_COMBINATIONS,
  plannedInstances: MAX_PLANNED_INSTANCES,
  budgetS: MAX_BUDGET_S,
} as const;

const validateFile = makeValidator(JSON.parse(readFileSync(paths.schema, 'utf8')));

export function loadExperiment(file: string): LoadedExperiment {
  let text: string;
  try {
    text = decodeYaml(readYamlBytes(file, EXPERIMENT_LIMITS.fileBytes));
  } catch (e) {
    if (e instanceof YamlProblem) throw new ExperimentError(file, '', e.problem);
    const code = (e as NodeJS.ErrnoException).code;
    const fix = code === 'ENOENT' ? ': no such file; check the path (the shipped experiments are experiments/*.yaml, e.g. experiments/quick.yaml)' : '';
    throw new ExperimentError(file, '', `cannot read the file (${code ?? (e as Error).message})${fix}`);
  }
  return parseExperiment(file, text);
}

/** Validate text as an experiment file named `file` (the name is used in messages only). */
export function parseExperiment(file: string, text: string): LoadedExperiment {
  let parsed;
  try {
    parsed = parseYamlDocument(text, { bytes: EXPERIMENT_LIMITS.fileBytes, keys: EXPERIMENT_LIMITS.keys });
  } catch (e) {
    if (!(e instanceof YamlProblem)) throw e;
    throw new ExperimentError(file, formatPath(e.path), e.problem, e.line);
  }
  const raw = parsed.value;
  const lineOf = parsed.lineOf;
  const fail = (path: (string | number)[], problem: string): never => {
    throw new ExperimentError(file, formatPath(path), problem, lineOf(path));
  };

  const check = validateFile(raw);
  if (check) failSchema(check, fail);
  const obj = raw as Record<string, any>;

  const platformEntries: PlatformEntry[] = (obj.platforms as unknown[]).map((p, i) => {
    const entry: PlatformEntry = typeof p === 'string' ? { id: p, options: {} } : { id: (p as any).id, options: (p as any).options ?? {}, ...((p as any).workloads ? { workloads: (p as any).workloads } : {}) };
    const platform = platformById(entry.id);
    if (!platform) {
      fail(typeof p === 'string' ? ['platforms', i] : ['platforms', i, 'id'],
        `unknown platform '${entry.id}'${suggest(entry.id, platforms.map((x) => x.id))} (known: ${platforms.map((x) => x.id).join(', ')})`);
    }
    if (platform!.optionsSchema) {
      const err = makeValidatorCached(platform!.optionsSchema)(entry.options);
      if (err) failSchema(err, fail, ['platforms', i, 'options']);
    } else if (Object.keys(entry.options).length > 0) {
      fail(['platforms', i, 'options'], `platform '${entry.id}' takes no options`);
    }
    return entry;
  });
  const dupPlatform = firstDuplicate(platformEntries.map((p) => JSON.stringify([p.id, p.options])));
  if (dupPlatform >= 0) fail(['platforms', dupPlatform], `platform '${platformEntries[dupPlatform].id}' is listed twice with the same options`);

  const workloadEntries: WorkloadEntry[] = (obj.workloads as unknown[]).map((w, i) => {
    const src = typeof w === 'string' ? { id: w } : (w as any);
    const workload = workloadById(src.id);
    if (!workload) {
      fail(typeof w === 'string' ? ['workloads', i] : ['workloads', i, 'id'],
        `unknown workload '${src.id}'${suggest(src.id, workloads.map((x) => x.id))} (known: ${workloads.map((x) => x.id).join(', ')})`);
    }
    const entry: WorkloadEntry = {
      id: src.id,
      // Defaults are written into the cell's params, so a sample records every value the tool ran with.
      params: { ...schemaDefaults(workload!.paramsSchema), ...(src.params ?? {}) },
      jobs: src.jobs ?? [{ name: 'default', params: {} }],
      sweep: src.sweep ?? {},
      ...(src.repetitions ? { repetitions: src.repetitions } : {}),
    };
    const dupJob = firstDuplicate(entry.jobs.map((j) => j.name));
    if (dupJob >= 0) fail(['workloads', i, 'jobs', dupJob, 'name'], `job name '${entry.jobs[dupJob].name}' is used twice in this workload`);
    entry.jobs = entry.jobs.map((job) => ({ name: job.name, params: job.params ?? {} }));
    // counted, never expanded: a few short lists multiply to millions
    const combinations = sweepSize(entry.sweep);
    if (combinations > MAX_SWEEP_COMBINATIONS) {
      fail(['workloads', i, 'sweep'], `the sweep expands to ${formatCount(combinations)} combinations; at most ${MAX_SWEEP_COMBINATIONS} are allowed (MAX_SWEEP_COMBINATIONS)`);
    }
    return entry;
  });
  platformEntries.forEach((p, i) => (p.workloads ?? []).forEach((w, j) => {
    if (!workloadEntries.some((x) => x.id === w)) fail(['platforms', i, 'workloads', j], `'${w}' is not one of this experiment's workloads (${workloadEntries.map((x) => x.id).join(', ')})`);
  }));
  const dupWorkload = firstDuplicate(workloadEntries.map((w) => w.id));
  if (dupWorkload >= 0) fail(['workloads', dupWorkload], `workload '${workloadEntries[dupWorkload].id}' is listed twice; use jobs or sweep for variants`);

  const experiment: Experiment = {
    name: obj.name,
    description: obj.description ?? '',
    seed: obj.seed,
    repetitions: { instances: obj.repetitions.instances, iterations: obj.repetitions.iterations, ...(obj.repetitions.adaptive ? { adaptive: obj.repetitions.adaptive } : {}) },
    ...(obj.budget !== undefined ? { budgetS: budgetSeconds(obj.budget)! } : {}), // the schema has checked the form
    resources: { cpus: obj.resources.cpus, memoryMiB: obj.resources.memory },
    timeouts: { startS: obj.timeouts.start, cellS: obj.timeouts.cell },
    platforms: platformEntries,
    workloads: workloadEntries,
  };
  const adaptive = experiment.repetitions.adaptive;
  if (adaptive) {
    if (adaptive.minInstances > adaptive.maxInstances) {
      fail(['repetitions', 'adaptive', 'minInstances'], `must be <= maxInstances (${adaptive.maxInstances}), got ${adaptive.minInstances}`);
    }
    const metrics = [...new Set(workloadEntries.flatMap((w) => workloadById(w.id)!.metrics.map((m) => m.name)))];
    if (adaptive.metric !== undefined && !metrics.includes(adaptive.metric)) {
      fail(['repetitions', 'adaptive', 'metric'], `'${adaptive.metric}' is not a metric of this experiment's workloads${suggest(adaptive.metric, metrics)} (known: ${metrics.join(', ')})`);
    }
  }
  if (experiment.budgetS !== undefined) {
    if (experiment.budgetS > MAX_BUDGET_S) fail(['budget'], `'${obj.budget}' is ${experiment.budgetS} s; at most ${MAX_BUDGET_S / 3600}h is allowed (MAX_BUDGET_S)`);
    if (adaptive) fail(['budget'], 'budget and repetitions.adaptive both size the run; keep one (budget spends its time on the claims, adaptive on each cell\'s precision)');
  }
  // with adaptive repetitions (or a budget) a cell plans up to its maximum; a workload's own instances keep its cells fixed
  const plannedOf = (w: WorkloadEntry) => w.repetitions?.instances ?? adaptive?.maxInstances ?? (experiment.budgetS !== undefined ? Math.max(BUDGET_MAX_INSTANCES, experiment.repetitions.instances) : experiment.repetitions.instances);
  const cellsOf = (w: WorkloadEntry) => platformEntries.filter((p) => !p.workloads || p.workloads.includes(w.id)).length * w.jobs.length * sweepSize(w.sweep);
  const cells = workloadEntries.reduce((n, w) => n + cellsOf(w), 0);
  const planned = workloadEntries.reduce((n, w) => n + cellsOf(w) * plannedOf(w), 0);
  if (planned > MAX_PLANNED_INSTANCES) {
    fail(['repetitions', 'instances'], `the matrix expands to ${formatCount(planned)} instances (${formatCount(cells)} cells); at most ${MAX_PLANNED_INSTANCES} are allowed (MAX_PLANNED_INSTANCES)`);
  }
  // only now, with every limit checked, is each job x sweep combination expanded and validated
  workloadEntries.forEach((entry, i) => {
    // errors point at where the value came from
    const validate = makeValidatorCached(workloadById(entry.id)!.paramsSchema);
    entry.jobs.forEach((job, j) => {
      for (const combo of sweepCombinations(entry.sweep)) {
        const merged: Params = { ...entry.params, ...job.params, ...combo };
        const err = validate(merged);
        if (err) {
          const key = String(err.path[0] ?? '');
          const origin: (string | number)[] = key in combo
            ? ['workloads', i, 'sweep', key]
            : key in job.params ? ['workloads', i, 'jobs', j, 'params'] : ['workloads', i, 'params'];
          failSchema(err, fail, origin, key in combo);
        }
      }
    });
  });
  return { file, text, sha256: createHash('sha256').update(text).digest('hex'), experiment };
}

/** Top-level property defaults of a parameter schema. */
export function schemaDefaults(schema: object): Params {
  const props = (schema as { properties?: Record<string, { default?: unknown }> }).properties ?? {};
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v.default !== undefined).map(([k, v]) => [k, structuredClone(v.default)]));
}

/** How many combinations a sweep expands to (the product of its list lengths), without expanding it. */
export function sweepSize(sweep: Record<string, unknown[]>): number {
  return Object.values(sweep).reduce((n, values) => n * values.length, 1);
}

/** a count for a message: exact while it can be, else in exponent form */
const formatCount = (n: number): string => (Number.isSafeInteger(n) ? String(n) : n.toExponential(2));

/** Every combination of the sweep's values, in key order; [{}] for an empty sweep. */
export function sweepCombinations(sweep: Record<string, unknown[]>): Params[] {
  let combos: Params[] = [{}];
  for (const key of Object.keys(sweep).sort()) {
    combos = combos.flatMap((c) => sweep[key].map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

function failSchema(err: SchemaError, fail: (path: (string | number)[], problem: string) => never, prefix: (string | number)[] = [], fromSweep = false): never {
  // A sweep value is reported at the sweep key (the value list), not at a merged parameter path.
  const path = fromSweep ? prefix : [...prefix, ...err.path];
  return fail(path, formatSchemaError(err));
}

const validatorCache = new Map<object, ReturnType<typeof makeValidator>>();
function makeValidatorCached(schema: object) {
  let v = validatorCache.get(schema);
  if (!v) validatorCache.set(schema, (v = makeValidator(schema)));
  return v;
}

export function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function firstDuplicate(keys: string[]): number {
  const seen = new Set<string>();
  for (let i = 0; i < keys.length; i++) {
    if (seen.has(keys[i])) return i;
    seen.add(keys[i]);
  }
  return -1;
}
