// What did not run, in one table with the reasons (platforms, areas, claims), the notes left out in one line, and the failures.
import type { AreaDef } from '../areas.ts';
import type { CalloutView } from '../callouts.ts';
import { jobTitle, unique, type ReportContext } from '../context.ts';
import { byCodeUnit, readableParams } from '../format.ts';
import { nothingToCompareWords } from '../../claims/words.ts';
import type { ClaimVerdict } from '../../types.ts';
import type { FailureRow, NotRunRow, ReportView } from '../view-types.ts';
import { ranges } from './appendix.ts';

const NO_REASON = 'no value was recorded and no reason was given';
const EVERY_FAILED = 'ran, but no instance gave a value (see the failures below)';

/**
 * A claim's row: its platforms that have a row of their own here are named, not given their reason again (the verdict's
 * reason repeats each one cut short: claims/evaluate.ts absenceReason); what the others lacked is said in full.
 */
function notRunClaimReason(v: ClaimVerdict | undefined, reason: string, rowed: Set<string>): string {
  if (!v || v.missing.platforms.length === 0) return reason;
  const above = v.missing.platforms.filter((m) => rowed.has(m.platform)).map((m) => m.platform);
  const byReason = new Map<string, string[]>();
  for (const m of v.missing.platforms.filter((x) => !rowed.has(x.platform))) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), m.platform]);
  return nothingToCompareWords(v.subject?.platforms, [
    ...(above.length ? [{ platforms: above, why: `gave no value here (${above.length > 1 ? 'their rows above say' : 'its row above says'} why)` }] : []),
    ...[...byReason].map(([why, platforms]) => ({ platforms, why: readableParams(why) })),
  ]);
}

export function buildNotRun(ctx: ReportContext, unmeasured: AreaDef[], notShown: CalloutView[]): ReportView['notRun'] {
  const { analysis, plan } = ctx.inputs;
  const section = ctx.number.section('not-run', 'What was not run, and why');
  const rows: NotRunRow[] = [];
  // platforms that did not run for the same reason share a row (Kata's two shared filesystems, say)
  for (const id of ctx.notRunIds) {
    const reason = ctx.notRun.get(id) ?? ctx.records.get(id)?.reason ?? (ctx.inputs.analysis.failures.some((f) => f.platform === id) ? EVERY_FAILED : NO_REASON);
    const same = rows.find((r) => r.kind === 'platform' && r.reason === reason);
    if (same) same.what += `, ${id}`;
    else rows.push({ what: id, kind: 'platform', anchor: '', reason });
  }
  for (const a of unmeasured) {
    const planned = a.workloads.filter((w) => plan.cells.some((c) => c.workload === w));
    rows.push({
      what: a.title,
      kind: 'area',
      anchor: '',
      reason: planned.length
        ? `${planned.join(', ')} planned, but no instance gave a value (see the failures below)`
        : a.workloads.length ? `not in this experiment (${a.workloads.join(', ')})` : 'no workload of this area exists in isobench yet',
    });
  }
  const verdicts = new Map((analysis.claims?.verdicts ?? []).map((v) => [v.id, v]));
  // a platform with a row gave nothing at all, so a claim's reason for it is that row's; an emulated one's says why it cannot stand in
  const rowed = new Set(ctx.notRunIds.filter((id) => !ctx.records.get(id)?.emulated));
  for (const c of ctx.cards.filter((x) => x.verdict === 'not run')) rows.push({ what: c.id, kind: 'claim', anchor: c.anchor, reason: notRunClaimReason(verdicts.get(c.id), c.reason, rowed) });
  // a caveat of an area that did not run has no area section to stand in
  const unmeasuredIds = new Set<string>(unmeasured.map((a) => a.id));
  for (const c of ctx.cards.filter((x) => x.verdict !== 'not run' && unmeasuredIds.has(x.area))) rows.push({ what: c.id, kind: c.verdict, anchor: c.anchor, reason: `${c.claim} (${c.reason})` });
  const table = rows.length ? ctx.number.table('not-run', 'Platforms, areas and claims of the paper that this run did not measure, and why.') : null;
  const notes = notShown.length
    ? `Architecture notes not shown, because none of their platforms ran here: ${notShown.map((c) => c.title).join('; ')}. Their texts are in data/paper/architecture.yaml; their (empty) evidence is in verdicts.json.`
    : '';

  // One row per platform, status and error: a platform that failed the same way everywhere is one line, not fifty.
  const failureRows: FailureRow[] = [];
  const sorted = [...analysis.failures]
    .sort((a, b) => ctx.order.platform(a.platform) - ctx.order.platform(b.platform) || ctx.order.group(a) - ctx.order.group(b) || a.instance - b.instance || a.iteration - b.iteration);
  const groups = new Map<string, typeof sorted>();
  for (const f of sorted) {
    const key = `${f.platform}\u0000${f.host ?? ''}\u0000${f.status}\u0000${f.error}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const fs of groups.values()) {
    const jobs = unique(fs.map((f) => jobTitle(f.workload, f.job)));
    const instancesOf = (job: string) => ranges(fs.filter((f) => jobTitle(f.workload, f.job) === job).map((f) => f.instance));
    // the instances most workloads share, then the workloads that differ: "0–4 (startup: 0–19)"
    const counts = new Map<string, number>();
    for (const j of jobs) counts.set(instancesOf(j), (counts.get(instancesOf(j)) ?? 0) + 1);
    const common = [...counts].sort((a, b) => b[1] - a[1] || byCodeUnit(a[0], b[0]))[0][0];
    const differ = jobs.filter((j) => instancesOf(j) !== common);
    failureRows.push({
      platform: ctx.names.of(fs[0]),
      workloads: jobs.join(', '),
      instances: `${common}${differ.length ? ` (${differ.map((j) => `${j}: ${instancesOf(j)}`).join('; ')})` : ''}`,
      status: fs[0].status,
      error: fs[0].error,
    });
  }
  const failuresTable = failureRows.length ? ctx.number.table('failures', 'Measurements that failed, timed out or were skipped, grouped by platform and error: the workloads and the instances (numbered from 0) they hit.') : null;
  return { section, table, rows, notes, failures: { table: failuresTable, rows: failureRows } };
}
