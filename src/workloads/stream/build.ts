// Compiling isobench's STREAM kernels with gcc -O2 (as the paper compiled STREAM), cached by source and compiler.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { compileCTool } from '../../images/c-tool.ts';
import { paths } from '../../paths.ts';

/** the binary's name: what the stream workload runs and lists in its tools */
export const STREAM_KERNELS_BINARY = 'stream-kernels';

export const streamKernelsSource = path.join(paths.root, 'src', 'workloads', 'stream', 'stream-kernels.c');

/** gcc arguments besides -o and the source; -O2 as the paper's scripts (STREAM/native/run.sh) */
export const STREAM_CFLAGS = ['-O2', '-std=c11', '-Wall'];

/** Compile (or reuse the cached build of) stream-kernels and copy it into destDir; returns the binary's path there. */
export async function buildStreamKernels(destDir: string): Promise<string> {
  const cached = await compileCTool({ name: STREAM_KERNELS_BINARY, source: streamKernelsSource, cflags: STREAM_CFLAGS, libs: ['-lm'] });
  await fsp.mkdir(destDir, { recursive: true });
  const dest = path.join(destDir, STREAM_KERNELS_BINARY);
  const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
  await fsp.copyFile(cached, tmp);
  await fsp.chmod(tmp, 0o755);
  await fsp.rename(tmp, dest);
  return dest;
}
