// The playbook's per-host events (fleet/callback_plugins/isobench_fleet.py writes one JSON object per line) -> each host's state.
// The text in an event comes from the hosts: it is shown with control characters removed, never interpreted.

export interface FleetEvent {
  event: string;
  time: number;
  host?: string;
  task?: string;
  msg?: string;
  rc?: number;
  stderr?: string;
  stdout?: string;
  /** the remote command's own duration as Ansible's command module reports it ('H:MM:SS.ffffff') */
  delta?: string;
  /** async_status: 0 while the job still runs */
  finished?: number;
}

export type HostStatus = 'waiting' | 'running' | 'fetched' | 'failed' | 'unreachable';

export interface HostState {
  host: string;
  status: HostStatus;
  /** the playbook task the host is at (or failed in) */
  task?: string;
  /** when the current task started (seconds since the epoch) */
  since?: number;
  /** why the host stopped: the task and the host's own message */
  reason?: string;
  /** how long `isobench run` ran on the host (seconds), from the command's own start and end there */
  measureSeconds?: number;
}

/** the playbook's task names (fleet/fleet.yml) as what a user reads in the progress line */
const STAGES: Record<string, string> = {
  'check node': 'connecting',
  'require node 20': 'connecting',
  'read probe': 'connecting',
  'check workdir': 'preparing',
  'make folders': 'preparing',
  'ship checkout': 'shipping the checkout',
  'install npm packages': 'installing npm packages',
  'copy experiment': 'preparing',
  setup: 'installing system packages',
  'find run': 'preparing',
  'check one run': 'preparing',
  'find artifact': 'preparing',
  'read state': 'preparing',
  'find measure jobs': 'preparing',
  'check earlier measure': 'preparing',
  'check earlier measure alive': 'preparing',
  'forget earlier measure': 'preparing',
  measure: 'measuring',
  'wait for measure': 'measuring',
  'forget measure job': 'archiving',
  'find run again': 'archiving',
  analyze: 'archiving',
  archive: 'archiving',
  'fetch artifact': 'fetching',
};

/** the task whose result is the remote `isobench run`'s own (async_status of its job) */
export const MEASURE_TASK = 'wait for measure';
/** a poll of a measuring host that got no answer in the wait task's timeout: the host is as good as unreachable */
const POLL_TIMED_OUT = /failed to execute in the expected time frame/;
export const LAST_TASK = 'fetch artifact';

/** every task of fleet/fleet.yml has a stage (the unit test checks the playbook against this list) */
export const TASKS = Object.keys(STAGES);

export function stageOf(task: string | undefined): string {
  return task === undefined ? 'waiting' : STAGES[task] ?? task;
}

/** one line of text from a host, safe for a terminal and a log line: control characters become spaces, length capped */
export function plainText(value: unknown, max = 400): string {
  if (typeof value !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  const flat = value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Events from the text so far; a half-written last line (still being appended) is left for the next read. */
export function parseEvents(text: string): { events: FleetEvent[]; consumed: number } {
  const events: FleetEvent[] = [];
  let consumed = 0;
  for (;;) {
    const nl = text.indexOf('\n', consumed);
    if (nl < 0) break;
    const line = text.slice(consumed, nl);
    consumed = nl + 1;
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as FleetEvent;
      if (e && typeof e === 'object' && typeof e.event === 'string' && typeof e.time === 'number') events.push(e);
    } catch { /* not ours: skipped */ }
  }
  return { events, consumed };
}

/** Why a command failed, in one line: isobench's own `error:` line when there is one, else the last line of its output. */
export function failureText(e: FleetEvent): string {
  const lines = [e.stderr, e.stdout].flatMap((t) => (typeof t === 'string' ? t.split('\n') : [])).map((l) => plainText(l)).filter((l) => l !== '');
  const isobenchError = [...lines].reverse().find((l) => l.startsWith('error: '));
  const detail = isobenchError ?? (e.msg ? plainText(e.msg) : lines[lines.length - 1]) ?? '';
  const rc = typeof e.rc === 'number' && e.rc !== 0 ? ` (exit ${e.rc})` : '';
  return `${detail || 'failed'}${rc}`;
}

const WHILE_MEASURING = ' (it died or lost its network: its isobench run goes on there if the host is up, and the next call waits for it or resumes it)';

/** Ansible's command duration 'H:MM:SS.ffffff' in seconds; undefined for anything else. */
export function deltaSeconds(delta: unknown): number | undefined {
  if (typeof delta !== 'string') return undefined;
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(delta.trim());
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** The hosts' states after the events, in the order of hosts. */
export function hostStates(hosts: string[], events: FleetEvent[]): Map<string, HostState> {
  const states = new Map<string, HostState>(hosts.map((h) => [h, { host: h, status: 'waiting' }]));
  for (const e of events) {
    const s = e.host !== undefined ? states.get(e.host) : undefined;
    if (!s || s.status === 'failed' || s.status === 'unreachable') continue;
    const task = typeof e.task === 'string' ? e.task : undefined;
    switch (e.event) {
      case 'start':
        s.status = 'running';
        s.task = task;
        s.since = e.time;
        break;
      case 'ok':
        if (task === MEASURE_TASK) s.measureSeconds = deltaSeconds(e.delta);
        if (task === LAST_TASK) s.status = 'fetched';
        break;
      case 'failed':
        if (task === MEASURE_TASK && POLL_TIMED_OUT.test(e.msg ?? '')) {
          s.status = 'unreachable';
          s.task = task;
          s.reason = `unreachable while measuring${WHILE_MEASURING}: ${plainText(e.msg)}`;
          break;
        }
        s.status = 'failed';
        s.task = task;
        // at --host-timeout Ansible's async wrapper SIGKILLs the job and reports it finished with 'Timeout exceeded'
        s.reason = task === MEASURE_TASK && ((Number(e.finished) === 0 && e.rc === undefined) || e.msg === 'Timeout exceeded')
          ? 'still measuring when --host-timeout ran out (Ansible killed its job there with SIGKILL; the next call resumes its run and takes over its lock)'
          : `failed at '${stageOf(task)}' (task '${task}'): ${failureText(e)}`;
        break;
      case 'unreachable':
        s.status = 'unreachable';
        s.task = task;
        s.reason = `unreachable${task === 'measure' ? ' while starting to measure (its isobench run may have started: the next call waits for it or resumes it)' : task === MEASURE_TASK ? ` while measuring${WHILE_MEASURING}` : ''}: ${plainText(e.msg) || 'no message'}`;
        break;
      default:
        break;
    }
  }
  return states;
}

/** `alpha: measuring 35 s · beta: unreachable`: one status line for all hosts */
export function progressLine(states: Iterable<HostState>, now: number): string {
  return [...states].map((s) => {
    switch (s.status) {
      case 'waiting': return `${s.host}: waiting`;
      case 'fetched': return `${s.host}: fetched`;
      case 'failed': return `${s.host}: failed (${stageOf(s.task)})`;
      case 'unreachable': return `${s.host}: unreachable`;
      default: return `${s.host}: ${stageOf(s.task)} ${Math.max(0, Math.round(now - (s.since ?? now)))} s`;
    }
  }).join(' · ');
}
