// MySQL OLTP: MariaDB inside the instance, sysbench oltp_read_write on the host driving it through the platform's network.
import { formatArgv, run, which } from '../proc.ts';
import type { ExecResult, Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { serverEndpoint } from './exec.ts';
import type { ServerProcess } from './instance-server.ts';
import { serverLogTail, stopServer, waitUntilServing, withServerLog } from './instance-server.ts';
import type { MariadbSettings } from './mariadb-server.ts';
import { bootstrap, DB, dataDirOf, probeMysql, settingsNote, startMariadb } from './mariadb-server.ts';
import { parseOltpReport, sysbenchFailure } from './sysbench-oltp-report.ts';

export interface MysqlOltpParams extends MariadbSettings {
  tables: number;
  tableSize: number;
  threads: number;
  /** seconds measured (sysbench --time) */
  time: number;
  /** seconds of an unmeasured run before the measured one (sysbench 1.0 has no --warmup-time) */
  warmupS: number;
  port: number;
  serverWaitS: number;
}

/** sysbench's options that address the server and the tables, shared by prepare, cleanup and run */
export function sysbenchBase(p: Pick<MysqlOltpParams, 'tables' | 'tableSize'>, address: string, port: number): string[] {
  return [
    'sysbench', '/usr/share/sysbench/oltp_read_write.lua', '--db-driver=mysql',
    `--mysql-host=${address}`, `--mysql-port=${port}`, `--mysql-user=${DB.user}`, `--mysql-password=${DB.password}`, `--mysql-db=${DB.name}`,
    `--tables=${p.tables}`, `--table-size=${p.tableSize}`,
  ];
}

export function sysbenchRunArgv(p: MysqlOltpParams, address: string, port: number, time = p.time): string[] {
  return [...sysbenchBase(p, address, port), `--threads=${p.threads}`, `--time=${time}`, '--histogram=on', '--percentile=95', '--report-interval=0', 'run'];
}

/** the marker of tables prepared in this instance's data directory, named by their shape */
const preparedMarker = (datadir: string, p: Pick<MysqlOltpParams, 'tables' | 'tableSize'>) => `${datadir}/isobench-prepared-${p.tables}x${p.tableSize}`;

function logClient(ctx: WorkloadContext, r: ExecResult) {
  ctx.log?.(`$ (host) ${formatArgv(r.hostArgv)}\n# exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} in ${r.ms.toFixed(1)} ms\n--- output\n${(r.stdout + r.stderr).trimEnd()}\n`);
}

/** generous: laying out the rows at 20k rows/s on a slow disk, plus two minutes */
const prepareTimeoutMs = (p: MysqlOltpParams) => ((p.tables * p.tableSize) / 20_000 + 120) * 1000;

async function prepareOnce(instance: Instance, p: MysqlOltpParams, datadir: string, address: string, port: number, server: ServerProcess, ctx: WorkloadContext) {
  const marker = preparedMarker(datadir, p);
  if ((await instance.exec(['test', '-e', marker], { timeoutMs: 30_000 })).code === 0) return;
  // an interrupted prepare leaves some tables: cleanup drops them first
  const cleanup = await run([...sysbenchBase(p, address, port), 'cleanup'], { timeoutMs: 300_000 });
  logClient(ctx, cleanup);
  const prep = await run([...sysbenchBase(p, address, port), `--threads=${Math.min(p.tables, 8)}`, 'prepare'], { timeoutMs: prepareTimeoutMs(p) });
  logClient(ctx, prep);
  if (prep.timedOut) throw await withServerLog(instance, server, `sysbench prepare timed out after ${prepareTimeoutMs(p) / 1000} s`, prep.stdout + prep.stderr);
  if (prep.code !== 0) {
    const why = sysbenchFailure(prep.stdout + prep.stderr) ?? `sysbench prepare exit ${prep.code ?? prep.signal}`;
    throw await withServerLog(instance, server, `preparing ${p.tables} × ${p.tableSize} rows failed: ${why}`, prep.stdout + prep.stderr);
  }
  const touched = await instance.exec(['touch', marker], { timeoutMs: 30_000 });
  if (touched.code !== 0) throw new WorkloadError(`could not mark the tables prepared (${marker}): ${touched.stderr.trim()}`);
}

export const mysqlOltp: Workload = {
  id: 'mysql-oltp',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => Number(p.warmupS) + Number(p.time) + 10,
  description:
    'MySQL OLTP: MariaDB (the host\'s Debian package) inside the instance, its data directory on the platform data mount, '
    + 'sysbench oltp_read_write on the host through the platform network; tables prepared once per instance, outside the measured window',
  tools: ['mariadbd'], // sh, kill, tail, touch, test: busybox, in every image
  packages: ['mariadb-server', 'sysbench'],
  report: {
    area: 'application',
    charts: ['sweep', 'ratio'],
    charted: ['transactions_per_s', 'latency_p95_ms'],
    counts: ['ignored_errors', 'reconnects'],
    sweepPeak: { metric: 'transactions_per_s', param: 'threads' },
    howMeasured: 'the MariaDB server settings, the same on every platform',
  },
  claimMeasures: { jobs: ['default'], metrics: ['transactions_per_s', 'queries_per_s', 'latency_p95_ms', 'latency_p99_ms'] },
  guestPorts: (params) => [(params as unknown as MysqlOltpParams).port],
  metrics: [
    { name: 'transactions_per_s', unit: 'tx/s', better: 'higher', description: 'OLTP read/write transactions per second (sysbench)' },
    { name: 'queries_per_s', unit: 'queries/s', better: 'higher', description: 'SQL statements per second (sysbench)' },
    { name: 'latency_p95_ms', unit: 'ms', better: 'lower', description: '95th percentile transaction latency (sysbench histogram)' },
    { name: 'latency_p99_ms', unit: 'ms', better: 'lower', description: '99th percentile transaction latency (sysbench histogram)' },
    { name: 'ignored_errors', unit: 'errors', better: 'lower', description: 'errors sysbench ignored and retried (deadlocks) during the measured window', resolution: 1 },
    { name: 'reconnects', unit: 'reconnects', better: 'lower', description: 'client reconnects during the measured window', resolution: 1 },
  ],
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      tables: { type: 'integer', minimum: 1, maximum: 64, default: 3, description: 'sysbench --tables (the paper: 3)' },
      tableSize: { type: 'integer', minimum: 1, maximum: 1_000_000_000, default: 10_000_000, description: 'rows per table, --table-size (the paper: 10M)' },
      threads: { type: 'integer', minimum: 1, maximum: 4096, default: 10, description: 'client threads, --threads (the paper: 10 to 150 in steps of 20)' },
      time: { type: 'integer', minimum: 1, maximum: 86400, default: 30, description: 'seconds measured, --time (the paper: 30)' },
      warmupS: { type: 'integer', minimum: 0, maximum: 3600, default: 0, description: 'seconds of an unmeasured run before the measured one' },
      port: { type: 'integer', minimum: 1024, maximum: 65535, default: 3306, description: 'server port inside the instance' },
      serverWaitS: { type: 'integer', minimum: 1, maximum: 600, default: 60, description: 'seconds to wait for the server to accept connections' },
      bufferPoolMiB: { type: 'integer', minimum: 8, maximum: 1048576, default: 256, description: 'innodb_buffer_pool_size in MiB (the authors\' my.cnf: 256M)' },
      flushLogAtTrxCommit: { enum: [0, 1, 2], default: 0, description: 'innodb_flush_log_at_trx_commit (the authors\' my.cnf: 0)' },
      flushMethod: { enum: ['O_DIRECT', 'fsync'], default: 'O_DIRECT', description: 'innodb_flush_method (the authors\' my.cnf: O_DIRECT)' },
      maxConnections: { type: 'integer', minimum: 10, maximum: 600, default: 200, description: 'max_connections (must exceed threads; at most 600 within open_files_limit 1024)' },
      nativeAio: { type: 'boolean', default: false, description: 'innodb_use_native_aio (off by default: gVisor 20221219 aborts MariaDB\'s io_uring, and settings must be equal on every platform)' },
    },
  },
  async run(instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as MysqlOltpParams;
    if (p.threads >= p.maxConnections) throw new WorkloadError(`threads (${p.threads}) must be below maxConnections (${p.maxConnections})`);
    if (!which('sysbench')) throw new WorkloadError('sysbench (the client, on the host) is not installed: apt-get install sysbench');
    if (instance.dataPath === undefined) throw new WorkloadError('the platform gave no data mount (instance.dataPath is undefined): MariaDB keeps its tables there');
    const { address, port } = serverEndpoint(instance, p.port, 'mysql-oltp');
    const datadir = dataDirOf(instance.dataPath);
    // a server already answering there is someone else's: measuring it would be measuring the wrong thing
    const before = await probeMysql(address, port, 1000);
    if (before.ready || before.fatal) {
      throw new WorkloadError(`port ${port} at ${address} already answers (${before.ready ? `MySQL ${before.detail}` : before.why}) before our server started: choose another port`);
    }
    await bootstrap(instance, p, datadir);
    const server = await startMariadb(instance, p, datadir, p.port);
    try {
      const version = await waitUntilServing(instance, server, () => probeMysql(address, port), p.serverWaitS);
      await prepareOnce(instance, p, datadir, address, port, server, ctx);
      if (p.warmupS > 0) {
        const warm = await run(sysbenchRunArgv(p, address, port, p.warmupS), { timeoutMs: (p.warmupS + 120) * 1000 });
        logClient(ctx, warm);
      }
      const timeoutS = p.time + 120;
      const r = await run(sysbenchRunArgv(p, address, port), { timeoutMs: timeoutS * 1000 });
      logClient(ctx, r);
      if (r.timedOut) throw await withServerLog(instance, server, `sysbench client timed out after ${timeoutS} s`, r.stdout + r.stderr);
      let report;
      try {
        report = parseOltpReport(r.stdout + r.stderr);
      } catch (e) {
        if (e instanceof WorkloadError) throw await withServerLog(instance, server, e.message, e.output);
        throw e;
      }
      if (r.code !== 0) throw await withServerLog(instance, server, `sysbench exit ${r.code ?? r.signal} after a complete report`, r.stdout + r.stderr);
      if (report.threads !== p.threads) throw new WorkloadError(`sysbench ran ${report.threads} threads, asked ${p.threads}`, r.stdout);
      const note = settingsNote(p, version);
      return [
        { name: 'transactions_per_s', value: report.transactionsPerS, unit: 'tx/s', better: 'higher', note },
        { name: 'queries_per_s', value: report.queriesPerS, unit: 'queries/s', better: 'higher', note },
        { name: 'latency_p95_ms', value: report.p95Ms, unit: 'ms', better: 'lower', note },
        { name: 'latency_p99_ms', value: report.p99Ms, unit: 'ms', better: 'lower', note },
        { name: 'ignored_errors', value: report.ignoredErrors, unit: 'errors', better: 'lower', note },
        { name: 'reconnects', value: report.reconnects, unit: 'reconnects', better: 'lower', note },
      ];
    } finally {
      await stopServer(instance, server);
      ctx.log?.(`--- ${server.logPath}, last lines\n${await serverLogTail(instance, server, 40)}\n`);
    }
  },
};
