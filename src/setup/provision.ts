// Tools Debian does not package, installed by the zx scripts in scripts/provision/ (one per tool, readable and editable).
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { run } from '../proc.ts';

/** Each tool's script and what it provides, in the order `--provision all` runs them. */
export const PROVISION_TOOLS: { tool: string; provides: string; platforms: string[] }[] = [
  { tool: 'guest-kernel', provides: 'the Linux guest kernel of firecracker and cloud-hypervisor (Debian cloud kernel)', platforms: [] },
  { tool: 'firecracker', provides: 'firecracker, osv-firecracker', platforms: ['firecracker', 'osv-firecracker'] },
  { tool: 'cloud-hypervisor', provides: 'cloud-hypervisor', platforms: ['cloud-hypervisor'] },
  { tool: 'kata', provides: 'kata-9p, kata-virtiofs', platforms: ['kata-9p', 'kata-virtiofs'] },
  { tool: 'gvisor', provides: 'gvisor-systrap and gVisor netstack (upstream runsc)', platforms: ['gvisor-systrap'] },
  { tool: 'osv', provides: 'osv-qemu, osv-firecracker (images)', platforms: ['osv-qemu', 'osv-firecracker'] },
];

/** The provisioning commands that bring a platform's missing pieces, e.g. ['isobench setup --provision osv', …]. */
export function provisionCommandsFor(platformId: string): string[] {
  return PROVISION_TOOLS.filter((t) => t.platforms.includes(platformId)).map((t) => provisionCommand(t.tool));
}

export const provisionScript = (tool: string) => path.join(paths.root, 'scripts', 'provision', `${tool}.mjs`);

/** The command doctor names for a tool. */
export const provisionCommand = (tool: string) => `isobench setup --provision ${tool}`;

/** 'all' or a comma-separated list, checked against the known tools; throws naming the known ones. */
export function parseProvisionList(value: string): string[] {
  const known = PROVISION_TOOLS.map((t) => t.tool);
  if (value === 'all') return known;
  const tools = value.split(',').map((t) => t.trim()).filter(Boolean);
  const unknown = tools.filter((t) => !known.includes(t));
  if (unknown.length || tools.length === 0) throw new Error(`--provision: unknown tool '${unknown.join("', '")}' (known: ${known.join(', ')}, or all)`);
  return tools;
}

/** Run each tool's script (output shown as it comes); one failing does not stop the others. Returns the failed tools. */
export async function provision(tools: string[], env: Record<string, string | undefined> = {}): Promise<string[]> {
  const failed: string[] = [];
  for (const tool of tools) {
    log.step(`provisioning ${tool} (scripts/provision/${tool}.mjs)`);
    const r = await run([process.execPath, provisionScript(tool)], { inheritOutput: true, env, timeoutMs: 3 * 3600_000 });
    if (r.code !== 0) {
      failed.push(tool);
      log.warn(`${tool}: scripts/provision/${tool}.mjs ${r.timedOut ? 'timed out' : `failed (exit ${r.code ?? r.signal})`}; see its last lines above`);
    }
  }
  if (failed.length) log.warn(`not provisioned: ${failed.join(', ')}`);
  return failed;
}
