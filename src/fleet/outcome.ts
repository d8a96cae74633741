// What became of each host: its run fetched and checked, or missing with the reason; and which host was much slower.
import type { HostState } from './events.ts';

/** a host whose measuring took this many times as long as the fastest host's is named as much slower */
export const SLOW_FACTOR = 3;

export interface HostOutcome {
  host: string;
  status: 'complete' | 'missing';
  /** for a missing host: why, naming the stage */
  reason?: string;
  /** measuring time on the host in this call (seconds), when it measured in this call */
  measureSeconds?: number;
  /** set when this host measured SLOW_FACTOR times as long as the fastest one: the sentence that says so */
  slow?: string;
  /** complete before this call: its run was not fetched or measured again */
  reused?: boolean;
}

/** Measuring times from the hosts' states; the hosts that measured at least SLOW_FACTOR times as long as the fastest get `slow`. */
export function markSlowHosts(outcomes: HostOutcome[]): HostOutcome[] {
  const timed = outcomes.filter((o) => o.measureSeconds !== undefined);
  if (timed.length < 2) return outcomes;
  const fastest = timed.reduce((a, b) => (b.measureSeconds! < a.measureSeconds! ? b : a));
  return outcomes.map((o) => {
    if (o === fastest || o.measureSeconds === undefined || fastest.measureSeconds! <= 0) return o;
    const factor = o.measureSeconds / fastest.measureSeconds!;
    if (factor < SLOW_FACTOR) return o;
    return { ...o, slow: `${o.host} measured for ${Math.round(o.measureSeconds)} s, ${factor.toFixed(1)}x as long as the fastest host (${fastest.host}, ${Math.round(fastest.measureSeconds!)} s)` };
  });
}

export function measureSeconds(s: HostState | undefined): number | undefined {
  return s?.measureSeconds;
}

/** A host the playbook left without a fetched artifact: the reason from its events, or what the playbook's exit says. */
export function missingReason(s: HostState | undefined, playbookCode: number | null, log: string): string {
  if (s?.reason) return s.reason;
  if (!s || s.status === 'waiting') return `never reached: ansible-playbook ended (exit ${playbookCode}) before this host started; see ${log}`;
  return `stopped at '${s.task ?? 'start'}' without a result (ansible-playbook exit ${playbookCode}); see ${log}`;
}
