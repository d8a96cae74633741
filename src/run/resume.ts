// Resuming an interrupted run: check the stored run still holds, cut partial instances out of the store, list what is left.
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExperimentError, parseExperiment } from '../experiment/load.ts';
import { makePlan } from '../experiment/plan.ts';
import { runFiles } from '../paths.ts';
import { parseCompletions, parseSampleLines, readCompletionsText, readEnvironment, readExperimentCopy, readPlan, readSamplesText, type Completion } from '../rundir/index.ts';
import type { Environment, LoadedExperiment, Plan, Sample } from '../types.ts';
import { writeFileAtomic } from '../rundir/write.ts';

/** The run cannot be resumed as it is; the message says why and what to do instead. */
export class ResumeRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResumeRefused';
  }
}

export interface StoredRun {
  runDir: string;
  runId: string;
  loaded: LoadedExperiment;
  plan: Plan;
  env: Environment;
}

/** The run's own experiment.yaml, plan.json and environment.json, checked against each other and against this isobench. */
export async function readStoredRun(runDir: string): Promise<StoredRun> {
  const files = runFiles(runDir);
  for (const f of [files.experiment, files.plan, files.environment]) {
    if (!existsSync(f)) throw new ResumeRefused(`${f}: missing; only a run directory written by 'isobench run' can be resumed`);
  }
  const text = readExperimentCopy(runDir)!.text;
  let loaded: LoadedExperiment;
  try {
    loaded = parseExperiment(files.experiment, text);
  } catch (e) {
    if (!(e instanceof ExperimentError)) throw e;
    throw new ResumeRefused(`the run's stored experiment no longer validates with this isobench: ${e.message}; it cannot be resumed, start a new run`);
  }
  let plan: Plan;
  let env: Environment;
  try {
    plan = readPlan(runDir);
    env = readEnvironment(runDir);
  } catch (e) {
    throw new ResumeRefused(`${(e as Error).message}; this run cannot be resumed`);
  }
  if (env.merged) throw new ResumeRefused(`${runDir}: a merged run (isobench merge) cannot be resumed; resume its source runs`);
  if (env.experiment?.sha256 && env.experiment.sha256 !== loaded.sha256) {
    throw new ResumeRefused(`${files.experiment}: changed since the run started (sha256 ${loaded.sha256.slice(0, 12)}, recorded ${env.experiment.sha256.slice(0, 12)} in environment.json); restore it or start a new run`);
  }
  const expected = makePlan(loaded.experiment, plan.experiment);
  const problem = planDifference(plan, expected);
  if (problem) {
    throw new ResumeRefused(`${files.plan}: ${problem} — this isobench expands experiment.yaml differently (another version?); the run cannot be resumed without mixing measurements, start a new run`);
  }
  return { runDir, runId: env.run ?? path.basename(runDir), loaded, plan, env };
}

/** Why the stored plan is not what the experiment expands to now, or null. */
export function planDifference(stored: Plan, expected: Plan): string | null {
  if (stored.seed !== expected.seed) return `seed ${stored.seed} differs from the experiment's ${expected.seed}`;
  const want = new Set(expected.cells.map((c) => c.id));
  const missing = stored.cells.find((c) => !want.has(c.id));
  if (missing) return `cell ${missing.id} (${missing.platform} · ${missing.workload}/${missing.job}) is not a cell of the experiment any more`;
  if (stored.cells.length !== expected.cells.length) return `${stored.cells.length} cells stored, the experiment has ${expected.cells.length}`;
  const o = stored.order.findIndex((x, i) => x.cell !== expected.order[i]?.cell || x.instance !== expected.order[i]?.instance);
  if (o >= 0 || stored.order.length !== expected.order.length) return `the stored instance order differs from the seeded order at position ${o >= 0 ? o : Math.min(stored.order.length, expected.order.length)}`;
  return null;
}

/** The host a run was measured on, as compared by resume. */
export function currentHost(): { hostname: string; cpuModel: string } {
  return { hostname: os.hostname(), cpuModel: os.cpus()[0]?.model ?? 'unknown' };
}

/** Refuses another host (its measurements would mix into this run's) unless forced; returns whether it was forced. */
export function checkSameHost(env: Environment, here: { hostname: string; cpuModel: string }, force: boolean): boolean {
  const there = { hostname: env.host?.hostname, cpuModel: env.host?.cpuModel };
  if (there.hostname === here.hostname && there.cpuModel === here.cpuModel) return false;
  if (force) return true;
  throw new ResumeRefused(`run ${env.run} was measured on ${there.hostname} (${there.cpuModel}); this is ${here.hostname} (${here.cpuModel}): ` +
    `resuming here would mix two hosts' measurements in one run. Resume it on its host, measure here in a new run and combine them with 'isobench merge', or pass --force`);
}

const attemptKey = (cell: string, instance: number, attempt: number) => `${cell}/${instance}/${attempt}`;

/** What the store holds after the repair, and what the repair removed. */
export interface StoreRepair {
  /** the samples.jsonl lines kept, in file order */
  keptLines: string[];
  samples: Sample[];
  completions: Completion[];
  /** samples of attempts without a (matching) completion marker: interrupted instances */
  dropped: Sample[];
  halfWrittenLine?: number;
  halfWrittenCompletion?: number;
  /** completion markers whose sample count did not match the store (dropped with their samples) */
  badCompletions: Completion[];
  /** whether samples.jsonl or completed.jsonl must be rewritten */
  rewrite: boolean;
}

/**
 * An attempt of an instance counts when completed.jsonl holds its marker and samples.jsonl holds exactly the number of
 * samples the marker names; every other sample is from an instance a crash interrupted and is removed, so the re-run
 * neither duplicates nor mixes with it.
 */
export function planRepair(samplesText: string, completedText: string, files: { samples: string; completed: string }): StoreRepair {
  const { lines, halfWritten } = parseSampleLines(samplesText, files.samples);
  const parsed = parseCompletions(completedText, files.completed);
  const counts = new Map<string, number>();
  for (const l of lines) {
    const k = attemptKey(l.sample.cell, l.sample.instance, l.sample.attempt ?? 0);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const valid = new Map<string, Completion>();
  const badCompletions: Completion[] = [];
  for (const c of parsed.completions) {
    const k = attemptKey(c.cell, c.instance, c.attempt);
    if (valid.has(k) || (counts.get(k) ?? 0) !== c.samples) badCompletions.push(c);
    else valid.set(k, c);
  }
  const keptLines: string[] = [];
  const samples: Sample[] = [];
  const dropped: Sample[] = [];
  for (const l of lines) {
    if (valid.has(attemptKey(l.sample.cell, l.sample.instance, l.sample.attempt ?? 0))) {
      keptLines.push(l.text);
      samples.push(l.sample);
    } else {
      dropped.push(l.sample);
    }
  }
  return {
    keptLines,
    samples,
    completions: [...valid.values()],
    dropped,
    halfWrittenLine: halfWritten?.line,
    halfWrittenCompletion: parsed.halfWritten,
    badCompletions,
    rewrite: dropped.length > 0 || halfWritten !== undefined || parsed.halfWritten !== undefined || badCompletions.length > 0,
  };
}

/**
 * Read and repair the store of runDir: the originals are copied to logs/ first, then samples.jsonl and completed.jsonl
 * are replaced atomically by what counts. Refuses a run whose samples were written without completion markers.
 */
export function repairStore(runDir: string, stamp: string): StoreRepair & { backup?: string } {
  const files = runFiles(runDir);
  const samplesText = readSamplesText(runDir) ?? '';
  const completedText = readCompletionsText(runDir) ?? undefined;
  if (completedText === undefined && samplesText.trim() !== '') {
    throw new ResumeRefused(`${files.completed}: missing — this run was written by an isobench without resume support, so its finished instances cannot be told from interrupted ones; start a new run`);
  }
  let repair: StoreRepair;
  try {
    repair = planRepair(samplesText, completedText ?? '', files);
  } catch (e) {
    throw new ResumeRefused(`${(e as Error).message}; the store is damaged before its last line, which a crash does not do — inspect it, or start a new run`);
  }
  if (!repair.rewrite) return repair;
  const backup = path.join(files.logs, `samples.jsonl.before-resume-${stamp}`);
  // the copies are written from what was read (never copied through a link planted at either end)
  if (existsSync(files.samples)) writeFileAtomic(backup, samplesText);
  if (completedText !== undefined) writeFileAtomic(path.join(files.logs, `completed.jsonl.before-resume-${stamp}`), completedText);
  writeFileAtomic(files.samples, repair.keptLines.map((l) => `${l}\n`).join(''));
  writeFileAtomic(files.completed, repair.completions.map((c) => `${JSON.stringify(c)}\n`).join(''));
  return { ...repair, backup: existsSync(backup) ? path.relative(runDir, backup) : undefined };
}

/** One attempt of one planned instance still to measure. */
export interface PendingInstance {
  cell: string;
  instance: number;
  attempt: number;
  /** re-measured because its latest attempt failed or timed out (--retry-failed) */
  retry: boolean;
}

/**
 * The instances of the plan still to run, in plan order: those without a completed attempt, and with retryFailed those
 * whose latest completed attempt failed or timed out (measured again as the next attempt, superseding it).
 */
export function pendingInstances(plan: Plan, completions: Completion[], retryFailed: boolean): { pending: PendingInstance[]; done: number } {
  const latest = new Map<string, Completion>();
  for (const c of completions) {
    const k = `${c.cell}/${c.instance}`;
    const prev = latest.get(k);
    if (!prev || c.attempt > prev.attempt) latest.set(k, c);
  }
  const pending: PendingInstance[] = [];
  let done = 0;
  for (const o of plan.order) {
    const c = latest.get(`${o.cell}/${o.instance}`);
    if (!c) pending.push({ cell: o.cell, instance: o.instance, attempt: 0, retry: false });
    // skipped instances (a tool was missing, or the platform kept failing to start) are retried too: nothing was measured
    // an instance an adaptive cell did not need is a decision, not a failure: never retried
    else if (retryFailed && !c.adaptive && (c.status === 'failed' || c.status === 'timeout' || c.status === 'skipped')) pending.push({ cell: o.cell, instance: o.instance, attempt: c.attempt + 1, retry: true });
    else done++;
  }
  return { pending, done };
}
