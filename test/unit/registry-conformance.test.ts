// The registries are the one description of platforms and workloads: every consumer that names an id names a declared
// one, and what the registries declare reaches every consumer that lists ids (schema enums, CI's package list).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { claimMeasures } from '../../src/claims/load.ts';
import { loadExperiment } from '../../src/experiment/load.ts';
import { root } from '../../src/paths.ts';
import { platforms } from '../../src/platforms/index.ts';
import { packagesForAll } from '../../src/setup/system.ts';
import { plannedWorkloads, workloads } from '../../src/workloads/index.ts';

const platformIds = platforms.map((p) => p.id);
const paperPlatforms = platforms.filter((p) => p.inPaper).map((p) => p.id);
const workloadIds = [...workloads.map((w) => w.id), ...plannedWorkloads.map((w) => w.id)];
const json = (rel: string) => JSON.parse(readFileSync(path.join(root, rel), 'utf8'));
const yaml = (rel: string) => parse(readFileSync(path.join(root, rel), 'utf8'));

/** every string value under a key named `key` (at any depth), with where it is */
function valuesOf(node: unknown, key: string, at = ''): { value: string; at: string }[] {
  if (Array.isArray(node)) return node.flatMap((x, i) => valuesOf(x, key, `${at}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([k, v]) => {
    const here = at ? `${at}.${k}` : k;
    if (k === key) return (Array.isArray(v) ? v : [v]).flatMap((x, i) => (typeof x === 'string' ? [{ value: x, at: Array.isArray(v) ? `${here}[${i}]` : here }] : valuesOf(x, key, here)));
    return valuesOf(v, key, here);
  });
}

test('ids are unique in each registry', () => {
  assert.equal(platformIds.length, new Set(platformIds).size);
  assert.equal(workloadIds.length, new Set(workloadIds).size);
});

for (const file of ['data/paper/claims.schema.json', 'data/paper/architecture.schema.json']) {
  test(`${file}: its platform enum is the registry's platforms of the paper, its workload enum the registry's workloads`, () => {
    const defs = json(file).definitions;
    const workloadEnum: string[] = defs.workload?.enum ?? defs.measure.properties.workload.enum;
    assert.equal([...defs.platform.enum].sort(), [...paperPlatforms].sort(),
      `${file}: definitions.platform.enum drifted from src/platforms (inPaper); set it to ${JSON.stringify(paperPlatforms)}`);
    assert.equal([...workloadEnum].sort(), [...workloadIds].sort(),
      `${file}: the workload enum drifted from src/workloads (+ plannedWorkloads); set it to ${JSON.stringify(workloadIds)}`);
  });
}

test('claims.yaml and architecture.yaml name only declared platforms (of the paper) and workloads', () => {
  for (const file of ['data/paper/claims.yaml', 'data/paper/architecture.yaml']) {
    const doc = yaml(file);
    for (const key of ['platforms', 'reference', 'chain']) {
      for (const { value, at } of valuesOf(doc, key)) assert.ok(paperPlatforms.includes(value), `${file}: ${at}: '${value}' is not a platform of the paper in src/platforms`);
    }
    for (const { value, at } of valuesOf(doc, 'workload')) assert.ok(workloadIds.includes(value), `${file}: ${at}: '${value}' is not a workload in src/workloads`);
  }
});

test('claim measures: each workload offers some, and only metrics it measures', () => {
  for (const w of workloads) {
    assert.ok(w.claimMeasures.metrics.length > 0 && w.claimMeasures.jobs.length > 0, `${w.id}: claimMeasures is empty`);
    for (const m of w.claimMeasures.metrics) assert.ok(w.metrics.some((x) => x.name === m), `${w.id}: claimMeasures names '${m}', which is not one of its metrics`);
  }
  assert.equal(Object.keys(claimMeasures).sort(), [...workloadIds].sort(), 'the claims loader knows exactly the declared workloads');
});

test("a workload that draws the 'sweep' chart says what it sweeps (sweepPeak), over one of its own metrics", () => {
  const swept = workloads.filter((w) => w.report.charts.includes('sweep'));
  assert.ok(swept.some((w) => w.id === 'mysql-oltp'), 'mysql-oltp draws throughput against threads');
  for (const w of swept) {
    assert.ok(w.report.sweepPeak, `${w.id}: charts has 'sweep' but no sweepPeak names the parameter and the metric`);
    assert.ok(w.metrics.some((m) => m.name === w.report.sweepPeak!.metric), `${w.id}: sweepPeak names '${w.report.sweepPeak!.metric}', not one of its metrics`);
  }
});

test('the experiments name only declared platforms and workloads (they load)', () => {
  for (const f of readdirSync(path.join(root, 'experiments')).filter((n) => n.endsWith('.yaml'))) loadExperiment(path.join(root, 'experiments', f));
});

test("CI's package list and ISOBENCH_REQUIRE come from the registries", () => {
  const ci = readFileSync(path.join(root, '.ci', 'run'), 'utf8');
  assert.match(ci, /isobench\.mjs setup --list --all/, '.ci/run takes its packages from isobench setup --list --all');
  assert.not.match(ci, /apt-get install[^\n]*\b(sysbench|fio|runc)\b/, '.ci/run names no package by hand');
  const pkgs = packagesForAll().map((p) => p.pkg);
  for (const w of workloads) for (const p of w.packages ?? []) assert.ok(pkgs.includes(p), `${w.id}: ${p}`);
  for (const p of platforms) for (const x of p.packages ?? []) assert.ok(pkgs.includes(x), `${p.id}: ${x}`);
  // a required name is a platform id or something a test's skip names as missing (a typo would never fail CI)
  const required = /ISOBENCH_REQUIRE:-([^}]*)\}/.exec(ci)![1].split(/\s+/).filter(Boolean);
  const tests = ['unit', 'integration'].flatMap((d) => readdirSync(path.join(root, 'test', d)).map((f) => readFileSync(path.join(root, 'test', d, f), 'utf8'))).join('\n');
  for (const r of required) {
    assert.ok(platformIds.includes(r) || new RegExp(`skip(?:Part)?\\([^\\n]*\\[[^\\]]*'${r}'`).test(tests), `.ci/run: ISOBENCH_REQUIRE names '${r}', which is no platform id and no skip's need`);
  }
});

test('KVM platforms are the registry\'s hardware-virtualised ones: qemu-tcg is emulated and never one of them', () => {
  const byId = new Map(platforms.map((p) => [p.id, p]));
  assert.is(byId.get('qemu-tcg')!.virtualization, 'emulated');
  assert.is(byId.get('qemu-kvm')!.virtualization, 'hardware');
  assert.is(byId.get('gvisor-ptrace')!.virtualization, 'none');
  for (const p of platforms.filter((x) => x.virtualization === 'emulated')) assert.not.ok(p.inPaper, `${p.id}: an emulated platform is never one of the paper's`);
});

test('counts and flags declare their resolution (1): no spread among equal integers never reads as certainty', () => {
  for (const w of workloads) {
    for (const name of [...(w.report.counts ?? []), ...(w.report.flags ?? [])]) {
      const spec = w.metrics.find((m) => m.name === name);
      assert.ok(spec, `${w.id}: report names metric '${name}' that it does not declare`);
      assert.is(spec!.resolution, 1, `${w.id}: ${name} is a count or flag; declare resolution: 1`);
    }
  }
});

// REPORT AREAS (issue 13, branch report): once workloads declare their report area, check here that every workload has
// one and that src/report names no workload id the registry lacks. Checked after `git rebase main`.

test.run();
