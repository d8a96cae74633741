// Before integration tests: install the system packages the registries declare (Debian/Ubuntu, as root), as `reproduce` does.
import { ensureSystemPackages, packagesForAll } from '../../src/setup/system.ts';

/** what only the tests use, beyond what the registries declare */
const TEST_PACKAGES = [
  { pkg: 'time', why: "hostile-cli: the peak memory of a verify child (/usr/bin/time)" },
];

/** ISOBENCH_TEST_INSTALL=0 only lists what is missing (a developer's machine that must not change) */
export async function installTestPackages(): Promise<void> {
  const install = process.env.ISOBENCH_TEST_INSTALL !== '0';
  const isRoot = process.getuid?.() === 0;
  const r = await ensureSystemPackages([...packagesForAll(), ...TEST_PACKAGES], { install });
  if (r.installed.length > 0) console.error(`installed for the integration tests: ${r.installed.join(' ')}`);
  if (r.missing.length > 0) {
    console.error(`not installed${!install ? ' (ISOBENCH_TEST_INSTALL=0)' : !isRoot ? ' (not root)' : ''}: ${r.missing.join(' ')}; the tests that need them are skipped and listed at the end`);
  }
}
