// The report's "Across hosts" section of a merged run: each claim's verdict per host, whether the hosts agree, and
// where three or more hosts measured a ratio its between-host spread (analysis.json: crossHost, src/claims/cross-host.ts).
import type { CrossHostView, HostAgreement } from '../../types.ts';
import type { ReportContext } from '../context.ts';
import type { CrossHostSectionView } from '../view-types.ts';


const AGREEMENT: Record<HostAgreement, string> = {
  agree: 'hosts agree',
  disagree: 'hosts disagree: reproduced on some, not reproduced on others',
  mixed: 'no contradiction: decided on some hosts, inconclusive or partly tested on others',
  'one host': 'tested on one host only',
  'not run': 'not run on any host',
  caveat: 'caveat (not tested)',
};

/** three significant digits, as the rest of the report */
const fmt = (x: number) => String(Number(x.toPrecision(3)));
const cls = (s: string) => s.replace(/[^a-z]+/g, '-');

/** null for a run that no merge made */
export function buildCrossHost(ctx: ReportContext): CrossHostSectionView | null {
  const view = ctx.inputs.analysis.crossHost;
  if (!view) return null;
  return crossHostSection(view, ctx.number.section('across-hosts', 'Across hosts'));
}

export function crossHostSection(view: CrossHostView, section: CrossHostSectionView['section']): CrossHostSectionView {
  const tested = view.claims.filter((c) => c.agreement === 'agree' || c.agreement === 'disagree' || c.agreement === 'mixed');
  const count = (a: HostAgreement) => tested.filter((c) => c.agreement === a).length;
  return {
    section,
    hosts: view.hosts,
    missing: view.missing,
    intro: `This run merges ${view.hosts.length} host${view.hosts.length === 1 ? '' : 's'} (${view.hosts.join(', ')}). Each claim is judged on each host alone, against that host's own native; `
      + (tested.length === 0 ? 'no claim was tested on two or more hosts.' : `of the ${tested.length} claim${tested.length === 1 ? '' : 's'} tested on two or more hosts, the hosts agree on ${count('agree')}, `
        + `contradict each other (reproduced on one, not reproduced on another) on ${count('disagree')}, and differ without contradiction `
        + `(one host's verdict inconclusive or partly tested) on ${count('mixed')}.`),
    method: [`Verdicts: ${view.method.verdicts}.`, `Between-host spread (three or more hosts): ${view.method.spread}.`],
    rows: view.claims.map((c) => ({
      id: c.id,
      claim: c.claim,
      verdicts: c.verdicts.map((v) => ({ host: v.host, verdict: v.verdict, verdictClass: cls(v.verdict), reason: v.reason })),
      agreement: AGREEMENT[c.agreement],
      agreementClass: cls(c.agreement),
    })),
    spread: view.claims.flatMap((c) => c.spread.map((s) => ({
      claim: c.id,
      ratio: `${s.platform} / ${s.reference}, ${s.workload}${s.job === 'default' ? '' : `/${s.job}`} ${s.metric}`,
      perHost: s.perHost.map((p) => `${p.host} ${fmt(p.ratio)}`).join(', '),
      pooled: `${fmt(s.ratio)} [${fmt(s.ci.low)}, ${fmt(s.ci.high)}]`,
      spread: `×/÷ ${fmt(s.spreadFactor)} (tau ${fmt(s.tau)}, I² ${Math.round(s.i2 * 100)} %)`,
      prediction: `[${fmt(s.prediction.low)}, ${fmt(s.prediction.high)}]`,
    }))),
  };
}
