// The layout as a rule: stages import only from earlier stages (or their own), platforms and workloads know nothing of
// each other, and no module imports itself around a circle. docs/ARCHITECTURE.md draws the same order.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';

/** Earliest first: a module may import from its own stage and the stages before it, never from a later one. */
export const STAGES = [
  'foundation', // types, paths, log, proc, yaml-document, opened-file
  'numerics', // seeded randomness, intervals, ratios, stopping rules, stable JSON
  'rundir', // readers of a run directory's files
  'images', // root filesystems, kernels, initramfs
  'registries', // platforms/ and workloads/: one file each + the registry
  'experiment', // load, validate, plan
  'setup', // system packages
  'run', // the run stage
  'claims', // the paper's claims and their evaluation
  'analyze', // the analyze stage
  'report',
  'archive',
  'fleet', // many hosts through Ansible: ships, runs, fetches, then merge, analyze, report, archive
  'cli',
] as const;
type Stage = (typeof STAGES)[number];

const NUMERICS = ['random', 'descriptive', 'interval', 'outliers', 'stopping', 'stable-json', 'coverage', 'ratio', 'resolution', 'sequential', 'simulate'];

/** The stage of a file under src/ ('stats/analyze.ts'), or undefined when no rule places it. */
export function stageOf(rel: string): Stage | undefined {
  const [top, ...rest] = rel.split('/');
  if (rest.length === 0) return ['types.ts', 'paths.ts', 'log.ts', 'proc.ts', 'yaml-document.ts', 'opened-file.ts'].includes(top) ? 'foundation' : undefined;
  if (top === 'stats') {
    const name = rest.join('/').replace(/\.ts$/, '');
    if (NUMERICS.includes(name)) return 'numerics';
    if (['analyze', 'time-spent', 'console-summary'].includes(name)) return 'analyze';
    return undefined;
  }
  const byDir: Record<string, Stage> = {
    rundir: 'rundir', images: 'images', platforms: 'registries', workloads: 'registries', experiment: 'experiment', setup: 'setup',
    run: 'run', claims: 'claims', report: 'report', archive: 'archive', fleet: 'fleet', cli: 'cli',
  };
  return byDir[top];
}

/** Edges that break the rule today and are being removed on another branch; each must still exist, so the list shrinks. */
const PENDING: { from: string; to: string; why: string }[] = [
];
/** Circles being removed on another branch; each must still exist. */
const PENDING_CIRCLES: { modules: string[]; why: string }[] = [];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const f = path.join(dir, n);
    return statSync(f).isDirectory() ? walk(f) : f.endsWith('.ts') ? [f] : [];
  });
}

/** module -> the modules it imports (relative imports only; `import type` counts, it is a dependency too) */
export function importGraph(srcDir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of walk(srcDir)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'(\.[^']+)'/gm)]
      .map((m) => path.relative(srcDir, path.resolve(path.dirname(file), m[1])).split(path.sep).join('/'));
    graph.set(path.relative(srcDir, file).split(path.sep).join('/'), [...new Set(targets)]);
  }
  return graph;
}

/** the circles of the graph: strongly connected components of more than one module, or a module importing itself (Tarjan) */
export function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), on = new Set<string>(), stack: string[] = [], out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index); low.set(v, index); index++; stack.push(v); on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; on.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

/** every import that goes to a later stage, or between platforms and workloads */
export function violations(graph: Map<string, string[]>): string[] {
  return violationEdges(graph).map((v) => v.message).sort();
}

function violationEdges(graph: Map<string, string[]>): { from: string; to: string; message: string }[] {
  const out: { from: string; to: string; message: string }[] = [];
  for (const [from, targets] of graph) {
    const a = stageOf(from)!;
    for (const to of targets) {
      const b = stageOf(to);
      if (!b) continue; // reported by the placement test
      const domain = (f: string) => f.split('/')[0];
      if (a === 'registries' && b === 'registries' && domain(from) !== domain(to)) out.push({ from, to, message: `${from} -> ${to}: platforms and workloads know nothing of each other` });
      else if (STAGES.indexOf(b) > STAGES.indexOf(a)) out.push({ from, to, message: `${from} (${a}) -> ${to} (${b}): imports from a later stage` });
    }
  }
  return out;
}

const srcDir = path.join(root, 'src');
const graph = importGraph(srcDir);

test('every module under src/ has a stage', () => {
  const unplaced = [...graph.keys()].filter((f) => !stageOf(f));
  assert.equal(unplaced, [], `place these in STAGES (test/unit/import-graph.test.ts) and docs/ARCHITECTURE.md: ${unplaced.join(', ')}`);
});

test('no import circle (except the pending ones)', () => {
  const pending = PENDING_CIRCLES.map((c) => c.modules.join(' <-> '));
  const found = circles(graph).map((c) => c.join(' <-> '));
  assert.equal(found.filter((c) => !pending.includes(c)), [], `circles:\n${found.join('\n')}`);
  for (const c of pending) assert.ok(found.includes(c), `the circle ${c} is gone: remove it from PENDING_CIRCLES in this test`);
});

test('no import from a later stage into an earlier one, and none between platforms and workloads (except the pending ones)', () => {
  const found = violationEdges(graph).filter((v) => !PENDING.some((p) => p.from === v.from && p.to === v.to)).map((v) => v.message);
  assert.equal(found, []);
  for (const p of PENDING) {
    assert.ok((graph.get(p.from) ?? []).includes(p.to), `${p.from} -> ${p.to} is gone: remove it from PENDING in this test`);
  }
});

test('the checks can fail: a circle, a later-stage import and a platform importing a workload are found', () => {
  const bad = new Map<string, string[]>([
    ['run/scheduler.ts', ['report/index.ts']],
    ['report/index.ts', ['report/view-model.ts']],
    ['report/view-model.ts', ['report/index.ts']],
    ['platforms/runc.ts', ['workloads/fio.ts']],
    ['workloads/fio.ts', []],
  ]);
  assert.equal(circles(bad), [['report/index.ts', 'report/view-model.ts']]);
  assert.equal(violations(bad), [
    'platforms/runc.ts -> workloads/fio.ts: platforms and workloads know nothing of each other',
    'run/scheduler.ts (run) -> report/index.ts (report): imports from a later stage',
  ]);
});

test.run();
