// The test runner: uvu's files in one process, with skips counted apart from passes and the suite's closing line
// `N passed, N failed, N skipped`. Usage: tsx test/run.ts [dir] [pattern]   (as uvu's CLI: default `test` '\.test\.ts$')
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'uvu/parse';
import { skipped } from './helpers/skip.ts';
import { installTestPackages } from './helpers/system-packages.ts';

type SuiteRunner = () => Promise<[string | true, number, number, number]>;

const [dir = 'test', pattern = '\\.test\\.ts$'] = process.argv.slice(2);
const required = (process.env.ISOBENCH_REQUIRE ?? '').split(/[\s,]+/).filter(Boolean);

const { suites } = await parse(dir, pattern, { ignore: [/(^|[\/])(fixtures|helpers)$/] });
if (suites.length === 0) {
  console.error(`error: no test files in ${dir} match /${pattern}/`);
  process.exit(2);
}
// integration tests use real tools: install them where we can, and say so where we cannot
if (suites.some((s) => s.file.split(path.sep).includes('integration'))) await installTestPackages();

(globalThis as { UVU_DEFER?: number }).UVU_DEFER = 1; // uvu queues the suites instead of running them on import
await import('uvu');
const queue = (globalThis as unknown as { UVU_QUEUE: (string | SuiteRunner)[][] }).UVU_QUEUE;

let passed = 0, failed = 0, skips = 0;
const failures: string[] = [];
for (const [index, s] of suites.entries()) {
  (globalThis as { UVU_INDEX?: number }).UVU_INDEX = index;
  queue.push([s.name]);
  try {
    await import(pathToFileURL(s.file).href);
  } catch (e) {
    failed++;
    failures.push(`${s.name}: could not be loaded: ${(e as Error).stack ?? e}`);
  }
}

for (const group of queue) {
  const [name, ...runners] = group as [string, ...SuiteRunner[]];
  process.stdout.write(`${name}\n`);
  const t0 = Date.now();
  for (const runSuite of runners) {
    const wholeSkips = () => skipped().filter((r) => !r.partial).length;
    const before = wholeSkips();
    const [errors, ran, uvuSkips, total] = await runSuite();
    const helperSkips = Math.min(wholeSkips() - before, ran); // a test that called skip() and returned
    passed += ran - helperSkips;
    skips += helperSkips + uvuSkips;
    failed += total - ran;
    if (errors !== true) failures.push(errors);
  }
  if (Date.now() - t0 >= 1000) process.stdout.write(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}

if (failures.length > 0) process.stdout.write(`\n${failures.join('\n')}\n`);
const records = skipped();
const demanded = records.filter((r) => r.needs.some((n) => required.includes(n)));
if (records.length > 0) {
  process.stdout.write(`\nskipped:\n${records.map((r) => `  - ${r.partial ? '(partly) ' : ''}${r.reason}${demanded.includes(r) ? '   <- required by ISOBENCH_REQUIRE' : ''}`).join('\n')}\n`);
}
if (demanded.length > 0) {
  process.stdout.write(`\n${demanded.length} skip(s) of what ISOBENCH_REQUIRE (${required.join(' ')}) says this host must have\n`);
}
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skips} skipped\n`);
process.exitCode = failed > 0 || demanded.length > 0 ? 1 : 0;
