// QEMU under TCG for real: the Debian kernel package, the benchmark initramfs, the agent on the serial line, the data disk, cleanup.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { guestKernel, guestVmlinux } from '../../src/images/guest-kernel.ts';
import { buildRootfs } from '../../src/images/rootfs.ts';
import { qemuTcg } from '../../src/platforms/qemu-tcg.ts';
import { qemuTcgMicrovm } from '../../src/platforms/qemu-tcg-microvm.ts';
import { BRIDGE, HOST_ADDRESS, tapUnavailable } from '../../src/platforms/tap-network.ts';
import { PROBE_MARKER, probeInitramfs } from '../../src/platforms/vm-probe.ts';
import { testHost } from '../helpers/host-changes.ts';
import { run, which } from '../../src/proc.ts';
import type { Instance, InstanceSpec, Platform } from '../../src/types.ts';
import { skip } from '../helpers/skip.ts';

const test = suite('qemu-tcg');
const saved = process.env.ISOBENCH_DATA;
let tmp = '';
let rootfs = { dir: '', hash: '' };
let unavailable: { reason: string; needs: string[] } | undefined;

/** pids of processes whose command line names this instance (qemu runs with -name <name>) */
function processesOf(name: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(name)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}
const vmDirs = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith('isobench-vm-'));
const taps = async () => ((await run(['ip', '-o', 'link', 'show'], { timeoutMs: 10_000 })).stdout.match(/\bibt[0-9a-f]+\b/g) ?? []).sort();

function spec(name: string, options: Record<string, unknown> = { network: 'user' }): InstanceSpec {
  const dataDir = path.join(tmp, 'scratch', name);
  const logDir = path.join(tmp, 'logs');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  return { name, cpus: 1, memoryMiB: 512, rootfs: rootfs.dir, rootfsHash: rootfs.hash, dataDir, options, logDir, ports: [5201], hostChanges: testHost };
}

test.before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-qemu-test-'));
  process.env.ISOBENCH_DATA = path.join(tmp, 'data');
  if (!which('qemu-system-x86_64')) { unavailable = { reason: 'qemu-system-x86_64 not installed (apt-get install qemu-system-x86)', needs: ['qemu-tcg'] }; return; }
  if (!which('sysbench')) { unavailable = { reason: 'sysbench not installed (apt-get install sysbench)', needs: ['sysbench'] }; return; }
  if (!which('apt-get')) { unavailable = { reason: 'no apt-get to fetch the guest kernel package', needs: ['qemu-tcg'] }; return; }
  rootfs = await buildRootfs(['sysbench']);
});
test.after(async () => {
  await testHost.undo();
  if (saved === undefined) delete process.env.ISOBENCH_DATA;
  else process.env.ISOBENCH_DATA = saved;
  rmSync(tmp, { recursive: true, force: true });
});

async function lifecycle(platform: Platform, name: string, options: Record<string, unknown>, more?: (inst: Instance) => Promise<void>) {
  const before = vmDirs();
  const tapsBefore = await taps();
  const s = spec(name, options);
  const t0 = Date.now();
  const inst = await platform.start(s);
  const bootMs = Date.now() - t0;
  try {
    assert.is(processesOf(name).length, 1, 'one VMM process while running');
    const v = await inst.exec(['sysbench', '--version'], { timeoutMs: 30_000 });
    assert.is(v.code, 0, v.stderr);
    assert.match(v.stdout, /^sysbench \d+\.\d+/);
    const e = await inst.exec(['sh', '-c', 'exit 3'], { timeoutMs: 10_000 });
    assert.is(e.code, 3);
    const w = await inst.exec(['sh', '-c', 'echo "it\'s data" > /data/f && sync && cat /data/f && grep -E " /data | / " /proc/mounts'], { timeoutMs: 10_000 });
    assert.is(w.code, 0, w.stderr);
    assert.match(w.stdout, /^it's data\n/);
    if (options.root === 'disk') {
      assert.match(w.stdout, /^\/dev\/vda \/ ext4 ro,/m, 'root on the read-only root disk');
      assert.match(w.stdout, /^\/dev\/vdb \/data ext4 rw/m, 'data disk second');
    } else {
      assert.match(w.stdout, /^rootfs \/ rootfs /m, 'root in the initramfs');
      assert.match(w.stdout, /^\/dev\/vda \/data ext4 rw/m, 'data disk first');
    }
    assert.is(inst.dataPath, '/data');
    if (options.network === 'user') {
      assert.is(inst.network, 'user');
      assert.is(inst.address, '127.0.0.1');
      assert.ok(inst.ports?.[5201], 'iperf3 port forwarded to a free host port');
    } else {
      assert.is(inst.network, 'tap');
      assert.match(inst.address ?? '', /^10\.213\.7\.\d+$/);
      const ping = await inst.exec(['busybox', 'ping', '-c', '1', '-W', '5', HOST_ADDRESS], { timeoutMs: 15_000 });
      assert.is(ping.code, 0, `the guest reaches the host over TAP and the bridge: ${ping.stdout}${ping.stderr}`);
    }
    await more?.(inst);
  } finally {
    await inst.stop();
  }
  assert.equal(processesOf(name), [], 'no VMM process left');
  assert.equal(await taps(), tapsBefore, 'no TAP device left');
  assert.equal(vmDirs().filter((d) => !before.includes(d)), [], 'work directory (sockets) removed');
  assert.equal(readdirSync(s.dataDir!), [], 'data disk image removed');
  assert.ok(existsSync(path.join(s.logDir, `${name}.console.log`)), 'console log kept');
  return bootMs;
}

test('qemu-tcg (pc): boot, run commands with their exit codes, write to the data disk, time out a command, stop leaving nothing', async () => {
  if (unavailable) return skip(unavailable.reason, unavailable.needs);
  const ms = await lifecycle(qemuTcg, 'isobench-test-pc', { network: 'user' }, async (inst) => {
    // a command past its timeout is killed in the guest, and the instance stays usable
    const r = await inst.exec(['sleep', '30'], { timeoutMs: 1_000 });
    assert.is(r.timedOut, true);
    assert.ok(r.ms < 10_000, `${r.ms} ms`);
    const next = await inst.exec(['true'], { timeoutMs: 10_000 });
    assert.is(next.code, 0);
  });
  assert.ok(ms < 60_000, `boot took ${ms} ms`);
});

test('qemu-tcg-microvm: the same on the microvm machine (virtio-mmio), from the ext4 root disk, with TAP + bridge where the host allows', async () => {
  if (unavailable) return skip(unavailable.reason, unavailable.needs);
  const why = tapUnavailable();
  if (why) console.log(`note: TAP networking unavailable here (${why}); microvm runs with user-mode networking`);
  await lifecycle(qemuTcgMicrovm, 'isobench-test-microvm', { network: why ? 'user' : 'tap', root: 'disk' });
  await testHost.undo();
  const links = (await run(['ip', '-o', 'link', 'show'], { timeoutMs: 10_000 })).stdout;
  assert.not.match(links, new RegExp(`\\b${BRIDGE}\\b`), 'the bridge is removed when host changes are undone');
});

test('a guest that does not come up in time is killed; the error carries the console; nothing is left', async () => {
  if (unavailable) return skip(unavailable.reason, unavailable.needs);
  const before = vmDirs();
  const s = spec('isobench-test-hang', { bootTimeout: 1, network: 'user' }); // below the ~2-3 s a TCG boot takes
  try {
    await qemuTcg.start(s);
    assert.unreachable('started within 1 s');
  } catch (e) {
    assert.match((e as Error).message, /qemu-tcg: the guest did not come up: the guest agent did not answer within 1 s/);
  }
  assert.equal(processesOf('isobench-test-hang'), []);
  assert.equal(vmDirs().filter((d) => !before.includes(d)), []);
  assert.equal(readdirSync(s.dataDir!), []);
});

for (const platform of [qemuTcg, qemuTcgMicrovm]) {
  test(`${platform.id} one-shot start (startup): the marker on the serial console, the guest powers off, kernel and boot args recorded, nothing left`, async () => {
    if (unavailable) return skip(unavailable.reason, unavailable.needs);
    const before = vmDirs();
    const s = spec(`isobench-test-oneshot-${platform.id}`, { network: 'none' });
    const r = await platform.oneShot!(s, ['/bin/echo', 'isobench-ready'], { timeoutMs: 120_000, marker: 'isobench-ready' });
    assert.is(r.code, 0, r.stderr);
    assert.equal(r.stdout.split('\n').filter((l) => l === 'isobench-ready'), ['isobench-ready']);
    // first output is the marker line's arrival on the console, not the agent's answer
    assert.ok(r.markerMs! > 0 && r.firstOutputMs === r.markerMs && r.markerMs! <= r.ms, `marker ${r.markerMs} ms, exit ${r.ms} ms`);
    assert.match(r.method!, /serial console.*kernel \S+-cloud-amd64.*boot args: console=ttyS0 .*isobench_run=/);
    assert.ok(r.hostArgv.includes('stdio') && !r.hostArgv.some((a) => a.includes('agent')), 'no agent line on a one-shot boot');
    assert.match(readFileSync(path.join(s.logDir, `${s.name}.console.log`), 'utf8'), /@@ISOBENCH-ONESHOT-EXIT 0@@/);
    assert.equal(processesOf(s.name), []);
    assert.equal(vmDirs().filter((d) => !before.includes(d)), []);
    // a command the guest cannot run: its exit code, and no marker time
    const bad = await platform.oneShot!(spec(`isobench-test-oneshot-bad-${platform.id}`, { network: 'none' }), ['/bin/no-such-command'], { timeoutMs: 120_000, marker: 'isobench-ready' });
    assert.is(bad.code, 127, bad.stderr);
    assert.is(bad.markerMs, undefined);
  });
}

test('the VMM of a long-lived instance is one of its host pids', async () => {
  if (unavailable) return skip(unavailable.reason, unavailable.needs);
  const inst = await qemuTcg.start(spec('isobench-test-pids'));
  try {
    const pids = await inst.hostPids!();
    assert.ok(pids.some((pid) => processesOf('isobench-test-pids').includes(pid)), `hostPids ${pids} include the VMM`);
  } finally {
    await inst.stop();
  }
});

test('the vmlinux extracted from the bzImage (what Firecracker and Cloud Hypervisor load) boots', async () => {
  if (unavailable) return skip(unavailable.reason, unavailable.needs);
  const kernel = await guestKernel('package');
  const vmlinux = await guestVmlinux(kernel);
  assert.is(readFileSync(vmlinux).subarray(0, 4).toString('latin1'), '\x7fELF');
  // QEMU loads an ELF kernel through its PVH entry point, as Cloud Hypervisor does
  const r = await run(['qemu-system-x86_64', '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot', '-M', 'pc,accel=tcg',
    '-m', '256M', '-kernel', vmlinux, '-initrd', await probeInitramfs(), '-append', 'console=ttyS0 panic=-1 rdinit=/init', '-serial', 'stdio'], { timeoutMs: 60_000 });
  assert.ok(r.stdout.includes(PROBE_MARKER), `no marker; last output: ${(r.stdout + r.stderr).slice(-500)}`);
});

test.run();
