// Startup: a fresh instance whose only process prints a marker, timed end to end from creation to first output and to exit.
import type { ExecResult, Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';

export interface StartupParams {
  /** printed by the instance's only process; its arrival is "first output" */
  marker: string;
  timeoutS: number;
}

/** The instance's whole workload: busybox echo in the benchmark image (coreutils echo on native). */
export function startupArgv(p: Pick<StartupParams, 'marker'>): string[] {
  return ['/bin/echo', p.marker];
}

export interface StartupTimes {
  firstOutputMs: number;
  exitMs: number;
}

/** Times of one one-shot instance; anything but a clean exit that printed the marker is a failed sample. */
export function parseStartup(r: ExecResult, marker: string): StartupTimes {
  const output = r.stdout + r.stderr;
  if (r.timedOut) throw new WorkloadError(`the one-shot instance did not exit within the timeout (${r.ms.toFixed(0)} ms)`, output);
  if (r.code !== 0) {
    const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' | ');
    throw new WorkloadError(`the one-shot instance failed (${r.code === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.code}`})${tail ? `: ${tail}` : ''}`, output);
  }
  if (!r.stdout.split('\n').some((l) => l.trim() === marker)) {
    throw new WorkloadError(`the one-shot instance exited without printing '${marker}'`, output);
  }
  // a console (VMs, OSv) carries kernel lines before the marker: there the platform gives the marker's own arrival
  const firstOutputMs = r.markerMs ?? r.firstOutputMs;
  if (firstOutputMs === undefined || !(firstOutputMs > 0) || !(r.ms >= firstOutputMs)) {
    throw new WorkloadError(`no usable first-output time (firstOutputMs ${r.firstOutputMs}, markerMs ${r.markerMs}, ms ${r.ms})`, output);
  }
  return { firstOutputMs, exitMs: r.ms };
}

export const startup: Workload = {
  id: 'startup',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: () => 1,
  description:
    "startup: one fresh platform instance per iteration (Platform.oneShot: docker run --rm, runc run, a system container or a VM that powers off) whose first process is /bin/echo <marker>; first_output_ms from creating it to the marker on the host (a VM's or unikernel's serial console), exit_ms to its end. What starts and stops each platform's clock: docs/STARTUP.md. The session's first instance of a platform is reported apart (first start: cold caches). For the daemon's cost, run the OCI runtime (runc) platform in the same experiment as docker-runc",
  oneShotOnly: true,
  tools: [],
  report: { area: 'startup', charts: ['strip'], logAxis: true },
  metrics: [
    { name: 'first_output_ms', unit: 'ms', better: 'lower', description: 'instance creation to the first byte of the marker on the host' },
    { name: 'exit_ms', unit: 'ms', better: 'lower', description: 'instance creation to its exit' },
  ],
  claimMeasures: { jobs: ['default'], metrics: ['first_output_ms', 'exit_ms'] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      marker: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', default: 'isobench-ready', description: 'what the instance prints' },
      timeoutS: { type: 'integer', minimum: 1, maximum: 3600, default: 120, description: 'upper bound for one start to exit' },
    },
  },
  async run(_instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as StartupParams;
    if (!ctx.oneShot) throw new WorkloadError('platform has no one-shot start (Platform.oneShot); startup not measurable');
    const r = await ctx.oneShot(startupArgv(p), { timeoutMs: p.timeoutS * 1000, marker: p.marker });
    const t = parseStartup(r, p.marker);
    const how = { ...(r.method ? { note: r.method } : {}), ...(r.firstStart ? { firstStart: true } : {}) };
    return [
      { name: 'first_output_ms', value: t.firstOutputMs, unit: 'ms', better: 'lower', ...how },
      { name: 'exit_ms', value: t.exitMs, unit: 'ms', better: 'lower', ...how },
    ];
  },
};
