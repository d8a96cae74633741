import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCloudHypervisorArgv, cloudHypervisorSupport, loadSyntax, parseSyntax, splitTop } from '../../src/platforms/cloud-hypervisor-syntax.ts';
import { CLOUD_HYPERVISOR_INSTALL_HINT, cloudHypervisorArgv, parseCloudHypervisorVersion, type ChLaunch } from '../../src/platforms/cloud-hypervisor.ts';

const launch: ChLaunch = {
  binary: 'cloud-hypervisor', kernel: '/cache/vmlinux', initramfs: '/cache/initramfs.cpio',
  cmdline: 'console=ttyS0 loglevel=4 panic=-1 rdinit=/isobench/init isobench.vsock=5252 isobench.data=vda',
  cpus: 2, memoryMiB: 1024, disk: { path: '/runs/x/scratch/isobench-data.ext4', direct: true },
  tap: { name: 'ibt0a1b2c3d4e', mac: '06:00:11:22:33:44' }, vsock: { cid: 3, socket: '/tmp/isobench-vm-x/vsock.sock' },
  consoleFile: '/runs/x/logs/vm.console.log',
};

test('the generated argv has the documented shape', () => {
  assert.equal(cloudHypervisorArgv(launch), [
    'cloud-hypervisor',
    '--kernel', '/cache/vmlinux',
    '--initramfs', '/cache/initramfs.cpio',
    '--cmdline', launch.cmdline,
    '--cpus', 'boot=2',
    '--memory', 'size=1024M',
    '--disk', 'path=/runs/x/scratch/isobench-data.ext4,direct=on',
    '--net', 'tap=ibt0a1b2c3d4e,mac=06:00:11:22:33:44',
    '--vsock', 'cid=3,socket=/tmp/isobench-vm-x/vsock.sock',
    '--serial', 'file=/runs/x/logs/vm.console.log', '--console', 'off',
  ]);
});

test('the generated argv conforms to Cloud Hypervisor v53.0\'s documented syntax', () => {
  assert.equal(checkCloudHypervisorArgv(cloudHypervisorArgv(launch)), []);
  assert.equal(checkCloudHypervisorArgv(cloudHypervisorArgv({ ...launch, disk: undefined, tap: undefined, logFile: '/l' })), []);
  const withRoot = cloudHypervisorArgv({ ...launch, rootDisk: '/cache/rootdisk.ext4' });
  assert.equal(withRoot.filter((_, i) => withRoot[i - 1] === '--disk'), ['path=/cache/rootdisk.ext4,readonly=on', 'path=/runs/x/scratch/isobench-data.ext4,direct=on']);
  assert.equal(checkCloudHypervisorArgv(withRoot), []);
});

test('the checker catches unknown options and keys, bad enum values, repeats and missing values', () => {
  const ok = cloudHypervisorArgv(launch);
  const swap = (flag: string, value: string) => { const a = [...ok]; a[a.indexOf(flag) + 1] = value; return checkCloudHypervisorArgv(a).join('\n'); };
  assert.match(swap('--cpus', 'boot=2,cores=2'), /--cpus: unknown key 'cores'/);
  assert.match(swap('--disk', 'path=/d,direct=yes'), /--disk: direct=yes is not one of on\|off/);
  assert.match(swap('--serial', 'stdio'), /--serial: 'stdio' is not one of off\|null\|pty\|tty/);
  assert.match(swap('--memory', 'size=1G,size=2G'), /key 'size' given twice/);
  assert.match(swap('--net', 'tap='), /tap has no value/);
  assert.match(checkCloudHypervisorArgv([...ok, '--vcpus', '2']).join(), /--vcpus: not a documented option/);
  assert.match(checkCloudHypervisorArgv([...ok, '--kernel', '/k']).join(), /--kernel: given twice/);
  assert.match(checkCloudHypervisorArgv([...ok, '--log-file']).join(), /--log-file: missing value/);
  assert.equal(checkCloudHypervisorArgv([...ok, '--disk', 'path=/second']), [], '--disk may repeat');
});

test('syntax strings parse into keys, enumerations and bare words', () => {
  const docs = loadSyntax();
  const serial = parseSyntax(docs.serial.help);
  assert.equal([...serial.bare].sort(), ['null', 'off', 'pty', 'tty']);
  assert.ok(serial.keys.has('file') && serial.keys.has('socket'));
  const disk = parseSyntax(docs.disk.help);
  assert.equal(disk.keys.get('readonly'), ['on', 'off']);
  assert.is(disk.keys.get('image_type'), null, '<raw,qcow2,...> is a placeholder, not split');
  assert.equal(disk.keys.get('lock_granularity'), ['byte-range', 'full']);
  assert.equal(splitTop('a=<x,y>,b=[1,2],c', ','), ['a=<x,y>', 'b=[1,2]', 'c']);
});

test('a path with a comma is refused (the option parser would split it)', () => {
  assert.throws(() => cloudHypervisorArgv({ ...launch, consoleFile: '/a,b/console.log' }), /contains a comma/);
});

test('the syntax follows the installed version: v53.x is driven with v53.0\'s, others are refused saying why', () => {
  assert.equal(cloudHypervisorSupport('53.0'), { ok: true, syntax: 'v53.0' });
  assert.equal(cloudHypervisorSupport('v53.1'), { ok: true, syntax: 'v53.0' });
  const later = cloudHypervisorSupport('54.0');
  assert.is(later.ok, false);
  assert.match((later as { reason: string }).reason, /no stored command-line syntax for Cloud Hypervisor v54\.0.*isobench setup --provision cloud-hypervisor/);
  assert.match(CLOUD_HYPERVISOR_INSTALL_HINT, /cloud-hypervisor-static/);
});

test('the paper\'s v0.8.0 is refused, with what its own syntax (src/main.rs, vmm/src/config.rs at v0.8.0) rejects in our argv', () => {
  const old = loadSyntax('v0.8.0');
  const problems = checkCloudHypervisorArgv(cloudHypervisorArgv(launch), old);
  assert.ok(problems.some((p) => /--disk: unknown key 'direct'/.test(p)), problems.join('\n'));
  // its serial syntax has no quotes; file=<path> is still understood, so only real differences are reported
  assert.not.ok(problems.some((p) => p.startsWith('--serial')), problems.join('\n'));
  const r = cloudHypervisorSupport('0.8.0', cloudHypervisorArgv(launch));
  assert.is(r.ok, false);
  assert.match((r as { reason: string }).reason, /unknown key 'direct'/);
});

test('version line', () => {
  assert.is(parseCloudHypervisorVersion('cloud-hypervisor v53.0\n'), '53.0');
  assert.is(parseCloudHypervisorVersion('something else'), null);
});

test.run();
