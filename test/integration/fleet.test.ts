// isobench fleet with real Ansible over real SSH: an sshd of this machine (Debian's openssh-server, key auth, a throwaway
// host key and user key, known_hosts written here for this test's own inventory) serves two inventory hosts on 127.0.0.2
// and 127.0.0.3, each with its own remote folder. One host is unreachable in the first call, restored for the second.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { paths } from '../../src/paths.ts';
import { run, runOk, spawnDaemon, terminate, which, type Daemon } from '../../src/proc.ts';
import type { Analysis, Environment } from '../../src/types.ts';
import { processesMentioning } from '../helpers/processes.ts';
import { skip } from '../helpers/skip.ts';

const SSHD = '/usr/sbin/sshd';
const missingTools = [['ansible-playbook', 'ansible'], [SSHD, 'openssh-server'], ['ssh-keygen', 'openssh-client']].filter(([t]) => !which(t));

// the packages are named literally: CI's ISOBENCH_REQUIRE turns this skip into a failure (registry-conformance checks the names)
const skipForTools = () => skip(`isobench fleet needs ${missingTools.map(([t, p]) => `${t} (apt-get install ${p})`).join(', ')}`, ['ansible', 'openssh-server', 'openssh-client'].filter((p) => missingTools.some(([, q]) => q === p)));

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-fleet-'));
const env = { ISOBENCH_DATA: path.join(tmp, 'data'), ISOBENCH_REPORT: path.join(tmp, 'report') };
const cli = (...args: string[]) => run([process.execPath, path.join(paths.root, 'bin', 'isobench.mjs'), ...args], { env, timeoutMs: 900_000 });
const inventory = path.join(tmp, 'inventory.yml');
const experiment = path.join(tmp, 'smoke-native.yaml');
let sshd: Daemon | undefined;
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

/** sshd on this test's port, listening on the given loopback addresses only; a host not listed is unreachable */
async function startSshd(addresses: string[]): Promise<void> {
  if (sshd) await stopSshd();
  const config = path.join(tmp, 'sshd_config');
  writeFileSync(config, [
    `Port ${port}`,
    ...addresses.map((a) => `ListenAddress ${a}`),
    `HostKey ${path.join(tmp, 'host_key')}`,
    `AuthorizedKeysFile ${path.join(tmp, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no', // the test's folder lives under /tmp, which StrictModes would refuse
    'UsePAM no',
    `PidFile ${path.join(tmp, 'sshd.pid')}`,
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    '',
  ].join('\n'));
  sshd = spawnDaemon([SSHD, '-D', '-e', '-f', config], path.join(tmp, 'sshd.log'));
  for (const a of addresses) await waitForPort(a, port);
}

async function stopSshd(): Promise<void> {
  if (!sshd) return;
  await terminate(sshd.pid, 5_000, true);
  sshd = undefined;
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
  writeFileSync(inventory, [
    'all:',
    '  vars:',
    `    ansible_port: ${port}`,
    `    ansible_user: ${user}`,
    `    ansible_ssh_private_key_file: ${path.join(tmp, 'user_key')}`,
    `    ansible_ssh_args: "${sshArgs}"`,
    '    ansible_pipelining: true',
    `    ansible_python_interpreter: /usr/bin/python3`,
    '  hosts:',
    `    alpha: { ansible_host: 127.0.0.2, isobench_workdir: ${path.join(tmp, 'remote-alpha')} }`,
    `    beta: { ansible_host: 127.0.0.3, isobench_workdir: ${path.join(tmp, 'remote-beta')} }`,
    '',
  ].join('\n'));
  // the smoke experiment, native only: the fleet is under test here, not the platforms
  const smoke = readFileSync(path.join(paths.experiments, 'smoke.yaml'), 'utf8');
  writeFileSync(experiment, smoke.replace(/^platforms:\n(?:\s+- .*\n)+/m, 'platforms:\n  - native\n'));
  assert.match(readFileSync(experiment, 'utf8'), /platforms:\n {2}- native\nworkloads:/);
});

test.after(async () => {
  await stopSshd();
  if (madeRunSshd) rmSync('/run/sshd', { recursive: true, force: true });
  // nothing of this test may be left running: no sshd, ssh, ansible or remote isobench naming its folder
  const leftovers = processesMentioning(tmp);
  rmSync(tmp, { recursive: true, force: true });
  assert.equal(leftovers, [], `processes left running: ${leftovers.join(', ')}`);
});

test('bad input: a missing inventory and a bad --forks exit 2 and change nothing', async () => {
  if (missingTools.length > 0) return skipForTools();
  const r = await cli('fleet', '--inventory', path.join(tmp, 'nope.yml'), '--experiment', experiment);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /--inventory .*nope\.yml: no such file/);
  const f = await cli('fleet', '--inventory', inventory, '--experiment', experiment, '--forks', '0');
  assert.is(f.code, 2);
  assert.match(f.stderr, /--forks "0": give a whole number from 1 to 100/);
  assert.not.ok(existsSync(path.join(tmp, 'data', 'fleet')), 'nothing written');
});

test('one host unreachable: the report covers the other, names the missing host, exit 1 with the reason', async () => {
  if (missingTools.length > 0) return skipForTools();
  await startSshd(['127.0.0.2']);
  const r = await cli('fleet', '--inventory', inventory, '--experiment', experiment, '--allow-dirty', '--no-pdf');
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

  const alphaRun = path.join(fleetDir, 'alpha', 'run');
  const remote = remoteRun('alpha');
  alphaBefore = {
    samples: sha(path.join(alphaRun, 'samples.jsonl')),
    completed: sha(path.join(alphaRun, 'logs', 'completed.jsonl')),
    remoteSamples: sha(path.join(remote, 'samples.jsonl')),
    remoteMtime: statSync(path.join(remote, 'samples.jsonl')).mtimeMs,
  };
  assert.not.ok(existsSync(path.join(tmp, 'remote-beta')), 'beta was never reached');
});

test('the same command after the host is restored completes the fleet without measuring the finished host again', async () => {
  if (missingTools.length > 0) return skipForTools();
  assert.ok(alphaBefore, 'the first call ran');
  await startSshd(['127.0.0.2', '127.0.0.3']);
  const r = await cli('fleet', '--inventory', inventory, '--experiment', experiment, '--allow-dirty', '--no-pdf');
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /alpha: complete \(from an earlier call\)/);
  assert.match(r.stderr, /beta: complete \(measured \d+ s\)/);
  const [runDir, html] = r.stdout.trim().split('\n');
  assert.is(path.dirname(path.dirname(runDir)), fleetDir, 'the same fleet run');

  // alpha: neither measured nor fetched again, on either side
  const alphaRun = path.join(fleetDir, 'alpha', 'run');
  const remote = remoteRun('alpha');
  assert.is(sha(path.join(alphaRun, 'samples.jsonl')), alphaBefore!.samples);
  assert.is(sha(path.join(alphaRun, 'logs', 'completed.jsonl')), alphaBefore!.completed);
  assert.is(sha(path.join(remote, 'samples.jsonl')), alphaBefore!.remoteSamples);
  assert.is(statSync(path.join(remote, 'samples.jsonl')).mtimeMs, alphaBefore!.remoteMtime);
  const events = readdirSync(fleetDir).filter((f) => /^events-.*\.jsonl$/.test(f)).sort();
  assert.is(events.length, 2);
  const second = readFileSync(path.join(fleetDir, events[1]), 'utf8');
  assert.not.ok(second.includes('"host": "alpha"'), 'the second playbook did not touch alpha');
  assert.ok(second.includes('"host": "beta"'));

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
