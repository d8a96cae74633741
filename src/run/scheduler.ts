// The run stage: start a fresh instance per planned repetition, run the workload, store every value as it is measured.
import { mkdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isBudgetedCell, makePlan } from '../experiment/plan.ts';
import { provideBuiltTools } from '../images/built-tools.ts';
import { buildRootfs } from '../images/rootfs.ts';
import { log } from '../log.ts';
import { paths, runFiles } from '../paths.ts';
import { platformById } from '../platforms/index.ts';
import { which } from '../proc.ts';
import type { Cell, Environment, Experiment, HostChange, LoadedExperiment, Plan, Platform, PlatformRecord, ResumeRecord, Sample, Workload } from '../types.ts';
import { packageOfTool, workloadById } from '../workloads/index.ts';
import { checkWritable, writeFileAtomic, writeJsonAtomic } from '../rundir/write.ts';
import { readBudgetLog } from '../rundir/budget-log.ts';
import type { Completion } from '../rundir/formats.ts';
import { collectEnvironment } from './environment.ts';
import { adaptiveTracker } from './adaptive.ts';
import { hostChangeLog, type HostChangeLog } from './host-changes.ts';
import { budgetPlanner, spendBudget, type ClaimOracle } from './budget.ts';
import { budgetBefore, budgetUsedMs, type BudgetBefore } from './budget-resume.ts';
import { estimatePlan, formatEstimate, instanceEstimateMs, readHostTimings, recordDetection, recordHostTimings, type InstanceTiming } from './estimate.ts';
import { instanceLogPath, instanceNamePrefix, measureInstance, neverStarted } from './instance-run.ts';
import { lastingFailures } from './lasting-failures.ts';
import { clearInFlight, markSession, readInFlight, reapInFlight, reapLeftovers, SESSION_VAR, writeInFlight } from './leftovers.ts';
import { acquireRunLock, type RunLock } from './lock.ts';
import { formatDuration } from './duration.ts';
import { formatProgress } from './progress.ts';
import { checkSameHost, currentHost, pendingInstances, readStoredRun, repairStore, type PendingInstance } from './resume.ts';
import { onInterrupt } from './signals.ts';
import { nodeIo, openSampleStore, StoreError, type SampleStore, type StoreIo } from './store.ts';

/** A platform whose starts keep failing (a hanging hypervisor) is not started again for every remaining instance. */
export const START_FAILURES_BEFORE_SKIP = 2;

/** What the run stage is wired to; tests pass fakes (test/helpers/fakes.ts) so every branch runs in milliseconds. */
export interface RunDeps {
  platformById: (id: string) => Platform | undefined;
  workloadById: (id: string) => Workload | undefined;
  /** the file operations of the sample store (a test's simulate a full disk) */
  storeIo: StoreIo;
  /** installs the Ctrl-C / SIGTERM handler (a test's calls the cleanup itself instead of signalling the process) */
  onInterrupt: typeof onInterrupt;
  /** the claims on the samples so far, for a budgeted run (the CLI passes src/stats/analyze.ts budgetOracle) */
  claimOracle?: ClaimOracle;
}

export interface RunOptions {
  /** seconds of the budget kept for what follows the run in the same command (reproduce: analysis, report, archive) */
  budgetReserveS?: number;
}

export const realDeps: RunDeps = { platformById, workloadById, storeIo: nodeIo, onInterrupt };

export interface RunResult {
  runDir: string;
  runId: string;
  /** samples stored by this session */
  samples: number;
  failed: number;
}

export interface ResumeOptions {
  /** measure again the instances whose latest attempt failed or timed out */
  retryFailed?: boolean;
  /** resume on another host than the run's */
  force?: boolean;
}

export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${name}`;
}

/** The command that continues runDir, as printed on an interrupt or a fatal error. */
export function resumeCommand(runDir: string): string {
  return `isobench run --resume ${runDir}`;
}

/** Which requested platforms can run here, with the reason for each that cannot. */
export async function detectPlatforms(ids: string[], lookup: (id: string) => Platform | undefined = platformById): Promise<PlatformRecord[]> {
  const records: PlatformRecord[] = [];
  for (const id of ids) {
    const p = lookup(id)!;
    let d;
    try {
      d = await p.detect();
    } catch (e) {
      d = { available: false, reason: `detection failed: ${(e as Error).message}` };
    }
    records.push({ id, family: p.family, description: p.description, emulated: p.virtualization === 'emulated', requested: true, ...d });
  }
  return records;
}

/** What one session (a run, or a resume of one) holds while it measures, and undoes when it ends. */
interface Session {
  deps: RunDeps;
  runId: string;
  runDir: string;
  files: ReturnType<typeof runFiles>;
  lock: RunLock;
  env?: Environment;
  /** host changes recorded by earlier sessions of this run */
  earlierHostChanges: HostChange[];
  /** what this session changes on the host, undone when it ends */
  host: HostChangeLog;
  resume?: ResumeRecord;
  store?: SampleStore;
  current?: { stop: () => Promise<void> };
  prepared: Map<string, Platform>;
  instancesRun: number;
  /** set on the first interrupt: nothing more is stored, so an instance killed by the cleanup is not recorded as failed */
  stopping: boolean;
  /** when this session began: a budget counts from here (less what earlier sessions used of it) */
  startedMs: number;
  /** a resumed budgeted run: what its earlier sessions used of the budget, spent of α, looked at and decided */
  budgetBefore?: BudgetBefore;
  budgetReserveS: number;
  finished?: Promise<void>;
}

function openSession(runId: string, runDir: string, lock: RunLock, deps: RunDeps, opts: RunOptions = {}): { session: Session; removeInterrupt: () => void } {
  const session: Session = {
    deps, runId, runDir, files: runFiles(runDir), lock, earlierHostChanges: [], host: hostChangeLog(), prepared: new Map(), instancesRun: 0, stopping: false,
    startedMs: Date.now(), budgetReserveS: opts.budgetReserveS ?? 0,
  };
  markSession(runId);
  const removeInterrupt = deps.onInterrupt(async (signal) => {
    session.stopping = true;
    log.warn(`interrupted (${signal}): stopping the instance in flight and cleaning up (press Ctrl-C again to force)`);
    await finishSession(session);
    if (!session.store) {
      log.warn(`stopped before anything was measured${session.resume ? `; continue this run with: ${resumeCommand(runDir)}` : ''}`);
      return;
    }
    log.warn(`stopped; ${session.store.count} samples of this session are saved in ${session.files.samples}`);
    log.warn(`continue this run with: ${resumeCommand(runDir)}`);
  }, () => {
    session.lock.release();
    log.warn(`continue this run with: ${resumeCommand(runDir)} (it removes what the forced stop left running)`);
  });
  return { session, removeInterrupt };
}

/** Stop the instance in flight, tear platforms down, undo host changes, complete environment.json, release the lock; once. */
function finishSession(s: Session): Promise<void> {
  s.finished ??= (async () => {
    const inFlight = readInFlight(s.files.inFlight);
    let stopped = true;
    if (s.current) {
      try {
        await s.current.stop();
      } catch (e) {
        stopped = false;
        log.warn(`stopping the instance in flight: ${(e as Error).message} (a resume will try again)`);
      }
    }
    // also what the instance object does not cover: one that was still starting, one-shot siblings
    if (inFlight && inFlight.pid === process.pid) {
      for (const name of await reapInFlight(inFlight, s.deps.platformById)) log.debug(`removed ${inFlight.platform} instance ${name}`);
      if (stopped) clearInFlight(s.files.inFlight);
    }
    for (const p of s.prepared.values()) await p.teardown?.().catch((e: Error) => log.warn(`${p.id} teardown: ${e.message}`));
    await s.host.undo();
    if (s.env) {
      const now = new Date().toISOString();
      s.env.endedAt = now;
      s.env.hostChanges = [...s.earlierHostChanges, ...s.host.list()];
      if (s.resume) Object.assign(s.resume, { endedAt: now, instancesRun: s.instancesRun });
      try {
        writeJsonAtomic(s.files.environment, s.env);
      } catch (e) {
        log.warn(`${(e as Error).message}; environment.json keeps its previous content`);
      }
    }
    s.store?.close();
    try { rmdirSync(path.join(s.runDir, 'scratch')); } catch { /* absent, or not empty */ }
    delete process.env[SESSION_VAR];
    s.lock.release();
  })();
  return s.finished;
}

/** Start a new run of an experiment. */
export async function runExperiment(loaded: LoadedExperiment, deps: RunDeps = realDeps, opts: RunOptions = {}): Promise<RunResult> {
  const exp = loaded.experiment;
  const startedAt = new Date();
  const runId = newRunId(exp.name, startedAt);
  const runDir = paths.run(runId);
  const files = runFiles(runDir);
  const plan = makePlan(exp, path.basename(loaded.file));
  checkWritable(paths.runs());
  const lock = acquireRunLock(runId);
  const { session, removeInterrupt } = openSession(runId, runDir, lock, deps, opts);
  try {
    await reapTakenOver(lock, runId);
    mkdirSync(files.logs, { recursive: true });
    writeFileAtomic(files.experiment, loaded.text);
    writeJsonAtomic(files.plan, plan);
    const records = await detectAndReport(exp, deps);
    session.env = await collectEnvironment({
      run: runId,
      startedAt: startedAt.toISOString(),
      tools: toolsOf(plan, deps),
      platforms: records,
      experiment: { file: loaded.file, sha256: loaded.sha256 },
    });
    writeJsonAtomic(files.environment, session.env);
    session.store = openSampleStore(files, deps.storeIo);
    const { pending } = pendingInstances(plan, [], false);
    return await measurePending(session, exp, plan, records, pending);
  } catch (e) {
    // nothing measured: leave no half-made run directory behind
    if (!session.store) rmSync(runDir, { recursive: true, force: true });
    throw fatal(e, session);
  } finally {
    removeInterrupt();
    await finishSession(session);
  }
}

/** Continue an interrupted run with its stored experiment, plan and seed (see docs/ARCHITECTURE.md, run-stage guarantees). */
export async function resumeRun(runDir: string, opts: ResumeOptions & RunOptions = {}, deps: RunDeps = realDeps): Promise<RunResult> {
  const stored = await readStoredRun(runDir);
  const host = currentHost();
  const forced = checkSameHost(stored.env, host, opts.force === true);
  if (forced) log.warn(`resuming run ${stored.runId} on ${host.hostname} although it was measured on ${stored.env.host.hostname} (--force)`);
  checkWritable(runDir);
  const lock = acquireRunLock(stored.runId);
  const { session, removeInterrupt } = openSession(stored.runId, runDir, lock, deps, opts);
  const files = session.files;
  const startedAt = new Date().toISOString();
  try {
    await reapTakenOver(lock, stored.runId);
    for (const what of await reapLeftovers(stored.runId, files.inFlight, deps.platformById)) log.warn(`removed what the interrupted session left behind: ${what}`);
    const repair = repairStore(runDir, startedAt.replace(/[-:.]/g, ''));
    if (repair.halfWrittenLine) log.warn(`${files.samples}:${repair.halfWrittenLine}: removed a half-written last line (the run was interrupted while writing it)`);
    if (repair.halfWrittenCompletion) log.warn(`${files.completed}:${repair.halfWrittenCompletion}: removed a half-written last line`);
    for (const c of repair.badCompletions) log.warn(`${files.completed}: marker of ${c.cell} instance ${c.instance} attempt ${c.attempt} names ${c.samples} samples, the store holds another count; the instance is measured again`);
    if (repair.dropped.length > 0) {
      const interrupted = new Set(repair.dropped.map((d) => `${d.cell}/${d.instance}/${d.attempt ?? 0}`));
      log.warn(`removed ${repair.dropped.length} sample(s) of ${interrupted.size} instance(s) that had not finished; they are measured again`);
    }
    if (repair.backup) log.info(`  the store before the repair is kept as ${repair.backup}`);

    const exp = stored.loaded.experiment;
    const { pending, done } = pendingInstances(stored.plan, repair.completions, opts.retryFailed === true);
    const env = stored.env;
    // a budgeted run continues its budget, α and looks (or is refused when its last look was made), before anything is written
    if (exp.budgetS !== undefined && pending.length > 0) {
      const starts = [env.startedAt, ...(env.resumes ?? []).map((r) => r.startedAt), startedAt];
      session.budgetBefore = budgetBefore(readBudgetLog(runDir), budgetUsedMs(starts, repair.completions));
    }
    session.env = env;
    session.earlierHostChanges = env.hostChanges ?? [];
    session.resume = {
      startedAt, host, forced, retryFailed: opts.retryFailed === true, droppedPartialSamples: repair.dropped.length,
      ...(repair.halfWrittenLine ? { droppedHalfWrittenLine: repair.halfWrittenLine } : {}),
      ...(repair.backup ? { backup: repair.backup } : {}),
    };
    env.resumes = [...(env.resumes ?? []), session.resume];
    delete env.endedAt;
    writeJsonAtomic(files.environment, env);
    log.step(`resuming run ${stored.runId}: ${done} of ${stored.plan.order.length} instances complete, ${pending.length} to ${opts.retryFailed ? 'run or retry' : 'run'}`);
    if (pending.length === 0) {
      log.info(`  nothing left to run${opts.retryFailed || exp.budgetS !== undefined ? '' : ' (add --retry-failed to measure failed instances again)'}`);
      return { runDir, runId: stored.runId, samples: 0, failed: 0 };
    }
    const records = await detectAndReport(exp, deps);
    env.platforms = mergePlatformRecords(env.platforms, records);
    session.store = openSampleStore(files, deps.storeIo);
    // an adaptive cell's precision so far comes from the instances earlier sessions completed
    return await measurePending(session, exp, stored.plan, records, pending, repair.samples);
  } catch (e) {
    throw fatal(e, session);
  } finally {
    removeInterrupt();
    await finishSession(session);
  }
}

/** A run that died without releasing the lock may have left its instance running: remove it before measuring. */
async function reapTakenOver(lock: RunLock, runId: string): Promise<void> {
  if (!lock.takenOver) return;
  const other = lock.takenOver.run;
  log.warn(`run ${other} (pid ${lock.takenOver.pid}) ended without releasing the run lock (a crash?); taking it over`);
  const removed = await reapLeftovers(other, runFiles(paths.run(other)).inFlight);
  for (const what of removed) log.warn(`removed what run ${other} left behind: ${what}`);
  if (other !== runId) log.warn(`continue that run with: ${resumeCommand(paths.run(other))}`);
}

/** A failure of the store or the disk ends the run; say that what is stored is intact and how to continue. */
function fatal(e: unknown, s: Session): Error {
  const msg = (e as Error).message ?? String(e);
  if (!s.store) return e as Error; // nothing was measured yet: the plain error says it all
  const hint = `the samples stored so far are intact; fix this, then continue with: ${resumeCommand(s.runDir)}`;
  const out = new Error(`${msg}; ${hint}`);
  if (e instanceof StoreError) out.name = 'StoreError';
  return out;
}

function toolsOf(plan: Plan, deps: RunDeps): string[] {
  return [...new Set(plan.cells.map((c) => deps.workloadById(c.workload)!).flatMap((w) => w.tools))];
}

async function detectAndReport(exp: Experiment, deps: RunDeps): Promise<PlatformRecord[]> {
  const ids = [...new Set(exp.platforms.map((p) => p.id))];
  log.step(`detecting ${ids.length} platforms`);
  const records = await detectPlatforms(ids, deps.platformById);
  for (const r of records) {
    log.info(`  ${r.available ? 'run ' : 'skip'} ${r.id}${r.available ? ` (${r.version ?? 'version unknown'})` : `: ${r.reason}`}`);
  }
  return records;
}

/** A platform available in any session counts as available (its samples exist); the first version seen is kept. */
function mergePlatformRecords(before: PlatformRecord[], now: PlatformRecord[]): PlatformRecord[] {
  const out = before.map((b) => {
    const n = now.find((x) => x.id === b.id);
    if (!n || b.available || !n.available) {
      if (n && b.available && n.available && n.version !== b.version) log.warn(`${b.id}: version ${n.version} now, ${b.version} when the run started`);
      return b;
    }
    return n;
  });
  for (const n of now) if (!out.some((b) => b.id === n.id)) out.push(n);
  return out;
}

async function measurePending(s: Session, exp: Experiment, plan: Plan, records: PlatformRecord[], pending: PendingInstance[], prior: Sample[] = []): Promise<RunResult> {
  const files = s.files;
  const store = s.store!;
  const toolsUsed = toolsOf(plan, s.deps);
  await provideBuiltTools([...new Set(plan.cells.map((c) => c.workload))].map((id) => s.deps.workloadById(id)!));
  const missingTools = toolsUsed.filter((t) => !which(t));
  if (missingTools.length > 0) log.warn(`not installed on this host, cells that need them are skipped: ${missingTools.join(', ')} (run 'isobench setup')`);
  const rootfsTools = toolsUsed.filter((t) => which(t));
  const needsImage = records.some((r) => r.available && r.family !== 'native');
  let rootfs = { dir: '', hash: 'host' };
  if (needsImage) {
    log.step(`building the benchmark root filesystem (${['busybox', ...rootfsTools].join(', ')})`);
    rootfs = await buildRootfs(rootfsTools, packageOfTool);
    log.info(`  rootfs ${rootfs.hash.slice(0, 12)} at ${rootfs.dir}`);
  }
  // provisioning: everything an instance needs is built now, before any instance starts (never inside a start timeout)
  const provisioned: NonNullable<Environment['provisioned']> = [];
  for (const r of records.filter((x) => x.available)) {
    const p = s.deps.platformById(r.id)!;
    if (!p.provision) continue;
    const options = [...new Map(plan.cells.filter((c) => c.platform === r.id).map((c) => [JSON.stringify(c.platformOptions), c.platformOptions])).values()];
    const t0 = Date.now();
    log.step(`provisioning ${r.id}`);
    try {
      const what = await p.provision({ rootfs, options });
      provisioned.push({ platform: r.id, what, ms: Date.now() - t0 });
      for (const w of what) log.info(`  ${w}`);
    } catch (e) {
      r.available = false;
      r.reason = `provisioning failed: ${(e as Error).message}`;
      log.warn(`${r.id}: ${r.reason}`);
    }
  }
  if (provisioned.length > 0) s.env!.provisioned = [...(s.env!.provisioned ?? []), ...provisioned];
  for (const r of records.filter((x) => x.available)) {
    const p = s.deps.platformById(r.id)!;
    try {
      await p.prepare?.(s.host);
      s.prepared.set(r.id, p);
    } catch (e) {
      r.available = false;
      r.reason = `preparation failed: ${(e as Error).message}`;
      log.warn(`${r.id}: ${r.reason}`);
    }
  }
  if (!s.resume) s.env!.platforms = records;
  writeJsonAtomic(files.environment, s.env);
  try {
    recordDetection(records);
  } catch (e) {
    log.warn(`could not keep this host's platform detection for later estimates: ${(e as Error).message}`);
  }

  const cellsById = new Map<string, Cell>(plan.cells.map((c) => [c.id, c]));
  const runnable = pending.filter((o) => s.prepared.has(cellsById.get(o.cell)!.platform));
  const notHere = [...new Set(pending.filter((o) => !s.prepared.has(cellsById.get(o.cell)!.platform)).map((o) => cellsById.get(o.cell)!.platform))];
  if (notHere.length > 0) log.info(`  ${exp.budgetS !== undefined ? `the cells of ${notHere.join(', ')} are not run` : `${pending.length - runnable.length} instance(s) not run`}: not available here`);
  const retries = runnable.filter((o) => o.retry).length;
  if (!s.resume) {
    const est = estimatePlan(exp, plan, (p) => s.prepared.has(p), s.deps.workloadById);
    log.step('estimated cost (isobench plan prints the same)');
    for (const line of formatEstimate(est)) log.info(`  ${line}`);
  }
  const rule = exp.repetitions.adaptive;
  const instancesSaid = rule
    ? `${rule.minInstances} to ${rule.maxInstances} instances until the 95% interval is within ±${rule.targetHalfWidth * 100}% or ${formatDuration(rule.budgetS * 1000)} are spent`
    : exp.budgetS !== undefined ? `${exp.repetitions.instances} instances, more where a claim needs them, within ${formatDuration(exp.budgetS * 1000)}` : `${exp.repetitions.instances} instances`;
  const firstStage = exp.budgetS !== undefined ? runnable.filter((o) => !isBudgetedCell(exp, cellsById.get(o.cell)!) || o.instance < exp.repetitions.instances).length : runnable.length;
  log.step(`running ${exp.budgetS !== undefined ? `${firstStage} first-stage instances and up to ${runnable.length - firstStage} more` : `${rule ? 'up to ' : ''}${runnable.length}`} instances${retries ? ` (${retries} retried)` : ''} of ${plan.cells.length} cells (${instancesSaid} x ${exp.repetitions.iterations} iteration(s) unless a workload sets its own; order seeded with ${exp.seed})`);
  const adaptive = adaptiveTracker(exp, plan.cells, files.adaptive, (d) => log.info(`  ${d.platform} · ${d.workload}/${d.job}: stopped after ${d.instances} instance(s), ` +
    `${d.relHalfWidth === null ? 'no interval' : `±${(d.relHalfWidth * 100).toFixed(2)}%`} (${d.reason === 'planned' ? `two-stage plan: ${d.planned} instance(s)` : d.reason === 'precise' ? 'precise enough' : d.reason === 'max' ? 'maxInstances reached' : 'time budget spent'})`));
  for (const smp of prior) adaptive.observe(smp);
  const budgetMs = (rule?.budgetS ?? Infinity) * 1000;
  const t0 = Date.now();
  let failed = 0;
  let done = 0;
  const startFailures = new Map<string, { count: number; error: string; hung?: boolean; first: string }>(); // consecutive failed starts per platform
  const lasting = lastingFailures();
  const timings: { cell: Cell; timing: InstanceTiming }[] = [];
  const measuredMs = new Map<string, number[]>(); // this session's instance times per cell, for the budget's costs
  const onSample: ((smp: Sample) => void)[] = [(smp) => adaptive.observe(smp)];
  // a budgeted run counts its first stage, then each instance it gives
  const total = () => Math.max(done + 1, firstStage);

  /** one planned instance: skipped for a known reason, or started, measured and stopped; false when it was not measured */
  const runOne = async (planned: PendingInstance, given: Pick<Completion, 'why' | 'stage'> = {}): Promise<boolean> => {
    const cell = cellsById.get(planned.cell)!;
    const workload = s.deps.workloadById(cell.workload)!;
    log.status(formatProgress({ done: done++, total: total(), platform: cell.platform, workload: cell.workload, job: cell.job, instance: planned.instance, elapsedMs: Date.now() - t0 }));
    const lacking = workload.tools.filter((t) => missingTools.includes(t));
    const base = {
      schema: 1 as const, run: s.runId, cell: cell.id, platform: cell.platform, workload: cell.workload, job: cell.job,
      params: cell.params, instance: planned.instance, attempt: planned.attempt,
    };
    const store1 = (smp: Sample) => { if (!s.stopping) { store.append(smp); for (const f of onSample) f(smp); } };
    const skip = (error: string) => {
      const now = new Date().toISOString();
      store1({ ...base, iteration: 0, metric: null, value: null, unit: null, better: null, status: 'skipped', error, startedAt: now, endedAt: now });
      if (!s.stopping) store.completeInstance(cell.id, planned.instance, planned.attempt, given);
      return false;
    };
    if (lacking.length > 0) return skip(`not installed on the host: ${lacking.join(', ')}`);
    const streak = startFailures.get(cell.platform);
    if (streak && streak.count >= START_FAILURES_BEFORE_SKIP) {
      const what = streak.hung ? `a start of ${cell.platform} in this run hung until its timeout` : `the last ${streak.count} starts of ${cell.platform} in this run failed`;
      return skip(`not attempted: ${what} (${streak.error}); first failure: ${streak.first}; ${retryHint(exp)}`);
    }
    const known = lasting.known(cell);
    if (known) return skip(`not attempted: ${known}; ${retryHint(exp)}`);
    writeInFlight(files.inFlight, {
      session: `${s.runId}:${process.pid}`, pid: process.pid, platform: cell.platform, namePrefix: instanceNamePrefix(cell.id, planned.instance),
      cell: cell.id, instance: planned.instance, attempt: planned.attempt, startedAt: new Date().toISOString(),
    });
    let timing: InstanceTiming | undefined;
    const samples: Sample[] = await measureInstance({
      platform: s.prepared.get(cell.platform)!,
      workload,
      cell,
      instance: planned.instance,
      experiment: exp,
      rootfs,
      runDir: s.runDir,
      hostChanges: s.host,
      base,
      onStarted: (inst) => { s.current = inst; },
      onTiming: (t) => { timing = t; },
      onSample: store1,
    });
    s.current = undefined;
    if (s.stopping) return false;
    if (neverStarted(samples)) {
      const prev = startFailures.get(cell.platform);
      // a start that hangs until its timeout (ours, or the platform's own: "timed out after 20 s") will hang again
      const hung = samples.some((x) => x.status === 'timeout' || /\btimed out\b/.test(x.error ?? ''));
      const count = hung ? START_FAILURES_BEFORE_SKIP : (prev?.count ?? 0) + 1;
      const here = `${cell.workload}/${cell.job} instance ${planned.instance + 1}, log ${instanceLogPath(cell.id, planned.instance, planned.attempt)}`;
      startFailures.set(cell.platform, { count, error: samples[0].error ?? '', hung, first: prev?.first ?? here });
      if (count >= START_FAILURES_BEFORE_SKIP && (prev?.count ?? 0) < START_FAILURES_BEFORE_SKIP) log.warn(`${cell.platform}: ${count > (prev?.count ?? 0) + 1 ? 'a start hung until its timeout' : `${START_FAILURES_BEFORE_SKIP} starts in a row failed`}; its remaining instances in this run are recorded as skipped`);
    } else {
      startFailures.delete(cell.platform);
      const said = lasting.observe(cell, planned.instance, samples, instanceLogPath(cell.id, planned.instance, planned.attempt));
      if (said) log.warn(said);
    }
    // the marker comes after the samples are on disk: only now does this instance count as done
    store.completeInstance(cell.id, planned.instance, planned.attempt, { ...given, ...(timing ? { timing } : {}) });
    clearInFlight(files.inFlight);
    s.instancesRun++;
    if (timing) {
      timings.push({ cell, timing });
      measuredMs.set(cell.id, [...(measuredMs.get(cell.id) ?? []), timing.startMs + timing.measureMs + timing.stopMs]);
    }
    adaptive.check(cell.id);
    const bad = samples.filter((x) => x.status !== 'ok');
    failed += bad.length;
    for (const x of bad) log.warn(`${cell.platform} · ${cell.workload}/${cell.job} · instance ${planned.instance + 1}${planned.attempt ? ` (attempt ${planned.attempt + 1})` : ''}: ${x.status}: ${x.error}`);
    return true;
  };

  if (exp.budgetS !== undefined) {
    const host = readHostTimings();
    const costOf = (cell: string) => {
      const seen = measuredMs.get(cell);
      if (seen && seen.length > 0) return seen.reduce((a, b) => a + b, 0) / seen.length;
      const c = cellsById.get(cell)!;
      return instanceEstimateMs(c, s.deps.workloadById(c.workload), host).ms;
    };
    // a resume counts the budget earlier sessions used: its clock, looks, α and decided claims go on from there
    const before = s.budgetBefore;
    const startMs = s.startedMs - (before?.usedMs ?? 0);
    const deadlineMs = startMs + (exp.budgetS - s.budgetReserveS) * 1000;
    if (before) log.info(`  resumed budget: ${formatDuration(before.usedMs)} used by earlier sessions, ${before.looksBefore ?? 0} look(s), α spent ${Number((before.spentBefore ?? 0).toPrecision(3))}, ${before.decided.size} claim(s) decided`);
    const planner = s.deps.claimOracle ? budgetPlanner({
      file: files.budget, oracle: s.deps.claimOracle, env: () => s.env!, plan, startMs, deadlineMs, costOf,
      ...(before ? { spentBefore: before.spentBefore, looksBefore: before.looksBefore, lastFractionBefore: before.lastFraction, decidedBefore: before.decided } : {}),
    }) : null;
    if (planner) {
      for (const smp of prior) planner.observe(smp);
      onSample.push((smp) => planner.observe(smp));
    }
    log.info(`  budget ${formatDuration(exp.budgetS * 1000)}${s.budgetReserveS ? ` (${formatDuration(s.budgetReserveS * 1000)} of it kept for the analysis and the report)` : ''}: every cell ${exp.repetitions.instances} instance(s), then the cells undecided claims rest on`);
    await spendBudget({
      exp, runnable, cells: cellsById, planner,
      runOne, stopping: () => s.stopping, log: (line) => log.info(line),
      skip: (p, why) => { if (!s.stopping) store.skipInstance(p.cell, p.instance, p.attempt, 'budget', why); },
    }, () => deadlineMs - Date.now());
  } else {
    for (let k = 0; k < runnable.length && !s.stopping; k++) {
      const planned = runnable[k];
      const cell = cellsById.get(planned.cell)!;
      if (adaptive.isAdaptive(cell.id)) {
        // precise enough, or the budget spent: the instance is not measured, only marked so a resume does not run it
        const why = adaptive.check(cell.id) ?? (Date.now() - t0 >= budgetMs ? adaptive.decide(cell.id, 'budget') : undefined);
        if (why === 'planned' || why === 'precise' || why === 'budget') {
          if (!s.stopping) store.skipInstance(cell.id, planned.instance, planned.attempt, why);
          continue;
        }
      }
      await runOne(planned);
    }
  }
  try {
    recordHostTimings(timings);
  } catch (e) {
    log.warn(`could not keep this host's timings for later estimates: ${(e as Error).message}`);
  }
  // every planned instance of a cell ran without it getting precise enough
  if (!s.stopping) for (const cell of adaptive.undecided(runnable.map((o) => o.cell))) adaptive.decide(cell, 'max');
  log.endStatus();
  log.info(`measured ${store.count} samples in ${formatDuration(Date.now() - t0)}${failed ? `, ${failed} failed` : ''}`);
  return { runDir: s.runDir, runId: s.runId, samples: store.count, failed };
}

/** how to measure a skipped instance again: a budgeted run that made its last look is not resumed (src/run/budget-resume.ts) */
function retryHint(exp: Experiment): string {
  return exp.budgetS !== undefined ? 'a new run tries again (a budgeted run is not resumed after its last look)' : 'isobench run --resume --retry-failed tries again';
}
