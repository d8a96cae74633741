// isobench fleet's pieces that need no host: its events, host names, slow hosts, and the statistics across hosts.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { betweenHosts } from '../../src/claims/between-hosts.ts';
import { agreementOf } from '../../src/claims/cross-host.ts';
import { FleetInputError } from '../../src/fleet/errors.ts';
import { deltaSeconds, failureText, hostStates, LAST_TASK, MEASURE_TASK, TASKS, parseEvents, plainText, progressLine, type FleetEvent } from '../../src/fleet/events.ts';
import { checkHostName } from '../../src/fleet/host-name.ts';
import { checkInventoryHosts, parseInventoryList, parseListHosts } from '../../src/fleet/inventory.ts';
import { markSlowHosts } from '../../src/fleet/outcome.ts';
import { checkTemplateSafe, measuringHosts, STOP_OUTCOME_TASK, type PlaybookVars } from '../../src/fleet/playbook.ts';
import { fleetRunId } from '../../src/fleet/run-fleet.ts';
import { mergeRuns } from '../../src/run/merge.ts';
import { paths } from '../../src/paths.ts';
import { readRunInputs } from '../../src/report/inputs.ts';
import { renderHtml } from '../../src/report/render.ts';
import { renderCharts } from '../../src/report/charts.ts';
import { allCharts, buildViewModel } from '../../src/report/view-model.ts';
import { analyzeRun, writeAnalysis } from '../../src/stats/analyze.ts';
import type { Environment, LoadedExperiment, Sample } from '../../src/types.ts';
import { parseYamlDocument } from '../../src/yaml-document.ts';

const ev = (event: string, host: string, task: string, time: number, more: Partial<FleetEvent> = {}): FleetEvent => ({ event, host, task, time, ...more });

test('events: a half-written last line waits for the next read; lines that are not events are skipped', () => {
  const text = '{"event":"start","host":"a","task":"setup","time":1}\nnot json\n{"event":"ok","host":"a"';
  const { events, consumed } = parseEvents(text);
  assert.equal(events.map((e) => e.event), ['start']);
  assert.is(text.slice(consumed), '{"event":"ok","host":"a"');
});

test('host states: fetched, failed at a named stage with isobench\'s error line, unreachable while measuring', () => {
  const states = hostStates(['alpha', 'beta', 'gamma', 'delta'], [
    // alpha's measuring time is the remote command's own (delta), not the wait task's 90 s of polling
    ev('start', 'alpha', 'measure', 10), ev('ok', 'alpha', 'measure', 11), ev('start', 'alpha', 'wait for measure', 11),
    ev('ok', 'alpha', 'wait for measure', 101, { delta: '0:01:02.500000' }), ev('start', 'alpha', 'fetch artifact', 102), ev('ok', 'alpha', 'fetch artifact', 103),
    ev('start', 'beta', 'setup', 5), ev('failed', 'beta', 'setup', 9, { rc: 1, stderr: 'installing\nerror: apt-get install failed: no space left\n' }),
    ev('start', 'gamma', 'wait for measure', 10), ev('unreachable', 'gamma', 'wait for measure', 99, { msg: 'Failed to connect to the host via ssh: Connection refused' }),
    // after a failure nothing changes the host's state
    ev('ok', 'beta', 'fetch artifact', 50),
  ]);
  assert.is(states.get('alpha')!.status, 'fetched');
  assert.is(states.get('alpha')!.measureSeconds, 62.5);
  assert.is(states.get('beta')!.status, 'failed');
  assert.is(states.get('beta')!.reason, "failed at 'installing system packages' (task 'setup'): error: apt-get install failed: no space left (exit 1)");
  assert.is(states.get('gamma')!.status, 'unreachable');
  assert.match(states.get('gamma')!.reason!, /^unreachable while measuring .*Connection refused$/);
  assert.is(states.get('delta')!.status, 'waiting');
  assert.is(progressLine(states.values(), 100), 'alpha: fetched · beta: failed (installing system packages) · gamma: unreachable · delta: waiting');
  // Ctrl-C stops the isobench run of a host whose launch started and whose end was not seen, only
  const live = hostStates(['a', 'b', 'c', 'd'], [ev('start', 'a', 'measure', 1), ev('start', 'b', 'wait for measure', 1), ev('start', 'c', 'analyze', 1), ev('start', 'd', 'setup', 1)]);
  assert.equal(measuringHosts(live), ['a', 'b']);
  assert.equal(measuringHosts(states), []);
});

test('a measuring host: launch lost, a poll with no answer, the host timeout; Ansible durations read as seconds', () => {
  const states = hostStates(['a', 'b', 'c', 'd'], [
    ev('unreachable', 'a', 'measure', 1, { msg: 'ssh: connect to host 10.0.0.1 port 22: No route to host' }),
    ev('failed', 'b', 'wait for measure', 1, { msg: 'The async_status action failed to execute in the expected time frame (300) and was terminated' }),
    ev('failed', 'c', 'wait for measure', 1, { finished: 0 }),
    // what Ansible's async_wrapper really reports at the limit: it killed the job, so the result is finished
    ev('failed', 'd', 'wait for measure', 1, { finished: 1, msg: 'Timeout exceeded' }),
  ]);
  assert.match(states.get('a')!.reason!, /^unreachable while starting to measure .*No route to host$/);
  assert.is(states.get('b')!.status, 'unreachable');
  assert.match(states.get('b')!.reason!, /^unreachable while measuring .*expected time frame \(300\)/);
  assert.is(states.get('c')!.status, 'failed');
  assert.match(states.get('c')!.reason!, /^still measuring when --host-timeout ran out/);
  assert.match(states.get('d')!.reason!, /^still measuring when --host-timeout ran out \(Ansible killed its job/);
  assert.is(deltaSeconds('12:00:01.25'), 43201.25);
  for (const bad of [undefined, 5, '1:2:3', 'soon', '0:00:01 ; id']) assert.is(deltaSeconds(bad), undefined, String(bad));
});

/** the task names of a playbook file's plays, or of a tasks file, with the tasks of the files it imports in place */
async function taskNames(file: string): Promise<string[]> {
  const doc = parseYamlDocument(await readFile(file, 'utf8')).value as { tasks?: unknown[]; name?: string; import_tasks?: string; 'ansible.builtin.import_tasks'?: string }[];
  const tasks = doc.every((entry) => Array.isArray(entry.tasks)) ? doc.flatMap((play) => play.tasks as typeof doc) : doc;
  const names: string[] = [];
  for (const t of tasks) {
    const imported = t['ansible.builtin.import_tasks'] ?? t.import_tasks;
    if (imported !== undefined) names.push(...await taskNames(path.join(path.dirname(file), imported)));
    else names.push(String(t.name));
  }
  return names;
}

test('every task of the playbook has a stage for the progress line, and the measure task is the one the states read', async () => {
  const tasks = await taskNames(paths.fleetPlaybook);
  assert.ok(tasks.length > 10, String(tasks.length));
  assert.equal(tasks.filter((t) => !TASKS.includes(t)), [], 'tasks without a stage');
  assert.ok(tasks.includes(MEASURE_TASK) && tasks.includes(LAST_TASK));
  // the stop playbook's outcome is read from its last task
  assert.is((await taskNames(paths.fleetStopPlaybook)).at(-1), STOP_OUTCOME_TASK);
});

test('text from a host reaches the terminal without control characters', () => {
  assert.is(plainText('ok\u001b[2J\u0007 done\r\nnext'), 'ok [2J done next');
  assert.is(failureText({ event: 'failed', time: 0, msg: 'non-zero return code', rc: 2 }), 'non-zero return code (exit 2)');
});

test('ansible --list-hosts output is read as host names', () => {
  assert.equal(parseListHosts('  hosts (2):\n    alpha\n    beta\n'), ['alpha', 'beta']);
  assert.equal(parseListHosts('  hosts (0):\n'), []);
});

test('the inventory: every host and group of ansible-inventory --list; a host named like a group, or not a folder name, is refused', () => {
  const list = JSON.stringify({
    _meta: { hostvars: { alpha: { ansible_host: '127.0.0.2' }, lonely: {} } },
    all: { children: ['ungrouped', 'web'] },
    ungrouped: { hosts: ['alpha', 'novars'] },
    web: { hosts: ['beta'] },
  });
  const tree = parseInventoryList(list, 'inv');
  assert.equal(tree, { hosts: ['alpha', 'beta', 'lonely', 'novars'], groups: ['all', 'ungrouped', 'web'] });
  checkInventoryHosts(tree, 'inv');
  assert.throws(() => checkInventoryHosts({ hosts: ['alpha', 'web'], groups: ['web'] }, 'inv.yml'), (e: Error) => e instanceof FleetInputError && /inv\.yml: host web has the name of a group/.test(e.message));
  assert.throws(() => checkInventoryHosts({ hosts: ['alpha', 'a b'], groups: [] }, 'inv.yml'), (e: Error) => e instanceof FleetInputError && /host name "a b" cannot name a folder/.test(e.message));
  assert.throws(() => parseInventoryList('[WARNING]: nope', 'inv.yml'), (e: Error) => e instanceof FleetInputError && /inv\.yml: ansible-inventory --list did not print JSON/.test(e.message));
});

test('a host name that cannot be a folder or a plain --limit entry is refused, naming the fix', () => {
  for (const ok of ['alpha', 'node-1.example.org', 'a_b']) assert.is(checkHostName(ok, 'inv'), ok);
  for (const bad of ['..', '../etc', 'a/b', '-x', 'a:b', 'web*', '!a', 'a b', '', 'x'.repeat(64)]) {
    assert.throws(() => checkHostName(bad, 'inv.yml'), (e: Error) => e instanceof FleetInputError && /inv\.yml: host name .* cannot name a folder; use an inventory alias/.test(e.message), bad);
  }
});

test('a host that measured 3x as long as the fastest is named, with both times', () => {
  const out = markSlowHosts([
    { host: 'a', status: 'complete', measureSeconds: 100 },
    { host: 'b', status: 'complete', measureSeconds: 250 },
    { host: 'c', status: 'complete', measureSeconds: 400 },
    { host: 'd', status: 'missing', reason: 'unreachable' },
  ]);
  assert.equal(out.map((o) => o.slow !== undefined), [false, false, true, false]);
  assert.is(out[2].slow, 'c measured for 400 s, 4.0x as long as the fastest host (a, 100 s)');
});

test('no value reaches Ansible as a template: a path holding {{ is refused', () => {
  const vars: PlaybookVars = { isobench_fleet_run: 'f', isobench_commit: 'c', isobench_source_tar: '/d/s.tar', isobench_experiment_file: '/d/e.yaml', isobench_fetch_dir: '/d', isobench_run_timeout: 1 };
  checkTemplateSafe(vars);
  assert.throws(() => checkTemplateSafe({ ...vars, isobench_fetch_dir: '/data/{{ lookup("pipe", "id") }}' }), (e: Error) => e instanceof FleetInputError && /isobench_fetch_dir: .* Ansible would read as a template/.test(e.message));
});

test('the same experiment bytes and commit name the same fleet run (so a second call resumes it)', () => {
  const exp = (sha256: string) => ({ file: 'x.yaml', text: '', sha256, experiment: { name: 'smoke' } }) as unknown as LoadedExperiment;
  assert.is(fleetRunId(exp('ab'), 'c1'), fleetRunId(exp('ab'), 'c1'));
  assert.match(fleetRunId(exp('ab'), 'c1'), /^fleet-smoke-[0-9a-f]{12}$/);
  assert.is.not(fleetRunId(exp('ab'), 'c1'), fleetRunId(exp('ab'), 'c2'));
  assert.is.not(fleetRunId(exp('ab'), 'c1'), fleetRunId(exp('cd'), 'c1'));
});

test('between hosts: DerSimonian–Laird gives tau 0 when hosts agree within their instance noise, and the spread when they do not', () => {
  const same = betweenHosts([{ host: 'a', log: 0.1, se: 0.05 }, { host: 'b', log: 0.1, se: 0.05 }, { host: 'c', log: 0.1, se: 0.05 }])!;
  assert.is(same.tau, 0);
  assert.ok(Math.abs(same.ratio - Math.exp(0.1)) < 1e-12);
  // equal se: tau² = (Q - (k-1)) / C with w = 400, Q = 400 · Σ(y - ȳ)² = 400 · 0.02 = 8, C = 1200 - 480000/1200 = 800
  const apart = betweenHosts([{ host: 'a', log: 0, se: 0.05 }, { host: 'b', log: 0.1, se: 0.05 }, { host: 'c', log: 0.2, se: 0.05 }])!;
  assert.ok(Math.abs(apart.tau ** 2 - (8 - 2) / 800) < 1e-12, String(apart.tau));
  assert.ok(Math.abs(apart.i2 - 6 / 8) < 1e-12);
  assert.ok(apart.prediction.low < apart.ci.low && apart.prediction.high > apart.ci.high, 'a new host is less certain than the mean');
  assert.is(betweenHosts([{ host: 'a', log: 0, se: 0.05 }, { host: 'b', log: 0.1, se: 0.05 }]), null, 'two hosts: no spread');
});

test('agreement counts only the hosts where a claim was tested', () => {
  const v = (...xs: string[]) => xs.map((verdict) => ({ verdict })) as { verdict: 'reproduced' }[];
  assert.is(agreementOf(v('reproduced', 'reproduced', 'not run')), 'agree');
  // a contradiction is reproduced against not reproduced; an inconclusive or partly tested host only says less
  assert.is(agreementOf(v('reproduced', 'not reproduced', 'reproduced')), 'disagree');
  assert.is(agreementOf(v('reproduced', 'inconclusive')), 'mixed');
  assert.is(agreementOf(v('not reproduced', 'partly tested')), 'mixed');
  assert.is(agreementOf(v('reproduced', 'inconclusive', 'not reproduced')), 'disagree');
  assert.is(agreementOf(v('reproduced', 'not run')), 'one host');
  assert.is(agreementOf(v('not run', 'not run')), 'not run');
});

const fixture = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const NATIVE = '3355697ebe39';

async function copyRun(dir: string, name: string, scaleNative: number): Promise<string> {
  const runDir = path.join(dir, name);
  await cp(fixture, runDir, { recursive: true });
  const envFile = path.join(runDir, 'environment.json');
  const env = JSON.parse(await readFile(envFile, 'utf8')) as Environment;
  env.run = name;
  await writeFile(envFile, JSON.stringify(env, null, 2));
  const file = path.join(runDir, 'samples.jsonl');
  const samples = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Sample);
  await writeFile(file, samples.map((s) => JSON.stringify(s.cell === NATIVE && s.value !== null ? { ...s, value: s.value * scaleNative } : s)).join('\n') + '\n');
  return runDir;
}

test('a fleet merge: host labels from the inventory, one finished host is enough, missing hosts kept; crossHost per host with spread at three hosts', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-fleet-unit-'));
  try {
    const runs = [await copyRun(dir, 'r1', 1), await copyRun(dir, 'r2', 1.3), await copyRun(dir, 'r3', 0.8)];
    // all copies have the same hostname: the labels given are what tells them apart
    const one = await mergeRuns([runs[0]], path.join(dir, 'one'), { hosts: ['alpha'], missingHosts: [{ host: 'beta', reason: 'unreachable: Connection refused' }] });
    assert.equal(one.hosts.map((h) => h.host), ['alpha']);
    const single = await analyzeRun(one.runDir);
    assert.equal(single.crossHost!.hosts, ['alpha']);
    assert.equal(single.crossHost!.missing, [{ host: 'beta', reason: 'unreachable: Connection refused' }]);
    assert.ok(single.crossHost!.claims.every((c) => c.agreement !== 'agree' && c.agreement !== 'disagree' && c.agreement !== 'mixed' && c.spread.length === 0));
    // the report's "Across hosts" section names the missing host with its reason (text escaped, never markup)
    await writeAnalysis(one.runDir);
    const view = buildViewModel(readRunInputs(one.runDir));
    assert.equal(view.crossHost!.missing, [{ host: 'beta', reason: 'unreachable: Connection refused' }]);
    assert.ok(view.toc.some((t) => t.id === 'across-hosts'));
    const html = renderHtml(view, await renderCharts(allCharts(view), view.platformOrder));
    assert.match(html, /<section id="across-hosts"/);
    assert.match(html, /<strong>beta<\/strong>: unreachable: Connection refused/);

    const three = await mergeRuns(runs, path.join(dir, 'three'), { hosts: ['alpha', 'beta', 'gamma'] });
    const a = await analyzeRun(three.runDir);
    const x = a.crossHost!;
    assert.equal(x.hosts, ['alpha', 'beta', 'gamma']);
    const tested = x.claims.filter((c) => c.verdicts.some((v) => v.verdict !== 'not run' && v.verdict !== 'caveat'));
    assert.ok(tested.length > 0, 'the fixture tests some claim');
    for (const c of tested) assert.equal(c.verdicts.map((v) => v.host), ['alpha', 'beta', 'gamma']);
    const withSpread = x.claims.flatMap((c) => c.spread);
    assert.ok(withSpread.length > 0, 'a ratio measured on three hosts has a spread');
    // native scaled by 1, 1.3 and 0.8 moves each host's ratio to native; the hosts differ far beyond instance noise
    const toNative = withSpread.find((s) => s.reference === 'native')!;
    assert.ok(toNative, JSON.stringify(withSpread.map((s) => s.reference)));
    assert.equal(toNative.perHost.map((p) => p.host), ['alpha', 'beta', 'gamma']);
    assert.ok(toNative.tau > 0.1 && toNative.spreadFactor > 1.1, `tau ${toNative.tau}`);
    assert.ok(Math.abs(toNative.perHost[1].ratio * 1.3 - toNative.perHost[0].ratio) < 1e-9);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
