// How isobench words a stretch of time, wherever it prints one: the plan's estimate, the progress line, analyze's summary.

/**
 * 4.2 s, 57 s, 12.5 min, 3.4 h ('?' when unknown, as an ETA before the first instance): minutes and hours from two of
 * them (90 s, not 1.5 min), and one decimal below ten seconds, where a short stop would otherwise read 0 s.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  // each bound is checked on the rounded number, so 9.96 s reads 10 s, never 10.0 s
  const tenthsS = Math.round(ms / 100) / 10;
  if (tenthsS < 10) return `${tenthsS.toFixed(1)} s`;
  if (Math.round(ms / 1000) < 120) return `${Math.round(ms / 1000)} s`;
  const tenthsMin = Math.round(ms / 6000) / 10;
  if (tenthsMin < 120) return `${tenthsMin.toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
