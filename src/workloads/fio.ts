// fio: the paper's four stonewalled disk jobs (sequential 128k at depth 128, random 4k at depth 1), direct I/O, JSON output.
import path from 'node:path';
import type { Instance, Metric, MetricSpec, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { execOrThrow } from './exec.ts';

export type FioJobName = 'write' | 'read' | 'randwrite' | 'randread';

interface FioJobShape {
  rw: FioJobName;
  bs: string;
  iodepth: number;
}

/** the paper's jobs, in the paper's order (authors' scripts, fio/docker/test.fio) */
export const FIO_JOBS: Record<FioJobName, FioJobShape> = {
  write: { rw: 'write', bs: '128k', iodepth: 128 },
  read: { rw: 'read', bs: '128k', iodepth: 128 },
  randwrite: { rw: 'randwrite', bs: '4k', iodepth: 1 },
  randread: { rw: 'randread', bs: '4k', iodepth: 1 },
};
const JOB_ORDER = Object.keys(FIO_JOBS) as FioJobName[];

/** the test file's name inside the platform's data directory */
export const FIO_TEST_FILE = 'isobench-fio.testfile';

/** file systems where a disk benchmark would measure memory (tmpfs accepts O_DIRECT since Linux 6.6, so fio no longer refuses) */
const MEMORY_FILESYSTEMS = new Set(['tmpfs', 'ramfs']);

/**
 * Where the test file lives: 'data', the instance's data mount on real disk (under gVisor the Gofer serves it, as the
 * paper measured); 'memory', an in-memory file system inside the instance (under gVisor the sandbox's own tmpfs), the
 * contrast that takes the disk and the file path out.
 */
export type FioFileSystem = 'data' | 'memory';

export interface FioParams {
  jobs: FioJobName[];
  fileSystem: FioFileSystem;
  size: string; // fio size syntax, base 2: 8M, 16g
  rampTime: number; // seconds per job, not measured
  runtime: number; // seconds measured per job
  ioengine: 'libaio' | 'io_uring' | 'psync';
  direct: boolean;
}

export function fioArgv(p: Omit<FioParams, 'fileSystem'>, filename: string): string[] {
  const global = [
    '--output-format=json',
    `--ioengine=${p.ioengine}`,
    `--direct=${p.direct ? 1 : 0}`,
    `--size=${p.size}`,
    '--time_based=1',
    `--ramp_time=${p.rampTime}`,
    `--runtime=${p.runtime}`,
    `--filename=${filename}`,
    '--thread', // as the paper's job file: one process, jobs as threads
    '--fallocate=none', // as the paper's job file: the file is laid out by writing it
  ];
  const jobs = orderedJobs(p.jobs).flatMap((name) => {
    const j = FIO_JOBS[name];
    return [`--name=${name}`, '--stonewall', `--rw=${j.rw}`, `--bs=${j.bs}`, `--iodepth=${j.iodepth}`, '--numjobs=1'];
  });
  return ['fio', ...global, ...jobs];
}

/** argv that prints the type of the file system holding dir (coreutils or busybox stat) */
export function fsTypeArgv(dir: string): string[] {
  return ['stat', '-f', '-c', '%T', dir];
}

function orderedJobs(jobs: FioJobName[]): FioJobName[] {
  return JOB_ORDER.filter((j) => jobs.includes(j));
}

export function fioMetricNames(job: FioJobName): MetricSpec[] {
  return [
    { name: `${job}_bw_mbps`, unit: 'MB/s', better: 'higher', description: `${job}: bandwidth (10^6 bytes/s)` },
    { name: `${job}_iops`, unit: 'IOPS', better: 'higher', description: `${job}: I/O operations per second` },
    { name: `${job}_clat_mean_us`, unit: 'µs', better: 'lower', description: `${job}: mean completion latency` },
    { name: `${job}_clat_p50_us`, unit: 'µs', better: 'lower', description: `${job}: median completion latency` },
    { name: `${job}_clat_p99_us`, unit: 'µs', better: 'lower', description: `${job}: 99th percentile completion latency` },
  ];
}

/**
 * Metrics of every expected job from fio's JSON; throws on anything that is not a complete, error-free result.
 * fio prints job errors and warnings on stdout before the JSON, so parsing starts at the first line that opens it.
 */
export function parseFio(stdout: string, jobs: FioJobName[]): Metric[] {
  const doc = fioJson(stdout);
  const list = doc.jobs;
  if (!Array.isArray(list)) throw new WorkloadError('fio JSON has no "jobs" array', stdout);
  const out: Metric[] = [];
  for (const name of orderedJobs(jobs)) {
    const matches = list.filter((j) => isRecord(j) && j.jobname === name);
    if (matches.length !== 1) throw new WorkloadError(`fio JSON has ${matches.length} jobs named '${name}' (expected 1)`, stdout);
    const job = matches[0] as Record<string, unknown>;
    if (job.error !== 0) throw new WorkloadError(`fio job '${name}' ended with error ${String(job.error)}${fioErrorLines(stdout)}`, stdout);
    const dir = FIO_JOBS[name].rw.endsWith('read') ? 'read' : 'write';
    const d = job[dir];
    if (!isRecord(d)) throw new WorkloadError(`fio job '${name}' has no "${dir}" section`, stdout);
    const ios = num(d.total_ios, `${name}.${dir}.total_ios`, stdout);
    if (ios <= 0) throw new WorkloadError(`fio job '${name}' completed no ${dir} I/O`, stdout);
    const clat = d.clat_ns;
    if (!isRecord(clat)) throw new WorkloadError(`fio job '${name}' has no ${dir}.clat_ns`, stdout);
    const pct = clat.percentile;
    if (!isRecord(pct)) throw new WorkloadError(`fio job '${name}' has no ${dir}.clat_ns.percentile (completion latency percentiles)`, stdout);
    const [bw, iops, mean, p50, p99] = fioMetricNames(name);
    out.push(
      { ...metric(bw), value: positive(d.bw_bytes, `${name}.${dir}.bw_bytes`, stdout) / 1e6 },
      { ...metric(iops), value: positive(d.iops, `${name}.${dir}.iops`, stdout) },
      { ...metric(mean), value: positive(clat.mean, `${name}.${dir}.clat_ns.mean`, stdout) / 1000 },
      { ...metric(p50), value: positive(pct['50.000000'], `${name}.${dir}.clat_ns.percentile["50.000000"]`, stdout) / 1000 },
      { ...metric(p99), value: positive(pct['99.000000'], `${name}.${dir}.clat_ns.percentile["99.000000"]`, stdout) / 1000 },
    );
  }
  return out;
}

function fioJson(stdout: string): Record<string, unknown> {
  const start = /^\{/m.exec(stdout);
  if (!start) throw new WorkloadError(`fio printed no JSON${fioErrorLines(stdout)}`, stdout);
  let doc: unknown;
  try {
    doc = JSON.parse(stdout.slice(start.index));
  } catch (e) {
    throw new WorkloadError(`fio JSON is incomplete or malformed (${(e as Error).message})`, stdout);
  }
  if (!isRecord(doc)) throw new WorkloadError('fio JSON is not an object', stdout);
  return doc;
}

/** fio's own error lines (before the JSON), for the failure message */
function fioErrorLines(stdout: string): string {
  const lines = stdout.split('\n').filter((l) => l.startsWith('fio: ')).slice(0, 3);
  return lines.length ? `: ${lines.join(' | ')}` : '';
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const metric = (s: MetricSpec) => ({ name: s.name, unit: s.unit, better: s.better });

function num(x: unknown, field: string, stdout: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new WorkloadError(`fio JSON: ${field} is ${JSON.stringify(x)}, not a number`, stdout);
  return x;
}

function positive(x: unknown, field: string, stdout: string): number {
  const v = num(x, field, stdout);
  if (v <= 0) throw new WorkloadError(`fio JSON: ${field} is ${v}`, stdout);
  return v;
}

/** bytes of a fio size (k/m/g/t are powers of 1024, fio's default) */
export function fioSizeBytes(size: string): number {
  const m = /^([0-9]+)([kmgt]?)$/i.exec(size);
  if (!m) throw new Error(`fio size '${size}': expected digits with an optional k/m/g/t suffix`);
  return Number(m[1]) * 1024 ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase());
}

/** generous: every job's ramp and runtime, laying out the file at 20 MB/s, two minutes of slack */
function fioTimeoutMs(p: FioParams): number {
  const jobs = orderedJobs(p.jobs).length;
  return (jobs * (p.rampTime + p.runtime) + fioSizeBytes(p.size) / 20e6 + 120) * 1000;
}

/** The directory of the test file, checked to be on the kind of file system asked for; memory runs buffered and says so. */
async function fioTarget(instance: Instance, fileSystem: FioFileSystem): Promise<{ dir: string; direct: boolean; note?: string }> {
  const dir = fileSystem === 'memory' ? instance.memoryDir : instance.dataPath;
  if (dir === undefined) {
    throw new WorkloadError(fileSystem === 'memory'
      ? "the platform offers no in-memory directory (instance.memoryDir is undefined): fileSystem 'memory' cannot run here"
      : 'the platform gave no data disk (instance.dataPath is undefined): fio needs a directory on real disk');
  }
  const fsType = (await execOrThrow(instance, fsTypeArgv(dir), { timeoutMs: 30_000 })).stdout.trim();
  if (fileSystem === 'data' && MEMORY_FILESYSTEMS.has(fsType)) {
    throw new WorkloadError(`the data directory ${dir} is on ${fsType}: fio would measure memory, not disk; give the platform a data directory on real disk`);
  }
  if (fileSystem === 'memory' && !MEMORY_FILESYSTEMS.has(fsType)) {
    throw new WorkloadError(`the in-memory directory ${dir} is on ${fsType || 'an unknown file system'}, not tmpfs: fileSystem 'memory' would measure something else`);
  }
  if (fileSystem === 'memory') return { dir, direct: false, note: `fileSystem memory: ${dir} on ${fsType}, buffered I/O (--direct=0: tmpfs has no direct I/O path)` };
  return { dir, direct: true };
}

export const fio: Workload = {
  id: 'fio',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => 4 * (Number(p.rampTime) + Number(p.runtime)) + 2,
  description:
    'fio: sequential write and read (128k, iodepth 128), then random write and read (4k, iodepth 1), stonewalled, ' +
    'one file in the platform data directory on real disk',
  tools: ['fio', 'stat'],
  packages: ['fio', 'coreutils'],
  report: {
    area: 'disk',
    charts: ['ratio'],
    charted: ['write_bw_mbps', 'read_bw_mbps', 'randwrite_iops', 'randread_iops', 'randwrite_clat_mean_us', 'randread_clat_mean_us'],
    // the P50/P99 latencies repeat what the means show: HTML and summary.csv only
    screenOnlyTables: JOB_ORDER.flatMap((job) => [`${job}_clat_p50_us`, `${job}_clat_p99_us`]),
  },
  metrics: JOB_ORDER.flatMap(fioMetricNames),
  claimMeasures: { jobs: ['default'], metrics: JOB_ORDER.flatMap((j) => ['bw_mbps', 'iops', 'clat_mean_us', 'clat_p50_us', 'clat_p99_us'].map((m) => `${j}_${m}`)) },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      jobs: {
        type: 'array',
        items: { enum: JOB_ORDER },
        minItems: 1,
        uniqueItems: true,
        default: JOB_ORDER,
        description: 'which of the four jobs to run (always in the paper order)',
      },
      size: { type: 'string', pattern: '^([0-9]{1,7}[kK]?|[0-9]{1,6}[mM]|[0-9]{1,3}[gG]|1[tT])$', default: '16g', description: 'test file size (fio --size, base 2), written to the run\'s scratch disk; at most 1t (the pattern bounds the digits per unit)' },
      rampTime: { type: 'integer', minimum: 0, maximum: 3600, default: 10, description: 'seconds per job before measuring (--ramp_time)' },
      runtime: { type: 'integer', minimum: 1, maximum: 86400, default: 60, description: 'seconds measured per job (--runtime, time_based)' },
      ioengine: { enum: ['libaio', 'io_uring', 'psync'], default: 'libaio', description: '--ioengine' },
      direct: { type: 'boolean', default: true, description: "O_DIRECT, bypassing the page cache (--direct); fileSystem 'memory' always runs buffered" },
      fileSystem: {
        enum: ['data', 'memory'],
        default: 'data',
        description:
          "'data': the instance's data mount on real disk (gVisor: through the Gofer); 'memory': an in-memory file system inside the " +
          "instance (gVisor: the sandbox's own tmpfs; elsewhere a tmpfs), buffered I/O because tmpfs has no direct I/O path",
      },
    },
  },
  async run(instance: Instance, params: Params, _ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as FioParams;
    const target = await fioTarget(instance, p.fileSystem ?? 'data');
    const filename = path.posix.join(target.dir, FIO_TEST_FILE);
    const run = { ...p, direct: target.direct && p.direct };
    const r = await execOrThrow(instance, fioArgv(run, filename), { timeoutMs: fioTimeoutMs(p) });
    const metrics = parseFio(r.stdout, p.jobs);
    return target.note ? metrics.map((m) => ({ ...m, note: target.note })) : metrics;
  },
};
