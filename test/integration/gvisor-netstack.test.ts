// gVisor's own network stack (netstack) and its file paths for real: iperf3 and sockperf against a server in the sandbox,
// fio on the Gofer-served data mount and on the sandbox's tmpfs, and nothing left (netns, veth, mounts, processes) after.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRootfs } from '../../src/images/rootfs.ts';
import { hiddenNetSysctlArgv, gvisorPtrace } from '../../src/platforms/gvisor.ts';
import { NETNS_PREFIX, VETH_PREFIX } from '../../src/platforms/guest-netns.ts';
import { native } from '../../src/platforms/native.ts';
import { run, which } from '../../src/proc.ts';
import type { Instance, InstanceSpec, Metric } from '../../src/types.ts';
import { fio } from '../../src/workloads/fio.ts';
import { iperf3 } from '../../src/workloads/iperf3.ts';
import { latencyRr } from '../../src/workloads/latency-rr.ts';
import { testHost } from '../helpers/host-changes.ts';
import { processesMentioning } from '../helpers/processes.ts';
import { skip } from '../helpers/skip.ts';
import { useTempData } from '../helpers/temp-data.ts';

const test = suite('gvisor-netstack');
const data = useTempData(test, 'isobench-gvisor-netstack-test');

const byName = (m: Metric[]) => Object.fromEntries(m.map((x) => [x.name, x]));
const missing = (...tools: string[]) => tools.filter((t) => !which(t));

/** guest netns and veths this process made (their names carry no pid: the owner is in the veth alias) */
async function ourGuestNetworks(): Promise<string[]> {
  const ns = readdirSync('/var/run/netns').filter((n) => n.startsWith(NETNS_PREFIX));
  const links = JSON.parse((await run(['ip', '-j', 'link', 'show'])).stdout || '[]') as { ifname: string; ifalias?: string }[];
  const mine = links.filter((l) => l.ifname.startsWith(VETH_PREFIX) && (l.ifalias ?? '').includes(`pid=${process.pid} `)).map((l) => l.ifname);
  return [...mine, ...ns.filter((n) => mine.includes(n.replace(NETNS_PREFIX, VETH_PREFIX)))];
}


const hostMountsOf = (fsName: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(fsName));

async function rootfs() {
  return buildRootfs(['fio', 'iperf3', 'sockperf', 'stat']);
}

function spec(name: string, fs: { dir: string; hash: string }, options: Record<string, unknown>, dataDir?: string): InstanceSpec {
  return { name, cpus: 1, memoryMiB: 512, rootfs: fs.dir, rootfsHash: fs.hash, dataDir, options, logDir: path.join(data(), 'logs'), hostChanges: testHost };
}

function gvisorMissing(): string | undefined {
  const m = missing('runsc', 'ip', 'unshare', 'iperf3', 'sockperf', 'fio');
  if (m.length) return `${m.join(', ')} not installed (apt-get install runsc iproute2 util-linux iperf3 sockperf fio)`;
  if (process.getuid?.() !== 0) return 'runsc and network namespaces need root';
  return undefined;
}

test('the workaround hides /proc/sys/net from the wrapped command only, and leaves no mount behind', async () => {
  if (missing('unshare').length || process.getuid?.() !== 0) return skip('unshare (util-linux) and root needed');
  const inside = await run(hiddenNetSysctlArgv(['sh', '-c', 'test -e /proc/sys/net/core/rmem_default && echo visible || echo hidden']), { timeoutMs: 10_000 });
  assert.is(inside.code, 0, inside.stderr);
  assert.is(inside.stdout.trim(), 'hidden');
  assert.ok(existsSync('/proc/sys/net/core/rmem_default'), 'the host still sees it');
  assert.equal(hostMountsOf('isobench-hidden'), [], 'no mount in the host mount namespace');
});

test("gvisor-ptrace network sandbox: netstack in its own netns, iperf3 and sockperf reach the server, the run is labelled", async () => {
  const why = gvisorMissing();
  if (why) return skip(why);
  const fs = await rootfs();
  const name = `isobench-it-netstack-${process.pid}`;
  let instance: Instance | undefined;
  try {
    instance = await gvisorPtrace.start(spec(name, fs, { network: 'sandbox' }));
    assert.is(instance.network, 'sandbox');
    assert.match(instance.address ?? '', /^198\.19\.\d+\.\d+$/);
    assert.match(instance.settings?.network ?? '', /^sandbox: gVisor's netstack on veth ibgn\d+g in netns isobench-gn\d+/);
    // netstack took the veth's address: the host kernel in the netns no longer holds it
    const inside = await instance.exec(['cat', '/proc/net/dev'], { timeoutMs: 20_000 });
    assert.match(inside.stdout, new RegExp(`${VETH_PREFIX}\\d+g:`), inside.stdout + inside.stderr);

    const net = byName(await iperf3.run(instance, { time: 1, port: 5201, serverWait: 30 }, { cpus: 1, hostChanges: testHost }));
    assert.ok(net.throughput_gbps.value > 0, `throughput ${net.throughput_gbps.value}`);
    // UDP: sockperf's TCP server replies with sendto() and an address recvfrom() never filled, which netstack refuses
    // (EAFNOSUPPORT) where Linux ignores it (docs/platforms-containers.md)
    const rr = byName(await latencyRr.run(instance, { protocol: 'udp', durationS: 1, msgSize: 100, port: 11111, serverWaitS: 30 }, { cpus: 1, hostChanges: testHost }));
    assert.ok(Object.values(rr).length > 0 && Object.values(rr).every((m) => m.value > 0), JSON.stringify(rr));
  } finally {
    await instance?.stop();
  }
  assert.equal(await ourGuestNetworks(), [], 'netns or veth left');
  assert.equal(processesMentioning(name), [], 'runsc processes left');
  assert.equal(readdirSync(os.tmpdir()).filter((n) => n.includes(name)), [], 'bundle/state area left');
  assert.equal(hostMountsOf('isobench-hidden'), [], 'the hidden sysctl mount leaked into the host');
});

test('gvisor-ptrace network sandbox: a one-shot sandbox prints through netstack; reap removes an abandoned one with its netns', async () => {
  const why = gvisorMissing();
  if (why) return skip(why);
  const fs = await rootfs();
  const base = `isobench-it-netstack1-${process.pid}`;
  const r = await gvisorPtrace.oneShot!(spec(`${base}-s0`, fs, { network: 'sandbox' }), ['/bin/echo', 'isobench-ready'], { timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'isobench-ready\n');
  await gvisorPtrace.start(spec(`${base}-r`, fs, { network: 'sandbox' })); // a crashed run: never stopped
  assert.ok((await ourGuestNetworks()).length > 0);
  assert.equal(await gvisorPtrace.reap!(`${base}-r`), [`${base}-r`]);
  assert.equal(await ourGuestNetworks(), [], 'netns or veth left');
  assert.equal(processesMentioning(base), [], 'runsc processes left');
});

test('fio fileSystem data (Gofer bind mount) and memory (the sandbox tmpfs) on gVisor, memory on native; memory says it ran buffered', async () => {
  const why = gvisorMissing();
  if (why) return skip(why);
  const fs = await rootfs();
  const params = { jobs: ['write', 'randread'], size: '8M', rampTime: 0, runtime: 1, ioengine: 'libaio', direct: true };
  for (const platform of [gvisorPtrace, native]) {
    const dataDir = path.join(data(), 'scratch', platform.id);
    mkdirSync(dataDir, { recursive: true });
    const instance = await platform.start(spec(`isobench-it-fio-${platform.id}-${process.pid}`, fs, {}, dataDir));
    let memoryDir: string | undefined;
    try {
      memoryDir = instance.memoryDir;
      const onData = byName(await fio.run(instance, { ...params, fileSystem: 'data' }, { cpus: 1, hostChanges: testHost }));
      assert.ok(onData.randread_iops.value > 0);
      assert.is(onData.randread_iops.note, undefined);
      assert.ok(readdirSync(dataDir).includes('isobench-fio.testfile'), 'the data job wrote to the host data directory');
      const inMemory = byName(await fio.run(instance, { ...params, fileSystem: 'memory' }, { cpus: 1, hostChanges: testHost }));
      assert.ok(inMemory.randread_iops.value > 0);
      assert.match(inMemory.randread_iops.note ?? '', /^fileSystem memory: \S+ on tmpfs, buffered I\/O/);
      if (platform === gvisorPtrace) {
        assert.is(instance.settings?.fileAccessMounts, 'shared');
        assert.is(instance.settings?.overlay, 'none');
      }
    } finally {
      await instance.stop();
    }
    if (memoryDir && platform === native) assert.not.ok(existsSync(memoryDir), 'native removes its tmpfs directory');
  }
});

test.run();
