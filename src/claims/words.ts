// Settings and parameters in words ("network=sandbox, threads=110"), never as raw JSON: a reason is read, and must wrap.

/** one value as a reader writes it: strings bare, lists joined with '+', objects as nested words, null as 'unset' */
function valueWords(v: unknown): string {
  if (v === null || v === undefined) return 'unset';
  if (Array.isArray(v)) return v.map(valueWords).join('+');
  if (typeof v === 'object') return `(${settingsWords(v as Record<string, unknown>)})`;
  return String(v);
}

/** "fileSystem=data, network=sandbox": keys sorted by code unit, so the same settings always give the same words */
export function settingsWords(settings: Record<string, unknown>): string {
  return Object.keys(settings)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .filter((k) => settings[k] !== undefined)
    .map((k) => `${k}=${valueWords(settings[k])}`)
    .join(', ');
}

/** A 'not run' claim's reason: "the claim is about a, b; nothing to compare here: a, b: why; c: why" (the report's table says it alike). */
export function nothingToCompareWords(subject: string[] | undefined, groups: { platforms: string[]; why: string }[]): string {
  return `${subject ? `the claim is about ${subject.join(', ')}; ` : ''}nothing to compare here: ${groups.map((g) => `${g.platforms.join(', ')}: ${g.why}`).join('; ')}`;
}
