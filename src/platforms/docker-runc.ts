// Docker with its default OCI runtime (runc): the paper's "Docker" row, image imported from the benchmark rootfs.
import { run, which } from '../proc.ts';
import type { Detection } from '../types.ts';
import { enginePlatform } from './docker-cli.ts';
import { dockerdStartedByUs, dockerdStatus, ensureDockerd, stopOurDockerd, type DockerdStatus } from './dockerd.ts';

const id = 'docker-runc';

/** '20.10.24+dfsg1' from `dockerd --version` ("Docker version 20.10.24+dfsg1, build 5d6db84"). */
export function parseDockerVersion(stdout: string): string | undefined {
  return /Docker version ([^,\s]+)/.exec(stdout)?.[1];
}

/** What doctor says about Docker, shared by every Docker platform; `status` tells callers which runtimes the daemon has. */
export async function detectDocker(): Promise<{ detection: Detection; status: DockerdStatus }> {
  if (!which('docker') || !which('dockerd')) {
    return { detection: { available: false, reason: 'docker.io not installed: apt-get install docker.io' }, status: { running: false, runtimes: [] } };
  }
  const status = await dockerdStatus();
  if (status.running) {
    const ours = dockerdStartedByUs();
    const daemon = ours ? `started by isobench (pid ${ours.pid})` : 'already running (used as it is)';
    return { detection: { available: true, version: status.serverVersion, details: { daemon, defaultRuntime: status.defaultRuntime ?? '?' } }, status };
  }
  if (process.getuid?.() !== 0) {
    const reason = `dockerd is not running (${status.error}) and isobench is not root, so it cannot start it: start dockerd, or run as root`;
    return { detection: { available: false, reason }, status };
  }
  const dockerd = parseDockerVersion((await run(['dockerd', '--version'], { timeoutMs: 10_000 })).stdout);
  const version = dockerd ?? (status.clientVersion ? `client ${status.clientVersion}` : undefined);
  return { detection: { available: true, version, details: { daemon: 'not running: prepare() starts dockerd and stops it at the end' } }, status };
}

export const dockerRunc = enginePlatform({
  id,
  family: 'container',
  description: 'Docker (dockerd + containerd) with its default runtime runc; image imported from the benchmark rootfs',
  packages: ['docker.io', 'iptables'],
  cli: 'docker',
  networks: ['bridge', 'host', 'none'],
  detect: async () => (await detectDocker()).detection,
  prepare: (host) => ensureDockerd(id, host),
  release: stopOurDockerd,
});
