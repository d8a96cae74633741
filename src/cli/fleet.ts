import { loadExperiment } from '../experiment/load.ts';
import { FleetInputError } from '../fleet/errors.ts';
import { runFleet } from '../fleet/run-fleet.ts';
import { log } from '../log.ts';
import { RefusedInput } from '../rundir/index.ts';
import { requireString, UsageError, type Command } from './command.ts';

const DEFAULT_FORKS = 5;
const DEFAULT_HOST_TIMEOUT_S = 24 * 3600;

function positiveInt(value: unknown, option: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`fleet: --${option} ${JSON.stringify(value)}: give a whole number from 1 to ${max}`);
  }
  return n;
}

export const fleet: Command = {
  name: 'fleet',
  summary: 'Run one experiment on every host of an Ansible inventory, fetch and check each run, merge them (host as a dimension), report.',
  usage: 'isobench fleet --inventory PATH --experiment FILE [--limit HOSTS] [--forks N] [--host-timeout S] [--allow-dirty] [--no-pdf]',
  help: [
    '  --inventory PATH     an Ansible inventory (INI or YAML file, or a folder of them): yours, with your SSH user, keys and',
    '                       known_hosts; reads a host path. Checked whole (ansible-inventory --list) before any host is touched:',
    '                       host names (or aliases) become folders: letters, digits, . _ - and no group of the same name;',
    '                       per host, isobench_workdir sets the remote folder (absolute; default ~/isobench-fleet)',
    '  --experiment FILE    the experiment file every host runs (reads a host path)',
    "  --limit HOSTS        an Ansible host pattern: only these hosts (as ansible-playbook's --limit)",
    `  --forks N            hosts Ansible works on at the same time (default ${DEFAULT_FORKS}, at most 100; ansible-playbook --forks).`,
    '                       A host holds a fork while its measuring is awaited, so with more hosts than forks the others',
    '                       mostly start when one finishes: give at least as many forks as hosts to measure all at once',
    `  --host-timeout S     seconds isobench run may take on a host: then it is stopped there and the host given up (default ${DEFAULT_HOST_TIMEOUT_S}, at most 604800)`,
    '  --allow-dirty        ship HEAD although the checkout has uncommitted changes (they are named, and not shipped;',
    '                       untracked files are never shipped, and named)',
    '  --no-pdf             render the HTML report only',
    '',
    'Ships HEAD (git archive) to each host, runs `isobench setup` and `isobench run` there (argv only, no shell), archives the',
    'run and fetches the artifact to data/fleet/<fleet-run>/hosts/<host>/, checks its MANIFEST.sha256, then merges the hosts that',
    'finished into one run and writes its analysis, report and archive (report/<fleet-run>/). Calling the same command again',
    'resumes: finished hosts are neither measured nor fetched again, interrupted runs continue with `run --resume` there,',
    'and a run still measuring from an earlier call is waited for. Ctrl-C stops the playbook here, then the `isobench run`',
    'measuring on each host (SIGINT there; a second Ctrl-C leaves them going, and the next call waits for them). Hosts go',
    'through the playbook each at its own pace (Ansible strategy free). The measuring time shown is `isobench run`\'s own',
    'duration on the host.',
    'Exit 0 when every host finished; 1 when one is missing (named, with the reason; the report covers the others); 2 bad input.',
    'Prints the merged run directory, the report and the artifact on stdout.',
  ].join('\n'),
  options: {
    inventory: { type: 'string', short: 'i' },
    experiment: { type: 'string', short: 'e' },
    limit: { type: 'string', short: 'l' },
    forks: { type: 'string' },
    'host-timeout': { type: 'string' },
    'allow-dirty': { type: 'boolean' },
    'no-pdf': { type: 'boolean' },
  },
  async run(values) {
    const inventory = requireString(values, 'inventory', 'fleet');
    const experimentFile = requireString(values, 'experiment', 'fleet');
    const forks = positiveInt(values.forks, 'forks', 100, DEFAULT_FORKS);
    const hostTimeout = positiveInt(values['host-timeout'], 'host-timeout', 7 * 24 * 3600, DEFAULT_HOST_TIMEOUT_S);
    const limit = values.limit as string | undefined;
    if (limit !== undefined && (limit === '' || limit.length > 1000)) throw new UsageError('fleet: --limit: give an Ansible host pattern (at most 1000 characters)');
    const experiment = loadExperiment(experimentFile);
    let result;
    try {
      result = await runFleet({ inventory, experiment, limit, forks, hostTimeout, allowDirty: values['allow-dirty'] === true, pdf: values['no-pdf'] !== true });
    } catch (err) {
      if (err instanceof FleetInputError || err instanceof RefusedInput) throw new UsageError(err.message);
      throw err;
    }
    log.info('');
    for (const h of result.hosts) {
      const time = h.measureSeconds !== undefined ? ` (measured ${Math.round(h.measureSeconds)} s)` : '';
      log.info(`  ${h.host}: ${h.status === 'complete' ? `complete${h.reused ? ' (from an earlier call)' : ''}${time}` : `MISSING: ${h.reason}`}`);
      if (h.slow) log.warn(`much slower host: ${h.slow}`);
    }
    if (result.runDir) {
      log.info(`run:     ${result.runDir}`);
      log.info(`HTML:    ${result.html}`);
      if (result.pdf) log.info(`PDF:     ${result.pdf}`);
      log.info(`archive: ${result.artifact}`);
      process.stdout.write(`${result.runDir}\n${result.html}\n${result.pdf ? `${result.pdf}\n` : ''}${result.artifact}\n`);
    }
    if (result.interrupted) {
      log.error(`fleet: interrupted (${result.interrupted}); the hosts keep what they finished: run the same command again to resume`);
      return result.interrupted === 'SIGINT' ? 130 : 143;
    }
    const missing = result.hosts.filter((h) => h.status === 'missing');
    if (missing.length > 0) {
      const covered = result.hosts.filter((h) => h.status === 'complete').map((h) => h.host);
      log.error(`fleet: ${missing.length} of ${result.hosts.length} host(s) missing: ${missing.map((m) => `${m.host} (${m.reason})`).join('; ')}; ${covered.length ? `the report covers ${covered.join(', ')}` : 'no report (no host finished)'}; run the same command again to complete the fleet`);
      return 1;
    }
    return 0;
  },
};
