// The real zx provisioning scripts against a loopback HTTP server serving archives built here with the releases' layouts.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { guestKernel } from '../../src/images/guest-kernel.ts';
import { paths } from '../../src/paths.ts';
import { run, runOk, which } from '../../src/proc.ts';
import { parseProvisionList, provision, provisionScript, PROVISION_TOOLS } from '../../src/setup/provision.ts';
import { skip } from '../helpers/skip.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-provision-'));
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sha512 = (file: string) => createHash('sha512').update(readFileSync(file)).digest('hex');

/** url path -> file; paths in `truncated` announce their full length and send half */
const served = new Map<string, string>();
const truncated = new Set<string>();
let base = '';
const server = http.createServer((req, res) => {
  const url = decodeURIComponent((req.url ?? '').split('?')[0]);
  const file = served.get(url) ?? [...served].find(([p]) => p.endsWith('/') && url.startsWith(p))?.[1];
  const target = file && served.has(url) ? file : file ? path.join(file, url.slice([...served.keys()].find((p) => p.endsWith('/') && url.startsWith(p))!.length)) : undefined;
  if (!target || !existsSync(target) || lstatSync(target).isDirectory()) { res.writeHead(404); res.end('not found'); return; }
  const body = readFileSync(target);
  res.writeHead(200, { 'content-length': body.length });
  if (truncated.has(url)) { res.write(body.subarray(0, body.length >> 1)); setTimeout(() => res.destroy(), 50); return; }
  res.end(body);
});

/** a fresh install area per case: prefix, system root and data directory */
function area(name: string) {
  const dir = path.join(tmp, name);
  for (const d of ['prefix', 'root', 'data']) mkdirSync(path.join(dir, d), { recursive: true });
  return {
    dir,
    prefix: path.join(dir, 'prefix'),
    env: { ISOBENCH_PROVISION_BASE_URL: base, ISOBENCH_PROVISION_PREFIX: path.join(dir, 'prefix'), ISOBENCH_PROVISION_ROOT: path.join(dir, 'root'), ISOBENCH_DATA: path.join(dir, 'data') } as Record<string, string>,
  };
}

const runScript = (tool: string, env: Record<string, string>) => run([process.execPath, provisionScript(tool)], { env, timeoutMs: 120_000 });

/** an executable shell script that prints `line` for --version */
function fakeBinary(file: string, line: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\necho '${line}'\n`);
  chmodSync(file, 0o755);
}

test.before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // firecracker-v1.16.1-x86_64.tgz: release-v1.16.1-x86_64/ as tools/release.sh fills it, SHA256SUMS made as it makes it
  const rel = path.join(tmp, 'fc', 'release-v1.16.1-x86_64');
  fakeBinary(path.join(rel, 'firecracker-v1.16.1-x86_64'), 'Firecracker v1.16.1');
  fakeBinary(path.join(rel, 'jailer-v1.16.1-x86_64'), 'Jailer v1.16.1');
  for (const f of ['LICENSE', 'NOTICE', 'THIRD-PARTY', 'firecracker_spec-v1.16.1.yaml', 'seccomp-filter-v1.16.1-x86_64.json', 'firecracker-v1.16.1-x86_64.debug']) writeFileSync(path.join(rel, f), `${f}\n`);
  await runOk(['sh', '-c', 'find . -type f -not -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS'], { cwd: rel });
  await runOk(['tar', '-czf', path.join(tmp, 'fc', 'firecracker-v1.16.1-x86_64.tgz'), '-C', path.join(tmp, 'fc'), 'release-v1.16.1-x86_64']);
  served.set('/v1.16.1/firecracker-v1.16.1-x86_64.tgz', path.join(tmp, 'fc', 'firecracker-v1.16.1-x86_64.tgz'));
  // the same archive with a file altered after SHA256SUMS was written
  writeFileSync(path.join(rel, 'jailer-v1.16.1-x86_64'), '#!/bin/sh\necho altered\n');
  mkdirSync(path.join(tmp, 'fc-bad'));
  await runOk(['tar', '-czf', path.join(tmp, 'fc-bad', 'firecracker-v1.16.1-x86_64.tgz'), '-C', path.join(tmp, 'fc'), 'release-v1.16.1-x86_64']);

  // cloud-hypervisor-static: one static binary
  fakeBinary(path.join(tmp, 'ch', 'cloud-hypervisor-static'), 'cloud-hypervisor v53.0');
  served.set('/v53.0/cloud-hypervisor-static', path.join(tmp, 'ch', 'cloud-hypervisor-static'));

  // kata-go-static-4.1.0-amd64.tar.zst: ./opt/kata/{bin,share,libexec}
  const kata = path.join(tmp, 'kata', 'tree');
  fakeBinary(path.join(kata, 'opt', 'kata', 'bin', 'containerd-shim-kata-v2'), 'Kata Containers containerd shim (Golang): id: "io.containerd.kata.v2", version: 4.1.0, commit: ddcb1ad8');
  fakeBinary(path.join(kata, 'opt', 'kata', 'bin', 'kata-runtime'), 'kata-runtime  : 4.1.0');
  mkdirSync(path.join(kata, 'opt', 'kata', 'share', 'defaults', 'kata-containers'), { recursive: true });
  writeFileSync(path.join(kata, 'opt', 'kata', 'share', 'defaults', 'kata-containers', 'configuration-qemu.toml'), '[hypervisor.qemu]\n');
  if (which('zstd')) {
    await runOk(['tar', '--zstd', '-cf', path.join(tmp, 'kata', 'kata-go-static-4.1.0-amd64.tar.zst'), '-C', kata, './opt']);
    served.set('/4.1.0/kata-go-static-4.1.0-amd64.tar.zst', path.join(tmp, 'kata', 'kata-go-static-4.1.0-amd64.tar.zst'));
  }

  // gVisor: release/<date>/x86_64/{runsc,runsc.sha512}, the .sha512 in sha512sum's format
  const gv = path.join(tmp, 'gvisor');
  fakeBinary(path.join(gv, 'runsc'), 'runsc version release-20250820.0');
  writeFileSync(path.join(gv, 'runsc.sha512'), `${sha512(path.join(gv, 'runsc'))}  runsc\n`);
  served.set('/release/20250820.0/x86_64/runsc', path.join(gv, 'runsc'));
  served.set('/release/20250820.0/x86_64/runsc.sha512', path.join(gv, 'runsc.sha512'));

  // linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb: boot/vmlinuz-<release> and lib/modules/<release>
  if (which('dpkg-deb')) {
    const deb = path.join(tmp, 'deb', 'pkg');
    mkdirSync(path.join(deb, 'DEBIAN'), { recursive: true });
    writeFileSync(path.join(deb, 'DEBIAN', 'control'), 'Package: linux-image-6.1.0-57-cloud-amd64\nVersion: 6.1.192-3\nArchitecture: amd64\nMaintainer: test <t@localhost>\nDescription: test\n');
    mkdirSync(path.join(deb, 'boot'), { recursive: true });
    writeFileSync(path.join(deb, 'boot', 'vmlinuz-6.1.0-57-cloud-amd64'), 'kernel');
    mkdirSync(path.join(deb, 'lib', 'modules', '6.1.0-57-cloud-amd64'), { recursive: true });
    await runOk(['dpkg-deb', '--build', '--root-owner-group', deb, path.join(tmp, 'deb', 'k.deb')]);
    served.set('/pool/updates/main/l/linux-signed-amd64/linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb', path.join(tmp, 'deb', 'k.deb'));
  }
});

test.after(() => {
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('at least the six tools have a zx script, and the list parses (unknown names refused with the known ones)', () => {
  for (const { tool } of PROVISION_TOOLS) assert.match(readFileSync(provisionScript(tool), 'utf8'), /from 'zx'/, tool);
  assert.equal(parseProvisionList('all'), PROVISION_TOOLS.map((t) => t.tool));
  assert.equal(parseProvisionList('kata,osv'), ['kata', 'osv']);
  assert.throws(() => parseProvisionList('firecraker'), /unknown tool 'firecraker' \(known: guest-kernel, firecracker/);
});

test('firecracker: the pinned sha256 refuses an archive that is not the release (nothing installed)', async () => {
  const a = area('fc-pin');
  const r = await runScript('firecracker', a.env);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /has sha256 [0-9a-f]{64}, but 382a02a869e4d6d5cb14c40577f9545e8458021ea8b0b2d3fc10ec14d9c242e6 is pinned: refusing it/);
  assert.not.ok(existsSync(path.join(a.prefix, 'bin', 'firecracker')));
});

test('firecracker: a matching archive is verified (also its SHA256SUMS), installed, and a second run does nothing', async () => {
  const a = area('fc-ok');
  const env = { ...a.env, ISOBENCH_FIRECRACKER_SHA256: sha256(served.get('/v1.16.1/firecracker-v1.16.1-x86_64.tgz')!) };
  const r = await runScript('firecracker', env);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /matches the pin/);
  assert.is((await run([path.join(a.prefix, 'bin', 'firecracker'), '--version'])).stdout.trim(), 'Firecracker v1.16.1');
  assert.ok(existsSync(path.join(a.prefix, 'bin', 'jailer')));
  const again = await runScript('firecracker', env);
  assert.is(again.code, 0);
  assert.match(again.stdout, /already installed .*nothing to do/);
  assert.not.match(again.stdout, /downloading/);
});

test('firecracker: a truncated download is an error naming it, and nothing is installed', async () => {
  const a = area('fc-trunc');
  const url = '/v1.16.1/firecracker-v1.16.1-x86_64.tgz';
  truncated.add(url);
  try {
    const r = await runScript('firecracker', { ...a.env, ISOBENCH_FIRECRACKER_SHA256: sha256(served.get(url)!) });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /broke off after \d+ bytes|got \d+ of \d+ bytes \(truncated download\)/);
    assert.not.ok(existsSync(path.join(a.prefix, 'bin', 'firecracker')));
    assert.not.ok(existsSync(path.join(a.dir, 'data', 'cache', 'provision', 'firecracker-v1.16.1-x86_64.tgz')), 'no partial file left as a download');
  } finally {
    truncated.delete(url);
  }
});

test('firecracker: a file altered inside the archive fails the release\'s own SHA256SUMS', async () => {
  const a = area('fc-inner');
  const url = '/v1.16.1/firecracker-v1.16.1-x86_64.tgz';
  const good = served.get(url)!;
  served.set(url, path.join(tmp, 'fc-bad', 'firecracker-v1.16.1-x86_64.tgz'));
  try {
    const r = await runScript('firecracker', { ...a.env, ISOBENCH_FIRECRACKER_SHA256: sha256(served.get(url)!) });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr + r.stdout, /jailer-v1\.16\.1-x86_64: FAILED/);
    assert.not.ok(existsSync(path.join(a.prefix, 'bin', 'jailer')));
  } finally {
    served.set(url, good);
  }
});

test('cloud-hypervisor: wrong checksum refused; the right one installs /bin/cloud-hypervisor', async () => {
  const a = area('ch');
  const bad = await runScript('cloud-hypervisor', a.env);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /448af3d4e59b22c2987f7df94c213ad40fb53a10d437e42b5ee6c4fce7c29ecc is pinned: refusing/);
  const ok = await runScript('cloud-hypervisor', { ...a.env, ISOBENCH_CLOUD_HYPERVISOR_SHA256: sha256(served.get('/v53.0/cloud-hypervisor-static')!) });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.is((await run([path.join(a.prefix, 'bin', 'cloud-hypervisor'), '--version'])).stdout.trim(), 'cloud-hypervisor v53.0');
});

test('kata: with no published checksum it refuses until the user supplies one; then unpacks /opt/kata and links the Go shim', async () => {
  if (!served.has('/4.1.0/kata-go-static-4.1.0-amd64.tar.zst')) { skip('zstd not installed (apt-get install zstd)', ['zstd']); return; }
  const a = area('kata');
  const refused = await runScript('kata', a.env);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /no checksum is pinned for this release and ISOBENCH_KATA_SHA256 is not set/);
  const ok = await runScript('kata', { ...a.env, ISOBENCH_KATA_SHA256: sha256(served.get('/4.1.0/kata-go-static-4.1.0-amd64.tar.zst')!) });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  const link = path.join(a.prefix, 'bin', 'containerd-shim-kata-v2');
  assert.is(readlinkSync(link), path.join(a.dir, 'root', 'opt', 'kata', 'bin', 'containerd-shim-kata-v2'));
  assert.match((await run([link, '--version'])).stdout, /\(Golang\).*version: 4\.1\.0/);
  const again = await runScript('kata', a.env);
  assert.match(again.stdout, /nothing to do/);
});

test('gvisor: the release\'s runsc.sha512 must agree with the pin; then runsc is installed', async () => {
  const a = area('gvisor');
  const refused = await runScript('gvisor', a.env);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /the release's runsc.sha512 says [0-9a-f]{128}, the pin says d6c12a4c/);
  const ok = await runScript('gvisor', { ...a.env, ISOBENCH_GVISOR_SHA512: sha512(served.get('/release/20250820.0/x86_64/runsc')!) });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match((await run([path.join(a.prefix, 'bin', 'runsc'), '--version'])).stdout, /release-20250820\.0/);
});

test('guest-kernel: the .deb is verified and unpacked where src/images/guest-kernel.ts keeps kernels', async () => {
  const url = '/pool/updates/main/l/linux-signed-amd64/linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb';
  if (!served.has(url)) { skip('dpkg-deb not installed'); return; }
  const a = area('kernel');
  const bad = await runScript('guest-kernel', a.env);
  assert.match(bad.stderr, /4fdd0172a8c3f41a97e92465b2ac1867e1c10d82d7aeed3d26ee7a5d14df1754 is pinned: refusing/);
  const ok = await runScript('guest-kernel', { ...a.env, ISOBENCH_GUEST_KERNEL_SHA256: sha256(served.get(url)!) });
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  const saved = process.env.ISOBENCH_DATA;
  process.env.ISOBENCH_DATA = a.env.ISOBENCH_DATA;
  const savedPath = process.env.PATH;
  try {
    assert.ok(existsSync(path.join(paths.kernels(), 'linux-image-6.1.0-57-cloud-amd64_6.1.192-3', 'boot', 'vmlinuz-6.1.0-57-cloud-amd64')));
    process.env.PATH = path.join(tmp, 'no-apt-here'); // a host without apt: the provisioned package is the guest kernel
    const k = await guestKernel('package');
    assert.is(k.release, '6.1.0-57-cloud-amd64');
    assert.match(k.source, /isobench setup --provision guest-kernel/);
  } finally {
    process.env.PATH = savedPath;
    if (saved === undefined) delete process.env.ISOBENCH_DATA; else process.env.ISOBENCH_DATA = saved;
  }
});

test('osv: a repository whose commit is not the pinned one is refused before anything is built', async () => {
  if (!which('git')) { skip('git not installed (apt-get install git)', ['git']); return; }
  const repo = path.join(tmp, 'osv-src');
  mkdirSync(repo);
  const git = (...args: string[]) => runOk(['git', '-c', 'user.name=t', '-c', 'user.email=t@localhost', ...args], { cwd: repo });
  await git('init', '-q');
  writeFileSync(path.join(repo, 'README.md'), 'not OSv\n');
  await git('add', '.');
  await git('commit', '-qm', 'x');
  await runOk(['git', 'clone', '-q', '--bare', repo, path.join(tmp, 'osv.git')]);
  await runOk(['git', 'update-server-info'], { cwd: path.join(tmp, 'osv.git') }); // git's dumb HTTP protocol: static files
  served.set('/osv.git/', path.join(tmp, 'osv.git'));
  const a = area('osv');
  const r = await runScript('osv', a.env);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr + r.stdout, /0e34e4dc2b278b7f64e4169abbf297b7de46fb6b/);
  assert.not.ok(existsSync(path.join(a.dir, 'data', 'cache', 'osv', 'usr.img')));
});

test('isobench setup --provision runs the scripts through src/proc.ts and reports the ones that failed', async () => {
  const a = area('setup');
  const failed = await provision(['cloud-hypervisor', 'kata'], { ...a.env, ISOBENCH_CLOUD_HYPERVISOR_SHA256: sha256(served.get('/v53.0/cloud-hypervisor-static')!) });
  assert.equal(failed, ['kata']);
  assert.ok(existsSync(path.join(a.prefix, 'bin', 'cloud-hypervisor')));
});

test.run();
