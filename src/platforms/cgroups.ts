// Parent cgroups a container engine creates and never removes (docker/, libpod_parent/): found in every hierarchy, removed when empty.
import { existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Mount points of the cgroup hierarchies: the root itself on pure v2, else each v1 hierarchy and the v2 mount under it. */
export function cgroupHierarchies(root = CGROUP_ROOT): string[] {
  if (existsSync(path.join(root, 'cgroup.controllers'))) return [root]; // pure cgroup v2
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = path.join(root, name);
    try {
      if (statSync(dir).isDirectory() && !name.includes(',')) out.push(dir);
    } catch { /* vanished */ }
  }
  return out;
}

/** The hierarchies in which `rel` (e.g. 'docker') exists now. */
export function cgroupsPresent(rel: string, root = CGROUP_ROOT): string[] {
  return cgroupHierarchies(root).map((h) => path.join(h, rel)).filter((d) => existsSync(d));
}

async function rmdirTree(dir: string, failed: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return; // already gone
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(path.join(dir, e.name), failed);
  // a cgroup directory is removed with rmdir even though it lists files; the kernel refuses while it holds tasks
  await fsp.rmdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') failed.push(`${dir} (${err.code})`);
  });
}

/** Remove `rel` and its child cgroups in every hierarchy, deepest first; returns what stayed (still holding tasks). */
export async function removeCgroupTree(rel: string, root = CGROUP_ROOT): Promise<string[]> {
  const failed: string[] = [];
  for (const dir of cgroupsPresent(rel, root)) await rmdirTree(dir, failed);
  return failed;
}

/**
 * Give `rel` in the cgroup v1 cpuset hierarchy the root's cpus and mems where they are empty (a fresh v1 cpuset cgroup
 * has none, and runsc creates the parent without filling them, so `--cpuset-cpus` then fails). Returns true if it created `rel`.
 */
export async function ensureCpusetParent(rel: string, root = CGROUP_ROOT): Promise<boolean> {
  const cpuset = cgroupHierarchies(root).find((h) => existsSync(path.join(h, 'cpuset.cpus')) && !existsSync(path.join(h, 'cgroup.controllers')));
  if (!cpuset) return false; // no v1 cpuset hierarchy: nothing to fill
  const dir = path.join(cpuset, rel);
  const created = !existsSync(dir);
  await fsp.mkdir(dir, { recursive: true });
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const mine = (await fsp.readFile(path.join(dir, file), 'utf8')).trim();
    if (!mine) await fsp.writeFile(path.join(dir, file), (await fsp.readFile(path.join(cpuset, file), 'utf8')).trim());
  }
  return created;
}
