// crun called directly on an OCI bundle: the C OCI runtime behind Podman; on hybrid cgroup hosts it needs a host fix.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { runOk } from '../proc.ts';
import { recordHostChange } from '../run/host-changes.ts';
import { ociRuntimePlatform } from './oci-runtime.ts';

export interface CgroupMounts {
  /** where cgroup2 is mounted, if it is */
  v2: string | null;
  /** cgroup v1 hierarchies and the controllers bound to each */
  v1: { mountPoint: string; controllers: string[] }[];
}

const NOT_CONTROLLERS = new Set(['rw', 'ro', 'noprefix', 'clone_children', 'xattr', 'cpuset_v2_mode', 'favordynmods', 'none']);

/** cgroup mounts from /proc/self/mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMounts {
  const out: CgroupMounts = { v2: null, v1: [] };
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right) continue;
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOptions = ''] = right.split(' ');
    if (fstype === 'cgroup2') out.v2 ??= mountPoint;
    if (fstype === 'cgroup') {
      const controllers = superOptions.split(',').filter((o) => o && !o.includes('=') && !NOT_CONTROLLERS.has(o));
      out.v1.push({ mountPoint, controllers });
    }
  }
  return out;
}

/**
 * Controllers crun trips over: in hybrid mode (v1 hierarchies plus a cgroup2 mount) crun refuses to run while the
 * cgroup2 mount holds a controller; each such controller needs its own v1 hierarchy.
 */
export function controllersToBind(mounts: CgroupMounts, v2Controllers: string[]): string[] {
  if (!mounts.v2 || !mounts.v1.some((h) => h.controllers.length > 0)) return [];
  const bound = new Set(mounts.v1.flatMap((h) => h.controllers));
  return v2Controllers.filter((c) => c && !bound.has(c));
}

async function hybridFixPlan(): Promise<{ controller: string; dir: string }[]> {
  const mounts = parseCgroupMounts(await fsp.readFile('/proc/self/mountinfo', 'utf8'));
  if (!mounts.v2 || mounts.v1.length === 0) return [];
  const v2Controllers = (await fsp.readFile(path.join(mounts.v2, 'cgroup.controllers'), 'utf8').catch(() => '')).trim().split(/\s+/);
  const v1Root = path.dirname(mounts.v1[0].mountPoint);
  return controllersToBind(mounts, v2Controllers).map((controller) => ({ controller, dir: path.join(v1Root, controller) }));
}

/** Mount each controller the cgroup2 mount holds on its own v1 hierarchy (host-notes.md), recorded and undone at the end. */
export async function applyHybridCgroupFix(by: string): Promise<void> {
  for (const { controller, dir } of await hybridFixPlan()) {
    const created = !existsSync(dir);
    if (created) await fsp.mkdir(dir);
    try {
      await runOk(['mount', '-t', 'cgroup', '-o', controller, 'cgroup', dir], { timeoutMs: 20_000 });
    } catch (e) {
      if (created) await fsp.rmdir(dir).catch(() => {});
      throw new Error(`${by}: crun refuses hybrid cgroups while cgroup2 holds '${controller}', and binding it to a v1 hierarchy failed ` +
        `(${(e as Error).message}); fix by hand: mkdir -p ${dir} && mount -t cgroup -o ${controller} cgroup ${dir}`);
    }
    recordHostChange(by, `mounted ${controller} cgroup v1 hierarchy at ${dir} (crun refuses hybrid cgroups while cgroup2 holds ${controller})`, async () => {
      await runOk(['umount', dir], { timeoutMs: 20_000 });
      if (created) await fsp.rmdir(dir);
    });
  }
}

export const crun = ociRuntimePlatform({
  id: 'crun',
  binary: 'crun',
  aptPackage: 'crun',
  description: 'crun (the C OCI runtime behind Podman) called directly on an OCI bundle, no daemon',
  prepare: () => applyHybridCgroupFix('crun'),
  async details() {
    const plan = await hybridFixPlan().catch(() => []);
    return plan.length ? { hostFix: `prepare() mounts ${plan.map((p) => `${p.controller} at ${p.dir}`).join(', ')} (cgroup v1)` } : undefined;
  },
});
