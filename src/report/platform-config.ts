// Each platform's configuration as recorded: detection details (gVisor platform, Kata hypervisor and shared fs, VMM), options, network.
import type { Cell, MetricSummary, PlatformRecord } from '../types.ts';
import { settingsWords } from '../claims/words.ts';
import { byCodeUnit } from './format.ts';
import type { KeyValue } from './view-types.ts';

/** Detection detail keys that platforms record, with the words the report uses; listed first, in this order. */
const DETAIL_LABELS: [string, string][] = [
  ['runtime', 'OCI runtime'],
  ['defaultRuntime', 'Docker default runtime'],
  ['platform', 'gVisor platform'],
  ['gvisorPlatform', 'gVisor platform'],
  ['offered', 'gVisor platforms offered'],
  ['hypervisor', 'hypervisor'],
  ['vmm', 'VMM'],
  ['accelerator', 'accelerator'],
  ['machine', 'machine type'],
  ['kernel', 'guest kernel'],
  ['guestKernel', 'guest kernel'],
  ['sharedFs', 'shared filesystem'],
  ['installedSharedFs', 'installed default shared filesystem'],
  ['daemon', 'Docker daemon'],
  ['docker', 'Docker'],
  ['runtimes', 'Docker runtimes'],
  ['config', 'configuration file'],
  ['cgroupKeys', 'cgroup keys'],
  ['hostFix', 'host fix'],
];

export function platformConfiguration(record: PlatformRecord | undefined, cells: Cell[], summaries: MetricSummary[]): KeyValue[] {
  const out: KeyValue[] = [];
  const details = record?.details ?? {};
  const labelled = new Set<string>();
  for (const [key, label] of DETAIL_LABELS) {
    if (details[key] === undefined || out.some((kv) => kv.key === label && kv.value === details[key])) continue;
    out.push({ key: label, value: details[key] });
    labelled.add(key);
  }
  for (const key of Object.keys(details).sort(byCodeUnit)) {
    if (!labelled.has(key) && key !== 'note') out.push({ key, value: details[key] });
  }
  const options = [...new Set(cells.map((c) => formatOptions(c.platformOptions)).filter((o) => o !== ''))];
  if (options.length) out.push({ key: 'options', value: options.join('; ') });
  const networks = [...new Set(summaries.map((s) => s.network).filter((n): n is NonNullable<typeof n> => Boolean(n)))].sort(byCodeUnit);
  if (networks.length) out.push({ key: 'network mode', value: networks.join(', ') });
  if (record?.emulated || summaries.some((s) => s.emulated)) out.push({ key: 'execution', value: 'software emulation (no hardware virtualization)' });
  if (details.note) out.push({ key: 'note', value: details.note });
  return out;
}

function formatOptions(options: Record<string, unknown> | undefined): string {
  return options ? settingsWords(options) : '';
}
