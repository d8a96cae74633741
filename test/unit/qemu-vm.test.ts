import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MICROVM_OPTIONS, parseQemuVersion, probeReason, qemuArgv, qemuOptions, type QemuLaunchSpec } from '../../src/platforms/qemu-vm.ts';
import { macFor } from '../../src/platforms/tap-network.ts';
import { parseTscMHz, probeKey } from '../../src/platforms/vm-probe.ts';

const base: QemuLaunchSpec = {
  name: 'isobench-c1-0', accel: 'tcg', machine: 'pc', cpus: 2, memoryMiB: 512, kernel: '/k/vmlinuz', initrd: '/i/initramfs.cpio',
  cmdline: 'console=ttyS0 rdinit=/isobench/init', consoleLog: '/logs/c.log', channelSocket: '/tmp/isobench-vm-x/agent.sock',
  disk: { file: '/scratch/isobench-data.ext4', cache: 'none' }, net: { mode: 'user', forwards: [{ guest: 5201, host: 40001 }] },
};
const after = (argv: string[], flag: string) => argv.filter((_, i) => argv[i - 1] === flag);

test('pc under TCG: machine, cpu model, resources, kernel, console file, agent socket, virtio-pci devices', () => {
  const a = qemuArgv(base);
  assert.equal(after(a, '-M'), ['pc,accel=tcg']);
  assert.equal(after(a, '-cpu'), ['max']);
  assert.equal(after(a, '-smp'), ['2']);
  assert.equal(after(a, '-m'), ['512M']);
  assert.equal(after(a, '-chardev'), ['file,id=console,path=/logs/c.log', 'socket,id=agent,path=/tmp/isobench-vm-x/agent.sock,server=on,wait=off']);
  assert.equal(after(a, '-device'), ['isa-serial,chardev=agent,index=1', 'virtio-blk-pci,drive=data', 'virtio-net-pci,netdev=net0']);
  assert.equal(after(a, '-drive'), ['file=/scratch/isobench-data.ext4,format=raw,if=none,id=data,cache=none,aio=native']);
  assert.equal(after(a, '-netdev'), ['user,id=net0,hostfwd=tcp:127.0.0.1:40001-:5201,hostfwd=udp:127.0.0.1:40001-:5201']);
  assert.ok(a.includes('-no-reboot') && a.includes('-nodefaults'));
});

test('microvm: PIT on and the second IO-APIC off, virtio-mmio devices', () => {
  const a = qemuArgv({ ...base, machine: 'microvm' });
  assert.equal(after(a, '-M'), [`microvm,${MICROVM_OPTIONS},accel=tcg`]);
  assert.ok(MICROVM_OPTIONS.includes('pit=on') && MICROVM_OPTIONS.includes('ioapic2=off'));
  assert.equal(after(a, '-device').slice(1), ['virtio-blk-device,drive=data', 'virtio-net-device,netdev=net0']);
});

test('KVM uses the host CPU model; TAP networking names the device and the MAC; vhost only when asked', () => {
  const a = qemuArgv({ ...base, accel: 'kvm', net: { mode: 'tap', ifname: 'ibt0011223344', mac: '06:01:02:03:04:05', vhost: true } });
  assert.equal(after(a, '-cpu'), ['host']);
  assert.equal(after(a, '-netdev'), ['tap,id=net0,ifname=ibt0011223344,script=no,downscript=no,vhost=on']);
  assert.ok(after(a, '-device').includes('virtio-net-pci,netdev=net0,mac=06:01:02:03:04:05'));
  const none = qemuArgv({ ...base, net: { mode: 'none' }, disk: undefined });
  assert.not.ok(none.includes('-netdev') || none.includes('-drive'));
});

test('options get their defaults', () => {
  const o = qemuOptions({});
  assert.is(o.kernel, 'package');
  assert.is(o.network, 'auto');
  assert.equal(o.forwardPorts, [], 'only the ports the workload declares (InstanceSpec.ports) are forwarded by default');
  assert.is(o.diskCache, 'none');
});

test('QEMU version line', () => {
  assert.is(parseQemuVersion('QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright'), '7.2.22');
  assert.is(parseQemuVersion('nope'), null);
});

test('the probe verdict is keyed by everything that changes it', () => {
  const k = { vmm: 'qemu', vmmVersion: '7.2.22', accel: 'kvm', guestKernel: '6.1.0-56-cloud-amd64', hostKernel: '6.18.44' };
  const key = probeKey(k);
  assert.match(key, /^qemu-kvm-[0-9a-f]{16}$/);
  assert.is(probeKey({ ...k }), key);
  for (const change of [{ vmmVersion: '8.0' }, { accel: 'tcg' }, { guestKernel: '6.1.0-57' }, { hostKernel: '6.19' }]) {
    assert.is.not(probeKey({ ...k, ...change }), key, JSON.stringify(change));
  }
});

test('a failed KVM probe says what happened, what to do, and where the verdict is cached', () => {
  const r = probeReason('kvm', { ok: false, seconds: 30, reason: 'a test guest did not boot within 30 s', tail: 'KVM internal error. Suberror: 1\nemulation failure', key: 'k', at: 't', file: '/cache/vm-probes/k.json' });
  assert.match(r, /did not boot within 30 s/);
  assert.match(r, /emulation failure/);
  assert.match(r, /nested virtualization/);
  assert.match(r, /\/cache\/vm-probes\/k\.json/);
});

test('MACs are locally administered unicast and stable per name', () => {
  const m = macFor('isobench-c1-0');
  assert.match(m, /^06(:[0-9a-f]{2}){5}$/);
  assert.is(macFor('isobench-c1-0'), m);
  assert.is.not(macFor('isobench-c1-1'), m);
});

test('the TSC frequency comes from the refined calibration when the guest printed it', () => {
  const log = '[    0.000000] tsc: Detected 2596.135 MHz processor\n[    2.306507] tsc: Refined TSC clocksource calibration: 2596.118 MHz\n';
  assert.is(parseTscMHz(log), 2596.118);
  assert.is(parseTscMHz('[    0.000000] tsc: Detected 2596.135 MHz processor\n'), 2596.135);
  assert.is(parseTscMHz('[    0.000000] tsc: Marking TSC unstable due to could not calculate TSC khz\n'), undefined);
});

test.run();
