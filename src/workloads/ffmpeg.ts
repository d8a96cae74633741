// ffmpeg: re-encode a 1080p H.264 clip to H.265 (libx265), the paper's application-level CPU benchmark (wall time).
import type { Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { execOrThrow } from './exec.ts';

export const X265_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'] as const;

export interface FfmpegParams {
  /** seconds of source clip (at 8 Mbit/s: 30 s is the paper's 30 MB) */
  durationS: number;
  fps: number;
  /** bitrate of the generated H.264 source clip */
  sourceMbit: number;
  /** x265 preset of the timed encode */
  preset: (typeof X265_PRESETS)[number];
  threads: number | 'cpus';
  /** upper bound for the clip generation and for the encode, each */
  timeoutS: number;
}

/** Fixed so the source clip is the same bytes on every platform (x264's output depends on its thread count). */
export const SOURCE_THREADS = 4;
const WIDTH = 1920;
const HEIGHT = 1080;

/** The clip's file name says everything it depends on, so a clip made with other parameters is never reused. */
export function clipName(p: Pick<FfmpegParams, 'durationS' | 'fps' | 'sourceMbit'>): string {
  return `isobench-clip-${WIDTH}x${HEIGHT}-${p.durationS}s-${p.fps}fps-${p.sourceMbit}M-h264.mp4`;
}

/**
 * A deterministic 1080p H.264 source: lavfi's testsrc2 pattern (moving, colourful, no randomness), libx264 at a fixed
 * bitrate, preset and thread count, bit-exact flags and no metadata — the same bytes wherever it is generated.
 */
export function sourceClipArgv(p: Pick<FfmpegParams, 'durationS' | 'fps' | 'sourceMbit'>, output: string): string[] {
  return [
    'ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${p.fps}:duration=${p.durationS}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', `${p.sourceMbit}M`, '-threads', String(SOURCE_THREADS),
    '-pix_fmt', 'yuv420p', '-an', '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact',
    '-f', 'mp4', output,
  ];
}

/** The timed encode: decode threads and x265's thread pool both follow `threads`; -benchmark makes ffmpeg time itself. */
export function encodeArgv(p: Pick<FfmpegParams, 'preset' | 'threads'>, cpus: number, input: string, output: string): string[] {
  const threads = String(p.threads === 'cpus' ? cpus : p.threads);
  return [
    'ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-y', '-benchmark',
    '-threads', threads, '-i', input,
    '-c:v', 'libx265', '-preset', p.preset, '-x265-params', `pools=${threads}:log-level=error`, '-threads', threads,
    '-an', '-f', 'mp4', output,
  ];
}

export interface FfmpegEncodeResult {
  /** ffmpeg's own real time of the transcode (`bench: … rtime=`), ms */
  wallMs: number;
  /** user + system CPU time, ms */
  cpuMs: number;
  frames: number;
}

/**
 * ffmpeg -benchmark's stderr: the frames of the last progress report and `bench: utime=… stime=… rtime=…`.
 * An interrupted ffmpeg still prints a bench line, so the frame count must match the clip's.
 */
export function parseFfmpegEncode(stderr: string, expectedFrames: number): FfmpegEncodeResult {
  const signal = /received signal (\d+)/.exec(stderr);
  if (signal) throw new WorkloadError(`ffmpeg was interrupted (signal ${signal[1]}): the encode did not finish`, stderr);
  const bench = /^bench: utime=([0-9.]+)s stime=([0-9.]+)s rtime=([0-9.]+)s\s*$/m.exec(stderr);
  if (!bench) {
    const why = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('bench:')).slice(-1)[0];
    throw new WorkloadError(`ffmpeg printed no 'bench: … rtime=' line (the encode did not complete)${why ? `: ${why}` : ''}`, stderr);
  }
  const frameReports = [...stderr.matchAll(/frame=\s*(\d+)/g)];
  if (!frameReports.length) throw new WorkloadError('ffmpeg printed no final "frame=" report', stderr);
  const frames = Number(frameReports[frameReports.length - 1][1]);
  if (frames !== expectedFrames) {
    throw new WorkloadError(`ffmpeg encoded ${frames} frames, expected ${expectedFrames} (truncated input or encode)`, stderr);
  }
  const [utime, stime, rtime] = [bench[1], bench[2], bench[3]].map(Number);
  if (![utime, stime, rtime].every(Number.isFinite) || rtime <= 0) throw new WorkloadError(`ffmpeg reported rtime=${bench[3]}s`, stderr);
  return { wallMs: rtime * 1000, cpuMs: (utime + stime) * 1000, frames };
}

export const ffmpeg: Workload = {
  id: 'ffmpeg',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => Number(p.durationS) + 2,
  description:
    "ffmpeg: re-encode a deterministic 1080p H.264 clip (lavfi testsrc2, libx264) to H.265 with libx265; wall_ms is ffmpeg's own -benchmark rtime of the encode (clip generation and process start are not timed)",
  tools: ['ffmpeg'],
  packages: ['ffmpeg'],
  report: { area: 'cpu', charts: ['ratio'] },
  metrics: [{ name: 'wall_ms', unit: 'ms', better: 'lower', description: "wall time of the H.264 to H.265 encode as ffmpeg -benchmark reports it (rtime)" }],
  claimMeasures: { jobs: ['default'], metrics: ['wall_ms'] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      durationS: { type: 'integer', minimum: 1, maximum: 3600, default: 30, description: 'seconds of source clip (30 s at 8 Mbit/s is about the paper\'s 30 MB)' },
      fps: { type: 'integer', minimum: 1, maximum: 120, default: 30, description: 'frame rate of the source clip' },
      sourceMbit: { type: 'number', exclusiveMinimum: 0, maximum: 100, default: 8, description: 'bitrate of the generated H.264 source (Mbit/s)' },
      preset: { enum: [...X265_PRESETS], default: 'slower', description: "x265 preset of the timed encode (the paper: 'slower')" },
      threads: {
        anyOf: [{ type: 'integer', minimum: 1, maximum: 4096 }, { const: 'cpus' }],
        default: 'cpus',
        description: "-threads and x265 pools, or 'cpus' for the instance's cpu count (the paper: 16 = its vCPUs)",
      },
      timeoutS: { type: 'integer', minimum: 10, maximum: 86400, default: 7200, description: 'upper bound for the clip generation and for the encode, each' },
    },
  },
  async run(instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as FfmpegParams;
    const timeoutMs = p.timeoutS * 1000;
    // on real disk (the bind-mounted data directory) where the platform has one; /tmp is tmpfs in containers
    const dir = instance.dataPath ?? '/tmp';
    const clip = `${dir}/${clipName(p)}`;
    if ((await instance.exec(['test', '-s', clip], { timeoutMs: 30_000 })).code !== 0) {
      const part = `${clip}.part`;
      await execOrThrow(instance, sourceClipArgv(p, part), { timeoutMs });
      await execOrThrow(instance, ['mv', part, clip], { timeoutMs: 30_000 });
    }
    const output = `${dir}/isobench-encode-out.mp4`;
    try {
      const r = await execOrThrow(instance, encodeArgv(p, ctx.cpus, clip, output), { timeoutMs });
      const { wallMs } = parseFfmpegEncode(r.stderr, p.durationS * p.fps);
      return [{ name: 'wall_ms', value: wallMs, unit: 'ms', better: 'lower' }];
    } finally {
      await instance.exec(['rm', '-f', output], { timeoutMs: 30_000 });
    }
  },
};
