import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRootfs } from '../../src/images/rootfs.ts';
import { native } from '../../src/platforms/native.ts';
import { runc } from '../../src/platforms/runc.ts';
import { run, which } from '../../src/proc.ts';
import { testHost } from '../helpers/host-changes.ts';
import type { Instance, InstanceSpec, Metric, Platform, WorkloadContext } from '../../src/types.ts';
import { clipName, ffmpeg, sourceClipArgv } from '../../src/workloads/ffmpeg.ts';
import { hap } from '../../src/workloads/hap.ts';
import { latencyRr } from '../../src/workloads/latency-rr.ts';
import { startup } from '../../src/workloads/startup.ts';
import { useTempData } from '../helpers/temp-data.ts';
import { skip } from '../helpers/skip.ts';

const test = suite('workloads-startup-hap');
const data = useTempData(test, 'isobench-workloads-test');
let seq = 0;
const tracefsMountedBefore = readFileSync('/proc/mounts', 'utf8').includes(' tracefs ');


async function specFor(platform: Platform, tools: string[], options: Record<string, unknown> = {}): Promise<(suffix?: string) => InstanceSpec> {
  const fs = await buildRootfs(tools);
  const dataDir = path.join(data(), 'scratch', `${platform.id}-${seq++}`);
  mkdirSync(dataDir, { recursive: true });
  const base = `isobench-it-wl-${platform.id}-${process.pid}-${seq}`;
  return (suffix = '') => ({
    name: `${base}${suffix}`, cpus: 1, memoryMiB: 512, rootfs: fs.dir, rootfsHash: fs.hash, dataDir, options, logDir: path.join(data(), 'logs'), hostChanges: testHost,
  });
}

/** start, hand the workload an instance and a context like the scheduler's, stop always */
async function withInstance(platform: Platform, spec: (s?: string) => InstanceSpec, use: (i: Instance, ctx: WorkloadContext, logged: string[]) => Promise<void>) {
  await platform.prepare?.(testHost);
  const instance = await platform.start(spec());
  let shots = 0;
  const logged: string[] = [];
  const ctx: WorkloadContext = {
    cpus: 1,
    hostChanges: testHost,
    oneShot: platform.oneShot ? (argv, opts) => platform.oneShot!(spec(`-s${shots++}`), argv, opts) : undefined,
    log: (t) => logged.push(t),
  };
  try {
    await use(instance, ctx, logged);
  } finally {
    await instance.stop();
  }
}

const byName = (metrics: Metric[]) => Object.fromEntries(metrics.map((m) => [m.name, m]));
const available = (p: Platform) => (p.id === 'native' ? true : !!which(p.id));

for (const platform of [native, runc] as Platform[]) {
  test(`startup on ${platform.id}: fresh instances, first output before exit, nothing left behind`, async () => {
    if (!available(platform)) return skip(`${platform.id} not installed (apt-get install ${platform.id})`, [platform.id]);
    const spec = await specFor(platform, ['sysbench']);
    await withInstance(platform, spec, async (instance, ctx) => {
      for (let i = 0; i < 3; i++) {
        const m = byName(await startup.run(instance, { marker: 'isobench-ready', timeoutS: 60 }, ctx));
        assert.ok(m.first_output_ms.value > 0 && m.first_output_ms.value < 30_000, `first output at ${m.first_output_ms.value} ms`);
        assert.ok(m.exit_ms.value >= m.first_output_ms.value, 'exit after first output');
      }
      // a command that does not exist in the instance is a failed start, never a time
      const r = await ctx.oneShot!(['/bin/no-such-command'], { timeoutMs: 30_000 });
      assert.is.not(r.code, 0);
      assert.is(r.firstOutputMs, undefined);
    });
    if (platform.id === 'runc') {
      const left = (await run(['runc', 'list', '-q'], { timeoutMs: 20_000 })).stdout.split('\n').filter((l) => l.startsWith(`isobench-it-wl-runc-${process.pid}`));
      assert.equal(left, [], 'one-shot containers left behind');
      assert.equal(readdirSync(os.tmpdir()).filter((d) => d.startsWith(`isobench-runc-isobench-it-wl-runc-${process.pid}`)), [], 'bundles left behind');
    }
  });

  test(`hap on ${platform.id}: host pids found, kernel functions counted, the method recorded on every metric`, async () => {
    if (!available(platform)) return skip(`${platform.id} not installed`, [platform.id]);
    if (!which('sysbench')) return skip('sysbench not installed (apt-get install sysbench)', ['sysbench']);
    if (!which('perf')) return skip('perf not installed (apt-get install linux-perf)', ['perf']);
    const spec = await specFor(platform, ['sysbench']);
    await withInstance(platform, spec, async (instance, ctx, logged) => {
      const pids = await instance.hostPids!();
      if (platform.id === 'runc') assert.ok(pids.length >= 1, 'the container init is a host process');
      const metrics = byName(await hap.run(instance, {
        method: 'auto', durationS: 1, attachS: 2, perfFrequencyHz: 499, ftraceBufferKb: 8192, sysbenchThreads: 1, fileMiB: 2,
      }, ctx));
      const exact = metrics.method_exact.value === 1;
      assert.ok(metrics.functions.value > 20, `only ${metrics.functions.value} kernel functions`);
      for (const m of Object.values(metrics)) {
        assert.match(m.note ?? '', exact ? /^exact: ftrace function tracer/ : /^sampled approximation: perf cpu-clock 499 Hz for 1 s/);
      }
      if (!exact) assert.match(metrics.functions.note!, /ftrace function tracer refused: .*set_ftrace_pid/);
      const list = logged.join('\n');
      assert.match(list, /--- hap functions\n/);
      const names = list.split('--- hap functions\n')[1].trim().split('\n');
      assert.is(names.length, metrics.functions.value, 'the log holds the whole list');
      assert.ok(names.includes('do_syscall_64') || names.includes('entry_SYSCALL_64_after_hwframe'), 'syscall entry is among the functions');
    });
    const files = readdirSync(spec().dataDir!);
    assert.not.ok(files.includes('isobench-hap.bin'), 'the workload removes its file');
  });
}

test('hap: tracefs mounted for the probe is unmounted by testHost.undo', async () => {
  if (!which('perf')) return skip('perf not installed', ['perf']);
  await testHost.undo();
  assert.is(readFileSync('/proc/mounts', 'utf8').includes(' tracefs '), tracefsMountedBefore);
});

test('ffmpeg on native: a deterministic clip on the data disk, an H.265 encode timed by ffmpeg, the output removed', async () => {
  if (!which('ffmpeg')) return skip('ffmpeg not installed (apt-get install ffmpeg)', ['ffmpeg']);
  const spec = await specFor(native, ['ffmpeg']);
  const dir = spec().dataDir!;
  const params = { durationS: 1, fps: 10, sourceMbit: 2, preset: 'ultrafast', threads: 'cpus', timeoutS: 300 };
  await withInstance(native, spec, async (instance, ctx) => {
    const m = byName(await ffmpeg.run(instance, params, ctx));
    assert.ok(m.wall_ms.value > 0 && m.wall_ms.value < 300_000, `wall ${m.wall_ms.value} ms`);
    assert.ok(existsSync(path.join(dir, clipName(params))), 'the clip stays for the next iteration');
    assert.not.ok(existsSync(path.join(dir, 'isobench-encode-out.mp4')), 'the encode output is removed');
    // the same parameters give the same bytes (a second generation, compared with the first)
    const again = path.join(dir, 'again.mp4');
    assert.is((await instance.exec(sourceClipArgv(params, again), { timeoutMs: 120_000 })).code, 0);
    const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    assert.is(sha(again), sha(path.join(dir, clipName(params))));
  });
});

for (const [platform, options] of [[native, {}], [runc, { network: 'host' }]] as [Platform, Record<string, unknown>][]) {
  test(`latency-rr on ${platform.id}: TCP and UDP percentiles, and the server gone afterwards`, async () => {
    if (!available(platform)) return skip(`${platform.id} not installed`, [platform.id]);
    if (!which('sockperf')) return skip('sockperf not installed (apt-get install sockperf)', ['sockperf']);
    const spec = await specFor(platform, ['sockperf'], options);
    const port = 12000 + (process.pid % 1000) + seq;
    await withInstance(platform, spec, async (instance, ctx) => {
      for (const protocol of ['tcp', 'udp']) {
        const m = byName(await latencyRr.run(instance, { protocol, durationS: 1, msgSize: 100, port, serverWaitS: 20 }, ctx));
        assert.ok(m.p50_us.value > 0 && m.p50_us.value <= m.p90_us.value && m.p90_us.value <= m.p99_us.value, JSON.stringify(m));
        const servers = (await run(['pgrep', '-f', `sockperf server.* -p ${port}`], { timeoutMs: 10_000 })).stdout.trim();
        assert.is(servers, '', `a ${protocol} server is still running`);
      }
    });
  });
}

test.run();
