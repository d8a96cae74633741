// The benchmark rootfs (plus isobench's guest files) as a read-only ext4 root disk image, cached by content hash.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, existsSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { runOk, which } from '../proc.ts';
import { overlayHash, type CpioEntry } from './initramfs.ts';

export interface RootDisk {
  file: string;
  hash: string;
  bytes: number;
}

/** A UUID derived from the content hash, so the same content gets the same filesystem UUID and hash seed. */
export function uuidFromHash(hex: string): string {
  const h = createHash('sha256').update(hex).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function du(dir: string): Promise<number> {
  let total = 0;
  for (const d of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) total += await du(p);
    else if (d.isFile()) total += (await fsp.stat(p)).size;
  }
  return total;
}

async function stageOverlay(stage: string, overlay: CpioEntry[]): Promise<void> {
  const dirsFirst = [...overlay].sort((a, b) => a.path.split('/').length - b.path.split('/').length);
  for (const e of dirsFirst) {
    const at = path.join(stage, e.path);
    await fsp.mkdir(path.dirname(at), { recursive: true });
    if (e.kind === 'dir') { await fsp.mkdir(at, { recursive: true }); await fsp.chmod(at, e.mode); continue; }
    await fsp.rm(at, { force: true, recursive: true });
    if (e.kind === 'symlink') await fsp.symlink(e.target, at);
    else {
      await fsp.writeFile(at, 'data' in e ? e.data : await fsp.readFile(e.source));
      await fsp.chmod(at, e.mode);
    }
  }
}

/** rootfs + overlay as an ext4 image sized to fit (mkfs.ext4 -d); built beside the cache and renamed in. */
export async function buildRootDisk(rootfsDir: string, rootfsHash: string, overlay: CpioEntry[]): Promise<RootDisk> {
  const mkfs = which('mkfs.ext4');
  if (!mkfs) throw new Error('root disk: mkfs.ext4 not found (apt-get install e2fsprogs)');
  const hash = createHash('sha256').update(`rootdisk/1\n${rootfsHash}\n${await overlayHash(overlay)}`).digest('hex').slice(0, 16);
  const file = paths.rootDisk(hash);
  if (existsSync(file)) return { file, hash, bytes: (await fsp.stat(file)).size };
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const nonce = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const stage = path.join(path.dirname(file), `.rootdisk-${hash}.stage-${nonce}`);
  const tmp = `${file}.tmp-${nonce}`;
  const t0 = Date.now();
  try {
    await fsp.cp(rootfsDir, stage, { recursive: true, verbatimSymlinks: true });
    await stageOverlay(stage, overlay);
    const sizeMiB = Math.ceil((await du(stage)) * 1.25 / 1048576) + 32;
    const uuid = uuidFromHash(hash);
    await runOk([mkfs, '-F', '-q', '-L', 'isobench-root', '-U', uuid, '-E', `root_owner=0:0,hash_seed=${uuid},lazy_itable_init=0,lazy_journal_init=0`,
      '-d', stage, tmp, `${sizeMiB}M`], { timeoutMs: 300_000 });
    await fsp.rename(tmp, file);
    log.info(`root disk ${hash} (rootfs ${rootfsHash}): ${sizeMiB} MiB in ${Date.now() - t0} ms`);
    return { file, hash, bytes: sizeMiB * 1048576 };
  } finally {
    await fsp.rm(stage, { recursive: true, force: true });
    await fsp.rm(tmp, { force: true });
  }
}
