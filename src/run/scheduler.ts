// The run stage: start a fresh instance per planned repetition, run the workload, store every value as it is measured.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makePlan } from '../experiment/plan.ts';
import { buildRootfs } from '../images/rootfs.ts';
import { log } from '../log.ts';
import { paths, runFiles } from '../paths.ts';
import { platformById } from '../platforms/index.ts';
import { which } from '../proc.ts';
import type { Cell, Environment, LoadedExperiment, Platform, PlatformRecord, Sample } from '../types.ts';
import { workloadById } from '../workloads/index.ts';
import { collectEnvironment } from './environment.ts';
import { hostChanges, undoHostChanges } from './host-changes.ts';
import { measureInstance } from './instance-run.ts';
import { acquireRunLock } from './lock.ts';
import { formatProgress } from './progress.ts';
import { onInterrupt } from './signals.ts';
import { openSampleStore } from './store.ts';

export interface RunResult {
  runDir: string;
  runId: string;
  samples: number;
  failed: number;
}

export function newRunId(name: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${name}`;
}

function writeJson(file: string, value: unknown) {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Which requested platforms can run here, with the reason for each that cannot. */
export async function detectPlatforms(ids: string[]): Promise<PlatformRecord[]> {
  const records: PlatformRecord[] = [];
  for (const id of ids) {
    const p = platformById(id)!;
    let d;
    try {
      d = await p.detect();
    } catch (e) {
      d = { available: false, reason: `detection failed: ${(e as Error).message}` };
    }
    records.push({ id, family: p.family, description: p.description, emulated: p.emulated, requested: true, ...d });
  }
  return records;
}

export async function runExperiment(loaded: LoadedExperiment): Promise<RunResult> {
  const exp = loaded.experiment;
  const startedAt = new Date();
  const runId = newRunId(exp.name, startedAt);
  const runDir = paths.run(runId);
  const files = runFiles(runDir);
  const plan = makePlan(exp, path.basename(loaded.file));

  const lock = acquireRunLock(runId);
  const workloadsUsed = [...new Set(plan.cells.map((c) => c.workload))].map((id) => workloadById(id)!);
  const toolsUsed = [...new Set(workloadsUsed.flatMap((w) => w.tools))];
  const missingTools = toolsUsed.filter((t) => !which(t));
  const usedPlatforms = [...new Set(exp.platforms.map((p) => p.id))];

  mkdirSync(files.logs, { recursive: true });
  writeFileSync(files.experiment, loaded.text);
  writeJson(files.plan, plan);

  log.step(`detecting ${usedPlatforms.length} platforms`);
  const records = await detectPlatforms(usedPlatforms);
  for (const r of records) {
    log.info(`  ${r.available ? 'run ' : 'skip'} ${r.id}${r.available ? ` (${r.version ?? 'version unknown'})` : `: ${r.reason}`}`);
  }
  const env: Environment = await collectEnvironment({
    run: runId,
    startedAt: startedAt.toISOString(),
    tools: toolsUsed,
    platforms: records,
    experiment: { file: loaded.file, sha256: loaded.sha256 },
  });
  writeJson(files.environment, env);

  const store = openSampleStore(files.samples);
  const available = new Map<string, Platform>();
  let current: { stop: () => Promise<void> } | undefined;
  let failed = 0;

  const finish = async () => {
    if (current) await current.stop().catch(() => undefined);
    for (const p of available.values()) await p.teardown?.().catch((e: Error) => log.warn(`${p.id} teardown: ${e.message}`));
    await undoHostChanges();
    env.endedAt = new Date().toISOString();
    env.hostChanges = hostChanges();
    writeJson(files.environment, env);
    store.close();
    lock.release();
  };
  const removeInterrupt = onInterrupt(async () => {
    log.warn(`interrupted: stopping the instance in flight and cleaning up; ${store.count} samples are saved in ${files.samples}`);
    await finish();
  });

  try {
    if (missingTools.length > 0) log.warn(`not installed on this host, cells that need them are skipped: ${missingTools.join(', ')} (run 'isobench setup')`);
    const rootfsTools = toolsUsed.filter((t) => which(t));
    const needsImage = records.some((r) => r.available && r.family !== 'native');
    let rootfs = { dir: '', hash: 'host' };
    if (needsImage) {
      log.step(`building the benchmark root filesystem (${['busybox', ...rootfsTools].join(', ')})`);
      rootfs = await buildRootfs(rootfsTools);
      log.info(`  rootfs ${rootfs.hash.slice(0, 12)} at ${rootfs.dir}`);
    }
    for (const r of records.filter((x) => x.available)) {
      const p = platformById(r.id)!;
      try {
        await p.prepare?.();
        available.set(r.id, p);
      } catch (e) {
        r.available = false;
        r.reason = `preparation failed: ${(e as Error).message}`;
        log.warn(`${r.id}: ${r.reason}`);
      }
    }
    writeJson(files.environment, env);

    const cellsById = new Map<string, Cell>(plan.cells.map((c) => [c.id, c]));
    const runnable = plan.order.filter((o) => available.has(cellsById.get(o.cell)!.platform));
    log.step(`running ${runnable.length} instances (${plan.cells.length} cells x ${exp.repetitions.instances} instances, ${exp.repetitions.iterations} iteration(s) each; order seeded with ${exp.seed})`);
    const t0 = Date.now();
    for (let k = 0; k < runnable.length; k++) {
      const planned = runnable[k];
      const cell = cellsById.get(planned.cell)!;
      const workload = workloadById(cell.workload)!;
      log.status(formatProgress({ done: k, total: runnable.length, platform: cell.platform, workload: cell.workload, job: cell.job, instance: planned.instance, elapsedMs: Date.now() - t0 }));
      const lacking = workload.tools.filter((t) => missingTools.includes(t));
      const base = { schema: 1 as const, run: runId, cell: cell.id, platform: cell.platform, workload: cell.workload, job: cell.job, params: cell.params, instance: planned.instance };
      if (lacking.length > 0) {
        const now = new Date().toISOString();
        store.append({ ...base, iteration: 0, metric: null, value: null, unit: null, better: null, status: 'skipped', error: `not installed on the host: ${lacking.join(', ')}`, startedAt: now, endedAt: now });
        continue;
      }
      const samples: Sample[] = await measureInstance({
        platform: available.get(cell.platform)!,
        workload,
        cell,
        instance: planned.instance,
        experiment: exp,
        rootfs,
        runDir,
        base,
        onStarted: (inst) => { current = inst; },
        onSample: (s) => store.append(s),
      });
      current = undefined;
      const bad = samples.filter((s) => s.status !== 'ok');
      failed += bad.length;
      for (const s of bad) log.warn(`${cell.platform} · ${cell.workload}/${cell.job} · instance ${planned.instance + 1}: ${s.status}: ${s.error}`);
    }
    log.endStatus();
    log.info(`measured ${store.count} samples in ${Math.round((Date.now() - t0) / 1000)} s${failed ? `, ${failed} failed` : ''}`);
  } finally {
    removeInterrupt();
    await finish();
  }
  return { runDir, runId, samples: store.count, failed };
}
