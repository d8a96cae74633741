// The kernel modules a guest needs (virtio transports, disk, network, vsock) with their dependencies, read from the modules themselves.
import { promises as fsp, existsSync } from 'node:fs';
import path from 'node:path';

/** What every VM guest loads: both virtio transports (PCI for pc/Cloud Hypervisor, MMIO for microvm/Firecracker), disk, net, vsock. */
export const GUEST_MODULES = ['virtio_pci', 'virtio_mmio', 'virtio_blk', 'virtio_net', 'vmw_vsock_virtio_transport'];

export interface KernelModule {
  name: string;
  /** path of the .ko file */
  file: string;
  depends: string[];
}

/** Module names compare with '-' and '_' equal (as the kernel does). */
export const moduleName = (s: string) => s.replace(/-/g, '_');

/** key=value pairs of an ELF module's .modinfo section (section headers read, not a string scan). */
export function parseModinfo(elf: Buffer, file = 'module'): Record<string, string[]> {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
  if (elf[4] !== 2 || elf[5] !== 1) throw new Error(`${file}: only 64-bit little-endian modules are supported`);
  const shoff = Number(elf.readBigUInt64LE(0x28));
  const shentsize = elf.readUInt16LE(0x3a);
  const shnum = elf.readUInt16LE(0x3c);
  const shstrndx = elf.readUInt16LE(0x3e);
  const section = (i: number) => {
    const at = shoff + i * shentsize;
    return { name: elf.readUInt32LE(at), offset: Number(elf.readBigUInt64LE(at + 0x18)), size: Number(elf.readBigUInt64LE(at + 0x20)) };
  };
  const strtab = section(shstrndx);
  const out: Record<string, string[]> = {};
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const nameEnd = elf.indexOf(0, strtab.offset + s.name);
    if (elf.toString('latin1', strtab.offset + s.name, nameEnd) !== '.modinfo') continue;
    for (const entry of elf.toString('latin1', s.offset, s.offset + s.size).split('\0')) {
      const eq = entry.indexOf('=');
      if (eq <= 0) continue;
      (out[entry.slice(0, eq)] ??= []).push(entry.slice(eq + 1));
    }
    return out;
  }
  throw new Error(`${file}: no .modinfo section (not a kernel module?)`);
}

/** Names of the modules built into the kernel (modules.builtin lists them as paths). */
export function parseModulesBuiltin(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /([^/\s]+)\.ko\s*$/.exec(line.trim());
    if (m) names.add(moduleName(m[1]));
  }
  return names;
}

/** The wanted modules and everything they depend on, dependencies first; built-in ones are left out, unknown ones reported. */
export function moduleClosure(wanted: string[], index: Map<string, KernelModule>, builtin: Set<string>): { order: KernelModule[]; missing: string[] } {
  const order: KernelModule[] = [];
  const missing: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (raw: string, chain: string[]) => {
    const name = moduleName(raw);
    if (builtin.has(name) || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`kernel modules: dependency cycle ${[...chain, name].join(' -> ')}`);
    const m = index.get(name);
    if (!m) { if (!missing.includes(name)) missing.push(name); return; }
    state.set(name, 'visiting');
    for (const d of m.depends) visit(d, [...chain, name]);
    state.set(name, 'done');
    order.push(m);
  };
  for (const w of wanted) visit(w, []);
  return { order, missing };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await fsp.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) out.push(...(await walk(p)));
    else if (/\.ko(\.(xz|zst|gz))?$/.test(d.name)) out.push(p);
  }
  return out;
}

/** The modules a guest kernel needs, in load order; [] when the kernel has everything built in or no modules directory. */
export async function guestModules(modulesDir: string | undefined, wanted = GUEST_MODULES): Promise<KernelModule[]> {
  if (!modulesDir || !existsSync(modulesDir)) return [];
  const builtinFile = path.join(modulesDir, 'modules.builtin');
  const builtin = parseModulesBuiltin(existsSync(builtinFile) ? await fsp.readFile(builtinFile, 'utf8') : '');
  const files = await walk(modulesDir);
  const byName = new Map(files.map((f) => [moduleName(path.basename(f).replace(/\.ko(\..*)?$/, '')), f]));
  // read only the modules reachable from the wanted ones
  const index = new Map<string, KernelModule>();
  const queue = wanted.map(moduleName);
  while (queue.length) {
    const name = queue.shift()!;
    if (index.has(name) || builtin.has(name)) continue;
    const file = byName.get(name);
    if (!file) continue;
    if (!file.endsWith('.ko')) {
      throw new Error(`kernel modules: ${file} is compressed; isobench loads plain .ko files (use a kernel whose modules are uncompressed, or with virtio built in)`);
    }
    const info = parseModinfo(await fsp.readFile(file), file);
    const depends = (info.depends?.[0] ?? '').split(',').filter(Boolean).map(moduleName);
    index.set(name, { name, file, depends });
    queue.push(...depends);
  }
  return moduleClosure(wanted, index, builtin).order;
}
