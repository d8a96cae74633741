// Compiling isobench's STREAM kernels with gcc -O2 (as the paper compiled STREAM), cached by source and compiler.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../../log.ts';
import { paths } from '../../paths.ts';
import { runOk } from '../../proc.ts';

/** the binary's name: what the stream workload runs and lists in its tools */
export const STREAM_KERNELS_BINARY = 'stream-kernels';

export const streamKernelsSource = path.join(paths.root, 'src', 'workloads', 'stream', 'stream-kernels.c');

/** gcc arguments besides -o and the source; -O2 as the paper's scripts (STREAM/native/run.sh) */
export const STREAM_CFLAGS = ['-O2', '-std=c11', '-Wall'];

/** Compile (or reuse the cached build of) stream-kernels and copy it into destDir; returns the binary's path there. */
export async function buildStreamKernels(destDir: string): Promise<string> {
  const gcc = await runOk(['gcc', '-dumpfullversion'], { timeoutMs: 10_000 }).catch((e: Error) => {
    throw new Error(`stream-kernels: cannot run gcc (apt-get install gcc libc6-dev): ${e.message}`);
  });
  const source = readFileSync(streamKernelsSource);
  const hash = createHash('sha256')
    .update(source)
    .update(`\0${STREAM_CFLAGS.join(' ')}\0gcc ${gcc.stdout.trim()}\0${process.arch}`)
    .digest('hex')
    .slice(0, 16);
  const cacheDir = path.join(paths.cache(), STREAM_KERNELS_BINARY, hash);
  const cached = path.join(cacheDir, STREAM_KERNELS_BINARY);
  if (!existsSync(cached)) {
    await fsp.mkdir(cacheDir, { recursive: true });
    const tmp = `${cached}.tmp-${randomBytes(4).toString('hex')}`; // renamed in, so a crash never leaves half a binary
    await runOk(['gcc', ...STREAM_CFLAGS, '-o', tmp, streamKernelsSource, '-lm'], { timeoutMs: 120_000 });
    await fsp.rename(tmp, cached);
    log.debug(`stream-kernels ${hash}: compiled with gcc ${gcc.stdout.trim()} ${STREAM_CFLAGS.join(' ')}`);
  }
  await fsp.mkdir(destDir, { recursive: true });
  const dest = path.join(destDir, STREAM_KERNELS_BINARY);
  const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
  await fsp.copyFile(cached, tmp);
  await fsp.chmod(tmp, 0o755);
  await fsp.rename(tmp, dest);
  return dest;
}
