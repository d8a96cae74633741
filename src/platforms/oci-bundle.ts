// OCI runtime bundles (config.json + rootfs) for runc and crun: the config is built by a pure function, written by another.
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '../types.ts';

export interface OciBundleInput {
  /** container id, also hostname and cgroup leaf ([a-z0-9-]) */
  name: string;
  /** absolute path of the benchmark rootfs (shared, cached, mounted read-only) */
  rootfs: string;
  cpus: number;
  memoryMiB: number;
  /** cores on the host, to bound the cpuset */
  hostCores: number;
  /** host directory bind-mounted read-write at /data */
  dataDir?: string;
  /** 'none': own network namespace with only loopback; 'host': the host's network */
  network: 'none' | 'host';
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** The part of the OCI runtime spec (1.0) that isobench writes. */
export interface OciConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<'bounding' | 'effective' | 'permitted', string[]>;
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    cgroupsPath: string;
    resources: {
      devices: { allow: boolean; access: string }[];
      cpu: { quota: number; period: number; cpus: string };
      memory: { limit: number };
    };
    namespaces: { type: string; path?: string }[];
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

export const CPU_PERIOD_US = 100_000;
/** the container's init: sleeps until stop() kills it; benchmarks run beside it with `exec` */
export const KEEPALIVE_ARGS = ['/bin/sleep', '2147483647'];
export const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's default capability set, so a direct runc/crun container is as privileged as a `docker run` one. */
const DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** "0-(n-1)": the first n cores, n = cpus rounded up and bounded by the host's cores (as native pins with taskset) */
export function cpusetFor(cpus: number, hostCores: number): string {
  const n = Math.max(1, Math.min(Math.ceil(cpus), hostCores));
  return n === 1 ? '0' : `0-${n - 1}`;
}

function check(input: OciBundleInput): void {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(input.name)) throw new Error(`oci bundle: name '${input.name}' must match [a-z0-9][a-z0-9-]*`);
  if (!path.isAbsolute(input.rootfs)) throw new Error(`oci bundle: rootfs '${input.rootfs}' must be an absolute path`);
  if (!(input.cpus > 0)) throw new Error(`oci bundle: cpus must be > 0 (got ${input.cpus})`);
  if (!(input.memoryMiB > 0)) throw new Error(`oci bundle: memoryMiB must be > 0 (got ${input.memoryMiB})`);
  if (!(input.hostCores >= 1)) throw new Error(`oci bundle: hostCores must be >= 1 (got ${input.hostCores})`);
  if (input.dataDir !== undefined && !path.isAbsolute(input.dataDir)) {
    throw new Error(`oci bundle: dataDir '${input.dataDir}' must be an absolute path`);
  }
  if (input.network !== 'none' && input.network !== 'host') {
    throw new Error(`oci bundle: network '${String(input.network)}' is not supported (use 'none' or 'host')`);
  }
}

/** config.json for one container; no I/O. */
/** The config of one instance from its spec: the experiment's resources, the shared rootfs, /data bound from the spec. */
export function ociConfigForSpec(spec: InstanceSpec, network: 'none' | 'host'): OciConfig {
  return ociConfig({
    name: spec.name,
    rootfs: path.resolve(spec.rootfs),
    cpus: spec.cpus,
    memoryMiB: spec.memoryMiB,
    hostCores: os.cpus().length,
    dataDir: spec.dataDir ? path.resolve(spec.dataDir) : undefined,
    network,
  });
}

export function ociConfig(input: OciBundleInput): OciConfig {
  check(input);
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    // the root is read-only (one cached rootfs shared by every container, no copy), so scratch space is tmpfs
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755'] },
  ];
  if (input.dataDir) mounts.push({ destination: '/data', type: 'bind', source: input.dataDir, options: ['rbind', 'rw'] });

  const namespaces = ['pid', 'ipc', 'uts', 'mount', ...(input.network === 'host' ? [] : ['network'])].map((type) => ({ type }));
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: KEEPALIVE_ARGS,
      env: [`PATH=${CONTAINER_PATH}`, 'HOME=/root'],
      cwd: '/',
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: input.rootfs, readonly: true },
    hostname: input.name,
    mounts,
    linux: {
      // absolute, so runc and crun put it at the same place under every hierarchy
      cgroupsPath: `/isobench/${input.name}`,
      resources: {
        devices: [{ allow: false, access: 'rwm' }],
        cpu: { quota: Math.round(input.cpus * CPU_PERIOD_US), period: CPU_PERIOD_US, cpus: cpusetFor(input.cpus, input.hostCores) },
        memory: { limit: Math.round(input.memoryMiB * 1024 * 1024) },
      },
      namespaces,
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** Write a bundle directory: config.json pointing at the (read-only) rootfs by absolute path. */
export async function writeOciBundle(dir: string, config: OciConfig): Promise<string> {
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'config.json');
  await fsp.writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
