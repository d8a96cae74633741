// Runs fleet/fleet.yml with ansible-playbook on the hosts still to do, showing each host's progress live from its events.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { spawnDaemon, terminate } from '../proc.ts';
import { FleetInputError } from './errors.ts';
import { hostStates, parseEvents, progressLine, type FleetEvent, type HostState } from './events.ts';

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

export async function runPlaybook(p: PlaybookRun): Promise<PlaybookResult> {
  checkTemplateSafe(p.vars);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const eventsFile = path.join(p.dir, `events-${stamp}.jsonl`);
  const logFile = path.join(p.dir, `ansible-${stamp}.log`);
  const varsFile = path.join(p.dir, 'vars.json');
  writeFileSync(varsFile, `${JSON.stringify(p.vars, null, 2)}\n`);
  writeFileSync(eventsFile, '');
  const argv = ['ansible-playbook', '-i', p.inventory, '--limit', p.hosts.join(','), '--forks', String(p.forks), '-e', `@${varsFile}`, paths.fleetPlaybook];
  // only the output format is isobench's; connection, keys and host-key checking stay as the user's configuration says
  const env = {
    ANSIBLE_STDOUT_CALLBACK: 'isobench_fleet',
    ANSIBLE_CALLBACK_PLUGINS: [paths.fleetCallbacks, process.env.ANSIBLE_CALLBACK_PLUGINS].filter(Boolean).join(':'),
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ISOBENCH_FLEET_EVENTS: eventsFile,
  };
  log.info(`ansible-playbook on ${p.hosts.join(', ')} (log: ${logFile})`);
  const daemon = spawnDaemon(argv, logFile, { env });

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
  const stop = (signal: NodeJS.Signals) => {
    interrupted = signal;
    void terminate(daemon.pid, 5_000, true);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
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
  return { code: exit.code, states: hostStates(p.hosts, events), events, log: logFile, ...(interrupted ? { interrupted } : {}) };
}
