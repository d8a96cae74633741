// isobench's own C tools, compiled with the host's gcc and cached by source, flags and compiler version.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { runOk } from '../proc.ts';

export interface CTool {
  /** the binary's name (and its cache directory's) */
  name: string;
  source: string;
  /** gcc arguments besides -o, the source and libs */
  cflags: string[];
  /** linker arguments after the source (-lm) */
  libs?: string[];
}

/** Compile (or reuse the cached build of) a tool; returns the cached binary's path. Throws naming the package when gcc is missing. */
export async function compileCTool(tool: CTool): Promise<string> {
  const gcc = await runOk(['gcc', '-dumpfullversion'], { timeoutMs: 10_000 }).catch((e: Error) => {
    throw new Error(`${tool.name}: cannot run gcc (apt-get install gcc libc6-dev): ${e.message}`);
  });
  const libs = tool.libs ?? [];
  const hash = createHash('sha256')
    .update(readFileSync(tool.source))
    .update(`\0${tool.cflags.join(' ')}\0${libs.join(' ')}\0gcc ${gcc.stdout.trim()}\0${process.arch}`)
    .digest('hex')
    .slice(0, 16);
  const cacheDir = path.join(paths.cache(), tool.name, hash);
  const cached = path.join(cacheDir, tool.name);
  if (!existsSync(cached)) {
    await fsp.mkdir(cacheDir, { recursive: true });
    const tmp = `${cached}.tmp-${randomBytes(4).toString('hex')}`; // renamed in, so a crash never leaves half a binary
    await runOk(['gcc', ...tool.cflags, '-o', tmp, tool.source, ...libs], { timeoutMs: 120_000 });
    await fsp.rename(tmp, cached);
    log.debug(`${tool.name} ${hash}: compiled with gcc ${gcc.stdout.trim()} ${tool.cflags.join(' ')}`);
  }
  return cached;
}
