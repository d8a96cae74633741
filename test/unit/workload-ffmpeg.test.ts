import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError } from '../../src/types.ts';
import { clipName, encodeArgv, ffmpeg, parseFfmpegEncode, SOURCE_THREADS, sourceClipArgv } from '../../src/workloads/ffmpeg.ts';
import { workloadById } from '../../src/workloads/index.ts';

const isWorkloadError = (e: Error) => e instanceof WorkloadError;

const fixture = (f: string) => readFileSync(path.join(root, 'test', 'fixtures', 'ffmpeg', f), 'utf8');
const clip = { durationS: 30, fps: 30, sourceMbit: 8 };

test('the source clip is 1080p testsrc2 through libx264 with fixed threads and bit-exact flags', () => {
  const argv = sourceClipArgv(clip, '/data/c.part');
  assert.is(argv[0], 'ffmpeg');
  assert.ok(argv.includes('testsrc2=size=1920x1080:rate=30:duration=30'));
  assert.equal(argv.slice(argv.indexOf('-c:v'), argv.indexOf('-c:v') + 2), ['-c:v', 'libx264']);
  assert.equal(argv.slice(argv.indexOf('-threads'), argv.indexOf('-threads') + 2), ['-threads', String(SOURCE_THREADS)]);
  assert.equal(argv.slice(argv.indexOf('-b:v'), argv.indexOf('-b:v') + 2), ['-b:v', '8M']);
  for (const flag of ['+bitexact', '-map_metadata']) assert.ok(argv.includes(flag), flag);
  assert.equal(argv.slice(-3), ['-f', 'mp4', '/data/c.part']);
});

test('the clip name carries every parameter it depends on', () => {
  assert.is(clipName(clip), 'isobench-clip-1920x1080-30s-30fps-8M-h264.mp4');
  assert.is.not(clipName({ ...clip, durationS: 2 }), clipName(clip));
});

test("encode: libx265 with the preset, threads and x265 pools follow the instance's cpus", () => {
  const argv = encodeArgv({ preset: 'slower', threads: 'cpus' }, 16, '/data/in.mp4', '/data/out.mp4');
  assert.equal(argv.slice(0, 6), ['ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-y', '-benchmark']);
  assert.equal(argv.slice(argv.indexOf('-c:v'), argv.indexOf('-c:v') + 6), ['-c:v', 'libx265', '-preset', 'slower', '-x265-params', 'pools=16:log-level=error']);
  assert.equal(argv.filter((a, i) => argv[i - 1] === '-threads'), ['16', '16']);
  assert.equal(encodeArgv({ preset: 'ultrafast', threads: 3 }, 16, 'i', 'o').filter((a, i, all) => all[i - 1] === '-threads'), ['3', '3']);
});

test("parses ffmpeg -benchmark's rtime as the wall time, with the frame count checked", () => {
  const r = parseFfmpegEncode(fixture('encode-1s-ultrafast.stderr'), 30);
  assert.is(r.wallMs, 2631);
  assert.is(r.frames, 30);
  assert.ok(Math.abs(r.cpuMs - 1388) < 1e-6);
});

test('a frame count other than the clip\'s is a failure, never a short time', () => {
  assert.throws(() => parseFfmpegEncode(fixture('encode-1s-ultrafast.stderr'), 90), (e: Error) => e instanceof WorkloadError && /encoded 30 frames, expected 90/.test(e.message));
});

test('an interrupted ffmpeg prints a bench line anyway: refused', () => {
  assert.throws(() => parseFfmpegEncode(fixture('interrupted-sigint.stderr'), 90), (e: Error) => e instanceof WorkloadError && /interrupted \(signal 2\)/.test(e.message));
});

for (const [file, why] of [
  ['killed-sigkill.stderr', /no 'bench: … rtime=' line/],
  ['unknown-encoder.stderr', /Unknown encoder 'libx266'/],
  ['bad-preset.stderr', /Conversion failed!/],
  ['missing-input.stderr', /missing\.mp4: No such file or directory/],
  ['garbage-input.stderr', /Invalid data found when processing input/],
] as const) {
  test(`${file}: a WorkloadError naming ffmpeg's reason`, () => {
    assert.throws(() => parseFfmpegEncode(fixture(file), 30), (e: Error) => e instanceof WorkloadError && why.test(e.message));
  });
}

test('truncated or garbled output is a WorkloadError', () => {
  const ok = fixture('encode-1s-ultrafast.stderr');
  assert.throws(() => parseFfmpegEncode(ok.slice(0, ok.indexOf('bench: utime')), 30), isWorkloadError);
  assert.throws(() => parseFfmpegEncode(ok.replace(/frame=\s*\d+/g, 'frame=?'), 30), isWorkloadError);
  assert.throws(() => parseFfmpegEncode(ok.replace('rtime=2.631s', 'rtime=0.000s'), 30), isWorkloadError);
  assert.throws(() => parseFfmpegEncode('\u0000\u0001binary junk\nbench: utime=', 30), isWorkloadError);
});

test('registered, with the paper\'s sizes as defaults and ffmpeg in the image', () => {
  assert.is(workloadById('ffmpeg'), ffmpeg);
  assert.equal(ffmpeg.tools, ['ffmpeg']);
  const props = (ffmpeg.paramsSchema as { properties: Record<string, { default?: unknown }> }).properties;
  assert.is(props.preset.default, 'slower');
  assert.is(props.threads.default, 'cpus');
  assert.is(props.durationS.default, 30);
  assert.equal(ffmpeg.metrics.map((m) => [m.name, m.better]), [['wall_ms', 'lower']]);
  assert.match(ffmpeg.description, /-benchmark rtime/);
});

test.run();
