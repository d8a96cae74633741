// The guest kernel: the distribution's kernel package (downloaded with apt, cached by version), the host's /boot, or a user's path.
import { randomBytes } from 'node:crypto';
import { promises as fsp, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { run, runOk, which } from '../proc.ts';
import { parseBzImageHeader, payloadFormat, vmlinuxFile } from './vmlinux.ts';

export interface GuestKernel {
  /** the kernel image as shipped (a bzImage, or an ELF vmlinux when the user gives one) */
  image: string;
  /** what `uname -r` prints in the guest */
  release: string;
  /** where it came from, for environment.json and the report */
  source: string;
  /** lib/modules/<release> with the .ko files, when the kernel has loadable modules */
  modulesDir?: string;
  /** the kernel's build configuration, when known */
  config?: string;
}

/** options.kernel: 'package' (the distribution's kernel package), 'host' (/boot of the running kernel), or a path */
export type KernelChoice = 'package' | 'host' | string;

/** Debian and Ubuntu meta-packages whose kernels boot in a VM; the first that the package manager knows wins. */
export const KERNEL_META_PACKAGES: Record<string, string[]> = {
  debian: ['linux-image-cloud-amd64', 'linux-image-amd64'],
  ubuntu: ['linux-image-kvm', 'linux-image-virtual'],
};

/** The concrete package a meta-package depends on, from `apt-cache depends` output. */
export function parseAptDepends(stdout: string): string | null {
  for (const line of stdout.split('\n')) {
    const m = /^\s*(?:\|)?Depends:\s+(linux-image-\S+)/.exec(line);
    if (m && !m[1].startsWith('<')) return m[1];
  }
  return null;
}

/** The candidate version from `apt-cache policy` output. */
export function parseAptCandidate(stdout: string): string | null {
  const m = /^\s*Candidate:\s+(\S+)/m.exec(stdout);
  return m && m[1] !== '(none)' ? m[1] : null;
}

/** The distribution id from /etc/os-release (ID, then ID_LIKE). */
export function distroIds(osRelease: string): string[] {
  const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(osRelease)?.[1] ?? '';
  return [get('ID'), ...get('ID_LIKE').split(/\s+/)].filter(Boolean);
}

function metaPackages(): string[] {
  let text = '';
  try { text = readFileSync('/etc/os-release', 'utf8'); } catch { /* not a Linux distribution we know */ }
  for (const id of distroIds(text)) if (KERNEL_META_PACKAGES[id]) return KERNEL_META_PACKAGES[id];
  return KERNEL_META_PACKAGES.debian;
}

/** Kernel image and modules inside an extracted package tree (or a root like /). */
async function findInTree(root: string, release?: string): Promise<{ image: string; release: string; modulesDir?: string; config?: string } | null> {
  const boot = path.join(root, 'boot');
  const names = (await fsp.readdir(boot).catch(() => [] as string[])).filter((n) => /^vmlinuz-/.test(n)).sort();
  const name = release ? names.find((n) => n === `vmlinuz-${release}`) : names[names.length - 1];
  if (!name) return null;
  const rel = name.slice('vmlinuz-'.length);
  const modulesDir = [path.join(root, 'lib', 'modules', rel), path.join(root, 'usr', 'lib', 'modules', rel)].find((d) => existsSync(d));
  const config = path.join(boot, `config-${rel}`);
  return { image: path.join(boot, name), release: rel, modulesDir, config: existsSync(config) ? config : undefined };
}

/** A kernel package unpacked by scripts/provision/guest-kernel.mjs (newest name first), for hosts where apt cannot fetch one. */
async function provisionedPackage(): Promise<GuestKernel | null> {
  const dirs = (await fsp.readdir(paths.kernels()).catch(() => [] as string[])).filter((d) => /^linux-image-[^_]+_[^_]+$/.test(d)).sort().reverse();
  for (const d of dirs) {
    const found = await findInTree(path.join(paths.kernels(), d));
    if (found) return { ...found, source: `package ${d.replace('_', ' ')} (isobench setup --provision guest-kernel)` };
  }
  return null;
}

async function fromPackage(): Promise<GuestKernel> {
  const cacheRoot = paths.kernels();
  if (!which('apt-cache') || !which('apt-get') || !which('dpkg')) {
    const provisioned = await provisionedPackage();
    if (provisioned) return provisioned;
    throw new Error('guest kernel: apt-get/dpkg not found, so no kernel package can be fetched; run `isobench setup --provision guest-kernel`, or set options.kernel to a kernel image path (or \'host\')');
  }
  let pkg: string | null = null;
  let meta = '';
  for (const m of metaPackages()) {
    const deps = await run(['apt-cache', 'depends', m], { timeoutMs: 30_000 });
    pkg = deps.code === 0 ? parseAptDepends(deps.stdout) : null;
    if (pkg) { meta = m; break; }
  }
  if (!pkg) throw new Error(`guest kernel: none of ${metaPackages().join(', ')} is known to apt (run apt-get update, or set options.kernel to a kernel image path)`);
  const policy = await run(['apt-cache', 'policy', pkg], { timeoutMs: 30_000 });
  const version = parseAptCandidate(policy.stdout);
  if (!version) throw new Error(`guest kernel: apt has no installable version of ${pkg} (run apt-get update)`);
  const dir = path.join(cacheRoot, `${pkg}_${version}`);
  const source = `package ${pkg} ${version} (via ${meta})`;
  if (!existsSync(dir)) {
    await fsp.mkdir(cacheRoot, { recursive: true });
    const tmp = path.join(cacheRoot, `.${pkg}_${version}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    await fsp.mkdir(tmp);
    try {
      log.info(`guest kernel: downloading ${pkg} ${version} with apt-get download`);
      await runOk(['apt-get', 'download', `${pkg}=${version}`], { cwd: tmp, timeoutMs: 600_000 });
      const deb = (await fsp.readdir(tmp)).find((n) => n.endsWith('.deb'));
      if (!deb) throw new Error(`guest kernel: apt-get download ${pkg}=${version} left no .deb in ${tmp}`);
      await runOk(['dpkg', '-x', path.join(tmp, deb), path.join(tmp, 'tree')], { timeoutMs: 300_000 });
      await fsp.rename(path.join(tmp, 'tree'), dir);
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }
  const found = await findInTree(dir);
  if (!found) throw new Error(`guest kernel: ${dir} holds no boot/vmlinuz-* (remove the directory to download ${pkg} again)`);
  return { ...found, source };
}

async function fromHost(): Promise<GuestKernel> {
  const rel = os.release();
  const found = await findInTree('/', rel);
  if (!found) throw new Error(`guest kernel: /boot/vmlinuz-${rel} not found (this host boots its kernel from elsewhere); use options.kernel: package`);
  return { ...found, source: `host /boot (${rel})` };
}

async function fromPath(file: string, modules?: string): Promise<GuestKernel> {
  if (!existsSync(file)) throw new Error(`guest kernel: options.kernel: ${file} does not exist`);
  const head = Buffer.alloc(0x10000);
  const fh = await fsp.open(file, 'r');
  try { await fh.read(head, 0, head.length, 0); } finally { await fh.close(); }
  let release = 'unknown';
  if (payloadFormat(head) !== 'elf') release = parseBzImageHeader(head, file).release || 'unknown';
  const modulesDir = modules ?? [`/lib/modules/${release}`].find((d) => existsSync(d));
  return { image: file, release, modulesDir, source: `path ${file}` };
}

const memo = new Map<string, Promise<GuestKernel>>();

/** Resolve (and on first use download) the guest kernel; remembered per process and kernel cache (ISOBENCH_DATA may change within a process). */
export function guestKernel(choice: KernelChoice = 'package', modules?: string): Promise<GuestKernel> {
  const key = `${paths.kernels()}\0${choice}\0${modules ?? ''}`;
  let p = memo.get(key);
  if (!p) {
    p = choice === 'package' ? fromPackage() : choice === 'host' ? fromHost() : fromPath(path.resolve(choice), modules);
    p.catch(() => memo.delete(key));
    memo.set(key, p);
  }
  return p;
}

/** The uncompressed ELF vmlinux of a guest kernel (Firecracker and Cloud Hypervisor load it), extracted once. */
export async function guestVmlinux(k: GuestKernel): Promise<string> {
  const head = Buffer.alloc(4);
  const fh = await fsp.open(k.image, 'r');
  try { await fh.read(head, 0, 4, 0); } finally { await fh.close(); }
  if (payloadFormat(head) === 'elf') return k.image;
  const st = await fsp.stat(k.image);
  const key = `${k.release}-${st.size}-${Math.round(st.mtimeMs)}`.replace(/[^\w.-]/g, '_');
  const dir = path.join(paths.kernels(), 'vmlinux');
  await fsp.mkdir(dir, { recursive: true });
  return vmlinuxFile(k.image, path.join(dir, `vmlinux-${key}`));
}

/** A kernel for detection probes, which see no experiment options: the distribution's package, else the host's /boot. */
export async function defaultGuestKernel(): Promise<GuestKernel> {
  try {
    return await guestKernel('package');
  } catch (e) {
    try {
      return await guestKernel('host');
    } catch {
      throw e;
    }
  }
}
