// What each platform's start-up clock measures (Platform.startupClock), as report notes and as docs/STARTUP.md's list.
import { platformById, platforms } from '../platforms/index.ts';
import type { MetricSummary } from '../types.ts';

/** One note per platform of the start-up figure: where its clock starts and stops, and what the instance was. */
export function startupClockNotes(platformIds: string[], label: (id: string) => string): string[] {
  return platformIds.flatMap((id) => {
    const c = platformById(id)?.startupClock;
    if (!c) return [];
    return [`${label(id)}: the clock starts at ${c.starts}; first_output_ms stops at ${c.firstOutput}; exit_ms at ${c.exit}. The instance: ${c.instance}.`];
  });
}

const ms = (v: number) => `${v.toFixed(v < 100 ? 1 : 0)} ms`;

/** The tail and the first start of each start-up summary, which the interval of instance means does not show. */
export function startupDistributionNotes(summaries: MetricSummary[], label: (id: string) => string): string[] {
  return summaries.flatMap((s) => {
    const parts: string[] = [];
    if (s.percentiles) parts.push(`P50 ${ms(s.percentiles.p50)}, P90 ${ms(s.percentiles.p90)}, P99 ${ms(s.percentiles.p99)} of ${s.percentiles.values} warm values`);
    if (s.firstStarts?.length) parts.push(`first start of the session (kept out of the statistics): ${s.firstStarts.map((f) => ms(f.value)).join(', ')}`);
    return parts.length ? [`${label(s.platform)}, ${s.metric}: ${parts.join('; ')}.`] : [];
  });
}

/** docs/STARTUP.md's per-platform list, generated from the declarations (a unit test keeps the document equal to it). */
export function startupClocksMarkdown(): string {
  return platforms.filter((p) => p.oneShot && p.startupClock).map((p) => {
    const c = p.startupClock!;
    return [`### \`${p.id}\``, '', `- **starts:** ${c.starts}`, `- **first_output_ms stops:** ${c.firstOutput}`, `- **exit_ms stops:** ${c.exit}`, `- **instance:** ${c.instance}`, ''].join('\n');
  }).join('\n');
}
