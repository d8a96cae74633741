// The claims as a budgeted run's planner sees them (src/run/budget.ts): Holm-adjusted p-values, and each testable comparison
// with its nearest bound, its p and the cells on its sides (the planner keeps those its level has not decided).
import type { ClaimStatus, OpenComparison } from '../run/budget.ts';
import { contrastTerms, nearestBound } from './evaluate.ts';
import { stableStringify } from '../stats/stable-json.ts';
import type { Analysis, ClaimComparison, ClaimEvaluation, MetricSummary } from '../types.ts';

/** an untestable comparison's side with fewer values than this gets instances before any interval is narrowed */
export const THIN_BELOW = 5;

export function claimStatuses(evaluation: ClaimEvaluation, analysis: Analysis): ClaimStatus[] {
  const out: ClaimStatus[] = [];
  for (const v of evaluation.verdicts) {
    if (v.verdict === 'caveat' || v.verdict === 'not run') continue;
    const open = v.comparisons.filter((c) => c.holds !== 'untestable').map((c) => openComparison(c, analysis)).filter((c): c is OpenComparison => c !== null);
    // an untestable comparison (a side with fewer than 2 values, or so few that its mean's interval reaches 0: start-up keeps
    // a platform's first start apart) has no interval at all; its thinner side gets instances, up to THIN_BELOW values
    const thin = new Set<string>();
    for (const c of v.comparisons.filter((x) => x.holds === 'untestable' && !x.contrast)) {
      const sides = [
        { n: c.platformStats.n, s: summaryOf(analysis, c, c.platform, c.platformOptions) },
        { n: c.referenceStats.n, s: summaryOf(analysis, c, c.reference) },
      ].filter((x) => x.s && x.n < THIN_BELOW);
      const fewest = Math.min(...sides.map((x) => x.n));
      for (const x of sides) if (x.n === fewest) thin.add(x.s!.cell);
    }
    out.push({ id: v.id, p: v.p ? { support: v.p.supportHolm, refute: v.p.refuteHolm } : null, open, thin: [...thin].sort(), verdict: v.verdict });
  }
  return out;
}


function openComparison(c: ClaimComparison, analysis: Analysis): OpenComparison | null {
  const bound = nearestBound(c);
  if (bound === null) return null;
  // how far from decided: the smaller of its p-values (not Holm-adjusted; the planner compares it with its level)
  const p = Math.min(c.pSupport, c.pRefute);
  const label = `${c.platform} / ${c.reference} on ${c.workload}${c.job === 'default' ? '' : `/${c.job}`} ${c.metric}`;
  if (c.contrast) {
    return { label, bound, p, terms: contrastTerms(c.contrast) };
  }
  const a = summaryOf(analysis, c, c.platform, c.platformOptions);
  const b = summaryOf(analysis, c, c.reference);
  if (!a || !b) return null;
  const side = (s: MetricSummary, st: ClaimComparison['platformStats']) => ({ cell: s.cell, mean: st.mean, sd: st.sd, n: st.n, resolution: st.resolution ?? null });
  return { label, bound, p, terms: [{ side: side(a, c.platformStats), sign: 1 }, { side: side(b, c.referenceStats), sign: -1 }] };
}

/** the summary a comparison's side came from: same platform, measure and parameters (and options, when the comparison names them) */
function summaryOf(analysis: Analysis, c: ClaimComparison, platform: string, options?: Record<string, unknown>): MetricSummary | undefined {
  const params = stableStringify(c.params ?? {}, 0);
  return analysis.summaries.find((s) => s.platform === platform && s.workload === c.workload && s.job === c.job && s.metric === c.metric
    && stableStringify(s.params ?? {}, 0) === params && (!options || stableStringify(s.platformOptions ?? {}, 0) === stableStringify(options, 0)));
}
