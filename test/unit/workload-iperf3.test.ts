import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import { WorkloadError, type Instance } from '../../src/types.ts';
import { serverEndpoint } from '../../src/workloads/exec.ts';
import { iperf3, iperf3ClientArgv, iperf3ServerArgv, parseIperf3, serverNotReady } from '../../src/workloads/iperf3.ts';
import { testHost } from '../helpers/host-changes.ts';

const fixture = (name: string) => readFileSync(path.join(root, 'test', 'fixtures', 'iperf3', name), 'utf8');
const cuts = (text: string) => [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97].map((f) => Math.floor(text.length * f)).concat([text.length - 3]);
const isWorkloadError = (e: unknown) => e instanceof WorkloadError;
const p = { time: 15, port: 5201, serverWait: 30 };

test('argv: one-off server in the instance, JSON client on the host, one TCP stream', () => {
  assert.equal(iperf3ServerArgv(p), ['iperf3', '-s', '-1', '-p', '5201']);
  assert.equal(iperf3ClientArgv(p, '10.0.0.2'), ['iperf3', '-c', '10.0.0.2', '-p', '5201', '-t', '15', '-J', '--connect-timeout', '3000']);
});

test('parses received throughput and sender retransmits', () => {
  const r = parseIperf3(fixture('ok-loopback-1s.json'));
  assert.is(r.throughputGbps, 13124467661.473394 / 1e9);
  assert.is(r.retransmits, 3);
  assert.is(r.quirk, undefined);
});

test('no server: iperf3 exits 0, the error field makes it a WorkloadError', () => {
  assert.is(fixture('no-server.meta').trim(), 'exit=0');
  try {
    parseIperf3(fixture('no-server.json'));
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof WorkloadError);
    assert.match((e as Error).message, /unable to connect to server: Connection refused/);
  }
});

test('gVisor host network, parameter exchange failed (real): WorkloadError', () => {
  assert.throws(() => parseIperf3(fixture('gvisor-hostnet-params-eagain.client.json')), isWorkloadError);
  assert.throws(() => parseIperf3(fixture('gvisor-hostnet-control-closed.client.json')), isWorkloadError);
});

test('gVisor "unable to receive results" with the receiver totals present: valid, quirk noted (edited fixture)', () => {
  const r = parseIperf3(fixture('gvisor-unable-to-receive-results.EDITED.json'));
  assert.is(r.throughputGbps, 13124467661.473394 / 1e9);
  assert.is(r.quirk, 'unable to receive results: Resource temporarily unavailable');
});

test('the quirk without receiver totals is an error', () => {
  const doc = JSON.parse(fixture('gvisor-unable-to-receive-results.EDITED.json'));
  delete doc.end.sum_received;
  assert.throws(() => parseIperf3(JSON.stringify(doc)), isWorkloadError);
  doc.end = {};
  assert.throws(() => parseIperf3(JSON.stringify(doc)), isWorkloadError);
});

test('reverse, UDP or several streams are not what the paper measured', () => {
  const doc = JSON.parse(fixture('ok-loopback-1s.json'));
  for (const [k, v] of [['reverse', 1], ['protocol', 'UDP'], ['num_streams', 2]] as const) {
    const d = structuredClone(doc);
    d.start.test_start[k] = v;
    assert.throws(() => parseIperf3(JSON.stringify(d)), isWorkloadError, k);
  }
});

test('every truncation of a good result throws WorkloadError', () => {
  for (const name of ['ok-loopback-1s.json', 'gvisor-unable-to-receive-results.EDITED.json']) {
    const text = fixture(name);
    for (const at of cuts(text)) assert.throws(() => parseIperf3(text.slice(0, at)), isWorkloadError, `${name} cut at ${at}`);
  }
});

test('run: no network path -> WorkloadError, nothing started', async () => {
  let execs = 0;
  const inst: Instance = { async exec() { execs++; throw new Error('not reached'); }, async stop() {} };
  try {
    await iperf3.run(inst, p, { cpus: 1, hostChanges: testHost });
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof WorkloadError);
    assert.match((e as Error).message, /iperf3 needs a server reachable from the host, but this instance has no address/);
  }
  assert.is(execs, 0);
});

test('a reset before any transfer means the server is not listening yet (QEMU user-mode networking); after a transfer it does not', () => {
  assert.ok(serverNotReady('{"start":{},"intervals":[],"end":{},"error":"unable to receive control message: Connection reset by peer"}', 'unable to receive control message: Connection reset by peer'));
  assert.ok(serverNotReady('', 'unable to connect to server: Connection refused'));
  assert.not.ok(serverNotReady('{"intervals":[{"sum":{}}],"error":"x"}', 'unable to receive results: Connection reset by peer'));
  assert.not.ok(serverNotReady('{}', undefined));
});

test('the client goes to the host port the platform forwarded for the server\'s guest port', () => {
  const p = { time: 2, port: 5201, serverWait: 30 };
  assert.equal(iperf3ClientArgv(p, '127.0.0.1', 40123).slice(0, 5), ['iperf3', '-c', '127.0.0.1', '-p', '40123']);
  assert.equal(serverEndpoint({ address: '127.0.0.1', ports: { 5201: 40123 } } as unknown as Instance, 5201, 'iperf3'), { address: '127.0.0.1', port: 40123 });
  assert.equal(serverEndpoint({ address: '10.0.0.2' } as unknown as Instance, 5201, 'iperf3'), { address: '10.0.0.2', port: 5201 });
});

test.run();
