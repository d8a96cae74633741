// isobench fleet with real Ansible over real SSH: one sshd of this machine per address (Debian's openssh-server, key auth,
// a throwaway host key and user key, known_hosts written here for this test's own inventory) serves two inventory hosts
// on 127.0.0.2 and 127.0.0.3, each with its own remote folder. One host is unreachable in the first call, is stopped by
// Ctrl-C in the second, loses its sshd while measuring in the third, and is restored for the fourth. The stop playbook
// is also run on this machine alone (Ansible's local connection) against stand-in runs of two hosts sharing it.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseEvents, type FleetEvent } from '../../src/fleet/events.ts';
import { spawnPlaybook, stopOutcome, type PlaybookVars } from '../../src/fleet/playbook.ts';
import { paths } from '../../src/paths.ts';
import { processAlive, run, runOk, spawnDaemon, terminate, which, type Daemon } from '../../src/proc.ts';
import type { Analysis, Environment } from '../../src/types.ts';
import { startFakeRun, type FakeRun } from '../helpers/fake-fleet-run.ts';
import { exitOf, liveProcesses, processesMentioning } from '../helpers/processes.ts';
import { skip } from '../helpers/skip.ts';
import { waitFor } from '../helpers/wait.ts';

const SSHD = '/usr/sbin/sshd';
const missingTools = [['ansible-playbook', 'ansible'], [SSHD, 'openssh-server'], ['ssh-keygen', 'openssh-client']].filter(([t]) => !which(t));

// the packages are named literally: CI's ISOBENCH_REQUIRE turns this skip into a failure (registry-conformance checks the names)
const skipForTools = () => skip(`isobench fleet needs ${missingTools.map(([t, p]) => `${t} (apt-get install ${p})`).join(', ')}`, ['ansible', 'openssh-server', 'openssh-client'].filter((p) => missingTools.some(([, q]) => q === p)));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-fleet-'));
const env = { ISOBENCH_DATA: path.join(tmp, 'data'), ISOBENCH_REPORT: path.join(tmp, 'report') };
const cli = (...args: string[]) => run([process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), ...args], { env, timeoutMs: 900_000 });
// a folder inventory (Ansible reads every inventory file in it)
const inventory = path.join(tmp, 'inventory');
const experiment = path.join(tmp, 'smoke-native.yaml');
const sshds = new Map<string, Daemon>();
let port = 0;
let madeRunSshd = false;
// the (host) fleet run's folder, the fleet command's output and alpha's state after the first call
let fleetDir = '';
let alphaBefore: { samples: string; completed: string; remoteSamples: string; remoteMtime: number } | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitForPort(host: string, p: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(p, host, () => { c.end(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on ${host}:${p}`);
}

/** an sshd on this test's port for each address not served yet; a host whose address has none is unreachable */
async function startSshd(addresses: string[]): Promise<void> {
  for (const a of addresses) {
    if (sshds.has(a)) continue;
    const config = path.join(tmp, `sshd_config-${a}`);
    writeFileSync(config, [
      `Port ${port}`,
      `ListenAddress ${a}`,
      `HostKey ${path.join(tmp, 'host_key')}`,
      `AuthorizedKeysFile ${path.join(tmp, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no', // the test's folder lives under /tmp, which StrictModes would refuse
      'UsePAM no',
      `PidFile ${path.join(tmp, `sshd-${a}.pid`)}`,
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'));
    sshds.set(a, spawnDaemon([SSHD, '-D', '-e', '-f', config], path.join(tmp, `sshd-${a}.log`)));
    await waitForPort(a, port);
  }
}

/** the sshd of these addresses (all when none given) and its sessions stop: the host is gone for Ansible */
async function stopSshd(...addresses: string[]): Promise<void> {
  for (const a of addresses.length ? addresses : [...sshds.keys()]) {
    const d = sshds.get(a);
    if (!d) continue;
    await terminate(d.pid, 5_000, true);
    sshds.delete(a);
  }
}

/** the events of a fleet call so far (its events-*.jsonl files not in `before`) */
function newEvents(before: string[]): FleetEvent[] {
  if (!existsSync(fleetDir)) return [];
  return readdirSync(fleetDir).filter((f) => /^events-.*\.jsonl$/.test(f) && !before.includes(f))
    .flatMap((f) => parseEvents(readFileSync(path.join(fleetDir, f), 'utf8')).events);
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** the only run directory on a remote host's side (its fleet run's data folder) */
function remoteRun(host: string): string {
  const runs = path.join(tmp, `remote-${host}`, 'runs');
  const fleetRuns = readdirSync(runs);
  assert.is(fleetRuns.length, 1, `${runs}: ${fleetRuns.join(', ')}`);
  const data = path.join(runs, fleetRuns[0], 'data', 'runs');
  const dirs = readdirSync(data).filter((d) => !d.startsWith('.'));
  assert.is(dirs.length, 1, `${data}: ${dirs.join(', ')}`);
  return path.join(data, dirs[0]);
}

test.before(async () => {
  if (missingTools.length > 0) return;
  port = await freePort();
  await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'isobench-fleet-test host', '-f', path.join(tmp, 'host_key')]);
  await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'isobench-fleet-test user', '-f', path.join(tmp, 'user_key')]);
  writeFileSync(path.join(tmp, 'authorized_keys'), readFileSync(path.join(tmp, 'user_key.pub')));
  // the test is the user here: it trusts its own throwaway host key for its own inventory (isobench never relaxes checking)
  const hostKey = readFileSync(path.join(tmp, 'host_key.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(path.join(tmp, 'known_hosts'), ['127.0.0.2', '127.0.0.3'].map((a) => `[${a}]:${port} ${hostKey}\n`).join(''));
  if (!existsSync('/run/sshd')) {
    mkdirSync('/run/sshd', { mode: 0o755 }); // sshd's privilege separation folder
    madeRunSshd = true;
  }
  const user = os.userInfo().username;
  // ControlMaster=no: no ssh master connection outlives the test
  const sshArgs = `-o UserKnownHostsFile=${path.join(tmp, 'known_hosts')} -o StrictHostKeyChecking=yes -o ControlMaster=no -o ConnectTimeout=10`;
  mkdirSync(inventory);
  writeFileSync(path.join(inventory, 'hosts.yml'), [
    'all:',
    '  vars:',
    `    ansible_port: ${port}`,
    `    ansible_user: ${user}`,
    `    ansible_ssh_private_key_file: ${path.join(tmp, 'user_key')}`,
    `    ansible_ssh_args: "${sshArgs}"`,
    '    ansible_pipelining: true',
    `    ansible_python_interpreter: /usr/bin/python3`,
    // the 'hosts' keep Ansible's temporary files (and so its async wrapper's command line) in the test's folder
    `    ansible_remote_tmp: ${path.join(tmp, 'remote-tmp')}`,
    '  hosts:',
    `    alpha: { ansible_host: 127.0.0.2, isobench_workdir: ${path.join(tmp, 'remote-alpha')} }`,
    `    beta: { ansible_host: 127.0.0.3, isobench_workdir: ${path.join(tmp, 'remote-beta')} }`,
    '',
  ].join('\n'));
  // the smoke experiment, native only: the fleet is under test here, not the platforms
  const smoke = readFileSync(path.join(paths.experiments, 'smoke.yaml'), 'utf8');
  // each instance measures 8 s: a run lasts long enough for Ctrl-C to reach it while it measures
  writeFileSync(experiment, smoke.replace(/^platforms:\n(?:\s+- .*\n)+/m, 'platforms:\n  - native\n').replace(/^( +time:) 1$/m, '$1 8'));
  assert.match(readFileSync(experiment, 'utf8'), /platforms:\n {2}- native\nworkloads:[^]*\n {6}time: 8\n/);
});

test.after(async () => {
  await stopSshd();
  if (madeRunSshd) rmSync('/run/sshd', { recursive: true, force: true });
  // nothing of this test may be left running: no sshd, ssh, ansible or remote isobench naming its folder
  const leftovers = processesMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
  assert.equal(leftovers, [], `processes left running: ${leftovers.join(', ')}`);
});

test('bad input exits 2 before any host is reached and changes nothing: inventory, host names, --forks, a template in a path', async () => {
  if (missingTools.length > 0) return skipForTools();
  const r = await cli('fleet', '--inventory', path.join(tmp, 'nope.yml'), '--experiment', experiment);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /--inventory .*nope\.yml: no such file or folder/);
  const f = await cli('fleet', '--inventory', inventory, '--experiment', experiment, '--forks', '0');
  assert.is(f.code, 2);
  assert.match(f.stderr, /--forks "0": give a whole number from 1 to 100/);
  // a host named like a group: --limit would select the group; refused with sshd up, so no host is touched
  await startSshd(['127.0.0.2', '127.0.0.3']);
  const clash = path.join(tmp, 'clash.yml');
  writeFileSync(clash, `${readFileSync(path.join(inventory, 'hosts.yml'), 'utf8')}  children:\n    beta:\n      hosts:\n        gamma: { ansible_host: 127.0.0.2 }\n`);
  const c = await cli('fleet', '--inventory', clash, '--experiment', experiment, '--allow-dirty');
  assert.is(c.code, 2, c.stderr);
  assert.match(c.stderr, /clash\.yml: host beta has the name of a group/);
  const broken = path.join(tmp, 'broken.yml');
  writeFileSync(broken, 'all:\n  hosts: [alpha\n');
  const b = await cli('fleet', '--inventory', broken, '--experiment', experiment, '--allow-dirty');
  assert.is(b.code, 2, b.stderr);
  assert.match(b.stderr, /broken\.yml: Ansible cannot parse it/);
  // ISOBENCH_DATA holding a Jinja delimiter would reach Ansible as a template: refused before anything is written
  const jinja = path.join(tmp, 'data{{x}}');
  const j = await run([process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), 'fleet', '--inventory', inventory, '--experiment', experiment, '--allow-dirty'], { env: { ...env, ISOBENCH_DATA: jinja }, timeoutMs: 120_000 });
  assert.is(j.code, 2, j.stderr);
  assert.match(j.stderr, /isobench_source_tar: .* Ansible would read as a template/);
  assert.not.ok(existsSync(jinja), 'nothing written under the refused data folder');
  await stopSshd();
  assert.not.ok(existsSync(path.join(tmp, 'data', 'fleet')), 'nothing written');
  assert.not.ok(existsSync(path.join(tmp, 'remote-alpha')) || existsSync(path.join(tmp, 'remote-beta')), 'no host reached');
});

test('one host unreachable: the report covers the other, names the missing host, exit 1 with the reason', async () => {
  if (missingTools.length > 0) return skipForTools();
  await startSshd(['127.0.0.2']);
  // the inventory folder given relative to the working folder: isobench passes it on absolute
  const r = await cli('fleet', '--inventory', path.relative(process.cwd(), inventory), '--experiment', experiment, '--allow-dirty', '--no-pdf');
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: fleet: 1 of 2 host\(s\) missing: beta \(unreachable: [^)]*127\.0\.0\.3/);
  assert.match(r.stderr, /the report covers alpha/);
  assert.match(r.stderr, /alpha: complete/);
  const [runDir, html, artifact] = r.stdout.trim().split('\n');
  assert.ok(existsSync(html) && existsSync(artifact), r.stdout);
  fleetDir = path.dirname(path.dirname(runDir));
  const analysis = JSON.parse(readFileSync(path.join(runDir, 'analysis.json'), 'utf8')) as Analysis;
  assert.equal([...new Set(analysis.summaries.map((s) => s.host))], ['alpha']);
  const merged = (JSON.parse(readFileSync(path.join(runDir, 'environment.json'), 'utf8')) as Environment).merged!;
  assert.equal(merged.hosts.map((h) => h.host), ['alpha']);
  assert.equal(merged.missing?.map((m) => m.host), ['beta']);
  const page = readFileSync(html, 'utf8');
  assert.ok(page.includes('native @ alpha'), 'alpha in the report');
  assert.match(page, /<strong>beta<\/strong>: unreachable/, 'beta listed as missing, with its reason');

  const alphaRun = path.join(fleetDir, 'hosts', 'alpha', 'run');
  const remote = remoteRun('alpha');
  alphaBefore = {
    samples: sha(path.join(alphaRun, 'samples.jsonl')),
    completed: sha(path.join(alphaRun, 'logs', 'completed.jsonl')),
    remoteSamples: sha(path.join(remote, 'samples.jsonl')),
    remoteMtime: statSync(path.join(remote, 'samples.jsonl')).mtimeMs,
  };
  assert.not.ok(existsSync(path.join(tmp, 'remote-beta')), 'beta was never reached');
});

test('stop.yml stops only its own host\'s run: two hosts on one machine, one run not started yet, a workdir with a space', async () => {
  if (missingTools.length > 0) return skipForTools();
  // Ansible on this machine itself (no sshd): both inventory hosts' runs are processes of one machine, as in a lab
  const dir = path.join(tmp, 'local-stop');
  const workdirs = { near: path.join(dir, 'stop one é'), far: path.join(dir, 'stop-two') };
  const vars: PlaybookVars = { isobench_fleet_run: 'fleet-smoke-0123456789ab', isobench_commit: 'c0ffee', isobench_source_tar: '-', isobench_experiment_file: '-', isobench_fetch_dir: '-', isobench_run_timeout: 600 };
  const fleetDirOf = (w: string) => path.join(w, 'runs', vars.isobench_fleet_run);
  for (const w of Object.values(workdirs)) {
    mkdirSync(path.join(fleetDirOf(w), 'async'), { recursive: true });
    mkdirSync(path.join(w, 'src', vars.isobench_commit, 'fleet'), { recursive: true });
    copyFileSync(path.join(paths.root, 'fleet', 'run-process.mjs'), path.join(w, 'src', vars.isobench_commit, 'fleet', 'run-process.mjs'));
  }
  mkdirSync(path.join(fleetDirOf(workdirs.near), 'data', 'runs', 'smoke-20250101-000000'), { recursive: true });
  const localInventory = path.join(dir, 'local.yml');
  writeFileSync(localInventory, JSON.stringify({ all: {
    vars: { ansible_connection: 'local', ansible_python_interpreter: '/usr/bin/python3' },
    hosts: { near: { isobench_workdir: workdirs.near }, far: { isobench_workdir: workdirs.far } },
  } }));
  writeFileSync(path.join(dir, 'vars.json'), JSON.stringify(vars));
  // near's measure job runs (its job file and its async wrapper) but has not started its run yet; far's run measures
  const jid = 'j123456789012.4242';
  const jobFile = path.join(fleetDirOf(workdirs.near), 'async', jid);
  writeFileSync(jobFile, JSON.stringify({ started: 1, finished: 0, ansible_job_id: jid }));
  const stop = async (onStopStart: () => Promise<void>) => {
    const eventsFile = path.join(dir, `stop-events-${Date.now()}.jsonl`);
    const playbook = spawnPlaybook(paths.fleetStopPlaybook, { inventory: localInventory, hosts: ['near'], forks: 2, vars, dir }, ['near'], path.join(dir, 'vars.json'), eventsFile, path.join(dir, 'ansible-stop.log'));
    try {
      const events = () => parseEvents(readFileSync(eventsFile, 'utf8')).events;
      await waitFor('the stop playbook reached near\'s stop run task', () => events().some((e) => e.event === 'start' && e.host === 'near' && e.task === 'stop run'), { timeoutMs: 120_000 });
      await onStopStart();
      const exit = await exitOf(playbook);
      assert.is(exit.code, 0, readFileSync(path.join(dir, 'ansible-stop.log'), 'utf8'));
      return stopOutcome(['near'], events());
    } finally {
      if (processAlive(playbook.pid)) await terminate(playbook.pid, 10_000, true);
    }
  };
  let wrapper: ReturnType<typeof spawnDaemon> | undefined;
  let far: FakeRun | undefined;
  let near: FakeRun | undefined;
  try {
    wrapper = spawnDaemon(['node', '-e', 'setInterval(() => {}, 60000)', 'async_wrapper.py', jid.split('.')[0], '600'], path.join(dir, 'wrapper.log'));
    far = await startFakeRun(workdirs.far, vars.isobench_commit, vars.isobench_fleet_run);
    // the job's module starts near's run only once the finder is waiting for it (its job file still says the job runs):
    // a finder that did not wait would have scanned /proc and exited within a fraction of a second
    const seen = new Map<string, number>();
    const first = await stop(async () => {
      await waitFor('the run finder waiting 2 s for near\'s run', () => liveProcesses().some((p) => {
        if (!p.argv.some((a) => a.endsWith('run-process.mjs')) || !p.argv.includes('--wait-job')) return false;
        if (!seen.has(p.pid)) seen.set(p.pid, Date.now());
        return Date.now() - seen.get(p.pid)! >= 2_000;
      }), { timeoutMs: 30_000 });
      near = await startFakeRun(workdirs.near, vars.isobench_commit, vars.isobench_fleet_run, 'smoke-20250101-000000');
    });
    assert.equal(first, { stopped: ['near'], idle: [] }, readFileSync(path.join(dir, 'ansible-stop.log'), 'utf8'));
    assert.ok(await near!.interruptedWithin(5_000), 'near\'s run got SIGINT');
    assert.ok(far!.alive(), 'far\'s run, of the same fleet run on the same machine, goes on');
    // the job ended: nothing of near measures, nothing is waited for
    writeFileSync(jobFile, JSON.stringify({ started: 1, finished: 1, rc: 130, ansible_job_id: jid }));
    assert.equal(await stop(async () => undefined), { stopped: [], idle: ['near'] });
    assert.ok(far!.alive());
  } finally {
    await near?.stop();
    await far?.stop();
    if (wrapper) await terminate(wrapper.pid, 2_000);
  }
});

test('Ctrl-C while a host measures stops its isobench run there too (not another host\'s on the machine), exits 130, and leaves nothing running', async () => {
  if (missingTools.length > 0) return skipForTools();
  assert.ok(alphaBefore, 'the first call ran');
  await startSshd(['127.0.0.2', '127.0.0.3']);
  const before = readdirSync(fleetDir);
  // its own process group, as a shell runs a command: Ctrl-C is SIGINT to the group
  const cliLog = path.join(tmp, 'ctrl-c.log');
  const child = spawnDaemon([process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), 'fleet', '--inventory', inventory, '--experiment', experiment, '--allow-dirty', '--no-pdf'], cliLog, { env });
  const output = () => readFileSync(cliLog, 'utf8');
  // beta's isobench run is measuring once it holds its run lock (its SIGINT handler is set with it)
  const remoteRuns = path.join(tmp, 'remote-beta', 'runs', path.basename(fleetDir));
  const lock = path.join(remoteRuns, 'data', 'runs', '.lock');
  let other: FakeRun | undefined;
  try {
    await waitFor(`beta's isobench run took its lock (${lock})`, () => existsSync(lock), { timeoutMs: 600_000, detail: output });
    assert.ok(newEvents(before).some((e) => e.event === 'start' && e.host === 'beta' && e.task === 'wait for measure'));
    // a run of the same fleet run by another inventory host of this machine (its own workdir): not beta's to stop
    other = await startFakeRun(path.join(tmp, 'remote-gamma'), readdirSync(path.join(tmp, 'remote-beta', 'src'))[0], path.basename(fleetDir));
    process.kill(-child.pid, 'SIGINT');
    const exit = await exitOf(child);
    assert.is(exit.code, 130, output());
    assert.match(output(), /stopped the isobench run on beta; the next call resumes it/, output());
    assert.match(output(), /fleet: interrupted \(SIGINT\)/);
    assert.ok(other.alive(), 'the other host\'s run goes on');
    // it was stopped while measuring, before its 2 instances were done
    const completed = readdirSync(path.join(remoteRuns, 'data', 'runs')).filter((d) => !d.startsWith('.'))
      .map((d) => path.join(remoteRuns, 'data', 'runs', d, 'logs', 'completed.jsonl')).filter((f) => existsSync(f));
    assert.ok(completed.every((f) => readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).length < 2), 'stopped before the run ended');
  } finally {
    await other?.stop();
    // a failed wait or assertion leaves no fleet call (its Ansible and beta's run) behind
    if (processAlive(child.pid)) await terminate(child.pid, 10_000, true);
  }
  // beta's isobench run got Ctrl-C there: it ended and released its lock; its async wrapper follows within its 5 s poll
  assert.not.ok(existsSync(lock), 'the run lock is released');
  let left: string[] = [];
  for (let i = 0; i < 30; i++) {
    left = processesMentioning(tmp).filter((l) => !/sshd_config/.test(l));
    if (left.length === 0) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  assert.equal(left, [], `left running: ${left.join(', ')}`);
});

test('a host whose sshd stops while it measures is named unreachable while measuring; the other reported, exit 1, nothing left here', async () => {
  if (missingTools.length > 0) return skipForTools();
  assert.ok(alphaBefore, 'the first call ran');
  await startSshd(['127.0.0.2', '127.0.0.3']);
  const before = readdirSync(fleetDir);
  const call = cli('fleet', '--inventory', inventory, '--experiment', experiment, '--allow-dirty', '--no-pdf');
  // beta's isobench run is launched: its sshd goes (as a host that dies or loses its network)
  await waitFor('beta started measuring', () => newEvents(before).some((e) => e.event === 'ok' && e.host === 'beta' && e.task === 'measure'), { timeoutMs: 600_000 });
  await stopSshd('127.0.0.3');
  const r = await call;
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /error: fleet: 1 of 2 host\(s\) missing: beta \(unreachable while measuring [^;]*127\.0\.0\.3/, r.stderr);
  assert.match(r.stderr, /the report covers alpha/);
  assert.match(r.stderr, /alpha: complete \(from an earlier call\)/);
  const [runDir, html] = r.stdout.trim().split('\n');
  const merged = (JSON.parse(readFileSync(path.join(runDir, 'environment.json'), 'utf8')) as Environment).merged!;
  assert.equal(merged.hosts.map((h) => h.host), ['alpha']);
  assert.match(merged.missing?.find((m) => m.host === 'beta')?.reason ?? '', /^unreachable while measuring/);
  assert.match(readFileSync(html, 'utf8'), /<strong>beta<\/strong>: unreachable while measuring/);
  // no ansible-playbook or ssh of this call is left running (beta's own isobench run may go on, as on a host that lost its network)
  const leftovers = processesMentioning(tmp).filter((l) => /ansible-playbook/.test(l) || /^\d+: (\S*\/)?ssh /.test(l));
  assert.equal(leftovers, [], `left running: ${leftovers.join(', ')}`);
  assert.ok(existsSync(path.join(tmp, 'remote-beta')), 'beta was reached and measuring');
  // a job file that outlived its job (as after a reboot): it says 'still running', but no async wrapper runs it
  const runs = path.join(tmp, 'remote-beta', 'runs');
  const stale = path.join(runs, readdirSync(runs)[0], 'async', 'j111111111111.1');
  writeFileSync(stale, JSON.stringify({ started: 1, finished: 0, ansible_job_id: 'j111111111111.1' }));
});

test('the same command after the host is restored completes the fleet without measuring the finished host again', async () => {
  if (missingTools.length > 0) return skipForTools();
  assert.ok(alphaBefore, 'the first call ran');
  await startSshd(['127.0.0.2', '127.0.0.3']);
  // a host timeout the test outlives: waiting for the stale job above would end in 'still measuring when --host-timeout ran out'
  const r = await cli('fleet', '--inventory', inventory, '--experiment', experiment, '--allow-dirty', '--no-pdf', '--host-timeout', '300');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /alpha: complete \(from an earlier call\)/);
  // beta's run measured in the call before (waited for, or resumed when it had ended): its time is the remote command's
  assert.match(r.stderr, /beta: complete \(measured \d+ s\)/);
  const [runDir, html] = r.stdout.trim().split('\n');
  assert.is(path.dirname(path.dirname(runDir)), fleetDir, 'the same fleet run');

  // alpha: neither measured nor fetched again, on either side
  const alphaRun = path.join(fleetDir, 'hosts', 'alpha', 'run');
  const remote = remoteRun('alpha');
  assert.is(sha(path.join(alphaRun, 'samples.jsonl')), alphaBefore!.samples);
  assert.is(sha(path.join(alphaRun, 'logs', 'completed.jsonl')), alphaBefore!.completed);
  assert.is(sha(path.join(remote, 'samples.jsonl')), alphaBefore!.remoteSamples);
  assert.is(statSync(path.join(remote, 'samples.jsonl')).mtimeMs, alphaBefore!.remoteMtime);
  const events = readdirSync(fleetDir).filter((f) => /^events-.*\.jsonl$/.test(f)).sort();
  assert.is(events.length, 4, events.join(", "));
  for (const later of events.slice(1)) {
    const text = readFileSync(path.join(fleetDir, later), 'utf8');
    assert.not.ok(text.includes('"host": "alpha"'), `${later}: the later playbooks did not touch alpha`);
    assert.ok(text.includes('"host": "beta"'));
  }
  // beta's run was measured once through its interruption: as many completed instances as alpha's
  const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').length;
  assert.is(lines(path.join(fleetDir, 'hosts', 'beta', 'run', 'logs', 'completed.jsonl')), lines(path.join(alphaRun, 'logs', 'completed.jsonl')));
  // every async job file was removed (the one the lost host left, and the stale one, by this call)
  for (const host of ['alpha', 'beta']) {
    const runs = path.join(tmp, `remote-${host}`, 'runs');
    const jobs = readdirSync(runs).flatMap((f) => readdirSync(path.join(runs, f, 'async')));
    assert.equal(jobs, [], `${host}: ${r.stderr}\n${events.map((f) => readFileSync(path.join(fleetDir, f), 'utf8')).join('\n')}`);
  }

  const analysis = JSON.parse(readFileSync(path.join(runDir, 'analysis.json'), 'utf8')) as Analysis;
  assert.equal([...new Set(analysis.summaries.map((s) => s.host))].sort(), ['alpha', 'beta']);
  const merged = (JSON.parse(readFileSync(path.join(runDir, 'environment.json'), 'utf8')) as Environment).merged!;
  assert.equal(merged.missing, undefined);
  const page = readFileSync(html, 'utf8');
  for (const label of ['native @ alpha', 'native @ beta']) assert.ok(page.includes(label), label);
  // the merged run's archive checks out as any artifact does
  const v = await cli('verify', r.stdout.trim().split('\n')[2]);
  assert.is(v.code, 0, v.stdout + v.stderr);
});

test.run();
