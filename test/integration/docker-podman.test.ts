// docker-runc, docker-gvisor and podman-crun for real: a command inside, its output and exit code, /data on the host, and a clean host after.
import { existsSync, mkdirSync, mkdtempSync, promises as fsp, readFileSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRootfs, type Rootfs } from '../../src/images/rootfs.ts';
import { paths } from '../../src/paths.ts';
import { run } from '../../src/proc.ts';
import { testHost } from '../helpers/host-changes.ts';
import { imagesCreated, imageTag, type EngineCli } from '../../src/platforms/docker-cli.ts';
import { dockerGvisor, listProcesses } from '../../src/platforms/docker-gvisor.ts';
import { dockerRunc } from '../../src/platforms/docker-runc.ts';
import { dockerdStatus, ensureDockerd, stopOurDockerd } from '../../src/platforms/dockerd.ts';
import { podmanCrun } from '../../src/platforms/podman-crun.ts';
import { snapshotNetfilter } from '../../src/platforms/netfilter.ts';
import { cgroupsPresent } from '../../src/platforms/cgroups.ts';
import type { Instance, InstanceSpec, Platform } from '../../src/types.ts';
import { skip } from '../helpers/skip.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'isobench-docker-podman-'));
let rootfs: Rootfs;

test.before(async () => {
  rootfs = await buildRootfs([]); // busybox only: seconds, a few MB
});

function spec(p: Platform, suffix: string, extra: Partial<InstanceSpec> = {}): InstanceSpec {
  const dataDir = path.join(tmp, `${p.id}-${suffix}-data`);
  mkdirSync(dataDir, { recursive: true });
  return {
    name: `isobench-test-${p.id}-${suffix}-${process.pid}`,
    cpus: 1,
    memoryMiB: 512,
    rootfs: rootfs.dir,
    rootfsHash: rootfs.hash,
    dataDir,
    options: {},
    logDir: tmp,
    hostChanges: testHost,
    ...extra,
  };
}

/** Containers of this engine labelled by isobench whose name this test gave. */
async function ourContainers(cli: EngineCli): Promise<string[]> {
  const r = await run([cli, 'ps', '-a', '--filter', `label=isobench`, '--format', '{{.Names}}'], { timeoutMs: 30_000 });
  assert.is(r.code, 0, `${cli} ps failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((n) => n.includes(`-${process.pid}`));
}

async function imageExists(cli: EngineCli, tag: string): Promise<boolean> {
  return (await run(cli === 'podman' ? ['podman', 'image', 'exists', tag] : ['docker', 'image', 'inspect', tag], { timeoutMs: 30_000 })).code === 0;
}

/** Processes a Docker-driven runsc leaves (shim, sandbox, gofer under Docker's runsc root) and daemons by name. */
function dockerRunscProcesses(): string[] {
  return listProcesses()
    .filter((p) => /^(runsc|containerd-shim)/.test(path.basename(p.argv[0])) && p.argv.some((a) => a.includes('moby')))
    .map((p) => `${p.pid} ${p.argv.join(' ').slice(0, 120)}`);
}
const daemonsNamed = (name: string) => listProcesses().filter((p) => path.basename(p.argv[0]) === name).map((p) => p.pid);

async function exercise(inst: Instance, dataDir: string): Promise<void> {
  const hi = await inst.exec(['echo', 'hi'], { timeoutMs: 30_000 });
  assert.is(hi.stdout, 'hi\n', `stderr: ${hi.stderr}`);
  assert.is(hi.code, 0);
  assert.is((await inst.exec(['sh', '-c', 'exit 3'], { timeoutMs: 30_000 })).code, 3);
  const w = await inst.exec(['sh', '-c', 'echo written-inside > /data/probe.txt'], { timeoutMs: 30_000 });
  assert.is(w.code, 0, w.stderr);
  assert.is(inst.dataPath, '/data');
  assert.is(readFileSync(path.join(dataDir, 'probe.txt'), 'utf8'), 'written-inside\n');
}

async function dockerHostState() {
  const tables = await snapshotNetfilter();
  return {
    bridge: existsSync('/sys/class/net/docker0'),
    execRoot: existsSync('/var/run/docker'),
    cgroupParent: cgroupsPresent('docker').length > 0,
    dockerChains: (tables ?? []).flatMap((t) => t.chains.filter((c) => c.name.startsWith('DOCKER')).map((c) => `${t.name}/${c.name}`)),
  };
}

for (const p of [dockerRunc, dockerGvisor]) {
  test(`${p.id}: echo, exit code and /data through docker, then no container, image, daemon or runsc process left`, async () => {
    const d = await p.detect();
    if (!d.available) {
      skip(`${p.id}: ${d.reason}`, [p.id]);
      return;
    }
    const daemonBefore = (await dockerdStatus()).running;
    const hostBefore = await dockerHostState();
    const tag = imageTag(rootfs.hash);
    const imageBefore = daemonBefore && (await imageExists('docker', tag));

    await p.prepare!(testHost);
    const s = spec(p, 'a');
    const inst = await p.start(s);
    try {
      assert.is(inst.network, p.id === 'docker-runc' ? 'bridge' : 'none');
      if (p.id === 'docker-runc') assert.match(inst.address ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      else assert.is(inst.address, undefined);
      await exercise(inst, s.dataDir!);
    } finally {
      await inst.stop();
    }
    await inst.stop(); // a second stop is harmless
    if (p.id === 'docker-gvisor') {
      // host networking through the second registered runsc runtime
      const h = await p.start(spec(p, 'h', { options: { network: 'host' } }));
      try {
        assert.is(h.address, '127.0.0.1');
        assert.is((await h.exec(['echo', 'host'])).stdout, 'host\n');
      } finally {
        await h.stop();
      }
      // bridge is refused up front, with the reason, before anything runs
      try {
        await p.start(spec(p, 'b', { options: { network: 'bridge' } }));
        assert.unreachable('bridge should be refused');
      } catch (e) {
        assert.match((e as Error).message, /network 'bridge' is not supported/);
      }
    }
    assert.equal(await ourContainers('docker'), []);
    const created = imagesCreated('docker');
    assert.equal(created.length, imageBefore ? 0 : 1);

    await p.teardown!();
    assert.equal(dockerRunscProcesses(), []);
    if (daemonBefore) {
      assert.ok((await dockerdStatus()).running, 'a daemon that was running before must be left running');
      assert.is(await imageExists('docker', tag), imageBefore, 'an image the test imported must be removed, one that was there kept');
    } else {
      assert.equal(daemonsNamed('dockerd'), [], 'the dockerd the test started must be gone');
      assert.equal(await dockerHostState(), hostBefore, 'docker0, /var/run/docker, the docker cgroups and DOCKER chains as before');
      // look at the images with a fresh daemon, then stop it again
      await ensureDockerd('test-check', testHost);
      try {
        assert.not.ok(await imageExists('docker', tag), `image ${tag} imported by the test is still there`);
      } finally {
        await stopOurDockerd();
      }
      assert.equal(daemonsNamed('dockerd'), []);
    }
  });
}

test('docker-gvisor: a start that fails inside runsc is an error naming the cause, and leaves no shim, sandbox or gofer', async () => {
  const d = await dockerGvisor.detect();
  if (!d.available) {
    skip(`docker-gvisor: ${d.reason}`, ['docker-gvisor']);
    return;
  }
  // a rootfs without /bin/sleep: the keep-alive init cannot start, so runsc fails after creating the sandbox
  const dir = path.join(tmp, 'no-sleep-rootfs');
  for (const sub of ['bin', 'proc', 'sys', 'dev', 'tmp', 'data']) mkdirSync(path.join(dir, sub), { recursive: true });
  copyFileSync('/bin/busybox', path.join(dir, 'bin', 'busybox'));
  symlinkSync('busybox', path.join(dir, 'bin', 'sh'));
  const hash = `nosleep${process.pid}`;
  const daemonBefore = (await dockerdStatus()).running;
  await dockerGvisor.prepare!(testHost);
  try {
    await dockerGvisor.start(spec(dockerGvisor, 'f', { rootfs: dir, rootfsHash: hash }));
    assert.unreachable('start without /bin/sleep should fail');
  } catch (e) {
    assert.match((e as Error).message, /^docker-gvisor: docker run .*failed to load \/bin\/sleep: no such file/s);
  } finally {
    await dockerGvisor.teardown!();
    rmSync(paths.rootfsTar(hash), { force: true });
  }
  assert.equal(dockerRunscProcesses(), []);
  if (!daemonBefore) assert.equal(daemonsNamed('dockerd'), []);
});

test('podman-crun: echo, exit code and /data through podman, then no container or image left', async () => {
  const p = podmanCrun;
  const d = await p.detect();
  if (!d.available) {
    skip(`${p.id}: ${d.reason}`, [p.id]);
    return;
  }
  const tag = imageTag(rootfs.hash);
  const imageBefore = await imageExists('podman', tag);
  const cgroupBefore = cgroupsPresent('libpod_parent');
  await p.prepare!(testHost);
  const s = spec(p, 'a');
  const inst = await p.start(s);
  try {
    assert.is(inst.network, 'bridge');
    assert.match(inst.address ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    await exercise(inst, s.dataDir!);
    const limits = await inst.exec(['cat', '/proc/self/limits']);
    assert.match(limits.stdout, /Max processes\s+4096\s+4096/);
  } finally {
    await inst.stop();
  }
  assert.equal(await ourContainers('podman'), []);
  await p.teardown!();
  assert.is(await imageExists('podman', tag), imageBefore);
  assert.equal(cgroupsPresent('libpod_parent'), cgroupBefore, "podman's parent cgroup as before");
});

test('every host change the platforms made is undone', async () => {
  await testHost.undo();
  const ours = testHost.list().filter((c) => ['docker-runc', 'docker-gvisor', 'podman-crun', 'test-check'].includes(c.by));
  assert.ok(ours.every((c) => c.undone), JSON.stringify(ours));
  await fsp.rm(tmp, { recursive: true, force: true });
});

test.run();
