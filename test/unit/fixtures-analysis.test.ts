// The committed analyses of the fixture runs are what the current code makes of their inputs (regenerate with make.ts).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadRunClaims } from '../../src/claims/load.ts';
import { analyzeRun, formatAnalysis } from '../../src/stats/analyze.ts';

const runs = fileURLToPath(new URL('../fixtures/runs', import.meta.url));

for (const name of readdirSync(runs).sort()) {
  const dir = path.join(runs, name);
  if (!existsSync(path.join(dir, 'analysis.json'))) continue;
  test(`fixture ${name}: the committed analysis.json is what the current code makes of its inputs`, async () => {
    const committed = readFileSync(path.join(dir, 'analysis.json'), 'utf8');
    const claimsFile = path.join(dir, 'claims.yaml');
    // the claims it evaluated are kept beside it; a fixture without claims stands for a run analysed before claims existed
    const analysis = await analyzeRun(dir, existsSync(claimsFile) ? { claims: loadRunClaims(readFileSync(claimsFile, 'utf8')) } : {});
    if (!existsSync(claimsFile)) delete analysis.claims;
    assert.is(formatAnalysis(analysis), committed, `test/fixtures/runs/${name}/analysis.json is stale: run test/fixtures/runs/${name}/make.ts`);
  });
}

test.run();
