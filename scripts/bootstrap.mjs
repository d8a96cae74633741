#!/usr/bin/env node
// Entry point of the npm scripts: installs the npm packages on a fresh clone, then runs the isobench command.
// Plain JavaScript with no dependencies, because it runs before `npm install`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const depsOnly = args[0] === '--deps-only';

function depsInstalled() {
  return ['tsx', 'uvu', 'yaml', 'ajv', 'vega-lite', 'puppeteer-core'].every((d) => existsSync(path.join(root, 'node_modules', d, 'package.json')));
}

if (!depsInstalled()) {
  const cmd = existsSync(path.join(root, 'package-lock.json')) ? 'ci' : 'install';
  process.stderr.write(`==> first run: installing npm packages (npm ${cmd})\n`);
  const r = spawnSync('npm', [cmd, '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !depsInstalled()) {
    process.stderr.write(`error: 'npm ${cmd}' failed in ${root}; run it by hand to see why\n`);
    process.exit(1);
  }
}

if (!depsOnly) {
  await import('../bin/isobench.mjs');
}
