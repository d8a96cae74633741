// In-process, scriptable platform and workload for the run stage's tests: no process is spawned, every branch in milliseconds.
// Not a platform of isobench: only tests reach these, through RunDeps (src/run/scheduler.ts).
import { createHash } from 'node:crypto';
import type { ExecResult, Experiment, Instance, LoadedExperiment, Platform, Workload } from '../../src/types.ts';
import { WorkloadError } from '../../src/types.ts';
import { nodeIo, type StoreIo } from '../../src/run/store.ts';
import { realDeps, type RunDeps } from '../../src/run/scheduler.ts';

/** How the n-th start (0-based, counted per platform) behaves. */
export type StartScript = 'ok' | 'fail' | 'hang' | 'late';
/** How one measurement inside an instance behaves: a value, output that is not a result, no answer, or the instance dying under it. */
export type SampleScript = 'ok' | 'garbled' | 'late' | 'crash';

export interface FakeLog {
  starts: string[];
  stops: string[];
  events: string[];
}

export interface FakePlatform extends Platform {
  log: FakeLog;
}

/** A platform whose starts follow `starts` (the last entry repeats); 'late' resolves after `lateMs`, past any start timeout the test sets. */
export function fakePlatform(id: string, starts: StartScript[] = ['ok'], opts: { lateMs?: number; family?: Platform['family']; provision?: 'ok' | 'fail' } = {}): FakePlatform {
  const log: FakeLog = { starts: [], stops: [], events: [] };
  let n = 0;
  return {
    id,
    family: opts.family ?? 'native',
    description: `fake platform ${id} (tests only)`,
    virtualization: 'none',
    log,
    async detect() { return { available: true, version: 'fake 1' }; },
    ...(opts.provision ? {
      async provision(ctx: { options: Record<string, unknown>[] }) {
        log.events.push(`provision ${ctx.options.length}`);
        if (opts.provision === 'fail') throw new Error('scripted provisioning failure');
        return [`fake image for ${ctx.options.length} option set(s)`];
      },
    } : {}),
    async start(spec) {
      const how = starts[Math.min(n++, starts.length - 1)];
      log.events.push(`start ${spec.name} ${how}`);
      if (how === 'fail') throw new Error(`${id}: scripted start failure`);
      if (how === 'hang') return new Promise<Instance>(() => undefined);
      if (how === 'late') await new Promise((r) => setTimeout(r, opts.lateMs ?? 200));
      log.starts.push(spec.name);
      return fakeInstance(spec.name, log);
    },
  };
}

function fakeInstance(name: string, log: FakeLog): Instance {
  let stopped = false;
  const waiting: ((r: ExecResult) => void)[] = [];
  const result = (stdout: string, code: number | null, signal: string | null = null): ExecResult =>
    ({ stdout, stderr: '', code, signal, ms: 1, timedOut: false, hostArgv: ['fake', name] });
  return {
    async exec(argv) {
      if (stopped) return result('', null, 'SIGKILL');
      const [, how, value] = argv; // ['fake-bench', <SampleScript>, <value>]
      log.events.push(`exec ${name} ${how}`);
      if (how === 'ok') return result(`value=${value}\n`, 0);
      if (how === 'garbled') return result('value=\u0000\u00ff??\n', 0);
      if (how === 'crash') {
        stopped = true; // the instance is gone: this command and every later one die
        return result('', null, 'SIGKILL');
      }
      return new Promise((resolve) => waiting.push(resolve)); // 'late': answers only when the instance is stopped
    },
    async stop() {
      log.events.push(`stop ${name}`);
      if (!log.stops.includes(name)) log.stops.push(name); // stop() may be called again (the Ctrl-C cleanup): it must be harmless
      stopped = true;
      for (const w of waiting.splice(0)) w(result('', null, 'SIGKILL'));
    },
  };
}

/**
 * A workload whose k-th measurement (0-based, over the whole test) follows `samples` (the last entry repeats), giving
 * `values[k]` (the last repeats). `onMeasure` runs before each measurement (a test's Ctrl-C goes there).
 */
export function fakeWorkload(id: string, samples: SampleScript[] = ['ok'], values: number[] = [100], onMeasure?: (k: number) => Promise<void> | void): Workload {
  let k = 0;
  return {
    id,
    description: `fake workload ${id} (tests only)`,
    tools: [],
    metrics: [{ name: 'score', unit: 'points', better: 'higher' }],
    claimMeasures: { jobs: ['default'], metrics: ['score'] },
    report: { area: 'cpu', charts: ['ratio'] },
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
    async run(instance) {
      const i = k++;
      await onMeasure?.(i);
      const how = samples[Math.min(i, samples.length - 1)];
      const value = values[Math.min(i, values.length - 1)];
      const r = await instance.exec(['fake-bench', how, String(value)]);
      if (r.code !== 0) throw new WorkloadError(`fake-bench was killed (${r.signal ?? `exit ${r.code}`})`, r.stdout);
      const m = /^value=(\d+(?:\.\d+)?)\n$/.exec(r.stdout);
      if (!m) throw new WorkloadError('fake-bench printed no value', r.stdout);
      return [{ name: 'score', value: Number(m[1]), unit: 'points', better: 'higher' }];
    },
  };
}

/** An experiment over the fakes, timeouts in seconds (fractions allowed), as the loader would give it. */
export function fakeExperiment(platforms: string[], workloads: string[], over: Partial<Experiment> = {}): LoadedExperiment {
  const experiment: Experiment = {
    name: 'fake', description: 'fakes', seed: 1,
    repetitions: { instances: 2, iterations: 1 },
    resources: { cpus: 1, memoryMiB: 64 },
    timeouts: { startS: 0.5, cellS: 0.5 },
    platforms: platforms.map((id) => ({ id, options: {} })),
    workloads: workloads.map((id) => ({ id, params: {}, jobs: [{ name: 'default', params: {} }], sweep: {} })),
    ...over,
  };
  const text = JSON.stringify(experiment);
  return { file: 'fake.yaml', text, sha256: createHash('sha256').update(text).digest('hex'), experiment };
}

/** A store whose writes fail with ENOSPC once `okWrites` writes have gone through. */
export function fullDiskAfter(okWrites: number): StoreIo {
  let writes = 0;
  return {
    ...nodeIo,
    writeSync(fd, buf, offset, length) {
      if (writes++ >= okWrites) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return nodeIo.writeSync(fd, buf, offset, length);
    },
  };
}

/** Run-stage wiring with these fakes in the registries; `interrupt` receives the Ctrl-C cleanup instead of a signal handler. */
export function fakeDeps(platforms: Platform[], workloads: Workload[], over: Partial<RunDeps> & { interrupt?: (cleanup: (s: NodeJS.Signals) => Promise<void>) => void } = {}): RunDeps {
  const { interrupt, ...rest } = over;
  return {
    ...realDeps,
    platformById: (id) => platforms.find((p) => p.id === id),
    workloadById: (id) => workloads.find((w) => w.id === id),
    onInterrupt: (cleanup) => { interrupt?.(cleanup); return () => undefined; },
    ...rest,
  };
}
