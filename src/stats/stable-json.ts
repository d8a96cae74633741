// JSON with object keys sorted at every level, so the same data always gives the same bytes.

/** keys sorted by UTF-16 code units (not localeCompare, which differs between machines); throws on values JSON cannot hold */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value, '$'), null, indent);
}

function sortKeys(value: unknown, where: string): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`stableStringify: ${where} is ${value}, which JSON cannot hold (a statistic of an empty or zero group?)`);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v, i) => sortKeys(v, `${where}[${i}]`));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v, `${where}.${key}`);
  }
  return out;
}
