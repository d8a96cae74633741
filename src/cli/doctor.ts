import { platforms } from '../platforms/index.ts';
import { detectPlatforms } from '../run/scheduler.ts';
import { which } from '../proc.ts';
import { provisionCommandsFor, PROVISION_TOOLS } from '../setup/provision.ts';
import { workloads } from '../workloads/index.ts';
import type { Command } from './command.ts';

export const doctor: Command = {
  name: 'doctor',
  summary: 'Show which isolation platforms and benchmark tools are usable on this host, and why not.',
  usage: 'isobench doctor [--json]',
  help: '  --json               print a JSON array of {id, family, available, version, reason, details, provision}',
  options: { json: { type: 'boolean' } },
  async run(values) {
    const records = await detectPlatforms(platforms.map((p) => p.id));
    if (values.json) {
      const rows = records.map((r) => ({
        id: r.id, family: r.family, available: r.available, version: r.version ?? null, reason: r.reason ?? null,
        ...(r.details ? { details: r.details } : {}), provision: provisionCommandsFor(r.id),
      }));
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    const w = Math.max(...records.map((r) => r.id.length));
    const fw = Math.max(...records.map((r) => r.family.length));
    const lines = ['platforms:'];
    for (const r of records) {
      const what = r.available ? `yes  ${r.version ?? ''}` : `no   ${r.reason ?? ''}`;
      lines.push(`  ${r.id.padEnd(w)}  ${r.family.padEnd(fw)}  ${what}${r.emulated ? '  [software emulation]' : ''}`);
      const provision = provisionCommandsFor(r.id);
      if (!r.available && provision.length) lines.push(`  ${''.padEnd(w)}  ${''.padEnd(fw)}       provided by: ${provision.join(' and ')}`);
    }
    lines.push('', 'not packaged by Debian, installed by zx scripts (scripts/provision/<tool>.mjs, pinned version and checksum):');
    for (const t of PROVISION_TOOLS) lines.push(`  isobench setup --provision ${t.tool.padEnd(17)} ${t.provides}`);
    lines.push('', 'benchmark tools:');
    for (const wl of workloads) {
      const missing = wl.tools.filter((t) => !which(t));
      lines.push(`  ${wl.id.padEnd(w)}  ${missing.length ? `missing ${missing.join(', ')} (apt-get install ${(wl.packages ?? missing).join(' ')})` : 'ok'}`);
    }
    lines.push('', `report: chromium ${which('chromium') ?? which('chromium-browser') ? 'found' : 'missing (apt-get install chromium): no PDF'}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  },
};
