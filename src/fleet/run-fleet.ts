// isobench fleet: the same experiment on every inventory host through Ansible, each host's run fetched, checked and merged
// (host as a dimension), then analysed, rendered and archived like any run. A second call resumes what the first left.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { archiveRun } from '../archive/artifact.ts';
import { log } from '../log.ts';
import { paths } from '../paths.ts';
import { renderReport } from '../report/index.ts';
import { mergeRuns } from '../run/merge.ts';
import { ensureSystemPackages, FLEET_PACKAGES } from '../setup/system.ts';
import { writeAnalysis } from '../stats/analyze.ts';
import type { LoadedExperiment } from '../types.ts';
import { which } from '../proc.ts';
import { FleetInputError } from './errors.ts';
import { acceptArtifact, fetchedRun, type FetchedRun } from './fetched.ts';
import { inventoryHosts, inventoryPath } from './inventory.ts';
import { markSlowHosts, measureSeconds, missingReason, type HostOutcome } from './outcome.ts';
import { checkTemplateSafe, runPlaybook, type PlaybookVars } from './playbook.ts';
import { checkUncommitted, headCommit, shipSource, sourceTarball } from './source.ts';

export interface FleetOptions {
  inventory: string;
  experiment: LoadedExperiment;
  limit?: string;
  forks: number;
  /** seconds a host may measure before Ansible stops waiting for it */
  hostTimeout: number;
  allowDirty: boolean;
  pdf: boolean;
}

export interface FleetResult {
  fleetRun: string;
  dir: string;
  hosts: HostOutcome[];
  /** Ctrl-C or SIGTERM stopped the playbook: nothing is merged, the next call resumes */
  interrupted?: NodeJS.Signals;
  /** the merged run, its report and artifact: absent when no host finished */
  runDir?: string;
  html?: string;
  pdf?: string;
  artifact?: string;
}

/** The same command (experiment bytes and commit) names the same fleet run, so calling it again resumes it. */
export function fleetRunId(experiment: LoadedExperiment, commit: string): string {
  const digest = createHash('sha256').update(`${experiment.sha256}\n${commit}\n`).digest('hex').slice(0, 12);
  return `fleet-${experiment.experiment.name}-${digest}`;
}

/** the fleet run's folder holds its own files (fleet.json, vars.json, merged/ …): hosts get theirs under hosts/<host>/ */
export const HOSTS_FOLDER = 'hosts';

export async function runFleet(o: FleetOptions): Promise<FleetResult> {
  // everything checked before anything is written, installed or run on any host
  const inventory = inventoryPath(o.inventory);
  const head = await headCommit();
  checkUncommitted(head, o.allowDirty);
  const { commit } = head;
  const fleetRun = fleetRunId(o.experiment, commit);
  const dir = paths.fleetRun(fleetRun);
  const hostsDir = path.join(dir, HOSTS_FOLDER);
  const experimentCopy = path.join(dir, 'experiment.yaml');
  const vars: PlaybookVars = {
    isobench_fleet_run: fleetRun,
    isobench_commit: commit,
    isobench_source_tar: sourceTarball(dir, commit),
    isobench_experiment_file: experimentCopy,
    isobench_fetch_dir: hostsDir,
    isobench_run_timeout: o.hostTimeout,
  };
  checkTemplateSafe(vars);
  await ensureSystemPackages(FLEET_PACKAGES, { install: true });
  for (const tool of ['ansible', 'ansible-playbook', 'ansible-inventory']) {
    if (!which(tool)) throw new FleetInputError(`${tool}: not found on PATH; install Ansible (apt-get install ansible, or 'isobench setup' as root)`);
  }
  const hosts = await inventoryHosts(inventory, o.limit);

  mkdirSync(hostsDir, { recursive: true });
  await shipSource(dir, commit);
  if (!existsSync(experimentCopy)) writeFileSync(experimentCopy, o.experiment.text);
  writeFileSync(path.join(dir, 'fleet.json'), `${JSON.stringify({ schema: 1, fleetRun, commit, experiment: { file: o.experiment.file, sha256: o.experiment.sha256 } }, null, 2)}\n`);
  log.step(`fleet run ${fleetRun}: ${hosts.length} host(s), commit ${commit.slice(0, 12)}, folder ${dir}`);

  // what an earlier call finished (or fetched but did not yet check) is taken as it is: nothing is measured or fetched twice
  const outcomes = new Map<string, HostOutcome>();
  const fetched = new Map<string, FetchedRun>();
  const todo: string[] = [];
  for (const host of hosts) {
    const before = fetchedRun(path.join(hostsDir, host), host);
    const accepted = before ? { status: 'accepted' as const, fetched: before } : await acceptArtifact(path.join(hostsDir, host), host);
    if (accepted.status === 'accepted') {
      fetched.set(host, accepted.fetched);
      outcomes.set(host, { host, status: 'complete', reused: true });
      log.info(`  ${host}: run ${accepted.fetched.run} already fetched and checked; not measured again`);
    } else {
      if (accepted.status === 'rejected') log.warn(`${host}: ${accepted.reason}`);
      todo.push(host);
    }
  }

  let interrupted: NodeJS.Signals | undefined;
  if (todo.length > 0) {
    const pb = await runPlaybook({ inventory, hosts: todo, forks: o.forks, dir, vars });
    interrupted = pb.interrupted;
    for (const host of todo) {
      const state = pb.states.get(host);
      const seconds = measureSeconds(state);
      const accepted = state?.status === 'fetched' ? await acceptArtifact(path.join(hostsDir, host), host) : { status: 'absent' as const };
      if (accepted.status === 'accepted') {
        fetched.set(host, accepted.fetched);
        outcomes.set(host, { host, status: 'complete', ...(seconds !== undefined ? { measureSeconds: seconds } : {}) });
      } else {
        const reason = accepted.status === 'rejected' ? accepted.reason : missingReason(state, pb.code, pb.log);
        outcomes.set(host, { host, status: 'missing', reason, ...(seconds !== undefined ? { measureSeconds: seconds } : {}) });
      }
    }
  }

  const results = markSlowHosts(hosts.map((h) => outcomes.get(h)!));
  const result: FleetResult = { fleetRun, dir, hosts: results, ...(interrupted ? { interrupted } : {}) };
  const complete = hosts.filter((h) => fetched.has(h));
  if (complete.length === 0 || interrupted) return result;

  // the merged run is derived from the fetched runs alone: made again from them on every call
  const merged = path.join(dir, 'merged', fleetRun);
  rmSync(merged, { recursive: true, force: true });
  mkdirSync(path.dirname(merged), { recursive: true });
  const missing = results.filter((r) => r.status === 'missing').map((r) => ({ host: r.host, reason: r.reason! }));
  log.step(`merging ${complete.join(', ')}${missing.length ? ` (missing: ${missing.map((m) => m.host).join(', ')})` : ''}`);
  await mergeRuns(complete.map((h) => fetched.get(h)!.runDir), merged, { hosts: complete, missingHosts: missing });
  log.step('analyzing');
  await writeAnalysis(merged);
  log.step('rendering the report');
  const reportDir = paths.reportDir(fleetRun);
  const out = await renderReport(merged, reportDir, { pdf: o.pdf });
  log.step('archiving');
  const artifact = await archiveRun(merged, reportDir);
  return { ...result, runDir: merged, html: out.html, ...(out.pdf ? { pdf: out.pdf } : {}), artifact };
}
