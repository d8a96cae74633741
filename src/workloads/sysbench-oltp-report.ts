// sysbench OLTP's text report (oltp_read_write with --histogram=on): rates, errors and latency percentiles, or why it failed.
import { WorkloadError } from '../types.ts';

export interface OltpReport {
  threads: number;
  transactionsPerS: number;
  queriesPerS: number;
  /** errors sysbench ignored and retried (deadlocks, lock wait timeouts), in total */
  ignoredErrors: number;
  reconnects: number;
  /** from sysbench's latency histogram, the way sysbench computes its own percentile */
  p95Ms: number;
  p99Ms: number;
  events: number;
}

/** MySQL client errors with what they mean for the run, so a failed sample says what happened. */
const CLIENT_ERRORS: Record<string, string> = {
  '1040': 'the server refused the connection: too many connections (raise maxConnections or lower threads)',
  '1045': 'the server refused the login (access denied): the benchmark user was not created as expected',
  '1114': 'the data disk is full (a table cannot grow): give the platform more disk or prepare smaller tables',
  '2002': 'could not connect to the server (not listening, or not reachable through the platform network)',
  '2003': 'could not connect to the server (not listening, or not reachable through the platform network)',
  '2006': 'the server went away during the run',
  '2013': 'lost the connection to the server during the run (the server died or the network broke)',
};

/** The first FATAL error of a failed sysbench run, in words; undefined when sysbench printed none. */
export function sysbenchFailure(output: string): string | undefined {
  const fatal = output.split('\n').filter((l) => l.startsWith('FATAL: '));
  if (fatal.length === 0) return undefined;
  for (const line of fatal) {
    const code = /(?:error|errno =) (\d{4})\b/.exec(line)?.[1];
    if (code && CLIENT_ERRORS[code]) return `sysbench: ${CLIENT_ERRORS[code]} (MySQL error ${code}: ${clientMessage(line)})`;
  }
  return `sysbench: ${fatal[0].slice('FATAL: '.length).slice(0, 300)}`;
}

function clientMessage(line: string): string {
  const m = /error \d+ \((.*)\) for query /.exec(line) ?? /error \d+: (.*)$/.exec(line) ?? /state = '[^']*': (.*)$/.exec(line);
  return (m?.[1] ?? line).trim().slice(0, 200);
}

/** Count lines of sysbench's histogram: "      2.477 |********      50". */
export function parseHistogram(output: string): { valueMs: number; count: number }[] {
  const start = output.indexOf('Latency histogram (values are in milliseconds)');
  if (start < 0) return [];
  const rows: { valueMs: number; count: number }[] = [];
  for (const line of output.slice(start).split('\n').slice(2)) {
    const m = /^\s*([0-9]+\.[0-9]+) \|\**\s+([0-9]+)\s*$/.exec(line);
    if (!m) break;
    rows.push({ valueMs: Number(m[1]), count: Number(m[2]) });
  }
  return rows;
}

/** sysbench's own rule (sb_histogram_getpct): the first bucket whose running count reaches round(total × q). */
export function histogramPercentile(rows: { valueMs: number; count: number }[], q: number): number {
  const total = rows.reduce((s, r) => s + r.count, 0);
  if (total === 0) throw new Error('empty histogram');
  const target = Math.floor(total * q + 0.5);
  let seen = 0;
  for (const r of rows) {
    seen += r.count;
    if (seen >= target) return r.valueMs;
  }
  return rows[rows.length - 1].valueMs;
}

/** A complete oltp_* run report; throws a WorkloadError naming the cause (connection, login, disk, cut output). */
export function parseOltpReport(output: string): OltpReport {
  const failure = sysbenchFailure(output);
  if (failure) throw new WorkloadError(failure, output);
  if (!/SQL statistics:/.test(output) || !/Threads fairness:/.test(output)) {
    throw new WorkloadError('sysbench printed no complete report (no "SQL statistics" … "Threads fairness" sections)', output);
  }
  const rate = (label: string): { count: number; perS: number } => {
    const m = new RegExp(`^\\s+${label}:\\s+([0-9]+)\\s+\\(([0-9]+(?:\\.[0-9]+)?) per sec\\.\\)\\s*$`, 'm').exec(output);
    if (!m) throw new WorkloadError(`sysbench report has no "${label}" line`, output);
    return { count: Number(m[1]), perS: Number(m[2]) };
  };
  const threads = Number(/^Number of threads: ([0-9]+)\s*$/m.exec(output)?.[1]);
  if (!Number.isInteger(threads) || threads < 1) throw new WorkloadError('sysbench report has no "Number of threads" line', output);
  const tx = rate('transactions');
  const queries = rate('queries');
  const ignored = rate('ignored errors');
  const reconnects = rate('reconnects');
  if (tx.count === 0 || tx.perS <= 0) throw new WorkloadError('sysbench completed no transaction', output);
  const rows = parseHistogram(output);
  const histTotal = rows.reduce((s, r) => s + r.count, 0);
  const events = Number(/^\s+total number of events:\s+([0-9]+)\s*$/m.exec(output)?.[1]);
  if (rows.length === 0) throw new WorkloadError('sysbench printed no latency histogram (run it with --histogram=on)', output);
  if (histTotal !== events) throw new WorkloadError(`sysbench histogram counts ${histTotal} events, its report ${events} (cut output?)`, output);
  const p95 = histogramPercentile(rows, 0.95);
  const printed = /^\s+95th percentile:\s+([0-9]+(?:\.[0-9]+)?)\s*$/m.exec(output);
  // the report's own 95th percentile comes from the same histogram: a mismatch means the output is not what we think
  if (printed && Math.abs(Number(printed[1]) - p95) > 0.01) {
    throw new WorkloadError(`sysbench reports a 95th percentile of ${printed[1]} ms, its histogram gives ${p95} ms`, output);
  }
  return {
    threads, transactionsPerS: tx.perS, queriesPerS: queries.perS, ignoredErrors: ignored.count, reconnects: reconnects.count,
    p95Ms: p95, p99Ms: histogramPercentile(rows, 0.99), events,
  };
}
