import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BUDGET_MAX_INSTANCES, ExperimentError, loadExperiment, MAX_BUDGET_S, parseExperiment } from '../../src/experiment/load.ts';
import { isAdaptiveCell, isBudgetedCell, makePlan } from '../../src/experiment/plan.ts';
import { paths } from '../../src/paths.ts';
import { readExperimentMeta } from '../../src/rundir/experiment-copy.ts';

const badDir = path.join(paths.root, 'test', 'fixtures', 'experiments', 'bad');

for (const name of readdirSync(badDir).filter((f) => f.endsWith('.yaml')).sort()) {
  test(`refuses ${name} with a message naming the field`, () => {
    const file = path.join(badDir, name);
    const expected = /^# expect: (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1];
    assert.ok(expected, `${name} has no '# expect:' line`);
    try {
      loadExperiment(file);
    } catch (e) {
      assert.instance(e, ExperimentError);
      const msg = (e as Error).message;
      assert.ok(msg.startsWith(file), `message starts with the file name: ${msg}`);
      assert.ok(msg.includes(expected!), `expected "${expected}" in: ${msg}`);
      return;
    }
    assert.unreachable(`${name} was accepted`);
  });
}

test('the corpus has at least 20 malformed files', () => {
  assert.ok(readdirSync(badDir).filter((f) => f.endsWith('.yaml')).length >= 20);
});

test('error names the line of the offending value', () => {
  try {
    parseExperiment('x.yaml', 'name: a\nplatforms:\n  - native\n  - gvisor-kmv\nworkloads: [sysbench-cpu]\n');
    assert.unreachable();
  } catch (e) {
    assert.is((e as ExperimentError).line, 4);
    assert.match((e as Error).message, /^x\.yaml:4: platforms\[1\]: unknown platform 'gvisor-kmv'/);
  }
});

test('a missing experiment file: the error names the file and the fix', () => {
  assert.throws(() => loadExperiment('/nonexistent/isobench-exp.yaml'), (e: Error) => e instanceof ExperimentError
    && /^\/nonexistent\/isobench-exp\.yaml: cannot read the file \(ENOENT\): no such file; check the path \(the shipped experiments are experiments\/\*\.yaml/.test(e.message));
});

test('fills in defaults from the schema and the workload', () => {
  const { experiment } = parseExperiment('x.yaml', 'name: a\nplatforms: [native]\nworkloads: [sysbench-cpu]\n');
  assert.equal(experiment.repetitions, { instances: 3, iterations: 1 });
  assert.equal(experiment.resources, { cpus: 1, memoryMiB: 1024 });
  assert.equal(experiment.timeouts, { startS: 120, cellS: 600 });
  assert.equal(experiment.workloads[0].jobs, [{ name: 'default', params: {} }]);
});

test('workload parameter defaults are written into the params every cell runs with', () => {
  const { experiment } = parseExperiment('x.yaml', 'name: a\nplatforms: [native]\nworkloads: [{id: sysbench-cpu, params: {time: 2}}]\n');
  assert.equal(experiment.workloads[0].params, { maxPrime: 20000, time: 2, threads: 1 });
});

test('adaptive repetitions: defaults filled in, cells plan maxInstances, a workload with its own instances stays fixed', () => {
  const text = 'name: a\nrepetitions:\n  adaptive: {maxInstances: 7}\nplatforms: [native]\nworkloads:\n  - sysbench-cpu\n  - id: sysbench-memory\n    repetitions: {instances: 2}\n';
  const exp = parseExperiment('a.yaml', text).experiment;
  assert.equal(exp.repetitions.adaptive, { targetHalfWidth: 0.02, minInstances: 3, maxInstances: 7, budgetS: 600 });
  const plan = makePlan(exp, 'a.yaml');
  const cpu = plan.cells.find((c) => c.workload === 'sysbench-cpu')!;
  const mem = plan.cells.find((c) => c.workload === 'sysbench-memory')!;
  assert.is(cpu.instances, 7);
  assert.is(mem.instances, 2);
  assert.ok(isAdaptiveCell(exp, cpu));
  assert.not.ok(isAdaptiveCell(exp, mem));
  assert.is(plan.order.length, 9);
  assert.is(parseExperiment('b.yaml', 'name: b\nplatforms: [native]\nworkloads: [sysbench-cpu]\n').experiment.repetitions.adaptive, undefined);
});

test('budget: 15m is 900 s; its cells plan up to BUDGET_MAX_INSTANCES, a workload with its own instances stays fixed', () => {
  const exp = parseExperiment('a.yaml', 'name: a\nbudget: 15m\nplatforms: [native]\nworkloads:\n  - sysbench-cpu\n  - id: sysbench-memory\n    repetitions: {instances: 2}\n').experiment;
  assert.is(exp.budgetS, 900);
  const plan = makePlan(exp, 'a.yaml');
  const cpu = plan.cells.find((c) => c.workload === 'sysbench-cpu')!;
  assert.is(cpu.instances, BUDGET_MAX_INSTANCES);
  assert.ok(isBudgetedCell(exp, cpu));
  assert.not.ok(isBudgetedCell(exp, plan.cells.find((c) => c.workload === 'sysbench-memory')!));
  assert.is(parseExperiment('b.yaml', 'name: b\nbudget: 2h\nplatforms: [native]\nworkloads: [sysbench-cpu]\n').experiment.budgetS, 7200);
  assert.is(parseExperiment('b.yaml', 'name: b\nplatforms: [native]\nworkloads: [sysbench-cpu]\n').experiment.budgetS, undefined);
});

test('a bad budget is refused naming the file, the field and what is allowed; nothing is expanded', () => {
  const refused = (text: string) => {
    try {
      parseExperiment('x.yaml', `name: a\n${text}\nplatforms: [native]\nworkloads: [sysbench-cpu]\n`);
    } catch (e) {
      assert.instance(e, ExperimentError);
      return (e as Error).message;
    }
    throw new Error(`accepted: ${text}`);
  };
  assert.match(refused('budget: 15 minutes'), /^x\.yaml:2: budget: /);
  assert.match(refused('budget: 0m'), /budget/);
  assert.match(refused(`budget: ${MAX_BUDGET_S + 1}s`), `at most ${MAX_BUDGET_S / 3600}h is allowed (MAX_BUDGET_S)`);
  assert.match(refused('budget: 10m\nrepetitions: {adaptive: {maxInstances: 5}}'), 'budget and repetitions.adaptive both size the run; keep one');
});

test("a run's copy reads its budget by the schema's one pattern: the loader's seconds, or none where the loader refuses the form", () => {
  const run = mkdtempSync(path.join(os.tmpdir(), 'budget-copy-'));
  try {
    const copied = (budget: string) => {
      writeFileSync(path.join(run, 'experiment.yaml'), `name: b\nbudget: ${budget}\nplatforms: [native]\nworkloads: [sysbench-cpu]\n`);
      return readExperimentMeta(run).budgetS;
    };
    for (const b of ['45s', '15m', '2h']) {
      assert.is(copied(b), parseExperiment('b.yaml', `name: b\nbudget: ${b}\nplatforms: [native]\nworkloads: [sysbench-cpu]\n`).experiment.budgetS, b);
    }
    for (const b of ['15 minutes', '0m', '15', '1d', '"15m "']) {
      assert.throws(() => parseExperiment('b.yaml', `name: b\nbudget: ${b}\nplatforms: [native]\nworkloads: [sysbench-cpu]\n`), /budget/, b);
      assert.is(copied(b), undefined, b);
    }
  } finally {
    rmSync(run, { recursive: true, force: true });
  }
});

test('the shipped experiment files are valid', () => {
  for (const f of ['smoke.yaml', 'quick.yaml', 'paper.yaml']) {
    const l = loadExperiment(path.join(paths.experiments, f));
    assert.ok(l.experiment.platforms.length > 0, f);
    assert.is(l.sha256.length, 64);
  }
});

test.run();
