import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { paths } from '../../src/paths.ts';
import {
  compareVersions, firecrackerConfig, firecrackerConfigSchema, firecrackerSchemaFile, firecrackerSupport, schemaVersionFor, validateFirecrackerConfig,
  type FirecrackerInput,
} from '../../src/platforms/firecracker-config.ts';
import { FIRECRACKER_INSTALL_HINT, parseFirecrackerVersion } from '../../src/platforms/firecracker.ts';
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

test('rules the source states: odd vCPU counts above 1 only refused with SMT on (machine_config.rs), one root device, no root device with an initrd', () => {
  assert.equal(validateFirecrackerConfig(firecrackerConfig({ ...input, cpus: 3 })), [], 'smt off: 3 vCPUs are fine');
  assert.match(validateFirecrackerConfig(firecrackerConfig({ ...input, cpus: 3, smt: true })).join(), /odd while SMT is on/);
  assert.equal(validateFirecrackerConfig(firecrackerConfig({ ...input, cpus: 1, smt: true })), []);
  assert.equal(validateFirecrackerConfig(firecrackerConfig({ ...input, cpus: 4, smt: true })), []);
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

test('the schema used follows the installed version when stored, else the newest stored one not newer, and says so', () => {
  assert.equal(schemaVersionFor('1.16.1'), { version: '1.16.1', exact: true });
  assert.equal(schemaVersionFor('v1.8.0'), { version: '1.8.0', exact: true });
  assert.equal(schemaVersionFor('1.12.1'), { version: '1.8.0', exact: false });
  assert.equal(schemaVersionFor('1.17.0'), { version: '1.16.1', exact: false });
  assert.is(parseFirecrackerVersion('Firecracker v1.16.1\n\nSupported snapshot data format versions: v8.0.0\n'), '1.16.1');
  assert.is(compareVersions('1.16.1', '1.8.0'), 1);
  assert.is(compareVersions('v1.8.0', '1.8.0'), 0);
});

test('the stored swaggers are Firecracker\'s files at their tags (sha256 as recorded in data/firecracker/README.md)', () => {
  const readme = readFileSync(path.join(paths.root, 'data', 'firecracker', 'README.md'), 'utf8');
  for (const v of ['0.21.1', '1.8.0', '1.16.1']) {
    const sha = createHash('sha256').update(readFileSync(firecrackerSchemaFile(v))).digest('hex');
    assert.ok(readme.includes(sha), `README records the sha256 of v${v}: ${sha}`);
  }
});

test('the paper\'s Firecracker 0.21.1 rejects the generated config, for exactly the differences its own swagger shows', () => {
  const problems = validateFirecrackerConfig(firecrackerConfig(input), '0.21.1');
  assert.ok(problems.includes("machine-config: unknown field 'smt'"), problems.join('\n'));
  assert.ok(problems.includes("machine-config: missing required field 'ht_enabled'"), problems.join('\n'));
  assert.ok(problems.includes("vsock: missing required field 'vsock_id'"), problems.join('\n'));
  assert.ok(problems.includes("drives[0]: unknown field 'cache_type'"), problems.join('\n'));
  assert.ok(problems.includes("drives[0]: unknown field 'io_engine'"), problems.join('\n'));
  // and a config in 0.21.1's own dialect passes its schema: the check is the schema, not a list of names
  const old = clone(firecrackerConfig(input)) as any;
  old['machine-config'] = { vcpu_count: 2, mem_size_mib: 1024, ht_enabled: false };
  old.vsock = { vsock_id: 'vsock0', ...old.vsock };
  for (const d of old.drives) { delete d.cache_type; delete d.io_engine; }
  delete old.logger; // 0.21.1's Logger takes log_fifo and metrics_fifo instead of log_path
  assert.equal(validateFirecrackerConfig(old, '0.21.1'), []);
});

test('the oldest supported Firecracker (1.8.0, the first with ACPI) accepts the generated config', () => {
  assert.equal(validateFirecrackerConfig(firecrackerConfig(input), '1.8.0'), []);
  assert.equal(validateFirecrackerConfig(firecrackerConfig({ ...input, rootDisk: '/r.ext4', ioEngine: 'Async', driveCache: 'Writeback' }), '1.8.0'), []);
});

test('version gate: below 1.8.0 refused with the ACPI reason and what it would take; 0.21.1 also with its config differences', () => {
  const paper = firecrackerSupport('0.21.1', firecrackerConfig(input));
  assert.is(paper.ok, false);
  const why = (paper as { reason: string }).reason;
  assert.match(why, /no ACPI \(added in 1\.8\.0\)/);
  assert.match(why, /unknown field 'smt'/);
  assert.match(why, /CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES/);
  assert.match(why, /isobench setup --provision firecracker/);
  const v17 = firecrackerSupport('1.7.0', firecrackerConfig(input));
  assert.is(v17.ok, false);
  assert.not.match((v17 as { reason: string }).reason, /config file also differs/);
  assert.equal(firecrackerSupport('1.8.0'), { ok: true, schema: { version: '1.8.0', exact: true } });
  assert.equal(firecrackerSupport('v1.16.1'), { ok: true, schema: { version: '1.16.1', exact: true } });
  assert.is(firecrackerSupport('2.0.0').ok, false);
});

test('the install hint names the real release asset (tools/gh_release.py: firecracker-<tag>-<arch>.tgz)', () => {
  assert.match(FIRECRACKER_INSTALL_HINT, /firecracker-v1\.16\.1-x86_64\.tgz/);
  assert.match(FIRECRACKER_INSTALL_HINT, /release-v1\.16\.1-x86_64\/firecracker-v1\.16\.1-x86_64/);
  assert.match(FIRECRACKER_INSTALL_HINT, /isobench setup --provision firecracker/);
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
