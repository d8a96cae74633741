import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError, type Instance } from '../../src/types.ts';
import { fio, fioArgv, fioSizeBytes, fsTypeArgv, parseFio, type FioJobName } from '../../src/workloads/fio.ts';
import { testHost } from '../helpers/host-changes.ts';

const fixture = (name: string) => readFileSync(path.join(root, 'test', 'fixtures', 'fio', name), 'utf8');
const cuts = (text: string) => [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97].map((f) => Math.floor(text.length * f)).concat([text.length - 3]);
const isWorkloadError = (e: unknown) => e instanceof WorkloadError;
const ALL: FioJobName[] = ['write', 'read', 'randwrite', 'randread'];
const paper = { jobs: ALL, size: '16g', rampTime: 10, runtime: 60, ioengine: 'libaio', direct: true } as const;

test('argv: global options, then the four stonewalled jobs in the paper order', () => {
  assert.equal(fioArgv({ ...paper, jobs: [...ALL] }, '/data/isobench-fio.testfile'), [
    'fio', '--output-format=json', '--ioengine=libaio', '--direct=1', '--size=16g', '--time_based=1', '--ramp_time=10',
    '--runtime=60', '--filename=/data/isobench-fio.testfile', '--thread', '--fallocate=none',
    '--name=write', '--stonewall', '--rw=write', '--bs=128k', '--iodepth=128', '--numjobs=1',
    '--name=read', '--stonewall', '--rw=read', '--bs=128k', '--iodepth=128', '--numjobs=1',
    '--name=randwrite', '--stonewall', '--rw=randwrite', '--bs=4k', '--iodepth=1', '--numjobs=1',
    '--name=randread', '--stonewall', '--rw=randread', '--bs=4k', '--iodepth=1', '--numjobs=1',
  ]);
});

test('argv: a subset keeps the paper order, buffered I/O says direct=0', () => {
  const argv = fioArgv({ ...paper, jobs: ['randread', 'write'], direct: false }, '/d/f');
  assert.equal(argv.filter((a) => a.startsWith('--name=')), ['--name=write', '--name=randread']);
  assert.ok(argv.includes('--direct=0'));
  assert.equal(fsTypeArgv('/data'), ['stat', '-f', '-c', '%T', '/data']);
});

test('sizes are fio base-2 sizes', () => {
  assert.is(fioSizeBytes('8M'), 8 * 1024 * 1024);
  assert.is(fioSizeBytes('16g'), 16 * 1024 ** 3);
  assert.is(fioSizeBytes('4096'), 4096);
  assert.throws(() => fioSizeBytes('16 GB'));
});

test('parses bandwidth, IOPS and completion latency of all four jobs', () => {
  const text = fixture('ok-four-jobs-8m-1s.json');
  const m = parseFio(text, ALL);
  assert.is(m.length, 20);
  const doc = JSON.parse(text);
  const rr = doc.jobs.find((j: { jobname: string }) => j.jobname === 'randread').read;
  const get = (n: string) => m.find((x) => x.name === n)!;
  assert.is(get('randread_bw_mbps').value, rr.bw_bytes / 1e6);
  assert.is(get('randread_iops').value, rr.iops);
  assert.is(get('randread_clat_mean_us').value, rr.clat_ns.mean / 1000);
  assert.is(get('randread_clat_p50_us').value, rr.clat_ns.percentile['50.000000'] / 1000);
  assert.is(get('randread_clat_p99_us').value, rr.clat_ns.percentile['99.000000'] / 1000);
  assert.equal([get('write_bw_mbps').better, get('write_clat_p99_us').better, get('write_clat_p99_us').unit], ['higher', 'lower', 'µs']);
  for (const x of m) assert.ok(Number.isFinite(x.value) && x.value > 0, x.name);
  assert.equal(m.map((x) => x.name), fio.metrics.map((x) => x.name));
});

test('warnings before the JSON are skipped', () => {
  const text = `fio: this platform does not support process shared mutexes, forcing use of threads\n${fixture('ok-four-jobs-8m-1s.json')}`;
  assert.is(parseFio(text, ALL).length, 20);
});

test('O_DIRECT refused (ramfs): error lines before the JSON, every job error 22 -> WorkloadError naming it', () => {
  const text = fixture('odirect-refused-ramfs.stdout');
  assert.ok(!text.startsWith('{'));
  try {
    parseFio(text, ALL);
    assert.unreachable('parsed a failed run');
  } catch (e) {
    assert.ok(e instanceof WorkloadError);
    assert.match((e as Error).message, /job 'write' ended with error 22.*err=22/);
  }
});

test('a job missing from the JSON is an error', () => {
  assert.throws(() => parseFio(fixture('ok-four-jobs-8m-1s.json').replace('"jobname" : "randread"', '"jobname" : "other"'), ALL), isWorkloadError);
});

test('every truncation of a good result throws WorkloadError', () => {
  const text = fixture('ok-four-jobs-8m-1s.json');
  for (const at of cuts(text)) assert.throws(() => parseFio(text.slice(0, at), ALL), isWorkloadError, `cut at ${at}`);
});

test('garbled numbers throw', () => {
  const text = fixture('ok-four-jobs-8m-1s.json');
  assert.throws(() => parseFio(text.replace(/"99\.000000" : [0-9]+/, '"99.000000" : "n/a"'), ALL), isWorkloadError);
  assert.throws(() => parseFio(text.replace(/"iops" : [0-9.]+/g, '"iops" : 0.000000'), ALL), isWorkloadError);
});

const params = { ...paper, size: '8M', rampTime: 0, runtime: 1 };
const fakeInstance = (fsType: string, dataPath?: string): Instance & { argvs: string[][] } => {
  const argvs: string[][] = [];
  return {
    argvs,
    dataPath,
    async exec(argv) {
      argvs.push(argv);
      const stdout = argv[0] === 'stat' ? `${fsType}\n` : fixture('ok-four-jobs-8m-1s.json');
      return { stdout, stderr: '', code: 0, signal: null, ms: 1, timedOut: false, hostArgv: argv };
    },
    async stop() {},
  };
};

test('run: no data disk -> WorkloadError before anything runs', async () => {
  const inst = fakeInstance('ext2/ext3');
  try {
    await fio.run(inst, params, { cpus: 1, hostChanges: testHost });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof WorkloadError);
    assert.match((e as Error).message, /no data disk/);
  }
  assert.is(inst.argvs.length, 0);
});

test('run: a data directory on tmpfs is refused, fio never runs', async () => {
  const inst = fakeInstance('tmpfs', '/data');
  try {
    await fio.run(inst, params, { cpus: 1, hostChanges: testHost });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof WorkloadError);
    assert.match((e as Error).message, /on tmpfs/);
  }
  assert.equal(inst.argvs.map((a) => a[0]), ['stat']);
});

test('run: the test file is inside the data directory', async () => {
  const inst = fakeInstance('ext2/ext3', '/data');
  const m = await fio.run(inst, params, { cpus: 1, hostChanges: testHost });
  assert.is(m.length, 20);
  assert.ok(inst.argvs[1].includes('--filename=/data/isobench-fio.testfile'));
});

test.run();
