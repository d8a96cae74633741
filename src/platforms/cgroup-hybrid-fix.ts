// crun (direct or under Podman) refuses cgroup hybrid mode while the cgroup2 mount holds a controller; binding each such controller to its own v1 hierarchy empties it.
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { runOk } from '../proc.ts';
import type { HostChanges } from '../types.ts';

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

/** Controllers that need their own v1 hierarchy: held by cgroup2 in hybrid mode (v1 controllers mounted too) and bound nowhere in v1. */
export function controllersToBind(mounts: CgroupMounts, v2Controllers: string[]): string[] {
  if (!mounts.v2 || !mounts.v1.some((h) => h.controllers.length > 0)) return [];
  const bound = new Set(mounts.v1.flatMap((h) => h.controllers));
  return v2Controllers.filter((c) => c && !bound.has(c));
}

/** The mount that binds one controller to a new v1 hierarchy beside the others. */
export function bindControllerArgv(controller: string, dir: string): string[] {
  return ['mount', '-t', 'cgroup', '-o', controller, 'cgroup', dir];
}

/** What the fix would mount on this host right now (empty: nothing needed); for detect() and doctor. */
export async function hybridCgroupFixPlan(): Promise<{ controller: string; dir: string }[]> {
  const mounts = parseCgroupMounts(await fsp.readFile('/proc/self/mountinfo', 'utf8'));
  if (!mounts.v2 || mounts.v1.length === 0) return [];
  const v2Controllers = (await fsp.readFile(path.join(mounts.v2, 'cgroup.controllers'), 'utf8').catch(() => '')).trim().split(/\s+/);
  const v1Root = path.dirname(mounts.v1[0].mountPoint);
  return controllersToBind(mounts, v2Controllers).map((controller) => ({ controller, dir: path.join(v1Root, controller) }));
}

let inFlight: Promise<void> | null = null;

/** Apply the fix where needed (idempotent, also across platforms); each mount is recorded as a host change whose undo unmounts it. */
export function ensureHybridCgroupFix(by: string, host: HostChanges): Promise<void> {
  const previous = inFlight ?? Promise.resolve();
  // serialised, and the plan is re-read each time, so a fix already in place (by anyone) is never applied twice
  inFlight = previous.catch(() => {}).then(() => applyPlan(by, host));
  return inFlight;
}

async function applyPlan(by: string, host: HostChanges): Promise<void> {
  for (const { controller, dir } of await hybridCgroupFixPlan()) {
    const created = !existsSync(dir);
    if (created) await fsp.mkdir(dir);
    try {
      await runOk(bindControllerArgv(controller, dir), { timeoutMs: 20_000 });
    } catch (e) {
      if (created) await fsp.rmdir(dir).catch(() => {});
      throw new Error(`${by}: crun refuses hybrid cgroups while cgroup2 holds '${controller}', and binding it to a v1 hierarchy failed ` +
        `(${(e as Error).message}); fix by hand: mkdir -p ${dir} && mount -t cgroup -o ${controller} cgroup ${dir}`);
    }
    host.record(by, `mounted ${controller} cgroup v1 hierarchy at ${dir} (crun refuses hybrid cgroups while cgroup2 holds ${controller})`, async () => {
      await runOk(['umount', dir], { timeoutMs: 20_000 });
      if (created) await fsp.rmdir(dir);
    });
  }
}
