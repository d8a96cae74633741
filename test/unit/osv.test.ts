import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { osvCmdline, osvFirecrackerArgv, osvOptions, osvProgramOutput } from '../../src/platforms/osv-vm.ts';
import { osvFirecracker } from '../../src/platforms/osv-firecracker.ts';

const fixture = (name: string) => readFileSync(path.join(paths.root, 'test', 'fixtures', 'osv', name), 'utf8');

/** guest path -> host path of a manifest written by OSv's manifest_from_host.sh */
function manifest(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const kv = /^(\/\S+): (\S+)$/.exec(line);
    if (kv) m.set(kv[1], kv[2]);
  }
  return m;
}

test('a bare command name resolves to where OSv\'s manifest_from_host.sh put the binary (recorded manifest)', () => {
  const files = manifest(fixture('append.manifest'));
  for (const tool of ['sysbench', 'fio']) {
    const guestPath = [...files].find(([, host]) => host === `/usr/bin/${tool}`)?.[0];
    assert.ok(guestPath, `${tool} in the manifest`);
    for (const raw of [false, true]) {
      const cmd = osvCmdline([tool, '--version'], { binDir: osvOptions({}, raw).binDir });
      assert.is(cmd.split(' ')[0], guestPath, `the command line runs ${guestPath}`);
    }
  }
});

test('manifests are appended per binary: -w truncates (recorded), so the documented recipe and the provisioning script do not use it', () => {
  const kept = manifest(fixture('append-after-w.manifest'));
  assert.not.ok([...kept.values()].includes('/usr/bin/sysbench'), 'the second -w call removed the first binary');
  assert.ok([...kept.values()].includes('/usr/bin/fio'));
  const both = manifest(fixture('append.manifest'));
  assert.ok([...both.values()].includes('/usr/bin/sysbench') && [...both.values()].includes('/usr/bin/fio'));
  for (const file of ['docs/platforms-vm.md', 'scripts/provision/osv.mjs']) {
    const text = readFileSync(path.join(paths.root, file), 'utf8');
    assert.not.match(text, /\.\/scripts\/manifest_from_host\.sh\s+-w/, `${file} runs it with -w`);
    assert.match(text, /manifest_from_host\.sh/, `${file} builds the manifest with OSv's script`);
  }
});

test('program output from OSv\'s own console transcript (README, run.py --bootchart on QEMU)', () => {
  const out = osvProgramOutput(fixture('console-run-py-bootchart.txt'));
  assert.is(out.output.trim(), 'Hello from C code');
  assert.is(out.failed, false);
  // OSv's loader.cc prints this when the program cannot be loaded (scripts/tests/test_tracing.py waits for it)
  assert.ok(osvProgramOutput('OSv v0.57.0\nCmdline: /zfs-bench.so\nFailed to load object: /zfs-bench.so. Powering off.\n').failed);
});

test('osv-firecracker boots the ACPI-less build from its own directory, validates against the installed Firecracker\'s schema, declares qemu-utils', async () => {
  const o = osvOptions({}, true);
  assert.match(o.image, /osv\/firecracker\/usr\.raw$/);
  assert.match(o.kernel, /osv\/firecracker\/loader-stripped\.elf$/);
  assert.equal(osvFirecracker.packages, ['qemu-utils', 'git']);
  const dir = `/tmp/isobench-osv-test-${process.pid}`;
  // awaited: a floating promise would outlive the temp dir removed below
  await osvFirecrackerArgv({ bin: 'firecracker', kernel: '/k', image: '/i.raw', cmdline: '/sysbench', cpus: 1, memoryMiB: 256, workDir: dir, vmmVersion: '1.8.0' });
  try {
    await osvFirecrackerArgv({ bin: 'firecracker', kernel: '/k', image: '/i.raw', cmdline: '/sysbench', cpus: 1, memoryMiB: 256, workDir: dir, vmmVersion: '0.21.1' });
    assert.unreachable('0.21.1 is refused');
  } catch (e) {
    assert.match((e as Error).message, /older than the oldest config schema isobench stores for it \(1\.8\.0\)/);
    assert.not.match((e as Error).message, /Debian cloud guest kernel/, 'the Linux guest\'s reason is not OSv\'s');
  }
  (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
});

test.run();
