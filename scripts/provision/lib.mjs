// What every provisioning script shares: where things go, download, checksum, install. Read a tool's script first.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { $, fs, path } from 'zx';

$.verbose = true; // print every command before it runs, like `set -x` in the paper's scripts

/** the repository root (scripts/provision/..) */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where binaries go: $ISOBENCH_PROVISION_PREFIX/bin, default /usr/local/bin (on PATH, where doctor looks). */
export const prefix = process.env.ISOBENCH_PROVISION_PREFIX ?? '/usr/local';
/** Where tarballs that install under / (Kata's /opt/kata) are unpacked: $ISOBENCH_PROVISION_ROOT, default /. */
export const systemRoot = process.env.ISOBENCH_PROVISION_ROOT ?? '/';
/** isobench's data directory (ISOBENCH_DATA, as src/paths.ts): downloads are kept in its cache/provision. */
export const dataDir = process.env.ISOBENCH_DATA ?? path.join(repoRoot, 'data');
export const downloads = path.join(dataDir, 'cache', 'provision');

export function say(tool, message) {
  console.log(`provision ${tool}: ${message}`);
}

/** The release server, or $ISOBENCH_PROVISION_BASE_URL (a mirror, or the tests' loopback server). */
export function releaseBase(upstream) {
  return (process.env.ISOBENCH_PROVISION_BASE_URL ?? upstream).replace(/\/+$/, '');
}

/**
 * The pinned checksum, or the user's ($ENV_VAR) when the script has none: without either it refuses, because a version
 * pin alone trusts whoever can rewrite a release asset.
 */
export function pinnedChecksum(tool, envVar, pinned, howToGet) {
  const value = process.env[envVar] ?? pinned;
  if (!value) {
    throw new Error(`${tool}: no checksum is pinned for this release and ${envVar} is not set. ${howToGet} Then run again with ${envVar}=<hex digest>.`);
  }
  if (!/^[0-9a-f]{64}([0-9a-f]{64})?$/.test(value)) throw new Error(`${tool}: ${envVar}: '${value}' is not a sha256 or sha512 hex digest`);
  return value;
}

export async function digestOf(file, algorithm) {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

/** Refuses a file whose digest differs from the pin (sha256 or sha512, by its length), and removes it. */
export async function verify(tool, file, expected) {
  const algorithm = expected.length === 128 ? 'sha512' : 'sha256';
  const actual = await digestOf(file, algorithm);
  if (actual !== expected) {
    await fs.rm(file, { force: true });
    throw new Error(`${tool}: ${path.basename(file)} has ${algorithm} ${actual}, but ${expected} is pinned: refusing it (the file was removed; a truncated or altered download, or a wrong pin)`);
  }
  say(tool, `${path.basename(file)}: ${algorithm} ${actual} matches the pin`);
}

/** Download url to dir/name unless a file that passes `expected` is already there; a short body is an error. */
export async function download(tool, url, name, expected) {
  await fs.mkdir(downloads, { recursive: true });
  const file = path.join(downloads, name);
  if (await fs.pathExists(file)) {
    try {
      await verify(tool, file, expected);
      say(tool, `using the earlier download ${file}`);
      return file;
    } catch {
      say(tool, `the earlier download ${file} does not match; downloading again`);
    }
  }
  say(tool, `downloading ${url}`);
  const response = await fetch(url, { redirect: 'follow' });
  if (!response.ok || !response.body) throw new Error(`${tool}: GET ${url}: HTTP ${response.status} ${response.statusText}`);
  const announced = Number(response.headers.get('content-length') ?? NaN);
  const part = `${file}.part`;
  let received = 0;
  try {
    const out = createWriteStream(part);
    for await (const chunk of response.body) {
      received += chunk.length;
      if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
    }
    await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
  } catch (e) {
    await fs.rm(part, { force: true });
    throw new Error(`${tool}: GET ${url}: the download broke off after ${received} bytes (${e.cause?.message ?? e.message})`);
  }
  if (Number.isFinite(announced) && received !== announced) {
    await fs.rm(part, { force: true });
    throw new Error(`${tool}: GET ${url}: got ${received} of ${announced} bytes (truncated download)`);
  }
  await fs.rename(part, file);
  await verify(tool, file, expected);
  return file;
}

/** Copy a binary to prefix/bin/name (mode 755), through a temporary name so a running copy is never half-written. */
export async function installBinary(tool, source, name) {
  const dest = path.join(prefix, 'bin', name);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.copyFile(source, `${dest}.new`);
  await fs.chmod(`${dest}.new`, 0o755);
  await fs.rename(`${dest}.new`, dest);
  say(tool, `installed ${dest}`);
  return dest;
}

/** The first line a binary prints for argv (e.g. --version), or '' when it is missing or fails. */
export async function versionLine(binary, argv = ['--version']) {
  if (!(await fs.pathExists(binary))) return '';
  const r = await $({ nothrow: true, quiet: true })`${binary} ${argv}`;
  return `${r.stdout}\n${r.stderr}`.split('\n').find((l) => l.trim()) ?? '';
}

/** Run a provisioning step as the script's main: errors end it with one line and exit 1. */
export async function main(tool, body) {
  try {
    await body();
  } catch (e) {
    console.error(`provision ${tool}: ${e.message.replace(`${tool}: `, '')}`);
    process.exit(1);
  }
}
