// The paper's claims beside this run's verdicts: cards for the area sections, the abstract's counts, claims.csv.
import type { ClaimComparison, ClaimEvaluation, ClaimVerdict, ClaimVerdictKind, ClauseOutcome } from '../types.ts';
import { formatEstimate, formatNumber, readableParams, shorten } from './format.ts';

export interface ClaimEvidenceRow {
  condition: string;
  pair: string;
  measure: string;
  ratio: string;
  interval: string;
  bounds: string;
  holds: string;
}

export interface ClaimCard {
  id: string;
  anchor: string;
  claim: string;
  area: string;
  provenanceKind: string;
  provenance: string;
  verdict: ClaimVerdictKind;
  /** CSS class: reproduced, partly-tested, not-reproduced, inconclusive, not-run, caveat */
  verdictClass: string;
  reason: string;
  partial: boolean;
  test: string;
  note: string;
  /** the paper's absolute numbers: shown, never compared */
  paperValues: string[];
  evidence: ClaimEvidenceRow[];
  /** platforms and measures the claim names that gave nothing here, grouped by reason */
  missing: string[];
  /** a 'not run' verdict's reason already says all of it */
  showMissing: boolean;
  p: string;
  /** a claim of several clauses: each one's outcome */
  clauses: { clause: string; outcome: string; outcomeClass: string; reason: string }[];
}

/** One line of page 1: the claim, what was observed, the band it needs, the verdict, and why when not reproduced. */
export interface ClaimLine {
  id: string;
  anchor: string;
  claim: string;
  area: string;
  areaAnchor: string;
  /** "gvisor-ptrace / native, latency-rr tcp p90_us: 1.61 [1.57, 1.64], n = 3, 3" or '' */
  observed: string;
  /** "0.95–1.05", "≥ 2.5", or '' */
  band: string;
  verdict: ClaimVerdictKind;
  verdictClass: string;
  /** why, for every verdict but reproduced */
  reason: string;
  partial: boolean;
}

export interface VerdictCount { verdict: ClaimVerdictKind; verdictClass: string; count: number }

export const VERDICT_ORDER: ClaimVerdictKind[] = ['reproduced', 'partly tested', 'not reproduced', 'inconclusive', 'not run', 'caveat'];

/** a clause's outcome drawn in the colour of the verdict it would give on its own */
const CLAUSE_CLASS: Record<ClauseOutcome['outcome'], string> = { held: 'reproduced', 'did not hold': 'not-reproduced', inconclusive: 'inconclusive', 'not run': 'not-run' };

export const verdictClass = (v: ClaimVerdictKind): string => v.replace(/ /g, '-');

export function claimCard(v: ClaimVerdict, alpha: number): ClaimCard {
  return {
    id: v.id,
    anchor: `claim-${v.id}`,
    claim: v.claim,
    area: v.area,
    provenanceKind: v.provenance.kind,
    provenance: v.provenance.where,
    verdict: v.verdict,
    verdictClass: verdictClass(v.verdict),
    reason: readableParams(v.reason),
    partial: v.coverage === 'partial',
    test: v.test.description,
    note: v.note ?? '',
    paperValues: (v.paperValue ?? []).map((pv) => `${pv.what}: ${String(pv.value)} ${pv.unit}`),
    evidence: v.comparisons.map(evidenceRow),
    missing: missingLines(v),
    showMissing: v.verdict !== 'not run' && missingLines(v).length > 0,
    clauses: (v.clauses ?? []).map((c) => ({ clause: `${c.label} (${c.kind})`, outcome: c.outcome, outcomeClass: CLAUSE_CLASS[c.outcome], reason: c.why })),
    p: v.p ? `support p = ${formatP(v.p.support)} (Holm ${formatP(v.p.supportHolm)}), refutation p = ${formatP(v.p.refute)} (Holm ${formatP(v.p.refuteHolm)}); significant at ≤ ${alpha}` : '',
  };
}

/** The comparison that decided the verdict: the weakest support of a reproduced claim, the strongest refutation of a refuted one. */
export function decidingComparison(v: ClaimVerdict): ClaimComparison | null {
  const tested = v.comparisons.filter((c) => c.ratio !== null);
  if (tested.length === 0) return null;
  const by = (score: (c: ClaimComparison) => number) => [...tested].sort((a, b) => score(a) - score(b))[0];
  if (v.verdict === 'not reproduced') return by((c) => (c.holds === 'outside' ? 0 : 1) + c.pRefute);
  if (v.verdict === 'inconclusive') return by((c) => (c.holds === 'straddles' || c.holds === 'untestable' ? 0 : 1) - c.pSupport);
  return by((c) => -c.pSupport);
}

export function boundsText(bounds: { low?: number; high?: number }): string {
  const { low, high } = bounds;
  if (low !== undefined && high !== undefined) return `${formatNumber(low, 3)}–${formatNumber(high, 3)}`;
  if (low !== undefined) return `≥ ${formatNumber(low, 3)}`;
  if (high !== undefined) return `≤ ${formatNumber(high, 3)}`;
  return '';
}

export function claimLine(v: ClaimVerdict, areaTitle: string): ClaimLine {
  const c = decidingComparison(v);
  const more = c ? v.comparisons.filter((x) => x.ratio !== null).length - 1 : 0;
  const observed = c
    ? `${c.platform} / ${c.reference}, ${c.workload}${c.job === 'default' ? '' : ` ${c.job}`} ${c.metric}: ${formatEstimate(c.ratio!, c.interval)}, n = ${c.platformStats.n}, ${c.referenceStats.n}${more > 0 ? ` (+${more} more)` : ''}`
    : '';
  return {
    id: v.id,
    anchor: `claim-${v.id}`,
    claim: shorten(v.claim, 75),
    area: areaTitle,
    areaAnchor: `area-${v.area}`,
    observed,
    band: c ? boundsText(c.bounds) : '',
    verdict: v.verdict,
    verdictClass: verdictClass(v.verdict),
    // one line on page 1; the claim's card and claims.csv hold the whole reason
    reason: v.verdict === 'reproduced' ? ''
      : v.neededPerSide !== undefined ? `${shorten(readableParams(v.reason), 80)} Would need about ${v.neededPerSide} instances per side.`
        : shorten(readableParams(v.reason), 110),
    partial: v.coverage === 'partial',
  };
}

function evidenceRow(c: ClaimComparison): ClaimEvidenceRow {
  const { low, high } = c.bounds;
  return {
    condition: c.condition,
    pair: `${c.platform} / ${c.reference}`,
    measure: `${c.workload}${c.job === 'default' ? '' : ` ${c.job}`} ${c.metric}`,
    ratio: c.ratio === null ? '—' : formatEstimate(c.ratio, c.interval),
    interval: c.interval ? '' : (c.problem ?? 'no interval'),
    bounds: low !== undefined && high !== undefined ? `${formatNumber(low, 3)} to ${formatNumber(high, 3)}` : low !== undefined ? `≥ ${formatNumber(low, 3)}` : high !== undefined ? `≤ ${formatNumber(high, 3)}` : '',
    holds: c.holds,
  };
}

function missingLines(v: ClaimVerdict): string[] {
  const byReason = new Map<string, string[]>();
  for (const m of v.missing.platforms) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), m.platform]);
  for (const m of v.missing.measures) byReason.set(m.reason, [...(byReason.get(m.reason) ?? []), `${m.workload}${m.job === 'default' ? '' : ` ${m.job}`} ${m.metric}`]);
  return [...byReason].map(([reason, what]) => `${what.join(', ')}: ${reason}`);
}

/** p-values as a reader reads them: 3 significant digits, tiny ones as "< 1e-6" */
export function formatP(p: number): string {
  if (p < 1e-6) return '< 1e-6';
  if (p >= 0.001) return formatNumber(p, 3);
  return p.toExponential(2);
}

export function verdictCounts(claims: ClaimEvaluation | undefined): VerdictCount[] {
  return VERDICT_ORDER.map((verdict) => ({
    verdict,
    verdictClass: verdictClass(verdict),
    count: claims?.verdicts.filter((v) => v.verdict === verdict).length ?? 0,
  }));
}

/** "k of n claims reproduced, …": n counts the claims that can be tested (the caveats are printed, not tested). */
export function verdictSentence(claims: ClaimEvaluation | undefined): string {
  if (!claims) return 'This analysis holds no verdicts on the paper\'s claims (it was analysed before claims were evaluated); run `isobench analyze --run <run>` again to add them.';
  const count = (k: ClaimVerdictKind) => claims.verdicts.filter((v) => v.verdict === k).length;
  const testable = claims.verdicts.length - count('caveat');
  const partial = claims.verdicts.filter((v) => v.coverage === 'partial' && (v.verdict === 'reproduced' || v.verdict === 'not reproduced')).length;
  const caveats = count('caveat');
  return `${count('reproduced')} of ${testable} claims reproduced, ${count('partly tested')} partly tested, ${count('not reproduced')} not reproduced, ${count('inconclusive')} inconclusive, ${count('not run')} not run here`
    + `${partial ? ` (${partial} of the decided verdicts rest on only some of the platforms the claim names)` : ''}.`
    + `${caveats ? ` ${caveats} caveat${caveats === 1 ? '' : 's'} of the paper ${caveats === 1 ? 'is' : 'are'} printed, not tested.` : ''}`;
}

const CSV_COLUMNS = [
  'id', 'area', 'verdict', 'coverage', 'provenance_kind', 'provenance_where', 'test_kind', 'comparisons',
  'p_support', 'p_refute', 'p_support_holm', 'p_refute_holm', 'reason', 'claim',
] as const;

/** claims.csv: one row per claim, full precision, RFC 4180 line ends. */
export function claimsCsv(claims: ClaimEvaluation | undefined): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const v of claims?.verdicts ?? []) {
    const row: (string | number | undefined)[] = [
      v.id, v.area, v.verdict, v.coverage, v.provenance.kind, v.provenance.where, v.test.kind, v.comparisons.length,
      v.p?.support, v.p?.refute, v.p?.supportHolm, v.p?.refuteHolm, v.reason, v.claim,
    ];
    lines.push(row.map(csvField).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
