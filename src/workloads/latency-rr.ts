// Request/response latency (the paper's netperf TCP_RR/UDP_RR) with sockperf ping-pong: server in the instance, client on the host.
import { formatArgv, run } from '../proc.ts';
import type { Instance, Metric, Params, Workload, WorkloadContext } from '../types.ts';
import { WorkloadError } from '../types.ts';
import { execOrThrow, serverEndpoint } from './exec.ts';

export type RrProtocol = 'tcp' | 'udp';

export interface LatencyRrParams {
  protocol: RrProtocol;
  /** seconds of ping-pong measured (after sockperf's own warm-up) */
  durationS: number;
  /** bytes per message, both directions (sockperf cannot answer with another size) */
  msgSize: number;
  /** port the server listens on inside the instance */
  port: number;
  /** seconds to wait for the server to answer before giving up */
  serverWaitS: number;
}

/** `sockperf server` in the background, its pid printed (in the instance's pid namespace) so it can be killed after. */
export function serverScript(p: Pick<LatencyRrParams, 'protocol' | 'port'>): string[] {
  const tcp = p.protocol === 'tcp' ? ' --tcp' : '';
  // output redirected: a background child holding exec's pipes would keep the exec from returning
  return ['sh', '-c', `sockperf server${tcp} -i 0.0.0.0 -p ${Math.trunc(p.port)} >/dev/null 2>&1 & echo $!`];
}

/** The host-side client: round-trip times (--full-rtt, like netperf's RR transaction latency), microseconds. */
export function clientArgv(p: Pick<LatencyRrParams, 'protocol' | 'msgSize'>, address: string, port: number, durationS: number): string[] {
  return [
    'sockperf', 'ping-pong', ...(p.protocol === 'tcp' ? ['--tcp'] : []),
    '-i', address, '-p', String(port), '-t', String(durationS), '--msg-size', String(p.msgSize), '--full-rtt',
  ];
}

export interface RrLatency {
  p50: number;
  p90: number;
  p99: number;
  observations: number;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/** Percentiles from sockperf ping-pong's report; sockperf exits 0 even when no server answered, so the text decides. */
export function parseSockperf(output: string): RrLatency {
  const text = output.replace(ANSI, '');
  const error = /sockperf: ERROR: (.*)/.exec(text);
  if (error) throw new WorkloadError(`sockperf: ${error[1].trim()}`, output);
  if (/No messages were received from the server/.test(text)) {
    throw new WorkloadError('sockperf: no reply from the server (is it running and reachable?)', output);
  }
  if (!/Summary: Round trip is/.test(text)) {
    throw new WorkloadError('sockperf printed no "Summary: Round trip" line (run without --full-rtt, or incomplete)', output);
  }
  const percentile = (q: string): number => {
    // a whole line only (the newline included): a report cut inside the number must not give a shorter number
    const m = new RegExp(`percentile ${q.replace('.', '\\.')} =[ \\t]*([0-9]+(?:\\.[0-9]+)?)[ \\t]*\\r?\\n`).exec(text);
    if (!m) throw new WorkloadError(`sockperf printed no "percentile ${q}" line (incomplete report)`, output);
    return Number(m[1]);
  };
  const total = /Total (\d+) observations/.exec(text);
  if (!total || Number(total[1]) === 0) throw new WorkloadError('sockperf reported no observations', output);
  const r = { p50: percentile('50.000'), p90: percentile('90.000'), p99: percentile('99.000'), observations: Number(total[1]) };
  if (!/<MIN> observation =\s*[0-9.]+/.test(text)) throw new WorkloadError('sockperf report ends before its "<MIN> observation" line (incomplete)', output);
  if (!(r.p50 > 0 && r.p50 <= r.p90 && r.p90 <= r.p99)) throw new WorkloadError(`sockperf percentiles out of order: ${JSON.stringify(r)}`, output);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const latencyRr: Workload = {
  id: 'latency-rr',
  // seconds one instance measures, for the budget and `isobench plan` before this host has timed it
  expectedS: (p) => Number(p.durationS) + 2,
  description:
    'request/response round-trip latency with sockperf ping-pong (server in the instance, client on the host; the paper used netperf TCP_RR/UDP_RR, not in Debian main): equal request and reply size, since sockperf cannot reply with another size',
  tools: ['sockperf'],
  packages: ['sockperf'],
  guestPorts: (params) => [(params as unknown as LatencyRrParams).port],
  report: {
    area: 'network',
    charts: ['percentiles'],
    percentiles: [{ metric: 'p50_us', label: 'P50' }, { metric: 'p90_us', label: 'P90' }, { metric: 'p99_us', label: 'P99' }],
  },
  metrics: [
    { name: 'p50_us', unit: 'µs', better: 'lower', description: 'median round-trip time' },
    { name: 'p90_us', unit: 'µs', better: 'lower', description: '90th percentile round-trip time (the paper compares P90)' },
    { name: 'p99_us', unit: 'µs', better: 'lower', description: '99th percentile round-trip time' },
  ],
  claimMeasures: { jobs: ['tcp', 'udp'], metrics: ['p50_us', 'p90_us', 'p99_us'] },
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      protocol: { enum: ['tcp', 'udp'], default: 'tcp', description: 'TCP_RR or UDP_RR' },
      durationS: { type: 'integer', minimum: 1, maximum: 3600, default: 15, description: 'seconds measured (the paper: 15)' },
      msgSize: {
        type: 'integer', minimum: 14, maximum: 65000, default: 100,
        description: 'bytes per message in both directions (the paper: 100-byte request, 200-byte response; sockperf replies with the request size)',
      },
      port: { type: 'integer', minimum: 1024, maximum: 65535, default: 11111, description: 'server port inside the instance' },
      serverWaitS: { type: 'integer', minimum: 1, maximum: 600, default: 20, description: 'seconds to wait for the server to answer' },
    },
  },
  async run(instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]> {
    const p = params as unknown as LatencyRrParams;
    const { address, port: hostPort } = serverEndpoint(instance, p.port, 'latency-rr');
    const started = await execOrThrow(instance, serverScript(p), { timeoutMs: 30_000 });
    const serverPid = started.stdout.trim();
    if (!/^\d+$/.test(serverPid)) throw new WorkloadError(`sockperf server did not start (printed '${serverPid}' instead of its pid)`, started.stdout + started.stderr);
    try {
      // the server needs a moment to listen: a one-second probe must get answers before the measured run
      const deadline = Date.now() + p.serverWaitS * 1000;
      for (let attempt = 1; ; attempt++) {
        const probe = await run(clientArgv(p, address, hostPort, 1), { timeoutMs: 30_000 });
        try {
          parseSockperf(probe.stdout + probe.stderr);
          break;
        } catch (e) {
          if ((await instance.exec(['kill', '-0', serverPid], { timeoutMs: 30_000 })).code !== 0) {
            throw new WorkloadError(`sockperf server (pid ${serverPid} in the instance) exited at once: is port ${p.port}/${p.protocol} in use?`, probe.stdout + probe.stderr);
          }
          if (Date.now() > deadline) throw new WorkloadError(`sockperf server at ${address}:${hostPort} did not answer within ${p.serverWaitS} s (${attempt} probes): ${(e as Error).message}`, probe.stdout + probe.stderr);
          await sleep(250);
        }
      }
      const r = await run(clientArgv(p, address, hostPort, p.durationS), { timeoutMs: (p.durationS + 60) * 1000 });
      ctx.log?.(`$ (host) ${formatArgv(r.hostArgv)}\n# exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} in ${r.ms.toFixed(1)} ms\n--- stdout\n${(r.stdout + r.stderr).trimEnd()}\n`);
      if (r.timedOut) throw new WorkloadError(`sockperf client timed out after ${p.durationS + 60} s`, r.stdout + r.stderr);
      const lat = parseSockperf(r.stdout + r.stderr);
      if (r.code !== 0) throw new WorkloadError(`sockperf client exit ${r.code ?? r.signal}`, r.stdout + r.stderr);
      return [
        { name: 'p50_us', value: lat.p50, unit: 'µs', better: 'lower' },
        { name: 'p90_us', value: lat.p90, unit: 'µs', better: 'lower' },
        { name: 'p99_us', value: lat.p99, unit: 'µs', better: 'lower' },
      ];
    } finally {
      // SIGKILL: sockperf's TCP server ignores SIGTERM while it waits in accept/epoll
      await instance.exec(['kill', '-9', serverPid], { timeoutMs: 30_000 });
    }
  },
};
