import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run, which } from '../../src/proc.ts';
import { PROVISION_TOOLS } from '../../src/setup/provision.ts';
import { skip } from '../helpers/skip.ts';

test('doctor names the real Firecracker asset and, for every platform a zx script provides, that script\'s command', async () => {
  const r = await run([process.execPath, 'bin/isobench.mjs', 'doctor', '--json'], { timeoutMs: 300_000 });
  assert.is(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { id: string; available: boolean; reason: string | null; provision: string[] }[];
  for (const t of PROVISION_TOOLS) {
    for (const id of t.platforms) {
      const row = rows.find((x) => x.id === id);
      assert.ok(row, id);
      assert.ok(row!.provision.includes(`isobench setup --provision ${t.tool}`), `${id}: ${row!.provision}`);
    }
  }
  const fc = rows.find((x) => x.id === 'firecracker')!;
  if (which('firecracker')) { skip('firecracker is installed here, so doctor gives no install hint to check'); return; }
  assert.match(fc.reason!, /firecracker-v1\.16\.1-x86_64\.tgz/);
  assert.not.match(fc.reason!, /release-v1\.16\.1-x86_64\.tgz/);
  assert.match(fc.reason!, /isobench setup --provision firecracker/);
});

test.run();
