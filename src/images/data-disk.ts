// A VM's data disk: a sparse raw file with an empty ext4 on real host disk (inside the instance's data directory), seen as virtio-blk.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { runOk, which } from '../proc.ts';

export const DATA_DISK_NAME = 'isobench-data.ext4';

/** Create the disk image in dir; inode tables and journal are written now, so no lazy init runs in the guest during a benchmark. */
export async function createDataDisk(dir: string, sizeMiB: number): Promise<string> {
  const mkfs = which('mkfs.ext4');
  if (!mkfs) throw new Error('data disk: mkfs.ext4 not found (apt-get install e2fsprogs)');
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, DATA_DISK_NAME);
  await fsp.rm(file, { force: true });
  const fh = await fsp.open(file, 'w');
  try { await fh.truncate(sizeMiB * 1024 * 1024); } finally { await fh.close(); }
  try {
    await runOk([mkfs, '-F', '-q', '-L', 'isobench-data', '-E', 'lazy_itable_init=0,lazy_journal_init=0,root_owner=0:0', file], { timeoutMs: 300_000 });
  } catch (e) {
    await fsp.rm(file, { force: true });
    throw e;
  }
  return file;
}

export async function removeDataDisk(file: string): Promise<void> {
  await fsp.rm(file, { force: true });
}
