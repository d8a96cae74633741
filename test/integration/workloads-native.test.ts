// sysbench-memory, stream, fio and iperf3 for real through the native platform, sized to take seconds.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { native } from '../../src/platforms/native.ts';
import { run, which } from '../../src/proc.ts';
import { WorkloadError, type Instance, type Metric } from '../../src/types.ts';
import { fio } from '../../src/workloads/fio.ts';
import { iperf3 } from '../../src/workloads/iperf3.ts';
import { stream } from '../../src/workloads/stream.ts';
import { buildStreamKernels } from '../../src/workloads/stream/build.ts';
import { sysbenchMemory } from '../../src/workloads/sysbench-memory.ts';
import { liveProcesses } from '../helpers/processes.ts';
import { skip } from '../helpers/skip.ts';
import { testHost } from '../helpers/host-changes.ts';

const test = suite('workloads-native');
let scratch = '';
const savedPath = process.env.PATH;

test.before(() => {
  mkdirSync(paths.scratch(), { recursive: true });
  scratch = mkdtempSync(path.join(paths.scratch(), 'workloads-native-'));
});
test.after(() => {
  process.env.PATH = savedPath;
  rmSync(scratch, { recursive: true, force: true });
});

async function nativeInstance(dataDir?: string): Promise<Instance> {
  const logDir = path.join(scratch, 'logs');
  mkdirSync(logDir, { recursive: true });
  return native.start({ name: 'isobench-wl-test', cpus: 1, memoryMiB: 1024, rootfs: '', rootfsHash: 'host', dataDir, network: 'host', options: {}, logDir, hostChanges: testHost });
}

const byName = (m: Metric[]) => Object.fromEntries(m.map((x) => [x.name, x.value]));
const missing = (...tools: string[]) => tools.filter((t) => !which(t));

/** live iperf3 processes listening on this port (zombies excluded) */
function iperf3ServersOn(port: number): string[] {
  return liveProcesses().filter(({ argv }) => argv.includes('iperf3') && argv.includes('-s') && argv.includes(String(port))).map((p) => `${p.pid}: ${p.argv.join(' ')}`);
}

test('sysbench-memory: 1 s of random 1 KiB writes gives MiB/s', async () => {
  if (missing('sysbench', 'taskset').length) return skip(`${missing('sysbench', 'taskset').join(', ')} not installed`, ['sysbench', 'taskset']);
  const m = await sysbenchMemory.run(await nativeInstance(), { accessMode: 'rnd', blockSize: '1K', totalSize: '100G', time: 1, threads: 1 }, { cpus: 1, hostChanges: testHost });
  assert.equal(m.map((x) => [x.name, x.unit, x.better]), [['throughput', 'MiB/s', 'higher']]);
  assert.ok(m[0].value > 10, `throughput ${m[0].value}`);
});

test('stream: the compiled kernels give four best rates', async () => {
  if (missing('gcc', 'taskset').length) return skip(`${missing('gcc', 'taskset').join(', ')} not installed`, ['gcc', 'taskset']);
  const bin = path.join(scratch, 'bin');
  await buildStreamKernels(bin);
  process.env.PATH = `${bin}:${savedPath}`; // native runs host binaries by name
  const m = byName(await stream.run(await nativeInstance(), { elements: 2000000, ntimes: 5 }, { cpus: 1, hostChanges: testHost }));
  assert.equal(Object.keys(m), ['copy_mbps', 'scale_mbps', 'add_mbps', 'triad_mbps']);
  for (const [k, v] of Object.entries(m)) assert.ok(v > 100 && v < 1e7, `${k} = ${v} MB/s`);
});

test('fio: four 1 s jobs on an 8 MiB file in a data directory on real disk', async () => {
  if (missing('fio', 'stat', 'taskset').length) return skip(`${missing('fio', 'stat', 'taskset').join(', ')} not installed`, ['fio', 'stat', 'taskset']);
  const dataDir = path.join(scratch, 'data');
  mkdirSync(dataDir);
  const params = { jobs: ['write', 'read', 'randwrite', 'randread'], size: '8M', rampTime: 0, runtime: 1, ioengine: 'libaio', direct: true };
  const m = byName(await fio.run(await nativeInstance(dataDir), params, { cpus: 1, hostChanges: testHost }));
  assert.is(Object.keys(m).length, 20);
  for (const job of ['write', 'read', 'randwrite', 'randread']) {
    assert.ok(m[`${job}_bw_mbps`] > 0 && m[`${job}_iops`] > 0, job);
    assert.ok(m[`${job}_clat_p50_us`] <= m[`${job}_clat_p99_us`], `${job}: p50 <= p99`);
  }
  assert.ok(readdirSync(dataDir).includes('isobench-fio.testfile'), 'the test file is in the data directory');
});

test('fio: a data directory on tmpfs is refused before fio runs', async () => {
  if (missing('fio', 'stat', 'taskset').length) return skip('fio, stat or taskset not installed', ['fio', 'stat', 'taskset']);
  const shm = mkdtempSync(path.join('/dev/shm', 'isobench-fio-test-'));
  if ((await run(['stat', '-f', '-c', '%T', shm])).stdout.trim() !== 'tmpfs') {
    rmSync(shm, { recursive: true, force: true });
    return skip('/dev/shm is not tmpfs here');
  }
  try {
    await fio.run(await nativeInstance(shm), { jobs: ['randread'], size: '8M', rampTime: 0, runtime: 1, ioengine: 'libaio', direct: true }, { cpus: 1, hostChanges: testHost });
    assert.unreachable('measured tmpfs');
  } catch (e) {
    assert.ok(e instanceof WorkloadError, String(e));
    assert.match((e as Error).message, /tmpfs/);
    assert.equal(readdirSync(shm), []);
  } finally {
    rmSync(shm, { recursive: true, force: true });
  }
});

const port = () => 20000 + Math.floor(Math.random() * 20000);

test('iperf3: 1 s host->instance over loopback, and the one-off server is gone after', async () => {
  if (missing('iperf3', 'taskset').length) return skip('iperf3 or taskset not installed', ['iperf3', 'taskset']);
  const p = { time: 1, port: port(), serverWait: 10 };
  const m = byName(await iperf3.run(await nativeInstance(), p, { cpus: 1, hostChanges: testHost }));
  assert.ok(m.throughput_gbps > 0.01, `throughput ${m.throughput_gbps} Gbit/s`);
  assert.ok(Number.isInteger(m.retransmits) && m.retransmits >= 0);
  assert.equal(iperf3ServersOn(p.port), []);
});

test('iperf3: a server that never listens -> WorkloadError "unable to connect", within the wait', async () => {
  if (missing('iperf3', 'taskset').length) return skip('iperf3 or taskset not installed', ['iperf3', 'taskset']);
  const real = await nativeInstance();
  // the instance runs something else instead of the server, as a guest without iperf3 would
  const inst: Instance = { ...real, exec: (argv, opts) => real.exec(argv[0] === 'iperf3' ? ['sleep', '0'] : argv, opts) };
  const t0 = Date.now();
  try {
    await iperf3.run(inst, { time: 1, port: port(), serverWait: 5 }, { cpus: 1, hostChanges: testHost });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof WorkloadError, String(e));
    assert.match((e as Error).message, /unable to connect to server/);
  }
  assert.ok(Date.now() - t0 < 20_000, 'gave up in time');
});

test.run();
