import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseExperiment } from '../../src/experiment/load.ts';
import { canonicalJson, expandCells, makePlan, orderInstances, seededShuffle } from '../../src/experiment/plan.ts';

const text = `name: t
seed: 42
repetitions: {instances: 4}
platforms: [native]
workloads:
  - id: sysbench-cpu
    params: {time: 2}
    jobs: [{name: one, params: {threads: 1}}, {name: two, params: {threads: 2}}]
    sweep: {maxPrime: [1000, 2000]}
`;

test('canonical JSON sorts keys at every level', () => {
  assert.is(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
});

test('cells are platform x workload x job x sweep, with merged params', () => {
  const cells = expandCells(parseExperiment('t.yaml', text).experiment);
  assert.is(cells.length, 4);
  assert.equal(cells.map((c) => c.job), ['one:maxPrime=1000', 'one:maxPrime=2000', 'two:maxPrime=1000', 'two:maxPrime=2000']);
  assert.equal(cells[3].params, { time: 2, threads: 2, maxPrime: 2000 });
});

test('cell ids are stable: independent of key order and position in the file', () => {
  const a = expandCells(parseExperiment('t.yaml', text).experiment);
  const reordered = text.replace('params: {time: 2}', 'params: {time: 2}').replace('[{name: one, params: {threads: 1}}, {name: two, params: {threads: 2}}]', '[{name: two, params: {threads: 2}}, {name: one, params: {threads: 1}}]');
  const b = expandCells(parseExperiment('t.yaml', reordered).experiment);
  assert.equal(a.map((c) => c.id).sort(), b.map((c) => c.id).sort());
  assert.ok(a.every((c) => /^[0-9a-f]{12}$/.test(c.id)));
  assert.is(new Set(a.map((c) => c.id)).size, a.length);
});

test('a changed parameter changes the cell id', () => {
  const a = expandCells(parseExperiment('t.yaml', text).experiment);
  const b = expandCells(parseExperiment('t.yaml', text.replace('time: 2', 'time: 3')).experiment);
  assert.not.ok(a.some((c) => b.some((d) => d.id === c.id)));
});

test('seeded shuffle is deterministic and a permutation', () => {
  const items = Array.from({ length: 20 }, (_, i) => i);
  const x = seededShuffle(items, 1);
  assert.equal(x, seededShuffle(items, 1));
  assert.not.equal(x, seededShuffle(items, 2));
  assert.equal([...x].sort((p, q) => p - q), items);
});

test('instances are interleaved: every cell runs instance k before any runs k+1', () => {
  const cells = expandCells(parseExperiment('t.yaml', text).experiment);
  const order = orderInstances(cells, 4, 42);
  assert.is(order.length, 16);
  for (let i = 0; i < order.length; i++) assert.is(order[i].instance, Math.floor(i / 4));
  const rounds = [0, 1, 2, 3].map((k) => order.filter((o) => o.instance === k).map((o) => o.cell).join());
  assert.ok(new Set(rounds).size > 1, 'rounds are shuffled differently');
});

test('the plan records the seed and is reproducible', () => {
  const exp = parseExperiment('t.yaml', text).experiment;
  assert.equal(makePlan(exp, 't.yaml'), makePlan(exp, 't.yaml'));
  assert.is(makePlan(exp, 't.yaml').seed, 42);
});

test('a workload may have its own repetitions; other cells keep the experiment default', () => {
  const t = `name: t\nseed: 1\nrepetitions: {instances: 2, iterations: 1}\nplatforms: [native]\nworkloads:\n  - sysbench-cpu\n  - id: startup\n    repetitions: {instances: 5, iterations: 3}\n`;
  const plan = makePlan(parseExperiment('t.yaml', t).experiment, 't.yaml');
  const startup = plan.cells.find((c) => c.workload === 'startup')!;
  const cpu = plan.cells.find((c) => c.workload === 'sysbench-cpu')!;
  assert.equal([startup.instances, startup.iterations, cpu.instances, cpu.iterations], [5, 3, 2, 1]);
  assert.is(plan.order.filter((o) => o.cell === startup.id).length, 5);
  assert.is(plan.order.filter((o) => o.cell === cpu.id).length, 2);
  // the id does not depend on the repetitions
  const again = makePlan(parseExperiment('t.yaml', t.replace('instances: 5', 'instances: 7')).experiment, 't.yaml');
  assert.is(again.cells.find((c) => c.workload === 'startup')!.id, startup.id);
});

test('a platform entry may restrict itself to some of the workloads', () => {
  const t = `name: t\nplatforms:\n  - native\n  - id: runc\n    workloads: [sysbench-cpu]\nworkloads: [sysbench-cpu, sysbench-memory]\n`;
  const cells = expandCells(parseExperiment('t.yaml', t).experiment);
  assert.equal(cells.map((c) => `${c.platform}/${c.workload}`), ['native/sysbench-cpu', 'native/sysbench-memory', 'runc/sysbench-cpu']);
});

test.run();
