// The benchmark root filesystem, assembled from host binaries plus their ldd libraries and busybox, cached by content hash.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { run, runOk, which } from '../proc.ts';

/** bump when the layout changes in a way the entries do not show (so old caches are not reused) */
export const LAYOUT_VERSION = 'isobench-rootfs/1';

/** data a tool reads at run time that ldd cannot see (sysbench's OLTP Lua scripts; MariaDB's messages, charsets, system tables) */
const TOOL_EXTRAS: Record<string, string[]> = {
  sysbench: ['/usr/share/sysbench'],
  mariadbd: [
    '/usr/share/mysql/english',
    '/usr/share/mysql/charsets',
    '/usr/share/mysql/mysql_system_tables.sql',
    '/usr/share/mysql/mysql_system_tables_data.sql',
  ],
};

/** busybox applets linked into /bin: a shell and the basic tools scripts and VM inits use */
const BUSYBOX_APPLETS = [
  '[', 'awk', 'basename', 'cat', 'chmod', 'cp', 'cut', 'date', 'dd', 'df', 'dirname', 'echo', 'env', 'false',
  'find', 'free', 'grep', 'halt', 'head', 'hostname', 'id', 'ifconfig', 'ip', 'kill', 'ln', 'ls', 'mkdir',
  'mknod', 'mount', 'mv', 'nproc', 'poweroff', 'printf', 'ps', 'pwd', 'readlink', 'reboot', 'rm', 'rmdir',
  'sed', 'seq', 'sh', 'sleep', 'sort', 'stat', 'switch_root', 'sync', 'tail', 'tee', 'test', 'time', 'timeout',
  'touch', 'tr', 'true', 'umount', 'uname', 'uniq', 'wc', 'which', 'xargs',
];

/** top-level directories that merged-/usr hosts make symlinks (replicated so ld.so paths keep working) */
const TOP_LEVEL_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

const ETC_FILES: Record<string, string> = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  '/etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  '/etc/hosts': '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  '/etc/nsswitch.conf': 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n',
};

const MOUNT_POINTS: Record<string, number> = {
  '/proc': 0o555, '/sys': 0o555, '/dev': 0o755, '/tmp': 0o1777, '/data': 0o755, '/run': 0o755,
  '/root': 0o700, '/etc': 0o755,
};

export type RootfsEntry =
  | { dest: string; kind: 'dir'; mode: number }
  | { dest: string; kind: 'file'; mode: number; sha256: string; size: number; source?: string; content?: string }
  | { dest: string; kind: 'symlink'; target: string };

export interface Rootfs {
  dir: string;
  hash: string;
  files: number;
  bytes: number;
}

/** Content hash of a rootfs: sorted (path, content sha256 or link target, mode) plus the layout version; 16 hex digits. */
export function rootfsHash(entries: RootfsEntry[], layout = LAYOUT_VERSION): string {
  const lines = entries.map((e) => {
    if (e.kind === 'dir') return `${e.dest}\0dir\0\0${e.mode.toString(8)}`;
    if (e.kind === 'symlink') return `${e.dest}\0symlink\0${e.target}\0`;
    return `${e.dest}\0file\0${e.sha256}\0${e.mode.toString(8)}`;
  });
  lines.sort();
  const h = createHash('sha256').update(`${layout}\n`);
  for (const l of lines) h.update(`${l}\n`);
  return h.digest('hex').slice(0, 16);
}

export interface LddResult {
  libs: string[];
  missing: string[];
  static: boolean;
}

/** Libraries (and the dynamic loader) that `ldd` lists; vdso has no file and is skipped. */
export function parseLdd(stdout: string): LddResult {
  const libs: string[] = [];
  const missing: string[] = [];
  let isStatic = false;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (/statically linked|not a dynamic executable/.test(line)) { isStatic = true; continue; }
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    if (arrow) {
      if (/^not found/.test(arrow[2])) { missing.push(arrow[1]); continue; }
      const p = /^(\/\S+)/.exec(arrow[2]);
      if (p) libs.push(p[1]);
      continue;
    }
    const direct = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (direct) libs.push(direct[1]);
  }
  return { libs, missing, static: isStatic };
}

const shaMemo = new Map<string, string>();

/** sha256 of a host file, remembered per (device, inode, size, mtime) within this process */
function sha256File(file: string): { sha256: string; size: number; mode: number } {
  const st = statSync(file);
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  let sha = shaMemo.get(key);
  if (!sha) {
    sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    shaMemo.set(key, sha);
  }
  // setuid/setgid bits are dropped: nothing in a benchmark image needs them
  return { sha256: sha, size: st.size, mode: st.mode & 0o777 };
}

function topLevelLinks(): Map<string, string> {
  const links = new Map<string, string>();
  for (const name of TOP_LEVEL_LINKS) {
    try {
      if (lstatSync(`/${name}`).isSymbolicLink()) links.set(name, readlinkSync(`/${name}`));
    } catch { /* absent on this host */ }
  }
  return links;
}

/** Where a host file lands in the rootfs: its directory resolved like the host resolves it (merged /usr). */
function hostDest(file: string): string {
  // tools isobench built itself live in its cache on the host, and on the image's PATH inside
  if (path.dirname(path.resolve(file)) === path.resolve(paths.builtTools())) return `/usr/local/bin/${path.basename(file)}`;
  return path.posix.join(realpathSync(path.dirname(file)), path.basename(file));
}

/** An absolute rootfs path with its first component resolved through the replicated top-level links. */
function throughLinks(p: string, links: Map<string, string>): string {
  const [, first, ...rest] = p.split('/');
  const target = links.get(first);
  if (target === undefined) return p;
  return path.posix.join(path.posix.resolve('/', target), ...rest);
}

async function lddOf(binary: string, what: string): Promise<string[]> {
  const r = await run(['ldd', binary], { timeoutMs: 30_000 });
  const parsed = parseLdd(r.stdout + r.stderr);
  if (parsed.missing.length) {
    throw new Error(`rootfs: ${what} (${binary}) needs libraries that are not installed: ${parsed.missing.join(', ')}`);
  }
  if (r.code !== 0 && !parsed.static) {
    throw new Error(`rootfs: ldd ${binary} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`);
  }
  return parsed.libs;
}

// which package holds a tool is declared by the workload that needs it (Workload.packages), and `isobench setup` installs those
function missingTool(tool: string, pkg?: string): Error {
  return new Error(`rootfs: tool '${tool}' not found on PATH (${pkg ? `apt-get install ${pkg}` : "'isobench setup' installs the packages the experiment's workloads declare"})`);
}

function findBusybox(): string {
  // busybox-static's /bin/busybox first: no libraries, so it works in any rootfs and initramfs
  if (existsSync('/bin/busybox')) return '/bin/busybox';
  const b = which('busybox');
  if (!b) throw missingTool('busybox', 'busybox-static');
  return b;
}

async function walkFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...(await walkFiles(p)));
    else if (d.isFile() || d.isSymbolicLink()) out.push(p);
  }
  return out;
}

/** Everything the rootfs for these tools holds, as plain entries (no I/O into the image yet). */
export async function planRootfs(tools: string[], packageOf?: (tool: string) => string | undefined): Promise<RootfsEntry[]> {
  const entries = new Map<string, RootfsEntry>();
  const links = topLevelLinks();
  const addDir = (dest: string, mode = 0o755) => {
    const e = entries.get(dest);
    if (!e) entries.set(dest, { dest, kind: 'dir', mode });
  };
  const addParents = (dest: string) => {
    for (let d = path.posix.dirname(dest); d !== '/'; d = path.posix.dirname(d)) addDir(d);
  };
  const addHostFile = (file: string) => {
    const dest = hostDest(file);
    if (entries.has(dest)) return dest;
    entries.set(dest, { dest, kind: 'file', source: file, ...sha256File(file) });
    addParents(dest);
    return dest;
  };

  for (const [name, target] of links) entries.set(`/${name}`, { dest: `/${name}`, kind: 'symlink', target });
  for (const [dest, mode] of Object.entries(MOUNT_POINTS)) addDir(dest, mode);

  for (const tool of [...new Set(tools)].sort()) {
    if (tool === 'busybox') continue; // always included below
    const bin = which(tool);
    if (!bin) throw missingTool(tool, packageOf?.(tool));
    addHostFile(bin);
    for (const lib of await lddOf(bin, `tool '${tool}'`)) addHostFile(lib);
    for (const extra of TOOL_EXTRAS[tool] ?? []) {
      if (!existsSync(extra)) continue;
      if (statSync(extra).isFile()) { addHostFile(extra); continue; }
      for (const f of (await walkFiles(extra)).sort()) if (statSync(f).isFile()) addHostFile(f);
    }
  }

  const busybox = findBusybox();
  const busyboxDest = addHostFile(busybox);
  for (const lib of await lddOf(busybox, 'busybox')) addHostFile(lib);
  const listed = await runOk([busybox, '--list'], { timeoutMs: 10_000 });
  const available = new Set(listed.stdout.split('\n').map((s) => s.trim()));
  if (!available.has('sh')) throw new Error(`rootfs: ${busybox} has no 'sh' applet (install busybox-static)`);
  for (const applet of BUSYBOX_APPLETS) {
    if (!available.has(applet)) continue;
    const dest = throughLinks(`/bin/${applet}`, links);
    if (entries.has(dest)) continue; // a real tool of that name wins
    entries.set(dest, { dest, kind: 'symlink', target: path.posix.relative(path.posix.dirname(dest), busyboxDest) });
    addParents(dest);
  }

  for (const [dest, content] of Object.entries(ETC_FILES)) {
    const buf = Buffer.from(content);
    entries.set(dest, { dest, kind: 'file', mode: 0o644, content, size: buf.length, sha256: createHash('sha256').update(buf).digest('hex') });
  }
  return [...entries.values()].sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove half-built images and tarballs left by a crashed build (their builder's pid is gone). */
async function removeStaleBuilds(dir: string): Promise<void> {
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    const m = /^\.?rootfs-[0-9a-f]+(?:\.tar)?\.tmp-(\d+)-/.exec(name);
    if (m && !pidAlive(Number(m[1]))) await fsp.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

async function materialize(tmp: string, entries: RootfsEntry[]): Promise<void> {
  const at = (dest: string) => path.join(tmp, dest);
  // directories shallow-first, then files and links (their parents exist by then)
  const dirs = entries.filter((e) => e.kind === 'dir').sort((a, b) => a.dest.split('/').length - b.dest.split('/').length);
  for (const d of dirs) {
    await fsp.mkdir(at(d.dest), { recursive: true });
    await fsp.chmod(at(d.dest), d.mode);
  }
  for (const e of entries) {
    if (e.kind === 'file') {
      if (e.content !== undefined) await fsp.writeFile(at(e.dest), e.content);
      else await fsp.copyFile(e.source!, at(e.dest));
      await fsp.chmod(at(e.dest), e.mode);
    } else if (e.kind === 'symlink') {
      await fsp.symlink(e.target, at(e.dest));
    }
  }
  await fsp.chmod(tmp, 0o755);
}

function summary(dir: string, hash: string, entries: RootfsEntry[]): Rootfs {
  const files = entries.filter((e) => e.kind === 'file') as { size: number }[];
  return { dir, hash, files: files.length, bytes: files.reduce((s, f) => s + f.size, 0) };
}

/** Build (or reuse) the rootfs holding these tools; built beside the cache and renamed in, so a crash never leaves a half image. */
/** packageOf: the package a missing tool comes from, for the error (the workloads declare it: packageOfTool in src/workloads/index.ts) */
export async function buildRootfs(tools: string[], packageOf?: (tool: string) => string | undefined): Promise<Rootfs> {
  const entries = await planRootfs(tools, packageOf);
  const hash = rootfsHash(entries);
  const dir = paths.rootfs(hash);
  if (existsSync(dir)) {
    log.debug(`rootfs ${hash} for [${tools.join(', ')}]: cached at ${dir}`);
    return summary(dir, hash, entries);
  }
  const images = path.dirname(dir);
  await fsp.mkdir(images, { recursive: true });
  await removeStaleBuilds(images);
  const tmp = path.join(images, `.rootfs-${hash}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const t0 = Date.now();
  try {
    await fsp.mkdir(tmp);
    await materialize(tmp, entries);
    try {
      await fsp.rename(tmp, dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(dir)) throw e;
      await fsp.rm(tmp, { recursive: true, force: true }); // another build won the race; same content
    }
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  const s = summary(dir, hash, entries);
  log.info(`rootfs ${hash} for [${tools.join(', ')}]: ${s.files} files, ${(s.bytes / 1048576).toFixed(1)} MiB in ${Date.now() - t0} ms`);
  return s;
}

/** A deterministic tar of a rootfs (sorted names, root owner, mtime 0), cached beside it, for `docker import`/`podman import`. */
export async function rootfsTarball(dir: string, hash: string): Promise<string> {
  const out = paths.rootfsTar(hash);
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await runOk(
      ['tar', '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--format=gnu', '-cf', tmp, '-C', dir, '.'],
      { timeoutMs: 300_000 },
    );
    await fsp.rename(tmp, out);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  return out;
}
