// The live progress line: cell k of n, what runs, elapsed, ETA.
import { formatDuration } from './duration.ts';

export interface ProgressState {
  done: number; // instances finished
  total: number;
  platform: string;
  workload: string;
  job: string;
  instance: number;
  elapsedMs: number;
}

/** ETA from the mean time per finished instance; unknown before the first one finishes. */
export function etaMs(s: Pick<ProgressState, 'done' | 'total' | 'elapsedMs'>): number {
  if (s.done === 0) return NaN;
  return (s.elapsedMs / s.done) * (s.total - s.done);
}

export function formatProgress(s: ProgressState): string {
  const job = s.job === 'default' ? '' : `/${s.job}`;
  return `[${s.done + 1}/${s.total}] ${s.platform} · ${s.workload}${job} · instance ${s.instance + 1} · elapsed ${formatDuration(s.elapsedMs)} · ETA ${formatDuration(etaMs(s))}`;
}
