// Page 1: the answer. One line per claim (observed ratio with interval and n, the band, the verdict, why), then host and what did not run.
import { APPENDICES } from '../appendices.ts';
import { areaTitle } from '../areas.ts';
import { claimLine, verdictCounts, verdictSentence } from '../claims-view.ts';
import type { ReportContext } from '../context.ts';
import { formatMiB } from '../format.ts';
import { hostKind } from '../host-kind.ts';
import type { ReportView } from '../view-types.ts';

export function buildSummary(ctx: ReportContext): ReportView['summary'] {
  const { analysis, environment } = ctx.inputs;
  const claims = analysis.claims;
  const section = ctx.number.section('summary', 'Summary: the paper\'s claims on this host');
  const h = environment.host;
  const unmeasured = ctx.areas.filter((a) => !a.workloads.some((w) => ctx.workloads.includes(w))).map((a) => a.title);
  const notRun = [
    ctx.notRunIds.length ? `platforms ${ctx.notRunIds.join(', ')}` : '',
    unmeasured.length ? `areas ${unmeasured.join(', ')}` : '',
  ].filter(Boolean);
  return {
    section,
    counts: verdictCounts(claims),
    sentence: verdictSentence(claims),
    claims: claims
      ? {
        table: ctx.number.table('claims', `The paper's claims and this run's verdicts. Observed: the ratio that decided the verdict (of a partly tested claim, one of the ratios it rests on; “+n”: its other comparisons) (platform mean / reference mean), its 95 % interval (Welch t on the log ratio) and each side's instances; Needs: the range the claim implies; “partial”: some platforms the claim names did not run. Each claim's card in its area (on paper: appendix ${APPENDICES.claimsInFull.number}) gives the whole reason.`),
        rows: claims.verdicts.map((v) => claimLine(v, areaTitle(v.area))),
      }
      : null,
    noClaims: claims ? '' : verdictSentence(claims),
    host: `${h.cpuModel}, ${h.cores} cores, ${formatMiB(h.memoryMiB)}, ${h.kernel}, ${h.distribution}${hostKind(h.virtualization) ? `, ${hostKind(h.virtualization)!.words}` : ''}; ${ctx.ran.length} platform${ctx.ran.length === 1 ? '' : 's'} measured (${ctx.ran.map((id) => ctx.names.label(id)).join(', ') || 'none'}).`,
    notRun: notRun.length ? `${notRun.join('; ')} (reasons in “What was not run”).` : 'every requested platform and area ran.',
  };
}
