#!/usr/bin/env node
// OSv images built with OSv's own scripts, pinned to one commit: the benchmark binaries come from this host through
// manifest_from_host.sh (which puts an executable at /<name>). Two builds, because their VMMs differ:
//   <data>/cache/osv/              usr.img + loader-stripped.elf, all drivers (osv-qemu, as the paper ran it)
//   <data>/cache/osv/firecracker/  usr.raw + loader-stripped.elf with drivers_profile=virtio-mmio: no ACPI, so OSv powers
//                                  off with the i8042 reset Firecracker exits on (with ACPI it asks for S5, and
//                                  Firecracker's DSDT has no _S5_ object)
// Takes 20-40 min and needs root for OSv's scripts/setup.py. Run: isobench setup --provision osv
import { $, fs, path } from 'zx';
import { dataDir, downloads, main, releaseBase, say } from './lib.mjs';

const COMMIT = '0e34e4dc2b278b7f64e4169abbf297b7de46fb6b'; // cloudius-systems/osv master, 2026-08-17: the version isobench was checked against
const UPSTREAM = 'https://github.com/cloudius-systems';
const TOOLS = (process.env.ISOBENCH_OSV_TOOLS ?? 'sysbench fio iperf3').split(/\s+/).filter(Boolean);
const JOBS = `-j${(await import('node:os')).cpus().length}`;

await main('osv', async () => {
  const out = path.join(dataDir, 'cache', 'osv');
  const stamp = path.join(out, 'osv-build.txt');
  const want = `OSv ${COMMIT} with ${TOOLS.join(' ')}`;
  if ((await fs.pathExists(stamp)) && (await fs.readFile(stamp, 'utf8')).startsWith(want)) {
    say('osv', `${out} already holds ${want}: nothing to do`);
    return;
  }
  const src = path.join(downloads, 'osv');
  if (!(await fs.pathExists(path.join(src, '.git')))) await $`git clone ${`${releaseBase(UPSTREAM)}/osv.git`} ${src}`;
  await $({ cwd: src })`git fetch --quiet origin`;
  await $({ cwd: src })`git -c advice.detachedHead=false checkout ${COMMIT}`;
  const head = (await $({ cwd: src })`git rev-parse HEAD`).stdout.trim();
  if (head !== COMMIT) throw new Error(`osv: checked out ${head}, not the pinned ${COMMIT}: refusing`);
  await $({ cwd: src })`git submodule update --init --recursive`;
  await $({ cwd: src })`./scripts/setup.py`; // OSv's build dependencies, with the distribution's package manager

  // a first build makes build/last; then one manifest line group per binary, appended (-w would truncate the file)
  await $({ cwd: src })`./scripts/build ${JOBS} fs=rofs image=empty`;
  const manifest = path.join(src, 'build', 'last', 'append.manifest');
  await fs.writeFile(manifest, '');
  for (const tool of TOOLS) {
    const lines = await $({ cwd: src })`./scripts/manifest_from_host.sh ${tool}`;
    await fs.appendFile(manifest, lines.stdout);
  }
  const last = path.join(src, 'build', 'last');

  await $({ cwd: src })`./scripts/build ${JOBS} fs=rofs --append-manifest`;
  await fs.mkdir(out, { recursive: true });
  for (const f of ['usr.img', 'loader-stripped.elf']) await fs.copyFile(path.join(last, f), path.join(out, f));

  await $({ cwd: src })`./scripts/build ${JOBS} fs=rofs --append-manifest drivers_profile=virtio-mmio`;
  const fc = path.join(out, 'firecracker');
  await fs.mkdir(fc, { recursive: true });
  await fs.copyFile(path.join(last, 'loader-stripped.elf'), path.join(fc, 'loader-stripped.elf'));
  await $`qemu-img convert -O raw ${path.join(last, 'usr.img')} ${path.join(fc, 'usr.raw')}`; // as OSv's scripts/firecracker.py does

  await fs.copyFile(manifest, path.join(out, 'append.manifest'));
  await fs.writeFile(stamp, `${want}\nbuilt ${new Date().toISOString()}: scripts/build fs=rofs --append-manifest (and drivers_profile=virtio-mmio for firecracker/)\n`);
  await fs.copyFile(stamp, path.join(fc, 'osv-build.txt'));
  say('osv', `images in ${out} and ${fc}`);
});
