// System packages: install what the experiment needs on Debian/Ubuntu as root; otherwise print the exact command.
import { existsSync } from 'node:fs';
import { log } from '../log.ts';
import { platformById, platforms } from '../platforms/index.ts';
import { run, which } from '../proc.ts';
import type { Experiment } from '../types.ts';
import { workloadById, workloads } from '../workloads/index.ts';

/** Always needed: busybox for the image's shell, tar for images, Chromium for the PDF, pdftotext for checks. */
export const CORE_PACKAGES = ['busybox-static', 'tar', 'chromium', 'fonts-liberation', 'fonts-dejavu-core', 'poppler-utils', 'util-linux'];

/** isobench fleet's controller drives the hosts with Ansible (installed by `isobench fleet` when missing). */
export const FLEET_PACKAGES = [{ pkg: 'ansible', why: 'isobench fleet (drives the hosts over SSH)' }];
/** what the fleet's integration test needs besides: a real SSH server, started on loopback by the test */
const FLEET_TEST_PACKAGES = [{ pkg: 'openssh-server', why: "isobench fleet's test (a real SSH target on loopback)" }];

export function packagesFor(exp: Experiment): { pkg: string; why: string }[] {
  const want = new Map<string, string>();
  for (const p of CORE_PACKAGES) want.set(p, 'isobench itself (image shell, PDF)');
  for (const w of exp.workloads) for (const p of workloadById(w.id)?.packages ?? []) if (!want.has(p)) want.set(p, `workload ${w.id}`);
  for (const e of exp.platforms) for (const p of platformById(e.id)?.packages ?? []) if (!want.has(p)) want.set(p, `platform ${e.id}`);
  return [...want].map(([pkg, why]) => ({ pkg, why }));
}

/** Every package a registered platform or workload declares, plus the core and the fleet's: what a test or CI host installs. */
export function packagesForAll(): { pkg: string; why: string }[] {
  const want = new Map<string, string>();
  for (const p of CORE_PACKAGES) want.set(p, 'isobench itself (image shell, PDF)');
  for (const w of workloads) for (const p of w.packages ?? []) if (!want.has(p)) want.set(p, `workload ${w.id}`);
  for (const e of platforms) for (const p of e.packages ?? []) if (!want.has(p)) want.set(p, `platform ${e.id}`);
  for (const f of [...FLEET_PACKAGES, ...FLEET_TEST_PACKAGES]) if (!want.has(f.pkg)) want.set(f.pkg, f.why);
  return [...want].map(([pkg, why]) => ({ pkg, why }));
}

async function installed(pkg: string): Promise<boolean> {
  const r = await run(['dpkg-query', '-W', '-f=${Status}', pkg], { timeoutMs: 10000 });
  return r.code === 0 && r.stdout.includes('install ok installed');
}

async function available(pkg: string): Promise<boolean> {
  const r = await run(['apt-cache', 'policy', pkg], { timeoutMs: 20000 });
  return r.code === 0 && /Candidate: (?!\(none\))/.test(r.stdout);
}

export interface SetupResult {
  installed: string[];
  missing: string[]; // still missing afterwards
}

/** Installs missing packages when it can; never throws for a package that cannot be had. */
export async function ensureSystemPackages(wanted: { pkg: string; why: string }[], opts: { install: boolean }): Promise<SetupResult> {
  if (!which('dpkg-query') || !existsSync('/etc/debian_version')) {
    log.warn(`not a Debian/Ubuntu host: install these yourself if missing: ${wanted.map((w) => w.pkg).join(' ')}`);
    return { installed: [], missing: [] };
  }
  const missing: { pkg: string; why: string }[] = [];
  for (const w of wanted) if (!(await installed(w.pkg))) missing.push(w);
  if (missing.length === 0) {
    log.info(`system packages: all ${wanted.length} present`);
    return { installed: [], missing: [] };
  }
  const command = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing.map((m) => m.pkg)];
  const isRoot = process.getuid?.() === 0;
  if (!opts.install || !isRoot) {
    log.warn(`missing system packages: ${missing.map((m) => `${m.pkg} (${m.why})`).join(', ')}`);
    log.warn(`install them with: ${isRoot ? '' : 'sudo '}apt-get update && ${command.join(' ')}`);
    log.warn('going on with what is there; what needs them is skipped and the report says so');
    return { installed: [], missing: missing.map((m) => m.pkg) };
  }
  log.step(`installing ${missing.length} system packages`);
  for (const m of missing) log.info(`  ${m.pkg}: for ${m.why}`);
  const update = await run(['apt-get', 'update'], { timeoutMs: 600_000, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  if (update.code !== 0) log.warn(`apt-get update failed: ${update.stderr.trim().split('\n').pop()}`);
  const installable: string[] = [];
  for (const m of missing) {
    if (await available(m.pkg)) installable.push(m.pkg);
    else log.warn(`${m.pkg} is not in this host's package sources; skipping (${m.why})`);
  }
  if (installable.length > 0) {
    const r = await run(['apt-get', 'install', '-y', '--no-install-recommends', ...installable], { timeoutMs: 1_800_000, env: { DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.code !== 0) log.warn(`apt-get install failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const still: string[] = [];
  for (const m of missing) if (!(await installed(m.pkg))) still.push(m.pkg);
  if (still.length > 0) log.warn(`still missing: ${still.join(', ')}; what needs them is skipped`);
  return { installed: missing.map((m) => m.pkg).filter((p) => !still.includes(p)), missing: still };
}
