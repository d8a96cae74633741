// A synthetic run directory: every area of the paper, an emulated platform, failures and skips, values from seeded noise.
// Used by test/fixtures/runs/area-example (5 instances) and by bench/report-scale.ts (up to 10^5 samples).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { makePlan } from '../src/experiment/plan.ts';
import { runFiles } from '../src/paths.ts';
import { deriveSeed, seededRandom } from '../src/stats/random.ts';
import type { Environment, Experiment, NetworkMode, PlatformRecord, Sample } from '../src/types.ts';

export interface SyntheticOptions {
  runId: string;
  /** fresh instances per cell */
  instances: number;
  /** iterations inside each instance */
  iterations: number;
  /** fresh instances of the startup cells (a per-workload repetition, as the paper's 300 startups); default 4 × instances */
  startupInstances?: number;
  seed?: number;
  /** the run's start (ISO 8601); every timestamp follows from it */
  startedAt?: string;
}

interface MetricModel { name: string; unit: string; better: 'higher' | 'lower'; native: number; kind: 'bw' | 'iops' | 'lat' | 'tail' | 'count' | 'plain' | 'flag' }

/** what each workload reports, with native's typical value on a small nested-virtualised x86 host */
const WORKLOADS: { id: string; jobs: { name: string; params: Record<string, unknown> }[]; params: Record<string, unknown>; seconds: number; metrics: MetricModel[] }[] = [
  { id: 'sysbench-cpu', params: { maxPrime: 20000, threads: 1, time: 10 }, jobs: [{ name: 'default', params: {} }], seconds: 10, metrics: [{ name: 'events_per_s', unit: 'events/s', better: 'higher', native: 1650, kind: 'plain' }] },
  {
    id: 'stream', params: { elements: 10000000, ntimes: 10 }, jobs: [{ name: 'default', params: {} }], seconds: 12,
    metrics: [['copy', 11000], ['scale', 10800], ['add', 12000], ['triad', 12100]].map(([k, v]) => ({ name: `${k}_mbps`, unit: 'MB/s', better: 'higher' as const, native: v as number, kind: 'bw' as const })),
  },
  {
    id: 'sysbench-memory', params: { accessMode: 'rnd', blockSize: '1K', totalSize: '100G', time: 10, threads: 1 }, jobs: [{ name: 'default', params: {} }], seconds: 10,
    metrics: [{ name: 'throughput', unit: 'MiB/s', better: 'higher', native: 2450, kind: 'bw' }],
  },
  {
    id: 'fio', params: { size: '256m', rampTime: 2, runtime: 10, ioengine: 'libaio', direct: true, jobs: ['write', 'read', 'randwrite', 'randread'] }, jobs: [{ name: 'default', params: {} }], seconds: 48,
    metrics: ([['write', 900, 7200, 17700], ['read', 1500, 12000, 10600], ['randwrite', 35, 8950, 105], ['randread', 45, 11500, 82]] as const).flatMap(([job, bw, iops, lat]) => [
      { name: `${job}_bw_mbps`, unit: 'MB/s', better: 'higher' as const, native: bw, kind: 'bw' as const },
      { name: `${job}_iops`, unit: 'IOPS', better: 'higher' as const, native: iops, kind: 'iops' as const },
      { name: `${job}_clat_mean_us`, unit: 'µs', better: 'lower' as const, native: lat, kind: 'lat' as const },
      { name: `${job}_clat_p50_us`, unit: 'µs', better: 'lower' as const, native: lat * 0.95, kind: 'lat' as const },
      { name: `${job}_clat_p99_us`, unit: 'µs', better: 'lower' as const, native: lat * 1.9, kind: 'tail' as const },
    ]),
  },
  {
    id: 'iperf3', params: { time: 5, port: 5201, serverWait: 30 }, jobs: [{ name: 'default', params: {} }], seconds: 6,
    metrics: [
      { name: 'throughput_gbps', unit: 'Gbit/s', better: 'higher', native: 38, kind: 'bw' },
      { name: 'retransmits', unit: 'segments', better: 'lower', native: 2, kind: 'count' },
    ],
  },
  {
    id: 'latency-rr', params: { durationS: 5, msgSize: 100, port: 11111, serverWaitS: 20 }, jobs: [{ name: 'tcp', params: { protocol: 'tcp' } }, { name: 'udp', params: { protocol: 'udp' } }], seconds: 6,
    metrics: [
      { name: 'p50_us', unit: 'µs', better: 'lower', native: 18, kind: 'lat' },
      { name: 'p90_us', unit: 'µs', better: 'lower', native: 22, kind: 'lat' },
      { name: 'p99_us', unit: 'µs', better: 'lower', native: 35, kind: 'tail' },
    ],
  },
  {
    id: 'startup', params: { marker: 'isobench-ready', timeoutS: 120 }, jobs: [{ name: 'default', params: {} }], seconds: 1,
    metrics: [
      { name: 'first_output_ms', unit: 'ms', better: 'lower', native: 2.5, kind: 'plain' },
      { name: 'exit_ms', unit: 'ms', better: 'lower', native: 3.1, kind: 'plain' },
    ],
  },
  {
    id: 'hap', params: { method: 'auto', durationS: 10, attachS: 3, perfFrequencyHz: 999, ftraceBufferKb: 131072, sysbenchThreads: 1, fileMiB: 16 }, jobs: [{ name: 'default', params: {} }], seconds: 15,
    metrics: [
      { name: 'functions', unit: 'functions', better: 'lower', native: 950, kind: 'plain' },
      { name: 'method_exact', unit: 'flag', better: 'higher', native: 0, kind: 'flag' },
    ],
  },
];

/** Each platform relative to native: a factor per workload/metric kind, and its noise (coefficient of variation across instances). */
interface PlatformModel {
  id: string;
  network: NetworkMode;
  factor: (workload: string, job: string, m: MetricModel) => number;
  cv: (workload: string) => number;
  /** a workload this platform cannot run here: every instance gives this status and error */
  broken?: (workload: string) => { status: 'failed' | 'timeout' | 'skipped'; error: string } | null;
}

const lowerIsWorse = (m: MetricModel, slowdown: number) => (m.better === 'higher' ? 1 / slowdown : slowdown);

const PLATFORMS: PlatformModel[] = [
  { id: 'native', network: 'host', factor: () => 1, cv: (w) => (w === 'startup' ? 0.08 : w === 'fio' ? 0.03 : w === 'hap' ? 0.05 : 0.012) },
  {
    id: 'runc', network: 'none',
    factor: (w, _j, m) => (w === 'startup' ? (m.name === 'first_output_ms' ? 24 : 24.5) : w === 'hap' ? 1.47 : lowerIsWorse(m, 1.003)),
    cv: (w) => (w === 'startup' ? 0.08 : w === 'fio' ? 0.03 : w === 'hap' ? 0.05 : 0.012),
    broken: (w) => (w === 'iperf3' || w === 'latency-rr' ? { status: 'skipped', error: "network 'none': no path from the host to a server in the instance; run runc with a network for this workload" } : null),
  },
  {
    id: 'docker-runc', network: 'bridge',
    factor: (w, _j, m) => (w === 'startup' ? (m.name === 'first_output_ms' ? 124 : 135) : w === 'hap' ? 1.74 : w === 'iperf3' ? (m.kind === 'count' ? 2 : 0.9) : w === 'latency-rr' ? 1.3 : lowerIsWorse(m, 1.008)),
    cv: (w) => (w === 'startup' ? 0.1 : w === 'fio' ? 0.03 : w === 'hap' ? 0.05 : 0.012),
  },
  {
    id: 'gvisor-ptrace', network: 'host',
    factor: (w, _j, m) => {
      if (w === 'fio') return m.kind === 'bw' ? 0.42 : m.kind === 'iops' ? 0.35 : 2.6;
      if (w === 'latency-rr') return m.name === 'p50_us' ? 1.4 : m.name === 'p90_us' ? 1.6 : 2.2;
      if (w === 'iperf3') return m.kind === 'count' ? 3 : 0.55;
      if (w === 'startup') return m.name === 'first_output_ms' ? 72 : 75;
      if (w === 'hap') return 3.05;
      return lowerIsWorse(m, 1.015);
    },
    cv: (w) => (w === 'startup' ? 0.1 : w === 'fio' ? 0.04 : w === 'hap' ? 0.05 : 0.015),
  },
  { id: 'gvisor-kvm', network: 'host', factor: () => 1, cv: () => 0.01, broken: () => ({ status: 'skipped', error: 'runsc --platform=kvm: the probe sandbox did not start within 30 s on this host\'s nested KVM; use gvisor-ptrace here' }) },
  {
    id: 'kata-9p', network: 'tap',
    factor: (w, _j, m) => {
      if (w === 'fio') return m.kind === 'bw' ? 0.38 : m.kind === 'iops' ? 0.3 : 3.1;
      if (w === 'stream' || w === 'sysbench-memory') return 0.965;
      if (w === 'iperf3') return m.kind === 'count' ? 4 : 0.72;
      if (w === 'latency-rr') return 2.0;
      if (w === 'startup') return m.name === 'first_output_ms' ? 260 : 290;
      if (w === 'hap') return 3.45;
      return lowerIsWorse(m, 1.01);
    },
    cv: (w) => (w === 'startup' ? 0.07 : w === 'fio' ? 0.04 : w === 'stream' || w === 'sysbench-memory' ? 0.03 : w === 'hap' ? 0.05 : 0.015),
  },
  {
    id: 'kata-virtiofs', network: 'tap',
    factor: (w, _j, m) => {
      if (w === 'fio') return m.kind === 'bw' ? 0.85 : m.kind === 'iops' ? 0.8 : 1.3;
      if (w === 'stream' || w === 'sysbench-memory') return 0.975;
      if (w === 'iperf3') return m.kind === 'count' ? 4 : 0.73;
      if (w === 'latency-rr') return 2.0;
      if (w === 'startup') return m.name === 'first_output_ms' ? 256 : 287;
      // below docker-runc's on purpose: the fixture needs a claim that is clearly not reproduced (hap-secure)
      if (w === 'hap') return 1.2;
      return lowerIsWorse(m, 1.01);
    },
    cv: (w) => (w === 'startup' ? 0.07 : w === 'fio' ? 0.04 : w === 'stream' || w === 'sysbench-memory' ? 0.03 : w === 'hap' ? 0.05 : 0.015),
  },
  {
    id: 'qemu-tcg', network: 'user',
    factor: (w, _j, m) => {
      if (w === 'sysbench-cpu') return 0.27;
      if (w === 'stream' || w === 'sysbench-memory') return 0.35;
      if (w === 'iperf3') return m.kind === 'count' ? 10 : 0.08;
      if (w === 'latency-rr') return 9;
      if (w === 'startup') return m.name === 'first_output_ms' ? 1040 : 1000;
      if (w === 'hap') return 2.2;
      return 1;
    },
    cv: (w) => (w === 'startup' ? 0.05 : 0.02),
    broken: (w) => (w === 'fio' ? { status: 'timeout', error: 'cell timeout after 900 s: fio was still running in the emulated guest (last console line: "Jobs: 1 (f=1): [W(1)]")' } : null),
  },
];

const SHA_OF_ROOTFS = '5e1f0c2a9b7d';

function commandsFor(platform: string, workload: string, job: string, name: string, address: string): string[][] {
  const tool: Record<string, string[]> = {
    'sysbench-cpu': ['sysbench', 'cpu', '--cpu-max-prime=20000', '--threads=1', '--time=10', 'run'],
    stream: ['/opt/isobench/stream', '10000000', '10'],
    'sysbench-memory': ['sysbench', 'memory', '--memory-access-mode=rnd', '--memory-block-size=1K', '--memory-total-size=100G', '--threads=1', '--time=10', 'run'],
    fio: ['fio', '--output-format=json', '--directory=/data', '--ioengine=libaio', '--direct=1', '--size=256m', '--runtime=10', '--time_based', '--ramp_time=2',
      '--name=write', '--rw=write', '--bs=128k', '--iodepth=128', '--stonewall', '--name=read', '--rw=read', '--bs=128k', '--iodepth=128', '--stonewall',
      '--name=randwrite', '--rw=randwrite', '--bs=4k', '--iodepth=1', '--stonewall', '--name=randread', '--rw=randread', '--bs=4k', '--iodepth=1', '--stonewall'],
    iperf3: ['iperf3', '--client', address, '--time=5', '--json'],
    'latency-rr': ['sockperf', 'ping-pong', ...(job === 'tcp' ? ['--tcp'] : []), '-i', address, '-p', '11111', '-t', '5', '--msg-size', '100', '--full-rtt'],
    hap: ['perf', 'record', '-g', '-e', 'cpu-clock', '-F', '999', '--all-kernel', '-o', '/tmp/isobench-hap.data', '--', 'sleep', '10'],
  };
  if (workload === 'startup') {
    const start: Record<string, string[]> = {
      native: ['/bin/echo', 'isobench-ready'],
      runc: ['runc', 'run', '--bundle', `data/cache/images/bundle-${SHA_OF_ROOTFS}`, name],
      'docker-runc': ['docker', 'run', '--rm', '--network=bridge', `isobench-rootfs:${SHA_OF_ROOTFS}`, '/bin/echo', 'isobench-ready'],
      'gvisor-ptrace': ['runsc', '--platform=ptrace', '--network=host', 'run', '--bundle', `data/cache/images/bundle-${SHA_OF_ROOTFS}`, name],
      'kata-9p': ['docker', 'run', '--rm', '--runtime=io.containerd.kata-9p.v2', `isobench-rootfs:${SHA_OF_ROOTFS}`, '/bin/echo', 'isobench-ready'],
      'kata-virtiofs': ['docker', 'run', '--rm', '--runtime=io.containerd.kata-virtiofs.v2', `isobench-rootfs:${SHA_OF_ROOTFS}`, '/bin/echo', 'isobench-ready'],
      'qemu-tcg': qemuArgv('/bin/echo isobench-ready'),
    };
    return [start[platform] ?? ['true']];
  }
  const inner = tool[workload];
  // iperf3 and sockperf clients run on the host against a server in the instance
  if (workload === 'iperf3' || workload === 'latency-rr') {
    const server = workload === 'iperf3' ? ['iperf3', '--server', '--one-off'] : ['sockperf', 'server', ...(job === 'tcp' ? ['--tcp'] : []), '-p', '11111'];
    return [wrap(platform, name, server), inner];
  }
  if (workload === 'hap') return [wrap(platform, name, ['sysbench', 'cpu', '--time=10', 'run']), inner];
  return [wrap(platform, name, inner)];
}

function qemuArgv(cmd: string): string[] {
  return ['qemu-system-x86_64', '-M', 'pc', '-accel', 'tcg', '-smp', '2', '-m', '2048', '-nographic', '-no-reboot',
    '-kernel', 'data/cache/kernels/6.1.0-27-cloud-amd64/vmlinuz', '-initrd', `data/cache/images/initramfs-${SHA_OF_ROOTFS}.cpio`,
    '-append', `console=ttyS0 quiet panic=-1 isobench.cmd=${Buffer.from(cmd).toString('base64')}`];
}

function wrap(platform: string, name: string, argv: string[]): string[] {
  switch (platform) {
    case 'native': return ['taskset', '-c', '0-1', ...argv];
    case 'runc': return ['runc', 'exec', name, ...argv];
    case 'docker-runc':
    case 'kata-9p':
    case 'kata-virtiofs': return ['docker', 'exec', name, ...argv];
    case 'gvisor-ptrace': return ['runsc', '--platform=ptrace', '--network=host', 'exec', name, ...argv];
    case 'qemu-tcg': return qemuArgv(argv.join(' '));
    default: return argv;
  }
}

function experimentYaml(instances: number, iterations: number, seed: number, startupInstances: number): string {
  const workloads = WORKLOADS.map((w) => {
    const params = Object.entries(w.params).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`).join('\n');
    const jobs = w.jobs.length > 1 || w.jobs[0].name !== 'default'
      ? `\n    jobs:\n${w.jobs.map((j) => `      - name: ${j.name}\n        params: { ${Object.entries(j.params).map(([k, v]) => `${k}: ${v}`).join(', ')} }`).join('\n')}`
      : '';
    const repetitions = w.id === 'startup' ? `\n    repetitions:\n      instances: ${startupInstances}` : '';
    return `  - id: ${w.id}\n    params:\n${params}${jobs}${repetitions}`;
  }).join('\n');
  return `# Synthetic: every area of the paper on containers, gVisor, Kata and QEMU under software emulation.
# Written by bench/synthetic-run.ts; the values are seeded noise around typical levels, not measurements.
name: area-example
description: Every area of the paper on containers, gVisor, Kata and emulated QEMU (synthetic values for tests and benchmarks)
seed: ${seed}
repetitions:
  instances: ${instances}
  iterations: ${iterations}
resources:
  cpus: 2
  memory: 2048
timeouts:
  start: 120
  cell: 900
platforms:
${PLATFORMS.map((p) => `  - ${p.id}`).join('\n')}
workloads:
${workloads}
`;
}

/** Writes experiment.yaml, plan.json, environment.json and samples.jsonl (no analysis.json: run the analyze stage for that). */
export function writeSyntheticRun(dir: string, opts: SyntheticOptions): { samples: number } {
  const seed = opts.seed ?? 7;
  const text = experimentYaml(opts.instances, opts.iterations, seed, opts.startupInstances ?? 4 * opts.instances);
  const doc = parseYaml(text) as Record<string, any>;
  const exp: Experiment = {
    name: doc.name,
    description: doc.description,
    seed: doc.seed,
    repetitions: { instances: doc.repetitions.instances, iterations: doc.repetitions.iterations },
    resources: { cpus: doc.resources.cpus, memoryMiB: doc.resources.memory },
    timeouts: { startS: doc.timeouts.start, cellS: doc.timeouts.cell },
    platforms: PLATFORMS.map((p) => ({ id: p.id, options: {} })),
    workloads: (doc.workloads as any[]).map((w) => ({
      id: w.id, params: w.params, jobs: (w.jobs ?? [{ name: 'default' }]).map((j: any) => ({ name: j.name, params: j.params ?? {} })), sweep: {},
      ...(w.repetitions ? { repetitions: w.repetitions } : {}),
    })),
  };
  const plan = makePlan(exp, 'area-example.yaml');
  const sha256 = createHash('sha256').update(text).digest('hex');
  const files = runFiles(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(files.experiment, text);
  writeFileSync(files.plan, `${JSON.stringify(plan, null, 2)}\n`);

  // Seeded normal-ish noise (sum of uniforms): the same options give the same bytes.
  const random = seededRandom(deriveSeed(seed, `synthetic-${opts.runId}`));
  const normal = () => {
    let s = 0;
    for (let i = 0; i < 6; i++) s += random.index(1_000_000) / 1_000_000;
    return (s - 3) / Math.sqrt(0.5);
  };
  let clock = Date.parse(opts.startedAt ?? '2026-11-20T09:00:00Z');
  const iso = (ms: number) => new Date(ms).toISOString();
  const lines: string[] = [];
  const models = new Map(PLATFORMS.map((p) => [p.id, p]));
  const cells = new Map(plan.cells.map((c) => [c.id, c]));
  for (const { cell: cellId, instance } of plan.order) {
    const cell = cells.get(cellId)!;
    const model = models.get(cell.platform)!;
    const workload = WORKLOADS.find((w) => w.id === cell.workload)!;
    const name = `isobench-${cellId}-${instance}`;
    const log = `logs/${cellId}/instance-${instance}.log`;
    const base = { schema: 1 as const, run: opts.runId, cell: cellId, platform: cell.platform, workload: cell.workload, job: cell.job, params: cell.params, instance };
    const broken = model.broken?.(cell.workload) ?? null;
    if (broken) {
      const ms = broken.status === 'timeout' ? 900_000 : broken.status === 'failed' ? 4_000 : 0;
      for (let it = 0; it < (cell.iterations ?? opts.iterations); it++) {
        const sample: Sample = { ...base, iteration: it, metric: null, value: null, unit: null, better: null, status: broken.status, error: broken.error, ...(broken.status === 'skipped' ? {} : { log }), startedAt: iso(clock), endedAt: iso(clock + ms) };
        lines.push(JSON.stringify(sample));
        if (broken.status === 'timeout') break; // a timed-out instance measures nothing more
      }
      clock += ms + 500;
      continue;
    }
    const commands = commandsFor(cell.platform, cell.workload, cell.job, name, model.network === 'host' ? '127.0.0.1' : '10.88.0.2');
    // an instance's level: shared by its iterations (instances vary more than iterations)
    const instanceNoise = new Map(workload.metrics.map((m) => [m.name, normal()]));
    // startup of docker-runc: the daemon now and then takes much longer (a spread worth seeing)
    const hiccup = cell.workload === 'startup' && cell.platform === 'docker-runc' && instance % 7 === 3 ? 1.6 : 1;
    for (let it = 0; it < (cell.iterations ?? opts.iterations); it++) {
      const seconds = cell.workload === 'startup' ? 0 : workload.seconds;
      for (const m of workload.metrics) {
        const level = m.native * model.factor(cell.workload, cell.job, m) * (m.kind === 'count' ? 1 : hiccup);
        const cv = model.cv(cell.workload);
        let value = level * (1 + cv * instanceNoise.get(m.name)! + cv * 0.3 * normal());
        if (m.kind === 'count') value = Math.max(0, Math.round(value + normal()));
        else if (m.kind === 'flag') value = 0; // the sampled method, as on a kernel in lockdown
        else value = Number(value.toPrecision(6));
        const ms = cell.workload === 'startup' ? Math.round(value) + 1 : seconds * 1000;
        const note = cell.workload === 'hap' ? `sampled approximation: perf cpu-clock 999 Hz for 10 s, call chains, on ${3 + (instance % 3)} host pids and their children; ftrace function tracer refused: kernel lockdown` : undefined;
        const sample: Sample = { ...base, iteration: it, metric: m.name, value, unit: m.unit, better: m.better, status: 'ok', ...(note ? { note } : {}), network: model.network, commands, log, startedAt: iso(clock), endedAt: iso(clock + ms) };
        lines.push(JSON.stringify(sample));
      }
      clock += (cell.workload === 'startup' ? 50 : workload.seconds * 1000) + 20;
    }
    clock += 1500; // start and stop of the instance
  }
  writeFileSync(files.samples, `${lines.join('\n')}\n`);
  writeFileSync(files.environment, `${JSON.stringify(environment(opts.runId, opts.startedAt ?? '2026-11-20T09:00:00Z', iso(clock), sha256), null, 2)}\n`);
  return { samples: lines.length };
}

function environment(run: string, startedAt: string, endedAt: string, sha256: string): Environment {
  const kata = (sharedFs: string): Record<string, string> => ({
    hypervisor: '/usr/bin/qemu-system-x86_64 (QEMU emulator version 7.2.15)',
    sharedFs,
    config: 'generated from /opt/kata/share/defaults/kata-containers/configuration-qemu.toml',
  });
  const platforms: PlatformRecord[] = [
    { id: 'native', family: 'native', description: 'the host itself, pinned with taskset (the baseline)', available: true, version: 'Linux 6.1.0-27-amd64', requested: true },
    { id: 'runc', family: 'container', description: 'runc (OCI runtime) called directly on an OCI bundle', available: true, version: 'runc version 1.1.5+ds1', requested: true },
    { id: 'docker-runc', family: 'container', description: 'Docker with its default runtime, runc', available: true, version: '20.10.24+dfsg1', details: { daemon: 'started by isobench (prepare) and stopped at the end', defaultRuntime: 'runc' }, requested: true },
    { id: 'gvisor-ptrace', family: 'secure-container', description: 'gVisor runsc with the ptrace platform', available: true, version: 'runsc version 0.0~20221219.0 (platform ptrace)', details: { platform: 'ptrace', offered: 'ptrace, kvm' }, requested: true },
    { id: 'gvisor-kvm', family: 'secure-container', description: 'gVisor runsc with the KVM platform', available: false, version: 'runsc version 0.0~20221219.0', reason: 'runsc --platform=kvm: the probe sandbox did not start within 30 s on this host\'s nested KVM; use gvisor-ptrace here', details: { platform: 'kvm', offered: 'ptrace, kvm' }, requested: true },
    { id: 'kata-9p', family: 'secure-container', description: 'Kata Containers on QEMU, files shared over virtio-9p (the paper\'s Kata)', available: true, version: 'kata-runtime 3.2.0', details: kata('virtio-9p'), requested: true },
    { id: 'kata-virtiofs', family: 'secure-container', description: 'Kata Containers on QEMU, files shared over virtio-fs', available: true, version: 'kata-runtime 3.2.0', details: kata('virtio-fs'), requested: true },
    { id: 'qemu-tcg', family: 'hypervisor', description: 'QEMU with TCG software emulation, Debian cloud kernel, initramfs rootfs', available: true, version: 'QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u18)', emulated: true, details: { vmm: 'qemu-system-x86_64', accelerator: 'tcg (software emulation)', machine: 'pc', kernel: 'Debian linux-image-6.1.0-27-cloud-amd64' }, requested: true },
    { id: 'crun', family: 'container', description: 'crun (OCI runtime) called directly on an OCI bundle', available: true, version: 'crun version 1.8.1', requested: false },
    { id: 'firecracker', family: 'hypervisor', description: 'Firecracker microVM', available: false, reason: 'firecracker not found on PATH (not packaged in Debian); see docs for a release binary', requested: false },
  ];
  return {
    schema: 1,
    run,
    startedAt,
    endedAt,
    host: { hostname: 'isobench-nested', cpuModel: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz', cores: 4, memoryMiB: 15990, kernel: '6.1.0-27-amd64', distribution: 'Debian GNU/Linux 12 (bookworm)', arch: 'x64', virtualization: 'kvm' },
    noise: { smt: 'notsupported', swapMiB: 0, loadavg: [0.12, 0.3, 0.25] },
    tools: {
      sysbench: 'sysbench 1.0.20', fio: 'fio-3.33', iperf3: 'iperf 3.12', sockperf: 'sockperf 3.10', perf: 'perf version 6.1.123', stream: 'STREAM 5.10 kernels compiled by isobench (gcc -O2)',
      taskset: 'taskset from util-linux 2.38.1', runc: 'runc version 1.1.5+ds1', docker: 'Docker version 20.10.24+dfsg1', runsc: 'runsc version 0.0~20221219.0', 'kata-runtime': 'kata-runtime 3.2.0', qemu: 'QEMU emulator version 7.2.15',
    },
    platforms,
    hostChanges: [{ what: 'created bridge isobr0 and TAP devices for the Kata and QEMU guests', by: 'kata-9p', undone: true }],
    isobench: { version: '0.1.0', commit: '3f9c2d41a7b85e06c1d2f4a9b0e7c3d5f6a8b9c0', dirty: false },
    experiment: { file: 'experiments/area-example.yaml', sha256 },
    node: 'v20.20.2',
  };
}
