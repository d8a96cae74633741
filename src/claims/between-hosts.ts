// One ratio measured on several hosts: hosts as a random effect beside instances (DerSimonian–Laird on the log ratio).
// Within a host the log ratio's variance comes from its instances; between hosts, tau² is what the hosts add on top.
import { tQuantile } from '../stats/interval.ts';
import type { RandomEffectsRatio } from '../types.ts';

/** one host's log ratio and its standard error (from its instance means, src/claims/log-ratio.ts) */
export interface HostLogRatio {
  host: string;
  log: number;
  se: number;
}

export interface RandomEffects extends RandomEffectsRatio {
  /** Cochran's Q and its degrees of freedom */
  q: number;
  df: number;
}

export const RANDOM_EFFECTS_METHOD = 'random-effects model on the log ratio, hosts as a random effect beside instances: each host\'s log ratio with its within-host variance from instance means (delta method), between-host variance tau² by DerSimonian–Laird, interval of the pooled ratio with t(k-1), prediction interval for a new host with t(k-2) (Higgins et al. 2009)';

/** null below three hosts (a prediction interval needs k-2 >= 1 degrees of freedom) or when a host's se is 0 */
export function betweenHosts(rows: HostLogRatio[]): RandomEffects | null {
  const k = rows.length;
  if (k < 3 || rows.some((r) => !(r.se > 0) || !Number.isFinite(r.log))) return null;
  const w = rows.map((r) => 1 / (r.se * r.se));
  const sw = w.reduce((a, b) => a + b, 0);
  const fixed = rows.reduce((a, r, i) => a + w[i] * r.log, 0) / sw;
  const q = rows.reduce((a, r, i) => a + w[i] * (r.log - fixed) ** 2, 0);
  const c = sw - w.reduce((a, b) => a + b * b, 0) / sw;
  const tau2 = Math.max(0, (q - (k - 1)) / c);
  const ws = rows.map((r) => 1 / (r.se * r.se + tau2));
  const sws = ws.reduce((a, b) => a + b, 0);
  const mu = rows.reduce((a, r, i) => a + ws[i] * r.log, 0) / sws;
  const se = Math.sqrt(1 / sws);
  const half = tQuantile(0.975, k - 1) * se;
  const halfPred = tQuantile(0.975, k - 2) * Math.sqrt(tau2 + se * se);
  return {
    hosts: k,
    ratio: Math.exp(mu),
    ci: { low: Math.exp(mu - half), high: Math.exp(mu + half), level: 0.95 },
    tau: Math.sqrt(tau2),
    spreadFactor: Math.exp(Math.sqrt(tau2)),
    i2: q > 0 ? Math.max(0, (q - (k - 1)) / q) : 0,
    prediction: { low: Math.exp(mu - halfPred), high: Math.exp(mu + halfPred), level: 0.95 },
    q,
    df: k - 1,
  };
}
