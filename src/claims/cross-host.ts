// A merged run's claims host by host: each host's verdict from its own summaries (ratios to its own native, Holm within
// the host), whether the hosts agree, and for a ratio seen on three or more hosts its between-host spread.
import { stableStringify } from '../stats/stable-json.ts';
import type { Analysis, BetweenHostRatio, ClaimComparison, ClaimVerdict, CrossHostClaim, CrossHostView, Environment, HostAgreement } from '../types.ts';
import { betweenHosts, RANDOM_EFFECTS_METHOD } from './between-hosts.ts';
import { evaluateClaims } from './evaluate.ts';
import type { LoadedClaims } from './load.ts';
import { logContrast, untestable } from '../stats/ratio.ts';

/** The analysis of one host of a merged run, as if that host's run had been analysed alone. */
function hostAnalysis(analysis: Analysis, host: string, hostEnv: Environment): Analysis {
  return {
    ...analysis,
    summaries: analysis.summaries.filter((s) => s.host === host),
    failures: analysis.failures.filter((f) => f.host === host),
    notRun: hostEnv.platforms.filter((p) => p.requested && !p.available).map((p) => ({ platform: p.id, reason: p.reason ?? 'not available (no reason recorded)' })),
  };
}

export function agreementOf(verdicts: { verdict: ClaimVerdict['verdict'] }[]): HostAgreement {
  if (verdicts.some((v) => v.verdict === 'caveat')) return 'caveat';
  const tested = verdicts.filter((v) => v.verdict !== 'not run');
  if (tested.length === 0) return 'not run';
  if (tested.length === 1) return 'one host';
  if (tested.every((v) => v.verdict === tested[0].verdict)) return 'agree';
  // only a decided verdict against its opposite is a contradiction; an inconclusive or partly tested host just says less
  const kinds = new Set(tested.map((v) => v.verdict));
  return kinds.has('reproduced') && kinds.has('not reproduced') ? 'disagree' : 'mixed';
}

const comparisonKey = (c: ClaimComparison) => stableStringify([c.condition, c.platform, c.reference, c.workload, c.job, c.metric, c.params ?? {}], 0);

/** the claim's ratios that three or more hosts measured, each with its random-effects spread */
function spreadOf(perHost: { host: string; verdict: ClaimVerdict }[]): BetweenHostRatio[] {
  const byKey = new Map<string, { first: ClaimComparison; rows: { host: string; c: ClaimComparison }[] }>();
  for (const { host, verdict } of perHost) {
    for (const c of verdict.comparisons) {
      // a cause's ratio of ratios is not a ratio of these two sides: left out of the spread
      if (c.contrast || untestable(c.platformStats, c.referenceStats)) continue;
      const key = comparisonKey(c);
      if (!byKey.has(key)) byKey.set(key, { first: c, rows: [] });
      byKey.get(key)!.rows.push({ host, c });
    }
  }
  const out: BetweenHostRatio[] = [];
  for (const { first, rows } of byKey.values()) {
    const re = betweenHosts(rows.map(({ host, c }) => ({ host, ...logContrast([{ side: c.platformStats, sign: 1 }, { side: c.referenceStats, sign: -1 }]) })));
    if (!re) continue;
    out.push({
      platform: first.platform, reference: first.reference, workload: first.workload, job: first.job, metric: first.metric,
      ...(first.params ? { params: first.params } : {}),
      perHost: rows.map(({ host, c }) => ({ host, ratio: c.platformStats.mean / c.referenceStats.mean })),
      hosts: re.hosts, ratio: re.ratio, ci: re.ci, tau: re.tau, spreadFactor: re.spreadFactor, i2: re.i2, prediction: re.prediction,
    });
  }
  return out;
}

/** null for a run of one host that no merge made */
export function crossHostView(analysis: Analysis, env: Environment, claims: LoadedClaims): CrossHostView | null {
  if (!env.merged) return null;
  const hosts = env.merged.hosts.map((h) => h.host);
  const evaluations = env.merged.hosts.map((h) => ({ host: h.host, evaluation: evaluateClaims(hostAnalysis(analysis, h.host, h.environment), h.environment, claims) }));
  const rows: CrossHostClaim[] = claims.claims.map((claim, i) => {
    const perHost = evaluations.map((e) => ({ host: e.host, verdict: e.evaluation.verdicts[i] }));
    return {
      id: claim.id,
      claim: claim.claim,
      area: claim.area,
      verdicts: perHost.map(({ host, verdict }) => ({ host, verdict: verdict.verdict, reason: verdict.reason })),
      agreement: agreementOf(perHost.map((p) => p.verdict)),
      spread: spreadOf(perHost),
    };
  });
  return {
    hosts,
    missing: env.merged.missing ?? [],
    method: {
      verdicts: "each host's verdict from its own summaries only (ratios to that host's own native), with Holm's correction over the claims tested on that host",
      spread: RANDOM_EFFECTS_METHOD,
    },
    claims: rows,
  };
}
