// STREAM: the four memory-bandwidth kernels, single-threaded, best rate each, as the paper ran STREAM 5.10.
import type { Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { execOrThrow } from './exec.ts';
import { buildStreamKernels, STREAM_KERNELS_BINARY } from './stream/build.ts';

export const STREAM_KERNELS = ['copy', 'scale', 'add', 'triad'] as const;
export type StreamKernel = (typeof STREAM_KERNELS)[number];

export interface StreamParams {
  elements: number; // per array; three arrays of doubles
  ntimes: number; // passes; the first is a warm-up
}

export function streamArgv(p: StreamParams): string[] {
  return [STREAM_KERNELS_BINARY, String(p.elements), String(p.ntimes)];
}

/** best MB/s (10^6 bytes) per kernel; throws on anything that is not a complete, validated result for these params. */
export function parseStream(stdout: string, expect?: StreamParams): Record<StreamKernel, number> {
  const start = /^\{/m.exec(stdout);
  if (!start) throw new WorkloadError('stream-kernels printed no JSON (incomplete run)', stdout);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(stdout.slice(start.index));
  } catch (e) {
    throw new WorkloadError(`stream-kernels JSON is incomplete or malformed (${(e as Error).message})`, stdout);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new WorkloadError('stream-kernels JSON is not an object', stdout);
  if (typeof doc.implementation !== 'string' || !doc.implementation.startsWith('isobench stream-kernels')) {
    throw new WorkloadError(`stream-kernels JSON: unknown implementation ${JSON.stringify(doc.implementation)}`, stdout);
  }
  if (doc.validated !== true) throw new WorkloadError('stream-kernels did not validate its arrays (results not trustworthy)', stdout);
  if (expect && (doc.elements !== expect.elements || doc.ntimes !== expect.ntimes)) {
    throw new WorkloadError(
      `stream-kernels ran ${String(doc.elements)} elements x ${String(doc.ntimes)} passes, asked for ${expect.elements} x ${expect.ntimes}`,
      stdout,
    );
  }
  const kernels = doc.kernels as Record<string, { best_mbps?: unknown } | undefined> | undefined;
  const out = {} as Record<StreamKernel, number>;
  for (const k of STREAM_KERNELS) {
    const v = kernels?.[k]?.best_mbps;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new WorkloadError(`stream-kernels JSON: kernels.${k}.best_mbps is ${JSON.stringify(v)}`, stdout);
    }
    out[k] = v;
  }
  return out;
}

/** generous: ten array sweeps per pass at 0.5 GB/s (emulated platforms), plus two minutes */
function streamTimeoutMs(p: StreamParams): number {
  return (120 + (p.elements * 8 * 10 * (p.ntimes + 1)) / 0.5e9) * 1000;
}

export const stream: Workload = {
  id: 'stream',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => 1 + Number(p.ntimes) * 0.3,
  description:
    "STREAM Copy, Scale, Add, Triad, single-threaded, best of ntimes passes; isobench's own C implementation of the " +
    'four kernels (src/workloads/stream/stream-kernels.c, gcc -O2), not stream.c and not stress-ng (whose stream ' +
    'stressor reports only aggregate read/write rates)',
  tools: [STREAM_KERNELS_BINARY],
  packages: ['gcc', 'libc6-dev'],
  async buildTools(dir: string) {
    await buildStreamKernels(dir);
  },
  report: { area: 'memory', charts: ['ratio'] },
  metrics: STREAM_KERNELS.map((k) => ({ name: `${k}_mbps`, unit: 'MB/s', better: 'higher' as const, description: `${k} kernel: best rate (10^6 bytes/s)` })),
  claimMeasures: { jobs: ['default'], metrics: ['copy_mbps', 'scale_mbps', 'add_mbps', 'triad_mbps'] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      elements: {
        type: 'integer',
        minimum: 1000,
        maximum: 4000000000,
        default: 100000000,
        description: 'elements per array (three arrays of 8-byte doubles, so at most 4e9 elements = 96 GB); STREAM wants each array at least 4x the last-level cache',
      },
      ntimes: { type: 'integer', minimum: 2, maximum: 200, default: 10, description: 'passes over the four kernels; the first is not counted' },
    },
  },
  async run(instance: Instance, params: Params, _ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as StreamParams;
    const r = await execOrThrow(instance, streamArgv(p), { timeoutMs: streamTimeoutMs(p) });
    const rates = parseStream(r.stdout, p);
    return STREAM_KERNELS.map((k) => ({ name: `${k}_mbps`, value: rates[k], unit: 'MB/s', better: 'higher' as const }));
  },
};
