import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIRECRACKER_SCHEMAS, firecrackerConfig, firecrackerConfigSchema, schemaVersionFor, validateFirecrackerConfig, type FirecrackerInput } from '../../src/platforms/firecracker-config.ts';
import { parseFirecrackerVersion } from '../../src/platforms/firecracker.ts';
import { osvCmdline, osvFirecrackerArgv, osvProgramOutput, osvQuote } from '../../src/platforms/osv-vm.ts';

const input: FirecrackerInput = {
  kernel: '/cache/vmlinux', initrd: '/cache/initramfs.cpio', bootArgs: 'console=ttyS0 reboot=k rdinit=/isobench/init',
  dataDisk: '/runs/x/scratch/isobench-data.ext4', cpus: 2, memoryMiB: 1024,
  tap: { name: 'ibt0a1b2c3d4e', mac: '06:00:11:22:33:44' }, vsock: { cid: 3, udsPath: '/tmp/isobench-vm-x/vsock.sock' },
  logPath: '/runs/x/logs/fc.log',
};
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

test('the generated configuration is valid against Firecracker 1.16.1\'s published schema', () => {
  const config = firecrackerConfig(input);
  assert.equal(validateFirecrackerConfig(config, '1.16.1'), []);
});

test('it has what isobench needs: kernel + initrd, the data disk as a non-root virtio-blk, vCPUs, memory, TAP, vsock', () => {
  const c = firecrackerConfig(input) as any;
  assert.equal(c['boot-source'], { kernel_image_path: '/cache/vmlinux', boot_args: input.bootArgs, initrd_path: '/cache/initramfs.cpio' });
  assert.equal(c.drives, [{ drive_id: 'data', path_on_host: input.dataDisk, is_root_device: false, is_read_only: false, cache_type: 'Unsafe', io_engine: 'Sync' }]);
  assert.equal(c['machine-config'], { vcpu_count: 2, mem_size_mib: 1024, smt: false });
  assert.equal(c['network-interfaces'], [{ iface_id: 'eth0', host_dev_name: 'ibt0a1b2c3d4e', guest_mac: '06:00:11:22:33:44' }]);
  assert.equal(c.vsock, { guest_cid: 3, uds_path: '/tmp/isobench-vm-x/vsock.sock' });
});

test('the root disk variant: a read-only drive before the data disk, mounted by the stage-1 initrd', () => {
  const c = firecrackerConfig({ ...input, rootDisk: '/cache/rootdisk.ext4' }) as any;
  assert.equal(c.drives.map((d: any) => [d.drive_id, d.is_root_device, d.is_read_only]), [['rootfs', false, true], ['data', false, false]]);
  assert.equal(validateFirecrackerConfig(c), []);
});

test('the schema catches what Firecracker would refuse: unknown fields, wrong types, missing required fields, bad enums', () => {
  const bad = (mutate: (c: any) => void) => { const c = clone(firecrackerConfig(input)) as any; mutate(c); return validateFirecrackerConfig(c).join('\n'); };
  assert.match(bad((c) => { c['machine-config'].vcpus = 2; }), /machine-config: unknown field 'vcpus'/);
  assert.match(bad((c) => { c['machine-config'].mem_size_mib = '1024'; }), /machine-config\.mem_size_mib: must be integer/);
  assert.match(bad((c) => { delete c['boot-source'].kernel_image_path; }), /boot-source: missing required field 'kernel_image_path'/);
  assert.match(bad((c) => { c.drives[0].cache_type = 'None'; }), /drives\[0\]\.cache_type: must be one of Unsafe, Writeback/);
  assert.match(bad((c) => { delete c.drives[0].is_root_device; }), /drives\[0\]: missing required field 'is_root_device'/);
  assert.match(bad((c) => { c['network-interfaces'][0].host_dev = 'x'; }), /unknown field 'host_dev'/);
  assert.match(bad((c) => { c.vsock.guest_cid = 2; }), /vsock\.guest_cid: must be >= 3/);
  assert.match(bad((c) => { c['machine-config'].vcpu_count = 64; }), /vcpu_count: must be <= 32/);
  assert.match(bad((c) => { c['boot_source'] = c['boot-source']; delete c['boot-source']; }), /unknown field 'boot_source'/);
  assert.match(bad((c) => { delete c.drives; }), /missing required field 'drives'/);
});

test('rules the docs state in words: vCPUs 1 or even, one root device, no root device with an initrd', () => {
  assert.match(validateFirecrackerConfig(firecrackerConfig({ ...input, cpus: 3 })).join(), /neither 1 nor even/);
  assert.equal(validateFirecrackerConfig(firecrackerConfig({ ...input, cpus: 1 })), []);
  const rooted = clone(firecrackerConfig(input)) as any;
  rooted.drives.push({ drive_id: 'root2', path_on_host: '/r.ext4', is_root_device: true });
  assert.match(validateFirecrackerConfig(rooted).join(), /root device and an initrd/);
});

test('the schema is Firecracker\'s own file: FullVmConfiguration with its references, closed objects', () => {
  const s = firecrackerConfigSchema('1.16.1') as any;
  assert.is(s.$ref, '#/definitions/FullVmConfiguration');
  for (const d of ['BootSource', 'Drive', 'MachineConfiguration', 'NetworkInterface', 'Vsock', 'Logger']) {
    assert.ok(s.definitions[d], d);
    assert.is(s.definitions[d].additionalProperties, false, d);
  }
  assert.equal(s.definitions.MachineConfiguration.required, ['mem_size_mib', 'vcpu_count']);
});

test('the schema used follows the installed version when stored, else the newest, and says so', () => {
  assert.equal(schemaVersionFor('1.16.1'), { version: '1.16.1', exact: true });
  assert.equal(schemaVersionFor('v1.16.1'), { version: '1.16.1', exact: true });
  assert.equal(schemaVersionFor('0.21.1'), { version: FIRECRACKER_SCHEMAS[FIRECRACKER_SCHEMAS.length - 1], exact: false });
  assert.is(parseFirecrackerVersion('Firecracker v1.16.1\n\nSupported snapshot data format versions: v8.0.0\n'), '1.16.1');
});

test('OSv on Firecracker: OSv\'s loader as kernel, --nopci command line, the image as a drive, valid config', async () => {
  const dir = `/tmp/isobench-osv-test-${process.pid}`;
  const argv = await osvFirecrackerArgv({ bin: 'firecracker', kernel: '/osv/loader-stripped.elf', image: '/osv/usr.raw', cmdline: osvCmdline(['sysbench', 'cpu', 'run'], { binDir: '/usr/bin', nopci: true }), cpus: 1, memoryMiB: 512, workDir: dir });
  assert.equal(argv.slice(0, 3), ['firecracker', '--no-api', '--config-file']);
  const c = JSON.parse((await import('node:fs')).readFileSync(argv[3], 'utf8'));
  assert.is(c['boot-source'].boot_args, '--nopci /usr/bin/sysbench cpu run');
  assert.is(c.drives[0].path_on_host, '/osv/usr.raw');
  (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
});

test('OSv command lines: quoting, network options, program output from the console', () => {
  assert.is(osvQuote('a b"c'), '"a b\\"c"');
  assert.is(osvCmdline(['/iperf3', '-s'], { binDir: '/usr/bin', tap: { guestAddress: '10.213.7.5', gateway: '10.213.7.1' } }),
    '--ip=eth0,10.213.7.5,255.255.255.0 --defaultgw=10.213.7.1 --nameserver=10.213.7.1 /iperf3 -s');
  const out = osvProgramOutput('OSv v0.57.0\nBooted up in 120.5 ms\nCmdline: /usr/bin/sysbench --version\nsysbench 1.0.20\nPowering off.\n');
  assert.is(out.output.trim(), 'sysbench 1.0.20');
  assert.is(out.failed, false);
  assert.ok(osvProgramOutput('Cmdline: /x\nAborted\n').failed);
});

test.run();
