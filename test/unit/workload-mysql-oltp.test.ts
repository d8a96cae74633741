import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError } from '../../src/types.ts';
import { workloadById } from '../../src/workloads/index.ts';
import { procState } from '../../src/workloads/instance-server.ts';
import { bootstrapArgv, readGreeting, serverArgv, settingsNote, type MariadbSettings } from '../../src/workloads/mariadb-server.ts';
import { sysbenchRunArgv } from '../../src/workloads/mysql-oltp.ts';
import { histogramPercentile, parseHistogram, parseOltpReport } from '../../src/workloads/sysbench-oltp-report.ts';

const dir = path.join(root, 'test', 'fixtures', 'mysql-oltp');
const fixture = (f: string) => readFileSync(path.join(dir, f), 'utf8');
const failure = (f: string) => {
  try {
    parseOltpReport(fixture(f));
  } catch (e) {
    assert.instance(e, WorkloadError);
    return (e as Error).message;
  }
  throw new Error(`${f} parsed`);
};
const settings: MariadbSettings = { bufferPoolMiB: 256, flushLogAtTrxCommit: 0, flushMethod: 'O_DIRECT', maxConnections: 200, nativeAio: false };

test('parses a real oltp_read_write report: rates, ignored errors, reconnects, P95 and P99 from the histogram', () => {
  assert.equal(parseOltpReport(fixture('run-4threads.txt')), {
    threads: 4, transactionsPerS: 995.96, queriesPerS: 19952.4, ignoredErrors: 6, reconnects: 0, p95Ms: 6.55, p99Ms: 10.09, events: 2999,
  });
});

test('histogram percentile follows sysbench: the P95 it computes equals the one it printed', () => {
  const rows = parseHistogram(fixture('run-4threads.txt'));
  assert.is(rows.reduce((s, r) => s + r.count, 0), 2999);
  assert.is(histogramPercentile(rows, 0.95), 6.55);
  assert.is(histogramPercentile([{ valueMs: 1, count: 94 }, { valueMs: 2, count: 5 }, { valueMs: 3, count: 1 }], 0.99), 2);
});

test('real error output names its cause: auth refused, too many connections, server gone, refused, disk full', () => {
  assert.match(failure('auth-refused.txt'), /refused the login.*MySQL error 1045: Access denied for user 'sbtest'/);
  assert.match(failure('too-many-connections.txt'), /too many connections.*MySQL error 1040/);
  assert.match(failure('server-gone.txt'), /lost the connection.*MySQL error 2013/);
  assert.match(failure('refused.txt'), /could not connect.*MySQL error 2002/);
  assert.match(failure('prepare-disk-full.txt'), /data disk is full.*MySQL error 1114: The table 'sbtest1' is full/);
});

test('a report cut short, or one whose histogram disagrees with its totals, is refused', () => {
  const ok = fixture('run-4threads.txt');
  assert.throws(() => parseOltpReport(ok.slice(0, ok.indexOf('General statistics'))), /no complete report/);
  assert.throws(() => parseOltpReport(ok.replace('      23.521 |                                         1\n', '')), /histogram counts 2998 events, its report 2999/);
  assert.throws(() => parseOltpReport(ok.replace('--histogram', '').replace(/Latency histogram[\s\S]*?\n \n/, '')), /no latency histogram/);
  assert.throws(() => parseOltpReport(ok.replace('95th percentile:                        6.55', '95th percentile:                        7.55')), /95th percentile of 7.55/);
});

test('the MySQL greeting: real handshake gives the version, a real error packet (1040) is not ready and not fatal', () => {
  assert.equal(readGreeting(readFileSync(path.join(dir, 'greeting.bin'))), { ready: true, detail: '10.11.19-MariaDB-0+deb12u1' });
  const busy = readGreeting(readFileSync(path.join(dir, 'greeting-too-many-connections.bin')));
  assert.equal(busy, { ready: false, why: 'MySQL error 1040: Too many connections', fatal: false });
  assert.is(readGreeting(Buffer.from('HTTP/1.1 400')).ready, false);
});

test('server argv: the same settings for bootstrap and server, no option files, listening on the guest port', () => {
  const a = serverArgv(settings, '/data/isobench-mariadb', 3306);
  for (const o of ['--no-defaults', '--innodb-buffer-pool-size=256M', '--innodb-flush-log-at-trx-commit=0', '--innodb-flush-method=O_DIRECT', '--innodb-use-native-aio=0', '--port=3306', '--bind-address=0.0.0.0', '--max-connections=200']) {
    assert.ok(a.includes(o), o);
  }
  const b = bootstrapArgv(settings, '/data/x y');
  assert.is(b[0], 'sh');
  // the data directory is an argument of a constant script, never part of it
  assert.is(b[4], '/data/x y');
  assert.not.ok(b[2].includes('/data/x y'));
  assert.ok(b.includes('--innodb-buffer-pool-size=256M'));
  assert.match(settingsNote(settings, '10.11.19-MariaDB'), /innodb_buffer_pool_size=256M, innodb_flush_log_at_trx_commit=0/);
});

test('sysbench argv: oltp_read_write from the package, histogram on, threads and time', () => {
  const argv = sysbenchRunArgv({ ...settings, tables: 3, tableSize: 10_000_000, threads: 110, time: 30, warmupS: 0, port: 3306, serverWaitS: 60 }, '127.0.0.1', 3306);
  assert.equal(argv.slice(0, 3), ['sysbench', '/usr/share/sysbench/oltp_read_write.lua', '--db-driver=mysql']);
  for (const o of ['--tables=3', '--table-size=10000000', '--threads=110', '--time=30', '--histogram=on', 'run']) assert.ok(argv.includes(o), o);
});

test('process state from /proc/PID/stat, names with spaces and parentheses included; zombies are not alive', () => {
  assert.is(procState('32 (mariadbd) S 1 32 32 0 -1'), 'S');
  assert.is(procState('32 (a (b) c) Z 1 32'), 'Z');
  assert.is(procState(''), undefined);
});

test('registered: the paper\'s defaults, a guest port per params, the server in the image', () => {
  const w = workloadById('mysql-oltp')!;
  assert.ok(w);
  assert.equal(w.tools, ['mariadbd']);
  assert.equal(w.guestPorts!({ port: 3307 }), [3307]);
  const props = (w.paramsSchema as { properties: Record<string, { default?: unknown }> }).properties;
  assert.is(props.tables.default, 3);
  assert.is(props.tableSize.default, 10_000_000);
  assert.is(props.time.default, 30);
});

test.run();
