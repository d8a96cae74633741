// mysql-oltp and memcached-ycsb for real on the native platform, tiny, with the failures that must end as failed samples.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { native } from '../../src/platforms/native.ts';
import { which } from '../../src/proc.ts';
import { WorkloadError, type Instance, type Metric } from '../../src/types.ts';
import { memcachedYcsb } from '../../src/workloads/memcached-ycsb.ts';
import { mysqlOltp } from '../../src/workloads/mysql-oltp.ts';
import { testHost } from '../helpers/host-changes.ts';
import { liveProcesses } from '../helpers/processes.ts';
import { skip } from '../helpers/skip.ts';

const test = suite('workloads-applications');
let scratch = '';
const logs: string[] = [];
const ctx = { cpus: 1, hostChanges: testHost, log: (t: string) => { logs.push(t); } };

test.before(() => {
  mkdirSync(paths.scratch(), { recursive: true });
  scratch = mkdtempSync(path.join(paths.scratch(), 'apps-'));
});
test.after(() => rmSync(scratch, { recursive: true, force: true }));

async function nativeInstance(name: string): Promise<Instance> {
  const dataDir = path.join(scratch, name);
  mkdirSync(dataDir, { recursive: true });
  return native.start({ name: `isobench-apps-test-${name}`, cpus: 1, memoryMiB: 1024, rootfs: '', rootfsHash: 'host', dataDir, network: 'host', options: {}, hostChanges: testHost, logDir: scratch });
}

/** live processes whose command line names this program and port (zombies excluded): a server left behind */
function serversOn(program: string, port: number): string[] {
  return liveProcesses().filter(({ argv }) => path.basename(argv[0] ?? '') === program && argv.some((a) => a === `--port=${port}` || a === String(port))).map((p) => p.pid);
}

const byName = (m: Metric[]) => Object.fromEntries(m.map((x) => [x.name, x.value]));
const mysqlParams = { tables: 1, tableSize: 500, threads: 2, time: 1, warmupS: 0, port: 23317, serverWaitS: 60, bufferPoolMiB: 32, flushLogAtTrxCommit: 0, flushMethod: 'O_DIRECT', maxConnections: 50, nativeAio: false };
const mcParams = { mix: 'f', recordCount: 200, operations: 500, threads: 2, port: 21317, memoryMiB: 16, serverThreads: 1, serverWaitS: 20, seed: 1 };

test('mysql-oltp: ok metrics with the settings noted, tables prepared once, no server left', async () => {
  const lacking = ['mariadbd', 'sysbench'].filter((t) => !which(t));
  if (lacking.length) { skip(`mysql-oltp: ${lacking.join(', ')} not installed (apt-get install mariadb-server sysbench)`, ['mariadb-server', 'sysbench']); return; }
  const inst = await nativeInstance('mysql');
  try {
    const m = await mysqlOltp.run(inst, mysqlParams, ctx);
    const v = byName(m);
    assert.ok(v.transactions_per_s > 0 && v.queries_per_s > v.transactions_per_s);
    assert.ok(v.latency_p95_ms > 0 && v.latency_p95_ms <= v.latency_p99_ms);
    assert.match(m[0].note!, /innodb_buffer_pool_size=32M/);
    const before = logs.filter((l) => / prepare$/m.test(l.split('\n')[0])).length;
    await mysqlOltp.run(inst, mysqlParams, ctx);
    assert.is(logs.filter((l) => / prepare$/m.test(l.split('\n')[0])).length, before, 'the second iteration prepared again');
    assert.equal(serversOn('mariadbd', 23317), []);
  } finally {
    await inst.stop();
  }
});

test('mysql-oltp: a port already answering is a failed sample, not a measurement of that server', async () => {
  if (!which('mariadbd') || !which('memcached')) { skip('mariadb-server or memcached not installed (apt-get install mariadb-server memcached)', ['mariadb-server', 'memcached']); return; }
  // a stand-in that answers like memcached and like a MySQL error greeting
  const squatter = net.createServer((s) => {
    s.on('data', () => s.write('VERSION 0.0.0\r\n'));
    s.write(Buffer.from([0x0b, 0, 0, 0, 0xff, 0x69, 0x04, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0x65, 0x64, 0x21, 0x21]));
  });
  await new Promise<void>((r) => squatter.listen(23318, '127.0.0.1', r));
  const inst = await nativeInstance('clash');
  try {
    await mysqlOltp.run(inst, { ...mysqlParams, port: 23318 }, ctx).then(() => assert.unreachable('measured'), (e) => {
      assert.instance(e, WorkloadError);
      assert.match((e as Error).message, /port 23318 at 127.0.0.1 already answers/);
    });
  } finally {
    squatter.close();
    await inst.stop();
  }
});

test('memcached-ycsb: ok per-operation metrics with the approximation noted, no server left', async () => {
  if (!which('memcached')) { skip('memcached not installed (apt-get install memcached)', ['memcached']); return; }
  const inst = await nativeInstance('mc');
  try {
    const m = await memcachedYcsb.run(inst, mcParams, ctx);
    const v = byName(m);
    assert.ok(v.ops_per_s > 0);
    assert.ok(v.read_p50_us > 0 && v.rmw_p99_us >= v.rmw_p50_us);
    assert.is(v.update_p50_us, undefined);
    assert.is(v.errors, 0);
    assert.match(m[0].note!, /approximation/);
    assert.equal(serversOn('memcached', 21317), []);
  } finally {
    await inst.stop();
  }
});

test('memcached-ycsb: a server that cannot start gives its own log in the failure', async () => {
  if (!which('memcached')) { skip('memcached not installed (apt-get install memcached)', ['memcached']); return; }
  const inst = await nativeInstance('mc-bad');
  try {
    // memcached refuses -t 0 ("Number of threads must be greater than 0"): a real start failure
    await memcachedYcsb.run(inst, { ...mcParams, port: 21318, serverThreads: 0 }, ctx).then(() => assert.unreachable('measured'), (e) => {
      assert.instance(e, WorkloadError);
      assert.match((e as Error).message, /memcached exited before it served/);
      assert.match((e as WorkloadError).output ?? '', /memcached log/);
    });
  } finally {
    await inst.stop();
  }
});

test.run();
