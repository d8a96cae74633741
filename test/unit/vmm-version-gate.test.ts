// Doctor's version gate through the platforms' own detect(), with a stand-in binary on PATH printing the real tools' version lines.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudHypervisor } from '../../src/platforms/cloud-hypervisor.ts';
import { firecracker } from '../../src/platforms/firecracker.ts';
import { useTempData } from '../helpers/temp-data.ts';

useTempData(test, 'isobench-gate');
const bin = mkdtempSync(path.join(os.tmpdir(), 'isobench-gate-bin-'));
const savedPath = process.env.PATH;

/** put a `name` on PATH that prints `line` for --version */
function installStandIn(name: string, line: string) {
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, name), `#!/bin/sh\necho '${line}'\n`);
  chmodSync(path.join(bin, name), 0o755);
  process.env.PATH = `${bin}:${savedPath}`;
}

test.after(() => {
  process.env.PATH = savedPath;
  rmSync(bin, { recursive: true, force: true });
});

test('firecracker: doctor refuses the paper\'s 0.21.1 with the reason, and records which swagger validates a supported one', async () => {
  installStandIn('firecracker', 'Firecracker v0.21.1');
  const old = await firecracker.detect();
  assert.is(old.available, false);
  assert.is(old.version, '0.21.1');
  assert.match(old.reason!, /no ACPI \(added in 1\.8\.0\).*unknown field 'smt'.*isobench drives 1\.8\.0 <= version < 2\.0\.0/);
  installStandIn('firecracker', 'Firecracker v1.16.1');
  const cur = await firecracker.detect();
  assert.is(cur.version, '1.16.1');
  assert.match(cur.details?.configSchema ?? '', /data\/firecracker\/v1\.16\.1\/firecracker\.yaml \(the installed version's\)/);
  installStandIn('firecracker', 'Firecracker v1.12.1');
  assert.match((await firecracker.detect()).details?.configSchema ?? '', /v1\.8\.0\/firecracker\.yaml \(newest stored not newer than the installed 1\.12\.1/);
});

test('cloud-hypervisor: doctor refuses the paper\'s v0.8.0 saying what its syntax rejects, and records the syntax used for v53.0', async () => {
  installStandIn('cloud-hypervisor', 'cloud-hypervisor v0.8.0');
  const old = await cloudHypervisor.detect();
  assert.is(old.available, false);
  assert.match(old.reason!, /no stored command-line syntax for Cloud Hypervisor v0\.8\.0.*unknown key 'direct'/);
  installStandIn('cloud-hypervisor', 'cloud-hypervisor v53.0');
  const cur = await cloudHypervisor.detect();
  assert.is(cur.version, '53.0');
  assert.is(cur.details?.argvSyntax, 'data/cloud-hypervisor/v53.0/options.json');
});

test.run();
