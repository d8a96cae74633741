// Every figure's caption and text alternative, in one place: what is drawn, n, and what the interval means.
import { formatEstimate, formatNumber } from './format.ts';

export const EMULATION_NOTE = 'Open marks: software emulation (no hardware virtualization), on its own axis; never used for a claim.';

/** "n = 5 instances per platform" or "n = 3–5 …" */
export function nText(ns: number[]): string {
  if (ns.length === 0) return 'n = 0';
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  return `n = ${lo === hi ? lo : `${lo}–${hi}`} fresh instance${hi === 1 ? '' : 's'} per platform`;
}

export interface CaptionParts {
  title: string;
  ns: number[];
  /** "Not shown: runc no value (2 failures)." or '' */
  missing: string;
  emulated: boolean;
  part?: { k: number; of: number };
  /** the panels' n apart, when they differ ("n = 1–9 … on the left, 1–8 on the right"); else nText(ns) */
  nWords?: string;
}

function tail(p: CaptionParts): string {
  return `${p.missing ? ` Not shown: ${p.missing}.` : ''}${p.emulated ? ` ${EMULATION_NOTE}` : ''}`;
}

function partText(p: CaptionParts): string {
  return p.part && p.part.of > 1 ? ` (part ${p.part.k} of ${p.part.of})` : '';
}

/** what the axis does at 0, from the range the chart draws (src/report/dot-domain.ts) */
export type AxisStart = 'log' | 'above zero' | 'from zero';

function axisText(start: AxisStart, subject: string): string {
  return start === 'log' ? `${subject} a log scale` : start === 'above zero' ? `${subject} a scale that does not start at 0` : `${subject} a scale that includes 0`;
}

/** `hardware`: whether the figure has hardware-assisted panels (their shared axis is the one `start` describes) */
export function ratioCaption(p: CaptionParts, metrics: string[], start: AxisStart, hardware = true): string {
  return `${p.title}${partText(p)}: each platform's mean divided by native's mean (1 = same as native; ${metrics.join('; ')}). Dot: the ratio; bar: its 95 % interval (Welch t on the log ratio, as in the verdicts); ${nText(p.ns)}. ${axisText(start, !hardware ? 'The axis has' : p.emulated ? 'The hardware-assisted panels share' : 'All panels share')}.${tail(p)}`;
}

export function ratioAlt(title: string, rows: { label: string; metric: string; value: number; low: number | null; high: number | null }[]): string {
  return `Ratio to native for ${title}: ${rows.map((r) => `${r.label}, ${r.metric}: ${formatEstimate(r.value, r.low !== null && r.high !== null ? { low: r.low, high: r.high } : null)}`).join('; ')}. Reference line at 1, native.`;
}

export function valueCaption(p: CaptionParts, metric: string, unit: string, better: string, native: boolean, start: AxisStart): string {
  return `${p.title}: ${metric} (${unit}, ${better} is better). Dot: mean over the instances; bar: 95 % confidence interval of the mean (Student t); small ticks: each instance's mean; ${nText(p.ns)}${native ? '; dashed line: native mean' : ''}. ${axisText(start, 'The axis has')}.${tail(p)}`;
}

export function countCaption(p: CaptionParts, metric: string, unit: string, native: boolean): string {
  return `${p.title}: ${metric}, a count (${unit}). Dot: mean count per instance; bar: 95 % confidence interval (Student t); ticks: each instance; ${nText(p.ns)}${native ? '; dashed line: native' : ''}. A count is shown as it is, never as a ratio to native.${tail(p)}`;
}

export function valueAlt(title: string, metric: string, unit: string, rows: { label: string; value: number; low: number | null; high: number | null; n: number }[]): string {
  return `${title}, ${metric} in ${unit}, mean per platform with its 95 % interval: ${rows.map((r) => `${r.label} ${formatEstimate(r.value, r.low !== null && r.high !== null ? { low: r.low, high: r.high } : null)}, n = ${r.n}`).join('; ')}.`;
}

export function stripCaption(p: CaptionParts, metric: string, unit: string, log: boolean): string {
  return `${p.title}: ${metric} of every fresh instance${unit ? `, in ${unit}` : ''}${log ? ' on a logarithmic axis' : ''}. Each dot is one instance; the box spans the quartiles with the median as a line, whiskers reach the furthest instance within 1.5 × the interquartile range; ${p.nWords ?? nText(p.ns)}.${tail(p)}`;
}

export function stripAlt(title: string, metric: string, unit: string, rows: { label: string; n: number; median: number; min: number; max: number }[]): string {
  return `Strip plot of ${title}, ${metric} per instance in ${unit}: ${rows.map((r) => `${r.label}, n = ${r.n}, median ${formatNumber(r.median, 3)}, from ${formatNumber(r.min, 3)} to ${formatNumber(r.max, 3)}`).join('; ')}.`;
}

export function percentileCaption(p: CaptionParts, labels: string[], unit: string, log: boolean): string {
  return `${p.title}: the latency distribution per platform as its ${labels.join(', ')} (${unit}, lower is better${log ? ', logarithmic axis' : ''}). Shape: the percentile; colour: the platform; each mark is the mean over the instances with its 95 % confidence interval (Student t); the grey line spans the percentiles, so its length shows the tail; ${nText(p.ns)}. The paper compares P90.${tail(p)}`;
}

export function percentileAlt(title: string, unit: string, rows: { label: string; marks: { percentile: string; value: number }[] }[]): string {
  return `Latency percentiles of ${title} in ${unit}: ${rows.map((r) => `${r.label} ${r.marks.map((m) => `${m.percentile} ${formatNumber(m.value, 3)}`).join(', ')}`).join('; ')}.`;
}

export function differenceCaption(p: CaptionParts, what: string, unit: string, paper: string): string {
  return `${p.title}: ${what}, as an added time in ${unit} (platform mean − reference mean; 0 = no added time). Dot: the difference; bar: its 95 % interval (Welch t); ${nText(p.ns)}.${paper ? ` ${paper}` : ''}${tail(p)}`;
}

export function differenceAlt(rows: { label: string; value: number; low: number | null; high: number | null; unit: string }[]): string {
  return `Added time: ${rows.map((r) => `${r.label} ${r.value >= 0 ? '+' : ''}${formatEstimate(r.value, r.low !== null && r.high !== null ? { low: r.low, high: r.high } : null)} ${r.unit}`).join('; ')}.`;
}

export function claimCaption(p: CaptionParts, claims: string[], log = false): string {
  return `${p.title}${partText(p)}: the ratios each claim was tested on (${claims.join(', ')}), against the range the claim needs (shaded). Dot: platform mean / reference mean; bar: 95 % interval of the ratio (Welch t on the log ratio, the claims' test); ${nText(p.ns)}. The paper gives no ratio of its own for these claims, so none is marked; all panels share one ${log ? 'log ' : ''}scale.`;
}

export function claimAlt(rows: { claim: string; label: string; value: number; low: number | null; high: number | null; band: string }[]): string {
  return `Claims' ratios: ${rows.map((r) => `${r.claim}, ${r.label}: ${formatEstimate(r.value, r.low !== null && r.high !== null ? { low: r.low, high: r.high } : null)}, needs ${r.band || 'an ordering'}`).join('; ')}.`;
}

export function sweepCaption(p: CaptionParts, metric: string, unit: string, better: string, param: string, yFromZero: boolean, lines: number): string {
  const dodged = lines > 1 ? ` The platforms are set side by side around each ${param} so that their intervals do not overlap; the axis labels give the swept values.` : '';
  return `${p.title}: ${metric} (${unit}, ${better} is better) against ${param}, one line per platform. Dot: mean over the instances at that ${param}; bar: 95 % confidence interval of the mean (Student t); ring: the platform's peak, the ${param} with the best mean (the area's text names the values it cannot be told apart from); ${nText(p.ns)} at each ${param}. Each ${param} is its own cell of fresh instances.${dodged}${yFromZero ? '' : ' The y axis does not start at 0: an interval reaches below it.'}${tail(p)}`;
}

export function sweepAlt(title: string, unit: string, param: string, lines: { label: string; peak: number | null; points: { at: number; value: number; low: number | null; high: number | null }[] }[]): string {
  const point = (q: { at: number; value: number; low: number | null; high: number | null }) => `${param} ${q.at}: ${formatEstimate(q.value, q.low !== null && q.high !== null ? { low: q.low, high: q.high } : null)}`;
  return `${title} in ${unit}: ${lines.map((l) => `${l.label}${l.peak !== null ? ` (peak at ${param} ${l.peak})` : ''}: ${l.points.map(point).join(', ')}`).join('; ')}.`;
}
