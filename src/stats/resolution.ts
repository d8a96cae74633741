// The resolution of a metric: the smallest step its values can differ by, so that no spread never reads as no uncertainty.

/** Where a resolution comes from: the workload declared it with its samples, or the values show it (their decimal places). */
export interface Resolution {
  /** the step, in the metric's unit; null: the values show no step (continuous, or more than MAX_DECIMALS decimals) */
  value: number | null;
  source: 'declared' | 'inferred from the values' | 'none';
}

/** values with more decimals than this are taken as continuous (a float from a clock, a division) */
export const MAX_DECIMALS = 9;

/** 10^-k for the fewest decimals k (0..MAX_DECIMALS) that write every value exactly; integers give 1, never 10 or 100. */
export function inferResolution(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  for (let k = 0; k <= MAX_DECIMALS; k++) {
    const scale = 10 ** k;
    // a tolerance of a few ulps: 0.1 * 10 is 1.0000000000000002 in floating point
    if (values.every((x) => Math.abs(x * scale - Math.round(x * scale)) <= Math.max(1e-6, 8 * Number.EPSILON * Math.abs(x * scale)))) return 1 / scale;
  }
  return null;
}

/** The declared resolution when the samples carry one (the largest, if they disagree), else the one the values show. */
export function resolutionOf(values: readonly number[], declared: readonly number[] = []): Resolution {
  const ok = declared.filter((d) => Number.isFinite(d) && d > 0);
  if (ok.length > 0) return { value: Math.max(...ok), source: 'declared' };
  const inferred = inferResolution(values);
  return inferred === null ? { value: null, source: 'none' } : { value: inferred, source: 'inferred from the values' };
}
