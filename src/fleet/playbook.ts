// Runs fleet/fleet.yml with ansible-playbook on the hosts still to do, showing each host's progress live from its events;
// on Ctrl-C, fleet/stop.yml stops the isobench runs still measuring on the hosts.
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { exitOf, spawnDaemon, terminate } from '../proc.ts';
import { FleetInputError } from './errors.ts';
import { hostStates, MEASURE_TASK, parseEvents, progressLine, type FleetEvent, type HostState } from './events.ts';

/** The playbook's extra variables: names of isobench's own values, never an experiment's content (that travels as a file). */
export interface PlaybookVars {
  isobench_fleet_run: string;
  isobench_commit: string;
  isobench_source_tar: string;
  isobench_experiment_file: string;
  isobench_fetch_dir: string;
  isobench_run_timeout: number;
}

export interface PlaybookRun {
  inventory: string;
  hosts: string[];
  forks: number;
  vars: PlaybookVars;
  /** the fleet run's folder: ansible.log, events.jsonl and vars.json go there */
  dir: string;
}

export interface PlaybookResult {
  code: number | null;
  states: Map<string, HostState>;
  events: FleetEvent[];
  log: string;
  /** stopped by Ctrl-C or SIGTERM: what the hosts finished stays on them for the next call */
  interrupted?: NodeJS.Signals;
}

/** Ansible templates extra variables: a value holding Jinja's delimiters would be evaluated, so none may (checked before anything is written) */
export function checkTemplateSafe(vars: PlaybookVars): void {
  for (const [k, v] of Object.entries(vars)) {
    if (typeof v === 'string' && /[{}%#]/.test(v)) {
      throw new FleetInputError(`${k}: ${JSON.stringify(v)} holds '{', '}', '%' or '#', which Ansible would read as a template; use a data folder (ISOBENCH_DATA) and file paths without them`);
    }
  }
}

/** ansible-playbook on these hosts with isobench's events callback; the events go to eventsFile, Ansible's output to logFile */
export function spawnPlaybook(playbook: string, p: PlaybookRun, hosts: string[], varsFile: string, eventsFile: string, logFile: string) {
  writeFileSync(eventsFile, '');
  const argv = ['ansible-playbook', '-i', p.inventory, '--limit', hosts.join(','), '--forks', String(p.forks), '-e', `@${varsFile}`, playbook];
  // only the output format is isobench's; connection, keys and host-key checking stay as the user's configuration says
  const env = {
    ANSIBLE_STDOUT_CALLBACK: 'isobench_fleet',
    ANSIBLE_CALLBACK_PLUGINS: [paths.fleetCallbacks, process.env.ANSIBLE_CALLBACK_PLUGINS].filter(Boolean).join(':'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ISOBENCH_FLEET_EVENTS: eventsFile,
  };
  return spawnDaemon(argv, logFile, { env });
}

/** the hosts whose isobench run may be measuring: its launch started, its end not yet seen */
export function measuringHosts(states: Map<string, HostState>): string[] {
  return [...states.values()].filter((s) => s.status === 'running' && (s.task === 'measure' || s.task === MEASURE_TASK)).map((s) => s.host);
}

/**
 * After Ctrl-C: stop the isobench run on the hosts still measuring (fleet/stop.yml sends it SIGINT, as Ctrl-C there
 * would), so nothing measures on unseen; a second Ctrl-C leaves them running. Returns the hosts whose run was stopped.
 */
async function stopMeasuring(p: PlaybookRun, hosts: string[], varsFile: string, stamp: string): Promise<{ stopped: string[]; idle: string[]; log: string }> {
  const eventsFile = path.join(p.dir, `stop-events-${stamp}.jsonl`);
  const logFile = path.join(p.dir, `ansible-stop-${stamp}.log`);
  log.warn(`stopping the isobench run measuring on ${hosts.join(', ')} (Ctrl-C again leaves it running there; log: ${logFile})`);
  const daemon = spawnPlaybook(paths.fleetStopPlaybook, p, hosts, varsFile, eventsFile, logFile);
  const again = () => { void terminate(daemon.pid, 5_000, true); };
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  try {
    await exitOf(daemon);
  } finally {
    process.removeListener('SIGINT', again);
    process.removeListener('SIGTERM', again);
  }
  return { ...stopOutcome(hosts, parseEvents(readFileSync(eventsFile, 'utf8')).events), log: logFile };
}

/** fleet/stop.yml's last task: ok once the run it signalled has ended, skipped when it found no run (ended already) */
export const STOP_OUTCOME_TASK = 'wait for run to stop';

/** fleet/stop.yml's events read per host: its run signalled and ended, or no run of it found */
export function stopOutcome(hosts: string[], events: FleetEvent[]): { stopped: string[]; idle: string[] } {
  const saw = (h: string, event: string) => events.some((e) => e.host === h && e.event === event && e.task === STOP_OUTCOME_TASK);
  return { stopped: hosts.filter((h) => saw(h, 'ok')), idle: hosts.filter((h) => saw(h, 'skipped')) };
}

export async function runPlaybook(p: PlaybookRun): Promise<PlaybookResult> {
  checkTemplateSafe(p.vars);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const eventsFile = path.join(p.dir, `events-${stamp}.jsonl`);
  const logFile = path.join(p.dir, `ansible-${stamp}.log`);
  const varsFile = path.join(p.dir, 'vars.json');
  writeFileSync(varsFile, `${JSON.stringify(p.vars, null, 2)}\n`);
  log.info(`ansible-playbook on ${p.hosts.join(', ')} (log: ${logFile})`);
  const daemon = spawnPlaybook(paths.fleetPlaybook, p, p.hosts, varsFile, eventsFile, logFile);
  const events: FleetEvent[] = [];
  let offset = 0;
  let pending = '';
  const read = () => {
    const fd = openSync(eventsFile, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        pending += buf.subarray(0, n).toString('utf8');
      }
    } finally {
      closeSync(fd);
    }
    const parsed = parseEvents(pending);
    pending = pending.slice(parsed.consumed);
    events.push(...parsed.events);
  };
  let last = '';
  const show = () => {
    read();
    const line = progressLine(hostStates(p.hosts, events).values(), Date.now() / 1000);
    // on a terminal the line is redrawn every second; in a log, a line only when something changed
    if (process.stderr.isTTY || line.replace(/\d+ s/g, '') !== last.replace(/\d+ s/g, '')) log.status(line);
    last = line;
  };
  const timer = setInterval(show, 1000);
  // Ctrl-C: stop ansible-playbook (and its ssh children); what the hosts finished is kept on them for the next call
  let interrupted: NodeJS.Signals | undefined;
  // a second Ctrl-C before the hosts are being stopped: leave their runs going
  let leaveRunning = false;
  const stop = (signal: NodeJS.Signals) => {
    if (interrupted) {
      leaveRunning = true;
      return;
    }
    interrupted = signal;
    void terminate(daemon.pid, 5_000, true);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let exit;
  try {
    exit = await daemon.exited;
  } finally {
    clearInterval(timer);
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  read();
  log.endStatus();
  const states = hostStates(p.hosts, events);
  if (interrupted) {
    const measuring = measuringHosts(states);
    if (measuring.length > 0 && leaveRunning) log.warn(`the isobench run on ${measuring.join(', ')} may still be measuring (Ctrl-C twice): the next call waits for it`);
    else if (measuring.length > 0) {
      const { stopped, idle, log: stopLog } = await stopMeasuring(p, measuring, varsFile, stamp);
      if (stopped.length > 0) log.info(`stopped the isobench run on ${stopped.join(', ')}; the next call resumes it`);
      if (idle.length > 0) log.info(`no isobench run was measuring any more on ${idle.join(', ')}`);
      const left = measuring.filter((h) => !stopped.includes(h) && !idle.includes(h));
      if (left.length > 0) log.warn(`the isobench run on ${left.join(', ')} may still be measuring (not stopped; see ${stopLog}): the next call waits for it`);
    }
  }
  return { code: exit.code, states, events, log: logFile, ...(interrupted ? { interrupted } : {}) };
}
