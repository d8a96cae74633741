import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError, type Instance } from '../../src/types.ts';
import { workloadById } from '../../src/workloads/index.ts';
import { clientArgv, latencyRr, parseSockperf, serverScript } from '../../src/workloads/latency-rr.ts';
import { testHost } from '../helpers/host-changes.ts';

const isWorkloadError = (e: Error) => e instanceof WorkloadError;

const fixture = (f: string) => readFileSync(path.join(root, 'test', 'fixtures', 'latency-rr', f), 'utf8');

test('server: sockperf in the background with its output redirected, pid printed; --tcp only for tcp', () => {
  assert.equal(serverScript({ protocol: 'tcp', port: 11111 }), ['sh', '-c', 'sockperf server --tcp -i 0.0.0.0 -p 11111 >/dev/null 2>&1 & echo $!']);
  assert.equal(serverScript({ protocol: 'udp', port: 12000 }), ['sh', '-c', 'sockperf server -i 0.0.0.0 -p 12000 >/dev/null 2>&1 & echo $!']);
});

test('client: ping-pong, full round trip, message size, duration', () => {
  assert.equal(clientArgv({ protocol: 'tcp', msgSize: 100 }, '172.17.0.2', 11111, 15), [
    'sockperf', 'ping-pong', '--tcp', '-i', '172.17.0.2', '-p', '11111', '-t', '15', '--msg-size', '100', '--full-rtt',
  ]);
  assert.not.ok(clientArgv({ protocol: 'udp', msgSize: 100 }, '127.0.0.1', 1, 1).includes('--tcp'));
});

test('parses P50/P90/P99 round-trip times (µs) from real TCP and UDP reports', () => {
  assert.equal(parseSockperf(fixture('sockperf-tcp-100b.stdout')), { p50: 15.092, p90: 15.893, p99: 21.461, observations: 89682 });
  assert.equal(parseSockperf(fixture('sockperf-udp-100b.stdout')), { p50: 12.538, p90: 13.329, p99: 61.25, observations: 47557 });
});

test('no server (sockperf still exits 0): TCP refused, UDP no replies — both WorkloadErrors', () => {
  assert.throws(() => parseSockperf(fixture('sockperf-tcp-no-server.stdout')), (e: Error) => e instanceof WorkloadError && /Connection refused/.test(e.message));
  assert.throws(() => parseSockperf(fixture('sockperf-udp-no-server.stdout')), (e: Error) => e instanceof WorkloadError && /no reply from the server/.test(e.message));
});

test('truncated or garbled reports are WorkloadErrors', () => {
  const ok = fixture('sockperf-tcp-100b.stdout');
  assert.throws(() => parseSockperf(ok.slice(0, ok.indexOf('percentile 90.000'))), (e: Error) => e instanceof WorkloadError && /no "percentile 50\.000" line/.test(e.message));
  assert.throws(() => parseSockperf(ok.slice(0, ok.indexOf('Summary'))), isWorkloadError);
  const inNumber = ok.indexOf('percentile 50.000 =   15.09') + 'percentile 50.000 =   15.09'.length; // cut inside 15.092
  assert.throws(() => parseSockperf(ok.slice(0, inNumber)), isWorkloadError);
  assert.throws(() => parseSockperf(ok.slice(0, ok.indexOf('<MIN>'))), (e: Error) => e instanceof WorkloadError && /<MIN> observation/.test(e.message));
  assert.throws(() => parseSockperf(ok.replace('percentile 50.000 =   15.092', 'percentile 50.000 =   99.000')), /out of order/);
  assert.throws(() => parseSockperf('\u0000garbage\n'), isWorkloadError);
});

test('an instance the host cannot reach is refused before anything starts', async () => {
  let execs = 0;
  const instance = { network: 'none', exec: async () => { execs++; throw new Error('not expected'); }, stop: async () => {} } as unknown as Instance;
  try {
    await latencyRr.run(instance, { protocol: 'tcp', durationS: 1, msgSize: 100, port: 11111, serverWaitS: 1 }, { cpus: 1, hostChanges: testHost });
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.ok(e instanceof WorkloadError, String(e));
    assert.match((e as Error).message, /no address \(network 'none'\)/);
  }
  assert.is(execs, 0);
});

test('registered; the description names the tool and the equal message sizes', () => {
  assert.is(workloadById('latency-rr'), latencyRr);
  assert.match(latencyRr.description, /sockperf/);
  assert.match(latencyRr.description, /netperf/);
  assert.equal(latencyRr.metrics.map((m) => m.name), ['p50_us', 'p90_us', 'p99_us']);
});

test.run();
