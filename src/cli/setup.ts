import { loadExperiment } from '../experiment/load.ts';
import { paths } from '../paths.ts';
import { parseProvisionList, provision, PROVISION_TOOLS } from '../setup/provision.ts';
import { ensureSystemPackages, packagesFor, packagesForAll } from '../setup/system.ts';
import { UsageError, type Command } from './command.ts';

export const setup: Command = {
  name: 'setup',
  summary: 'Install the system packages an experiment needs (Debian/Ubuntu, as root); otherwise print the command. --provision installs what Debian does not package.',
  usage: 'isobench setup [--experiment FILE | --all] [--check | --list] [--provision TOOL[,TOOL…]|all]',
  help: [
    '  --experiment FILE    experiment file (default experiments/quick.yaml)',
    '  --all                every package a registered platform or workload declares (what CI and the tests install)',
    '  --check              only list what is missing, install nothing',
    '  --list               print the wanted packages, one per line, installed or not (for scripts such as .ci/run)',
    '  --provision TOOLS    after the packages, run scripts/provision/<tool>.mjs (zx scripts: pinned version and checksum,',
    '                       download, verify, install; each is idempotent). Tools:',
    ...PROVISION_TOOLS.map((t) => `                         ${t.tool.padEnd(17)} ${t.provides}`),
    '                       all: every one, in that order. ISOBENCH_PROVISION_BASE_URL points downloads at a mirror.',
  ].join('\n'),
  options: {
    experiment: { type: 'string', short: 'e' }, all: { type: 'boolean' }, check: { type: 'boolean' }, list: { type: 'boolean' }, provision: { type: 'string' },
  },
  async run(values) {
    let tools: string[] = [];
    try {
      if (values.provision !== undefined) tools = parseProvisionList(values.provision as string);
    } catch (e) {
      throw new UsageError(`setup: ${(e as Error).message}`);
    }
    const wanted = values.all ? packagesForAll() : packagesFor(loadExperiment((values.experiment as string | undefined) ?? paths.defaultExperiment).experiment);
    if (values.list) {
      process.stdout.write(wanted.map((w) => `${w.pkg}\n`).join(''));
      return 0;
    }
    const r = await ensureSystemPackages(wanted, { install: !values.check });
    if (values.check) return r.missing.length > 0 ? 1 : 0;
    if (tools.length && (await provision(tools)).length) return 1;
    return 0;
  },
};
