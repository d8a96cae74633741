// A stand-in for a fleet host's `isobench run`: a process with the command line fleet/fleet.yml's measure task gives
// the run in a workdir (node <checkout>/bin/isobench.mjs run --experiment|--resume …), so a stop can be tried on it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processAlive, spawnDaemon, terminate, type Daemon } from '../../src/proc.ts';
import { exitOf } from './processes.ts';
import { waitFor } from './wait.ts';

export interface FakeRun {
  daemon: Daemon;
  argv: string[];
  alive(): boolean;
  /** ended by SIGINT within ms: its handler's exit 130, or the signal itself when it came before the handler was set */
  interruptedWithin(ms: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** the command line the measure task gives a host's run: a new one, or the resume of its run folder `resume` */
export function fleetRunArgv(workdir: string, commit: string, fleetRun: string, resume?: string): string[] {
  const fleetDir = path.join(workdir, 'runs', fleetRun);
  const isobench = ['node', path.join(workdir, 'src', commit, 'bin', 'isobench.mjs')];
  return [...isobench, 'run', ...(resume ? ['--resume', path.join(fleetDir, 'data', 'runs', resume)] : ['--experiment', path.join(fleetDir, 'experiment.yaml')])];
}

/** starts the stand-in in `workdir` and returns once its command line is in /proc */
export async function startFakeRun(workdir: string, commit: string, fleetRun: string, resume?: string): Promise<FakeRun> {
  const argv = fleetRunArgv(workdir, commit, fleetRun, resume);
  mkdirSync(path.dirname(argv[1]), { recursive: true });
  writeFileSync(argv[1], "process.on('SIGINT', () => process.exit(130));\nsetInterval(() => {}, 60_000);\n");
  const daemon = spawnDaemon(argv, path.join(workdir, `fake-run-${daemonCount++}.log`));
  const cmdline = `${argv.join('\0')}\0`;
  await waitFor(`the stand-in run in /proc (${argv.join(' ')})`, () => readCmdline(daemon.pid) === cmdline, { timeoutMs: 10_000 });
  return {
    daemon,
    argv,
    alive: () => processAlive(daemon.pid),
    interruptedWithin: async (ms) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const end = await Promise.race([exitOf(daemon), new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); })]);
      clearTimeout(timer);
      return end !== undefined && (end.code === 130 || end.signal === 'SIGINT');
    },
    stop: () => terminate(daemon.pid, 2_000),
  };
}

let daemonCount = 0;

function readCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
}
