// MariaDB inside the instance: a data directory on the data mount, bootstrapped once, started with the same settings everywhere.
import net from 'node:net';
import path from 'node:path';
import type { Instance } from '../types.ts';
import { WorkloadError } from '../types.ts';
import type { ProbeResult, ServerProcess } from './instance-server.ts';
import { startServer, withServerLog } from './instance-server.ts';

/** Server settings: the authors' my.cnf (mysql/docker/mysql-opt.cnf) where MariaDB 10.11 still has the option. */
export interface MariadbSettings {
  bufferPoolMiB: number;
  /** innodb_flush_log_at_trx_commit: 0 (the authors' my.cnf), 1 (durable), 2 */
  flushLogAtTrxCommit: 0 | 1 | 2;
  /** innodb_flush_method */
  flushMethod: 'O_DIRECT' | 'fsync';
  maxConnections: number;
  /** innodb_use_native_aio: io_uring/libaio, or InnoDB's own I/O threads (gVisor 20221219 aborts MariaDB's io_uring) */
  nativeAio: boolean;
}

/** The benchmark account: an ordinary user (no SUPER), so max_connections applies to it as to an application. */
export const DB = { name: 'sbtest', user: 'sbtest', password: 'sbtest' } as const;

/** Directory of the server's data inside the instance's data mount. */
export const dataDirOf = (dataPath: string) => path.posix.join(dataPath, 'isobench-mariadb');

/** bits of mysql.global_priv's "access": SELECT INSERT UPDATE DELETE CREATE DROP INDEX ALTER (sql/privilege.h) */
const APP_PRIVILEGES = 1 | 2 | 4 | 8 | 16 | 32 | 4096 | 8192;

/** SQL lines mariadbd --bootstrap reads before and after the system tables (one statement per line, as bootstrap wants). */
export const BOOTSTRAP_HEAD = ['create database if not exists mysql;', 'use mysql;', 'SET @auth_root_socket=NULL;'];
export const BOOTSTRAP_TAIL = [
  `CREATE DATABASE ${DB.name};`,
  // CREATE USER is refused in bootstrap mode (grant tables are not loaded): the row is written as mariadb-install-db does
  `INSERT INTO mysql.global_priv (Host, User, Priv) VALUES ('%', '${DB.user}', JSON_OBJECT('access', ${APP_PRIVILEGES}, 'plugin', 'mysql_native_password', 'authentication_string', PASSWORD('${DB.password}')));`,
];
/** Debian's system-table scripts, in the image (src/images/rootfs.ts brings them) */
export const SYSTEM_TABLE_SQL = ['/usr/share/mysql/mysql_system_tables.sql', '/usr/share/mysql/mysql_system_tables_data.sql'];

/** Options shared by bootstrap and the server: the settings, no option files (--no-defaults), root inside the instance. */
export function serverOptions(s: MariadbSettings, datadir: string): string[] {
  return [
    '--no-defaults',
    '--user=root',
    `--datadir=${datadir}`,
    `--innodb-buffer-pool-size=${s.bufferPoolMiB}M`,
    `--innodb-flush-log-at-trx-commit=${s.flushLogAtTrxCommit}`,
    `--innodb-flush-method=${s.flushMethod}`,
    '--innodb-log-buffer-size=8M',
    '--innodb-file-per-table=1',
    '--innodb-purge-threads=1',
    '--innodb-max-purge-lag=0',
    `--innodb-use-native-aio=${s.nativeAio ? 1 : 0}`,
    // descriptors fixed, so no platform's rlimit makes MariaDB shrink max_connections or the caches on its own
    '--open-files-limit=1024',
    '--innodb-open-files=300',
    '--table-open-cache=200',
    '--max-allowed-packet=64M',
    '--thread-cache-size=256',
    '--query-cache-size=0',
    '--skip-name-resolve',
    '--skip-log-bin',
    '--performance-schema=OFF',
    '--sql-mode=NO_ENGINE_SUBSTITUTION,STRICT_TRANS_TABLES',
  ];
}

/** The settings in one line, recorded with every sample (identical on every platform by construction). */
export function settingsNote(s: MariadbSettings, version: string): string {
  return `server ${version}: innodb_buffer_pool_size=${s.bufferPoolMiB}M, innodb_flush_log_at_trx_commit=${s.flushLogAtTrxCommit}, `
    + `innodb_flush_method=${s.flushMethod}, innodb_use_native_aio=${s.nativeAio ? 1 : 0}, max_connections=${s.maxConnections}, open_files_limit=1024, binlog off, data directory on the platform data mount, tables prepared once per instance`;
}

/**
 * argv that creates the system tables once: the script is constant, the data directory and SQL files are its arguments.
 * Prints 'exists' when an earlier iteration of this instance already did it.
 */
export function bootstrapArgv(s: MariadbSettings, datadir: string): string[] {
  const script = [
    'd="$1"; shift',
    'if [ -e "$d/isobench-bootstrapped" ]; then echo exists; exit 0; fi',
    'rm -rf "$d" && mkdir -p "$d" || exit 1',
    `{ ${BOOTSTRAP_HEAD.map((l) => `echo "${l}"`).join('; ')}; cat ${SYSTEM_TABLE_SQL.join(' ')}; `
      + `${BOOTSTRAP_TAIL.map((l) => `echo "${l.replace(/"/g, '\\"')}"`).join('; ')}; } `
      + '| "$@" --bootstrap --log-warnings=0 --enforce-storage-engine= >"$d.bootstrap.log" 2>&1 || { tail -n 60 "$d.bootstrap.log"; exit 1; }',
    'touch "$d/isobench-bootstrapped" && echo created',
  ].join('\n');
  return ['sh', '-c', script, 'sh', datadir, 'mariadbd', ...serverOptions(s, datadir)];
}

/** the server itself, listening on all addresses of the instance at port */
export function serverArgv(s: MariadbSettings, datadir: string, port: number): string[] {
  return [
    'mariadbd', ...serverOptions(s, datadir),
    `--port=${port}`, '--bind-address=0.0.0.0',
    // a short socket path: a deep data directory would pass the 107-byte limit of a unix socket
    `--socket=/tmp/isobench-mariadbd-${port}.sock`,
    `--pid-file=${datadir}/mariadbd.pid`,
    `--max-connections=${s.maxConnections}`,
    `--back-log=${Math.min(s.maxConnections, 4096)}`,
  ];
}

export async function bootstrap(instance: Instance, s: MariadbSettings, datadir: string): Promise<'created' | 'exists'> {
  const r = await instance.exec(bootstrapArgv(s, datadir), { timeoutMs: 300_000 });
  const said = r.stdout.trim().split('\n').pop();
  if (r.timedOut) throw new WorkloadError('mariadbd --bootstrap timed out after 300 s', r.stdout + r.stderr);
  if (r.code !== 0 || (said !== 'created' && said !== 'exists')) {
    const why = r.stdout.split('\n').filter((l) => /ERROR|error|Abort/.test(l)).slice(-2).join(' | ') || `exit ${r.code ?? r.signal}`;
    throw new WorkloadError(`mariadbd --bootstrap could not create the system tables in ${datadir}: ${why}`, r.stdout + r.stderr);
  }
  return said;
}

export async function startMariadb(instance: Instance, s: MariadbSettings, datadir: string, port: number): Promise<ServerProcess> {
  return startServer(instance, 'mariadbd', serverArgv(s, datadir, port), `${datadir}.server.log`);
}

/** What the first packet of a MySQL connection says: a handshake (v10) with the server version, or an error packet. */
export function readGreeting(packet: Buffer): ProbeResult {
  if (packet.length < 5) return { ready: false, why: `a ${packet.length}-byte reply, not a MySQL handshake` };
  const body = packet.subarray(4, 4 + packet.readUIntLE(0, 3));
  if (body[0] === 0x0a) {
    const end = body.indexOf(0, 1);
    // MariaDB prefixes its version with '5.5.5-' for old clients
    return { ready: true, detail: body.subarray(1, end < 0 ? undefined : end).toString('latin1').replace(/^5\.5\.5-/, '') };
  }
  if (body[0] === 0xff && body.length >= 3) {
    const code = body.readUInt16LE(1);
    const text = body.subarray(body[3] === 0x23 ? 9 : 3).toString('utf8');
    // 1040 (too many connections) and 1129/1130 (host blocked / not allowed) will not go away by waiting
    return { ready: false, why: `MySQL error ${code}: ${text}`, fatal: code !== 1040 };
  }
  return { ready: false, why: `a reply starting with 0x${body[0]?.toString(16) ?? '??'}, not a MySQL handshake` };
}

/** One TCP connection to address:port, read the server's greeting, close. */
export function probeMysql(address: string, port: number, timeoutMs = 3000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.createConnection({ host: address, port });
    const finish = (r: ProbeResult) => { s.destroy(); clearTimeout(timer); resolve(r); };
    const timer = setTimeout(() => finish({ ready: false, why: `no greeting within ${timeoutMs} ms` }), timeoutMs);
    s.on('data', (b: Buffer) => {
      chunks.push(b);
      const all = Buffer.concat(chunks);
      if (all.length >= 4 && all.length >= 4 + all.readUIntLE(0, 3)) finish(readGreeting(all));
    });
    s.on('error', (e) => finish({ ready: false, why: e.message }));
    s.on('end', () => finish({ ready: false, why: chunks.length ? 'connection closed inside the greeting' : 'connection closed before any greeting' }));
  });
}
