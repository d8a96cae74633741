// Number and text formatting for the report: locale-free, so the same input gives the same bytes anywhere.
import { settingsWords } from '../claims/words.ts';

/** Decimals that show `significant` digits of x (0 to 6). */
export function decimalsFor(x: number, significant: number): number {
  if (!Number.isFinite(x) || x === 0) return 0;
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  return Math.min(6, Math.max(0, significant - 1 - magnitude));
}

export function formatFixed(x: number, decimals: number): string {
  const s = x.toFixed(decimals);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

/** x with about `significant` significant digits (never fewer than its integer digits). */
export function formatNumber(x: number, significant = 5): string {
  if (!Number.isFinite(x)) return String(x);
  return formatFixed(x, decimalsFor(x, significant));
}

/** "low – high" with the decimals of the value the interval belongs to. */
export function formatInterval(low: number, high: number, decimals: number): string {
  return `${formatFixed(low, decimals)} – ${formatFixed(high, decimals)}`;
}

export function formatPercent(ratio: number, decimals = 1): string {
  return `${formatFixed(ratio * 100, decimals)} %`;
}

export function formatMiB(mib: number): string {
  return mib >= 1024 ? `${formatFixed(mib / 1024, 1)} GiB` : `${mib} MiB`;
}

/** A file-name-safe stem: lowercase letters, digits and '-'. */
export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** Compare strings by code unit, independent of the locale (localeCompare is not). */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** "2026-11-26 10:15:00 UTC" from an ISO 8601 time; anything unparsable is shown as given. */
export function formatTime(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  return `${t.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Decimals an interval supports: two significant digits of its half-width (0 to 6). */
export function decimalsForInterval(low: number, high: number): number {
  const half = Math.abs(high - low) / 2;
  if (!Number.isFinite(half) || half === 0) return 3;
  return Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(half))));
}

/** "1.61 [1.57, 1.64]": the value rounded to what its interval supports; without one, 3 significant digits. */
export function formatEstimate(value: number, interval: { low: number; high: number } | null | undefined): string {
  if (!interval) return formatNumber(value, 3);
  const d = decimalsForInterval(interval.low, interval.high);
  return `${formatFixed(value, d)} [${formatFixed(interval.low, d)}, ${formatFixed(interval.high, d)}]`;
}

/** Parameters that a sentence quotes as raw JSON ({"elements":10000000,"ntimes":10}) in words: (elements=10000000, ntimes=10). */
export function readableParams(text: string): string {
  return text.replace(/\s?\{"[^{}]*\}/g, (json) => {
    try {
      return ` (${settingsWords(JSON.parse(json.trim()) as Record<string, unknown>)})`;
    } catch {
      return json;
    }
  });
}

/** At most `max` characters, cut at a word boundary with an ellipsis. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '')}…`;
}
