import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from '../../src/paths.ts';
import {
  containerExecArgv, containerRemoveArgv, containerRunArgv, cpusetFor, engineNetwork, hardLimit, imageExistsArgv, imageTag,
} from '../../src/platforms/docker-cli.ts';
import { leakedRunscProcesses, runscRoot, type HostProcess } from '../../src/platforms/docker-gvisor.ts';
import { dockerdArgv, dockerdConfig, GVISOR_RUNTIMES, parseDockerInfo } from '../../src/platforms/dockerd.ts';
import { podmanUlimitArgs } from '../../src/platforms/podman-crun.ts';
import { parseDockerVersion } from '../../src/platforms/docker-runc.ts';

const fixture = (...p: string[]) => readFileSync(path.join(root, 'test', 'fixtures', ...p), 'utf8');

const base = { name: 'isobench-c1-0', image: 'isobench-rootfs:dfe53378357450d0', cpus: 1, hostCores: 2, memoryMiB: 512 } as const;

test('docker-runc: run argv pins cpus, caps memory, bind-mounts /data and keeps busybox sleep alive', () => {
  assert.equal(containerRunArgv({ ...base, cli: 'docker', network: 'bridge', dataDir: '/scratch/d1' }), [
    'docker', 'run', '-d', '--tmpfs', '/tmp:rw,nosuid,nodev,mode=1777', '--name', 'isobench-c1-0', '--label', 'isobench=isobench-c1-0',
    '--cpus', '1', '--cpuset-cpus', '0', '--memory', '512m', '--network', 'bridge',
    '-v', '/scratch/d1:/data', 'isobench-rootfs:dfe53378357450d0', '/bin/sleep', '2147483647',
  ]);
});

test('docker-gvisor: the registered runsc runtime goes after run, no -v without a data dir', () => {
  const argv = containerRunArgv({ ...base, cli: 'docker', network: 'none', runtime: GVISOR_RUNTIMES.none.name });
  assert.ok(!argv.includes('-v'));
  assert.equal(argv.slice(argv.indexOf('--network'), argv.indexOf(base.image)), ['--network', 'none', '--runtime', 'runsc-ptrace-none']);
});

test('podman-crun: crun is a global flag before run, ulimits before the image', () => {
  const argv = containerRunArgv({ ...base, cli: 'podman', network: 'host', runtime: 'crun', extraArgs: ['--ulimit', 'nofile=20000:20000'] });
  assert.equal(argv.slice(0, 5), ['podman', '--runtime', 'crun', 'run', '-d']);
  assert.equal(argv.slice(5, 7), ['--tmpfs', '/tmp:rw,nosuid,nodev,mode=1777']);
  assert.equal(argv.slice(argv.indexOf('--ulimit'), argv.indexOf(base.image)), ['--ulimit', 'nofile=20000:20000']);
  assert.not.ok(argv.slice(4).includes('--runtime'));
});

test('cpuset: the first n cores, never more than the host has', () => {
  assert.is(cpusetFor(1, 2), '0');
  assert.is(cpusetFor(2, 2), '0-1');
  assert.is(cpusetFor(16, 2), '0-1');
  assert.is(cpusetFor(1.5, 8), '0-1');
});

test('exec passes env as -e and the argv untouched (no shell)', () => {
  assert.equal(containerExecArgv('docker', 'c1', ['sh', '-c', 'exit 3'], { A: 'x y' }), ['docker', 'exec', '-e', 'A=x y', 'c1', 'sh', '-c', 'exit 3']);
});

test('remove is immediate on both engines (podman would wait 10 s for SIGTERM)', () => {
  assert.equal(containerRemoveArgv('docker', 'c1'), ['docker', 'rm', '-f', 'c1']);
  assert.equal(containerRemoveArgv('podman', 'c1'), ['podman', 'rm', '-f', '-t', '0', 'c1']);
  assert.equal(imageExistsArgv('podman', 't'), ['podman', 'image', 'exists', 't']);
});

test('image tag per rootfs hash; a hash that cannot be a tag is refused', () => {
  assert.is(imageTag('dfe53378357450d0'), 'isobench-rootfs:dfe53378357450d0');
  assert.throws(() => imageTag('Bad/Hash'), /cannot be an image tag/);
});

test('network: options.network wins, then spec.network, then the platform default; gVisor refuses bridge and says why', () => {
  const runc = { id: 'docker-runc', networks: ['bridge', 'host', 'none'] as ('bridge' | 'host' | 'none')[] };
  const gvisor = { id: 'docker-gvisor', networks: ['none', 'host'] as ('bridge' | 'host' | 'none')[], networkNote: 'sandbox network' };
  assert.is(engineNetwork(runc, { options: {} }), 'bridge');
  assert.is(engineNetwork(gvisor, { options: {} }), 'none');
  assert.is(engineNetwork(runc, { network: 'host', options: {} }), 'host');
  assert.is(engineNetwork(runc, { network: 'host', options: { network: 'none' } }), 'none');
  assert.throws(() => engineNetwork(gvisor, { options: { network: 'bridge' } }), /docker-gvisor: network 'bridge' is not supported \(options.network: 'none' or 'host'\): sandbox network/);
});

test('podman ulimits: this process\'s open-files hard limit (recorded /proc/self/limits) and 4096 processes', () => {
  const limits = fixture('proc', 'limits-debian12-vm.txt');
  assert.is(hardLimit(limits, 'Max open files'), 20000);
  assert.is(hardLimit(limits, 'Max cpu time'), undefined); // unlimited
  assert.equal(podmanUlimitArgs(limits), ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=4096:4096']);
  assert.equal(podmanUlimitArgs(''), ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096']);
});

test('docker info: a running daemon with its runtimes; no daemon is not running even though the client prints JSON', () => {
  const up = parseDockerInfo(fixture('docker', 'info-running.json'), 0);
  assert.ok(up.running);
  assert.is(up.serverVersion, '20.10.24+dfsg1');
  assert.ok(up.runtimes.includes('runsc-ptrace-none') && up.runtimes.includes('runc'));
  const down = parseDockerInfo(fixture('docker', 'info-not-running.json'), 1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n');
  assert.not.ok(down.running);
  assert.is(down.clientVersion, '28.2.2');
  assert.match(down.error ?? '', /Cannot connect/);
});

test('dockerd version from `dockerd --version`', () => {
  assert.is(parseDockerVersion('Docker version 20.10.24+dfsg1, build 5d6db84\n'), '20.10.24+dfsg1');
  assert.is(parseDockerVersion(''), undefined);
});

test('dockerd config keeps the system daemon.json and adds both runsc runtimes', () => {
  const c = dockerdConfig({ 'data-root': '/srv/docker', runtimes: { kata: { path: '/usr/bin/kata-runtime' } } }, '/usr/bin/runsc');
  assert.is(c['data-root'], '/srv/docker');
  assert.equal(c.runtimes, {
    kata: { path: '/usr/bin/kata-runtime' },
    'runsc-ptrace-none': { path: '/usr/bin/runsc', runtimeArgs: ['--platform=ptrace', '--network=none'] },
    'runsc-ptrace-host': { path: '/usr/bin/runsc', runtimeArgs: ['--platform=ptrace', '--network=host'] },
  });
  assert.equal(dockerdConfig(null, null), {});
  assert.equal(dockerdArgv('/c/daemon.json'), ['dockerd', '--config-file', '/c/daemon.json']);
});

test('runsc leak: shim, gofer and sandbox of the failed container are found by its id, nothing else', () => {
  const rec = JSON.parse(fixture('docker', 'runsc-leak-after-rm.json')) as { containerId: string; processes: HostProcess[] };
  const others: HostProcess[] = [
    { pid: 1, argv: ['/sbin/init'] },
    { pid: 2, argv: ['grep', rec.containerId] }, // names the id but is no runsc process
    { pid: 3, argv: ['runsc-sandbox', '--root=/tmp/other', 'boot', 'k1'] },
  ];
  const found = leakedRunscProcesses([...others, ...rec.processes], rec.containerId);
  assert.equal(found.map((p) => path.basename(p.argv[0])).sort(), ['containerd-shim-runc-v2', 'runsc-gofer', 'runsc-sandbox']);
  assert.is(runscRoot(found), '/var/run/docker/runtime-runc/moby');
  assert.equal(leakedRunscProcesses(rec.processes, 'f'.repeat(64)), []);
});

test.run();
