// fleet/run-process.mjs, the finder fleet/stop.yml stops a host's run with, on real processes: two inventory hosts'
// runs of one fleet run on one machine, in workdirs that differ (one holding a space, a non-ASCII letter and regex
// characters). Only the named host's run is found and signalled, in the C locale too; one not started yet is waited for.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { run } from '../../src/proc.ts';
import { fleetRunArgv, startFakeRun, type FakeRun } from '../helpers/fake-fleet-run.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-run-process-'));
const FLEET_RUN = 'fleet-smoke-0123456789ab';
const COMMIT = 'c0ffee';
// the old stop's pattern ([^ ]*/runs/<run>/) matched neither this run (the space) nor only the other host's
const oddHost = path.join(tmp, 'host a é+(1).[x]');
const plainHost = path.join(tmp, 'host-b');
const started: FakeRun[] = [];

/** the finder as stop.yml calls it, in the C locale (as a host without a UTF-8 locale runs Ansible's modules) */
const finder = (...args: string[]) => run([process.execPath, path.join(paths.root, 'fleet', 'run-process.mjs'), ...args], { env: { LC_ALL: 'C', LANG: 'C' }, timeoutMs: 60_000 });
/** both command lines a host's measuring run may have (stop.yml's measure_argvs) */
const argvsOf = (workdir: string, resume = 'smoke-20250101-000000') => JSON.stringify([fleetRunArgv(workdir, COMMIT, FLEET_RUN), fleetRunArgv(workdir, COMMIT, FLEET_RUN, resume)]);
const fake = async (workdir: string, resume?: string) => {
  const f = await startFakeRun(workdir, COMMIT, FLEET_RUN, resume);
  started.push(f);
  return f;
};

test.after.each(async () => {
  for (const f of started.splice(0)) await f.stop();
});

test.after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('finds this host\'s run by its exact command line, never the run of the same fleet run in another workdir', async () => {
  const odd = await fake(oddHost);
  const plain = await fake(plainHost, 'smoke-20250101-000000');
  const a = await finder(argvsOf(oddHost));
  assert.is(a.code, 0, a.stderr);
  assert.is(a.stdout, `${odd.daemon.pid}\n`);
  const b = await finder(argvsOf(plainHost));
  assert.is(b.stdout, `${plain.daemon.pid}\n`);
  // a workdir that is a prefix of another's, and the other run folder's resume: no match
  const none = await finder(argvsOf(path.join(tmp, 'host'), 'other-run'));
  assert.is(none.code, 1);
  assert.is(none.stdout, '');
  assert.ok(odd.alive() && plain.alive(), 'finding signals nothing');
});

test('--signal SIGINT ends only the run it found', async () => {
  const odd = await fake(oddHost, 'smoke-20250101-000000');
  const plain = await fake(plainHost);
  const r = await finder('--signal', 'SIGINT', argvsOf(oddHost));
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `${odd.daemon.pid}\n`);
  assert.ok(await odd.interruptedWithin(5_000), 'the found run got SIGINT');
  assert.ok(plain.alive(), 'the other host\'s run goes on');
});

test('a run not started yet is waited for while its measure job runs, and not once the job has ended', async () => {
  const host = path.join(tmp, 'host-c');
  const job = path.join(tmp, 'j123456789012.4242');
  writeFileSync(job, JSON.stringify({ started: 1, finished: 0, ansible_job_id: 'j123456789012.4242' }));
  const finding = finder('--signal', 'SIGINT', '--wait-job', job, '--wait', '30', argvsOf(host));
  await new Promise((r) => setTimeout(r, 1_000));
  const late = await fake(host);
  const r = await finding;
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `${late.daemon.pid}\n`);
  assert.ok(await late.interruptedWithin(5_000));
  // the job ended (its result written): nothing is waited for
  writeFileSync(job, JSON.stringify({ started: 1, finished: 1, rc: 0, ansible_job_id: 'j123456789012.4242' }));
  const ended = await finder('--wait-job', job, '--wait', '30', argvsOf(host));
  assert.is(ended.code, 1);
  assert.ok(ended.ms < 5_000, `${ended.ms} ms`);
});

test('bad usage exits 2 and names the problem', async () => {
  for (const [args, problem] of [[[], /JSON list of command lines/], [['{"a":1}'], /JSON list of command lines/], [['--signal', 'SIGNOPE', argvsOf(oddHost)], /unknown signal/], [['nope'], /not JSON/], [[argvsOf(oddHost), '--signal'], /--signal takes a value/], [[argvsOf(oddHost), '--wait-job'], /--wait-job takes a value/]] as const) {
    const r = await finder(...args);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, problem);
  }
});

test.run();
