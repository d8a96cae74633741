// What analyze and reproduce print on the console after the analysis: each claim's verdict (with the n an undecided one
// would need), where the run's time went, and how a budget was spent.
import { formatDuration } from '../run/duration.ts';
import type { Analysis, TimeRow } from '../types.ts';

/** the analysis keeps seconds */
const seconds = (s: number) => formatDuration(s * 1000);

export function summaryLines(a: Analysis): string[] {
  const lines: string[] = [];
  if (a.claims) {
    lines.push('claims:');
    for (const v of a.claims.verdicts) {
      if (v.verdict === 'caveat' || v.verdict === 'not run') continue;
      const need = v.neededPerSide !== undefined ? ` (${v.verdict === 'partly tested' ? 'its tested part ' : ''}would need about ${v.neededPerSide} instances per side)` : '';
      const at = !v.decidedAt ? '' : v.verdict === v.decidedAt.state ? ` (decided at look ${v.decidedAt.look})` : ` (${v.decidedAt.state} at look ${v.decidedAt.look}; every instance of the run says ${v.verdict})`;
      lines.push(`  ${v.id.padEnd(20)} ${v.verdict}${at}${need}`);
    }
    const notRun = a.claims.verdicts.filter((v) => v.verdict === 'not run').map((v) => v.id);
    if (notRun.length > 0) lines.push(`  not run here: ${notRun.join(', ')}`);
  }
  if (a.time) {
    const t = a.time;
    lines.push(`time: ${seconds(t.wallS)} in all, ${seconds(t.instancesS)} in instances, ${seconds(t.waitingS)} waiting (detection, provisioning, image builds, looks)`);
    lines.push(...table('platform', t.byPlatform), ...table('workload', t.byWorkload));
  }
  if (a.budget) {
    const b = a.budget;
    lines.push(`budget ${seconds(b.budgetS)}: ${b.firstStage} first-stage instances, ${b.given} given to undecided claims${b.byClaim.length ? ` (${b.byClaim.map((c) => `${c.claim} ${c.instances}`).join(', ')})` : ''}; ${b.looks} look(s) at the claims`);
    for (const n of b.notGiven) lines.push(`  ${n.instances} planned instance(s) ${n.why}`);
  }
  return lines;
}

function table(what: string, rows: TimeRow[]): string[] {
  const w = Math.max(what.length, ...rows.map((r) => r.key.length));
  return [
    `  ${what.padEnd(w)}  instances    start  measured     stop`,
    ...rows.map((r) => `  ${r.key.padEnd(w)}  ${String(r.instances).padStart(9)}  ${seconds(r.startS).padStart(7)}  ${seconds(r.measuredS).padStart(8)}  ${seconds(r.stopS).padStart(7)}`),
  ];
}
