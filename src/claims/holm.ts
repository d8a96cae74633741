// Holm's step-down correction: family-wise error control over the claims without assuming independence.

/**
 * Holm-adjusted p-values, in the order given.
 * Sorted ascending p(1) <= ... <= p(m): adjusted p(i) = max over j <= i of min(1, (m - j + 1) · p(j)).
 * A hypothesis is rejected at level α exactly when its adjusted p is <= α. Ties keep input order.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  for (const p of ps) if (!(p >= 0 && p <= 1)) throw new Error(`holmAdjust: p-values must be in [0, 1], got ${p}`);
  const m = ps.length;
  const order = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
