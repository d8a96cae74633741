// iperf3: one TCP stream from the host (client) to a server inside the instance, as the paper measured network throughput.
import net from 'node:net';
import { log } from '../log.ts';
import { run } from '../proc.ts';
import type { ExecResult, Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { serverEndpoint } from './exec.ts';

export interface Iperf3Params {
  time: number; // seconds of transfer (-t)
  port: number;
  serverWait: number; // seconds to wait for the server inside the instance to listen
}

export interface Iperf3Result {
  throughputGbps: number;
  retransmits: number;
  /** set when the gVisor quirk happened: iperf3 reported this error, yet the receiver's totals are present */
  quirk?: string;
}

/** one-off server: it exits after one client, so the instance's exec returns */
export function iperf3ServerArgv(p: Iperf3Params): string[] {
  return ['iperf3', '-s', '-1', '-p', String(p.port)];
}

/** The host-side client; port is where the host reaches the server (the guest port, unless the platform forwards another). */
export function iperf3ClientArgv(p: Iperf3Params, address: string, port = p.port): string[] {
  return ['iperf3', '-c', address, '-p', String(port), '-t', String(p.time), '-J', '--connect-timeout', '3000'];
}

/** gVisor's netstack sometimes breaks the final results exchange after a complete transfer (host-notes: gVisor) */
const RESULTS_QUIRK = /^unable to receive results/;
const NOT_LISTENING = /^unable to connect to server/;

/**
 * The server is not listening yet: refused, or (QEMU user-mode networking, which accepts on the host side for the
 * guest) reset before any data moved.
 */
export function serverNotReady(clientStdout: string, err: string | undefined): boolean {
  if (!err) return false;
  if (NOT_LISTENING.test(err)) return true;
  return /Connection reset by peer/.test(err) && !/"intervals":\s*\[\s*\{/.test(clientStdout);
}

/**
 * Throughput (receiver side) and sender retransmits from iperf3 -J output; throws on anything that is not a complete
 * host→guest TCP result. iperf3 3.12 exits 0 even when it could not connect, so the "error" field decides.
 */
export function parseIperf3(stdout: string): Iperf3Result {
  const doc = iperf3Json(stdout);
  const error = typeof doc.error === 'string' ? doc.error : undefined;
  if (doc.error !== undefined && error === undefined) throw new WorkloadError(`iperf3 JSON: "error" is ${JSON.stringify(doc.error)}`, stdout);
  if (error !== undefined && !RESULTS_QUIRK.test(error)) throw new WorkloadError(`iperf3: ${error}`, stdout);
  const start = rec(doc.start, 'start', stdout);
  const test = rec(start.test_start, 'start.test_start', stdout);
  if (test.protocol !== 'TCP') throw new WorkloadError(`iperf3 ran ${String(test.protocol)}, expected TCP`, stdout);
  if (test.num_streams !== 1) throw new WorkloadError(`iperf3 ran ${String(test.num_streams)} streams, expected 1`, stdout);
  if (test.reverse !== 0) throw new WorkloadError('iperf3 ran in reverse (guest→host), expected host→guest', stdout);
  const end = rec(doc.end, 'end', stdout);
  if (end.sum_received === undefined) {
    throw new WorkloadError(`iperf3 JSON has no end.sum_received (the receiver's totals)${error ? `; iperf3 said: ${error}` : ''}`, stdout);
  }
  const received = rec(end.sum_received, 'end.sum_received', stdout);
  const sent = rec(end.sum_sent, 'end.sum_sent', stdout);
  const bps = received.bits_per_second;
  if (typeof bps !== 'number' || !Number.isFinite(bps) || bps <= 0) {
    throw new WorkloadError(`iperf3 JSON: end.sum_received.bits_per_second is ${JSON.stringify(bps)}`, stdout);
  }
  const retransmits = sent.retransmits;
  if (typeof retransmits !== 'number' || !Number.isInteger(retransmits) || retransmits < 0) {
    throw new WorkloadError(`iperf3 JSON: end.sum_sent.retransmits is ${JSON.stringify(retransmits)} (the sender must be Linux)`, stdout);
  }
  return { throughputGbps: bps / 1e9, retransmits, ...(error ? { quirk: error } : {}) };
}

function iperf3Json(stdout: string): Record<string, unknown> {
  const start = /^\{/m.exec(stdout);
  if (!start) throw new WorkloadError('iperf3 printed no JSON', stdout);
  let doc: unknown;
  try {
    doc = JSON.parse(stdout.slice(start.index));
  } catch (e) {
    throw new WorkloadError(`iperf3 JSON is incomplete or malformed (${(e as Error).message})`, stdout);
  }
  return rec(doc, 'the top level', stdout);
}

function rec(x: unknown, field: string, stdout: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new WorkloadError(`iperf3 JSON: ${field} is not an object`, stdout);
  return x as Record<string, unknown>;
}

/** the "error" of a client run, if its output is JSON that has one */
function clientError(stdout: string): string | undefined {
  try {
    const e = iperf3Json(stdout).error;
    return typeof e === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** A bare connection makes a one-off server give up and exit, so a failed run leaves no server behind. */
function releaseServer(address: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.createConnection({ host: address, port, timeout: 2000 });
    const done = () => { s.destroy(); resolve(); };
    s.on('connect', done);
    s.on('timeout', done);
    s.on('error', done);
  });
}

/** exit and last lines of the server's exec, for an error message */
function serverSummary(r: ExecResult): string {
  const tail = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l && !/^-+$/.test(l)).slice(-2).join(' | ');
  return `${r.code === null ? `killed by ${r.signal ?? 'a signal'}` : `exit ${r.code}`}${tail ? `: ${tail}` : ''}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** the server's exec, or undefined if it has not exited within ms */
function settleWithin(p: Promise<ExecResult>, ms: number): Promise<ExecResult | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); })]).finally(() => clearTimeout(timer));
}

export const iperf3: Workload = {
  id: 'iperf3',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => Number(p.time) + 1,
  description: 'iperf3: one TCP stream from an iperf3 client on the host to an iperf3 server inside the instance',
  tools: ['iperf3'],
  packages: ['iperf3'],
  guestPorts: (params) => [(params as unknown as Iperf3Params).port],
  report: { area: 'network', charts: ['ratio', 'value'], counts: ['retransmits'] },
  metrics: [
    { name: 'throughput_gbps', unit: 'Gbit/s', better: 'higher', description: 'received TCP throughput host→guest' },
    { name: 'retransmits', unit: 'segments', better: 'lower', description: 'TCP retransmissions by the sender (host)', resolution: 1 },
  ],
  claimMeasures: { jobs: ['default'], metrics: ['throughput_gbps', 'retransmits'] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      time: { type: 'integer', minimum: 1, maximum: 3600, default: 15, description: 'seconds of transfer (-t)' },
      port: { type: 'integer', minimum: 1024, maximum: 65535, default: 5201, description: 'server port (-p)' },
      serverWait: { type: 'integer', minimum: 1, maximum: 600, default: 30, description: 'seconds to wait for the server to listen' },
    },
  },
  async run(instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as Iperf3Params;
    const endpoint = serverEndpoint(instance, p.port, 'iperf3');
    // gVisor's netstack sometimes breaks the control channel around a complete transfer: a fresh exchange is tried,
    // and how many it took is recorded with the sample
    const earlier: string[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await exchange(instance, p, endpoint);
        const note = earlier.length ? `attempt ${attempt} of ${CONTROL_RETRIES + 1}; earlier attempts ended with: ${earlier.join(' | ')}` : undefined;
        if (note) ctx.log?.(`iperf3: ${note}`);
        return [
          { name: 'throughput_gbps', value: result.throughputGbps, unit: 'Gbit/s', better: 'higher', ...(note ? { note } : {}) },
          { name: 'retransmits', value: result.retransmits, unit: 'segments', better: 'lower', ...(note ? { note } : {}) },
        ];
      } catch (e) {
        if (!(e instanceof WorkloadError) || !CONTROL_BROKEN.test(e.message) || attempt > CONTROL_RETRIES) throw e;
        earlier.push(e.message.slice(0, 200));
        log.warn(`iperf3: ${e.message.slice(0, 160)}; trying a fresh exchange (${attempt}/${CONTROL_RETRIES})`);
      }
    }
  },
};

/** Control-channel failures around a transfer (gVisor): worth a fresh exchange, not a verdict on the platform. */
const CONTROL_BROKEN = /unable to (send control message|receive control message|receive results|receive parameters)/;
const CONTROL_RETRIES = 2;

/** One server start inside the instance and one client run on the host. */
async function exchange(instance: Instance, p: Iperf3Params, endpoint: { address: string; port: number }): Promise<Iperf3Result> {
  // exec waits for the process to exit, so the server runs while the client measures; -1 makes it exit afterwards
  let serverDone: ExecResult | undefined;
  const server = instance
    .exec(iperf3ServerArgv(p), { timeoutMs: (p.serverWait + p.time + 120) * 1000 })
    .catch((e: Error): ExecResult => ({ stdout: '', stderr: e.message, code: null, signal: null, ms: 0, timedOut: false, hostArgv: [] }));
  void server.then((r) => { serverDone = r; });

  // the client itself is the readiness probe: a bare TCP probe would use up the one-off server
  const argv = iperf3ClientArgv(p, endpoint.address, endpoint.port);
  const deadline = Date.now() + p.serverWait * 1000;
  let client: ExecResult;
  for (;;) {
    client = await run(argv, { timeoutMs: (p.time + 60) * 1000 });
    const err = clientError(client.stdout);
    if (!serverNotReady(client.stdout, err) || Date.now() > deadline || serverDone) break;
    await sleep(250);
  }

  const err = clientError(client.stdout);
  if (serverNotReady(client.stdout, err)) await releaseServer(endpoint.address, endpoint.port);
  const ended = await settleWithin(server, 15_000);
  if (!ended) log.warn(`iperf3: the server inside the instance has not exited 15 s after the client; its exec timeout will end it`);

  let result: Iperf3Result;
  try {
    if (client.timedOut) throw new WorkloadError(`iperf3 client timed out after ${p.time + 60} s`, client.stdout + client.stderr);
    if (!/^\{/m.test(client.stdout)) {
      const tail = client.stderr.trim().split('\n').slice(-3).join(' | ');
      throw new WorkloadError(`iperf3 client printed no JSON (exit ${client.code ?? client.signal})${tail ? `: ${tail}` : ''}`, client.stdout + client.stderr);
    }
    result = parseIperf3(client.stdout);
    // a server that could not listen means the client measured some other server on that port
    if (ended && /unable to start listener/.test(ended.stdout + ended.stderr)) {
      throw new WorkloadError(`iperf3: port ${p.port} is already taken inside the instance (choose another port)`, ended.stdout + ended.stderr);
    }
  } catch (e) {
    // the server's side of a failure (e.g. gVisor: "unable to receive parameters from client") is the useful half
    if (e instanceof WorkloadError && ended) throw new WorkloadError(`${e.message}; server: ${serverSummary(ended)}`, e.output);
    throw e;
  }
  if (result.quirk) log.warn(`iperf3: "${result.quirk}" after a complete transfer (the gVisor quirk); the receiver's totals are used`);
  return result;
}
