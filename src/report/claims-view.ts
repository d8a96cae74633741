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
  /** more comparisons than fit a page well: the card may split between pages rather than leave one blank */
  long: boolean;
  p: string;
  /** a claim of several clauses: each one's outcome */
  clauses: { clause: string; outcome: string; outcomeClass: string; reason: string }[];
  /** the printed card's summary (page 1's line): what decided, the band, why; the whole card is in the appendix of the claims in full */
  brief: { lead: string; observed: string; band: string; reason: string };
  /** the appendix's copy: every detail shown, its own anchor */
  full: boolean;
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

/** a card with more comparisons than this may split across pages */
export const LONG_CARD = 12;

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
    long: v.comparisons.length > LONG_CARD,
    clauses: (v.clauses ?? []).map((c) => ({ clause: `${c.label} (${c.kind})`, outcome: c.outcome, outcomeClass: CLAUSE_CLASS[c.outcome], reason: c.why })),
    brief: briefOf(v),
    full: false,
    p: v.p ? `support p = ${formatP(v.p.support)} (Holm ${formatP(v.p.supportHolm)}), refutation p = ${formatP(v.p.refute)} (Holm ${formatP(v.p.refuteHolm)}); significant at ≤ ${alpha}` : '',
  };
}

/** A printed card's summary: page 1's line; "decided by" only where one comparison did decide ("(+n)": the other comparisons). */
function briefOf(v: ClaimVerdict): ClaimCard['brief'] {
  const { observed, band, reason } = claimLine(v, '');
  const decided = v.verdict === 'reproduced' || v.verdict === 'not reproduced' || v.verdict === 'inconclusive';
  return { lead: decided ? 'Decided by' : 'Observed, among others:', observed: observed.replace(/ \(\+(\d+)\)$/, ' (and $1 more)'), band, reason };
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
    ? `${c.platform} / ${c.reference}, ${c.workload}${c.job === 'default' ? '' : ` ${c.job}`} ${c.metric}: ${formatEstimate(c.ratio!, c.interval)}, n = ${c.platformStats.n}, ${c.referenceStats.n}${more > 0 ? ` (+${more})` : ''}`
    : '';
  return {
    id: v.id,
    anchor: `claim-${v.id}`,
    claim: shorten(v.claim, 48),
    area: areaTitle,
    areaAnchor: `area-${v.area}`,
    observed,
    band: c ? boundsText(c.bounds) : '',
    verdict: v.verdict,
    verdictClass: verdictClass(v.verdict),
    // one line on page 1; the claim's card and claims.csv hold the whole reason
    reason: v.verdict === 'reproduced' ? ''
      : v.neededPerSide !== undefined ? withNeedWords(whyLine({ ...v, reason: v.reason.replace(NEED_SUFFIX, '') }), v.neededPerSide, v.verdict === 'partly tested') : whyLine(v),
    partial: v.coverage === 'partial',
  };
}

/** at most this many characters of a reason on page 1 */
const WHY_MAX = 104;

/** a platform's reason for page 1: its cause in a few words ("ran only with network=host, the claim needs network=sandbox") */
export function compactWhy(reason: string): string {
  let r = readableParams(reason).replace(/\s*\((those cells|see|the whole reason:) [^)]*\)/g, '');
  const emulatedOnly = /; ([\w-]+) ran under software emulation, which never stands in for a KVM platform/.exec(r);
  r = r.replace(/; [\w-]+ ran under software emulation, which never stands in for a KVM platform/g, '');
  const unavailable = /^not in this experiment \(not available here: (.*)\)$/.exec(r);
  if (unavailable) r = `not available: ${unavailable[1].split('; ')[0].replace(/ \([^)]*$/, '')}`;
  r = r.replace(/^ran only with (.*?); the claim rests on (.*?) only.*$/, 'ran only with $1, the claim needs $2');
  r = r.replace(/^ran, but what this clause compares it with did not: ([\w-]+): /, 'ran, $1 did not: ');
  r = r.split('; ').slice(0, 2).join('; ');
  return `${r}${emulatedOnly ? ` (only emulated ${emulatedOnly[1]} ran)` : ''}`;
}

/** the recorded reason of a subject entry's first member that has one */
function entryReason(v: ClaimVerdict, entry: string): string {
  return entry.split(' or ').map((p) => v.missing.platforms.find((m) => m.platform === p)?.reason).find((r) => r !== undefined) ?? '';
}

/** why a subject entry ("gvisor-ptrace or gvisor-kvm") gave nothing: the reason of its first member that has one */
function entryWhy(v: ClaimVerdict, entry: string): { platform: string; why: string } {
  const members = entry.split(' or ');
  const found = members.map((p) => v.missing.platforms.find((m) => m.platform === p)).find((m) => m !== undefined);
  return found ? { platform: found.platform, why: compactWhy(found.reason) } : { platform: members[0], why: 'gave nothing to compare' };
}

/** entries grouped by their reason: "lxc, crun: not in this experiment; gvisor-kvm: not available: …" */
function entriesWhy(v: ClaimVerdict, entries: string[]): string {
  const byWhy = new Map<string, string[]>();
  for (const e of entries) {
    const { platform, why } = entryWhy(v, e);
    byWhy.set(why, [...(byWhy.get(why) ?? []), platform]);
  }
  return [...byWhy].map(([why, ps]) => `${ps.join(', ')}: ${why}`).join('; ');
}

/**
 * Page 1's reason: one short line with its cause, built from the verdict's clauses (the card and claims.csv keep the whole
 * reason). "gvisor-ptrace: ran only with network=host"; "not tested on lxc: not in this experiment"; "the interval straddles ≥ 0.95".
 */
/** a clause's "platform or platform: reason; platform: reason" with each reason compacted, the first two */
function clauseWhy(text: string): string {
  const parts = text.split(/; (?=[\w-]+( or [\w-]+)*: )/).filter((x) => x && !/^ or /.test(x) && /: /.test(x));
  // "docker-runc: ran, but gave nothing this clause can compare" says less than its neighbour "docker-gvisor: not in this experiment"
  const telling = parts.filter((x) => !/: ran, but gave nothing/.test(x));
  return (telling.length ? telling : parts).slice(0, 2)
    .map((part) => { const i = part.indexOf(': '); return `${part.slice(0, i).split(' or ')[0]}: ${compactWhy(part.slice(i + 2))}`; }).join('; ');
}

/** the need withNeed (src/claims/evaluate.ts) appends to a reason: page 1 says it apart, in words of its own */
const NEED_SUFFIX = /; (its tested part )?would need about \d+ instances per side \([^)]*\)$/;

/** page 1's line of an undecided claim: its cause, then the instances that would decide it, within the one line */
function withNeedWords(why: string, n: number, partly: boolean): string {
  const need = `; ${partly ? 'its tested part ' : ''}would need about ${n} instances per side`;
  return `${shorten(why, WHY_MAX - need.length)}${need}`;
}

export function whyLine(v: ClaimVerdict): string {
  const clauses = v.clauses ?? [];
  const gaps = [...new Set(clauses.flatMap((c) => c.subjectMissing))];
  const lost = /lost instances: (.*)$/.exec(v.reason)?.[1];
  let why: string;
  switch (v.verdict) {
    case 'caveat':
      why = 'printed with the results, not tested';
      break;
    case 'not run': {
      // first the subject platforms that did not run (or not as the claim needs), then what the ones that ran lacked
      const absent = gaps.filter((e) => /^(?!ran, but)./.test(entryReason(v, e)));
      const clause = clauses.find((c) => c.outcome === 'not run' && c.kind !== 'cause') ?? clauses[0];
      if (/^not in this experiment/.test(v.reason)) why = v.reason;
      else if (absent.length) why = entriesWhy(v, absent);
      else if (clause && /^[\w-]+( or [\w-]+)*: /.test(clause.why)) why = clauseWhy(clause.why);
      else why = gaps.length ? entriesWhy(v, gaps) : compactWhy(v.reason);
      break;
    }
    case 'partly tested': {
      const cause = clauses.find((c) => c.kind === 'cause' && c.outcome === 'not run');
      const effects = clauses.filter((c) => c.kind !== 'cause');
      const notRun = effects.filter((c) => c.outcome === 'not run');
      const held = effects.filter((c) => c.outcome !== 'not run' && c.subjectMissing.length > 0);
      const parts: string[] = [];
      if (notRun.length) {
        const absent = notRun[0].subjectMissing.filter((e) => /^(?!ran, but)./.test(entryReason(v, e)));
        parts.push(`not run: ${shorten(notRun[0].label, 45)} (${absent.length ? entriesWhy(v, absent) : clauseWhy(notRun[0].why)})${notRun.length > 1 ? ` and ${notRun.length - 1} more` : ''}`);
      }
      else if (held.length) parts.push(`not tested on ${entriesWhy(v, [...new Set(held.flatMap((c) => c.subjectMissing))])}`);
      if (cause) {
        const effect = /^effect (reproduced|not reproduced|inconclusive)/.exec(v.reason)?.[0];
        parts.push(`${effect ? `${effect}; ` : ''}cause not tested${cause.isolates ? ` (nothing isolates ${shorten(cause.isolates.split(':')[0], 40)})` : ''}`);
      }
      why = parts.join('; ') || compactWhy(v.reason);
      break;
    }
    case 'not reproduced': {
      const failed = clauses.find((c) => c.outcome === 'did not hold');
      why = failed ? `did not hold: ${shorten(failed.label, 70)}` : compactWhy(v.reason);
      break;
    }
    case 'inconclusive': {
      const c = decidingComparison(v);
      if (lost && /more than a fifth/.test(v.reason)) why = `a cell lost more than a fifth of its instances (${shorten(lost, 50)})`;
      else if (c?.holds === 'untestable') why = shorten(readableParams(c.problem ?? 'untestable'), 90);
      else if (c?.holds === 'straddles') {
        // whether more instances could decide is the need's to say (withNeed): on its bound, no practical number does
        const onBound = /no practical number of instances would decide it/.test(v.reason);
        why = `the interval straddles the band's bound (n = ${c.platformStats.n}, ${c.referenceStats.n})${onBound ? ': the ratio sits on its bound, no practical n decides it' : ''}`;
      }
      else if (/does not survive the correction/.test(v.reason)) why = 'inside the band, but not significant after Holm\'s correction';
      else why = compactWhy(v.reason);
      break;
    }
    default:
      why = '';
  }
  return shorten(why, WHY_MAX);
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
