// The one place that knows where things live on disk.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** the project root (where package.json is) */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const dataRoot = () => process.env.ISOBENCH_DATA ?? path.join(root, 'data');
const reportRoot = () => process.env.ISOBENCH_REPORT ?? path.join(root, 'report');

export const paths = {
  root,
  experiments: path.join(root, 'experiments'),
  schema: path.join(root, 'experiments', 'schema.json'),
  defaultExperiment: path.join(root, 'experiments', 'quick.yaml'),
  templates: path.join(root, 'templates'),
  paperData: path.join(root, 'data', 'paper'),
  /** the paper's claims as data and its JSON Schema (src/claims/load.ts) */
  claims: path.join(root, 'data', 'paper', 'claims.yaml'),
  claimsSchema: path.join(root, 'data', 'paper', 'claims.schema.json'),
  /** the paper's bibliographic facts for the report's title page (src/report/sources.ts) */
  paper: path.join(root, 'data', 'paper', 'paper.yaml'),
  /** the report's architecture callouts and their JSON Schema (src/report/sources.ts) */
  architecture: path.join(root, 'data', 'paper', 'architecture.yaml'),
  architectureSchema: path.join(root, 'data', 'paper', 'architecture.schema.json'),
  /** the commit of a checkout shipped by `isobench fleet` (a git archive has no .git): written by fleet/fleet.yml */
  shippedCommit: path.join(root, '.isobench-commit'),
  /** the playbook `isobench fleet` runs, and its stdout callback (fleet/) */
  fleetPlaybook: path.join(root, 'fleet', 'fleet.yml'),
  fleetStopPlaybook: path.join(root, 'fleet', 'stop.yml'),
  fleetCallbacks: path.join(root, 'fleet', 'callback_plugins'),
  /** fleet runs: data/fleet/<fleet-run>/hosts/<host>/ holds each host's fetched artifact and its run (src/fleet/) */
  fleet: () => path.join(dataRoot(), 'fleet'),
  fleetRun: (id: string) => path.join(dataRoot(), 'fleet', id),
  runs: () => path.join(dataRoot(), 'runs'),
  run: (runId: string) => path.join(dataRoot(), 'runs', runId),
  cache: () => path.join(dataRoot(), 'cache'),
  images: () => path.join(dataRoot(), 'cache', 'images'),
  /** start, measure and stop times seen on this host, per platform and workload, for estimates (src/run/estimate.ts) */
  timings: () => path.join(dataRoot(), 'cache', 'timings.json'),
  /** binaries isobench compiles itself (e.g. the STREAM kernels): on PATH for native, at /usr/local/bin in images */
  builtTools: () => path.join(dataRoot(), 'cache', 'tools', 'bin'),
  /** a benchmark root filesystem and its tarball, cached by content hash (src/images/rootfs.ts) */
  rootfs: (hash: string) => path.join(dataRoot(), 'cache', 'images', `rootfs-${hash}`),
  rootfsTar: (hash: string) => path.join(dataRoot(), 'cache', 'images', `rootfs-${hash}.tar`),
  /** a dockerd that isobench starts itself: its config (runtimes) and log (src/platforms/dockerd.ts) */
  dockerd: () => path.join(dataRoot(), 'cache', 'dockerd'),
  /** guest kernels from the distribution's package, extracted and cached by package version (src/images/guest-kernel.ts) */
  kernels: () => path.join(dataRoot(), 'cache', 'kernels'),
  /** a VM's initramfs (cpio newc) for a rootfs, cached by content hash (src/images/initramfs.ts) */
  initramfs: (hash: string) => path.join(dataRoot(), 'cache', 'images', `initramfs-${hash}.cpio`),
  /** a VM's read-only ext4 root disk for a rootfs, cached by content hash (src/images/root-disk.ts) */
  rootDisk: (hash: string) => path.join(dataRoot(), 'cache', 'images', `rootdisk-${hash}.ext4`),
  /** results of booting a tiny guest once per accelerator, keyed by host kernel and VMM version (src/platforms/vm-probe.ts) */
  vmProbes: () => path.join(dataRoot(), 'cache', 'vm-probes'),
  /** scratch directories on real disk (never tmpfs) for disk workloads */
  scratch: () => path.join(dataRoot(), 'scratch'),
  lock: () => path.join(dataRoot(), 'runs', '.lock'),
  reportDir: (runId: string) => path.join(reportRoot(), runId),
};

/** files inside a run directory */
export const runFiles = (runDir: string) => ({
  experiment: path.join(runDir, 'experiment.yaml'),
  plan: path.join(runDir, 'plan.json'),
  samples: path.join(runDir, 'samples.jsonl'),
  environment: path.join(runDir, 'environment.json'),
  analysis: path.join(runDir, 'analysis.json'),
  /** the claims file the last analysis evaluated, copied so verify can re-run that analysis exactly */
  claims: path.join(runDir, 'claims.yaml'),
  logs: path.join(runDir, 'logs'),
  /** one line per finished instance, written after its samples (src/run/store.ts): what `run --resume` counts as done */
  completed: path.join(runDir, 'logs', 'completed.jsonl'),
  /** one line per decision of an adaptive cell: why it stopped (src/run/adaptive.ts), read by the analysis */
  adaptive: path.join(runDir, 'logs', 'adaptive.jsonl'),
  /** a budgeted run's looks at the claims and why each instance beyond the minimum was given (src/run/budget.ts) */
  budget: path.join(runDir, 'logs', 'budget.jsonl'),
  /** the instance being measured and the session measuring it, so a resume can remove what a crash left behind */
  inFlight: path.join(runDir, 'logs', 'in-flight.json'),
});

/** files inside a report directory */
export const reportFiles = (reportDir: string) => ({
  html: path.join(reportDir, 'index.html'),
  pdf: path.join(reportDir, 'report.pdf'),
  charts: path.join(reportDir, 'charts'),
  summary: path.join(reportDir, 'summary.csv'),
  /** one row per claim: verdict, p-values, provenance */
  claimsCsv: path.join(reportDir, 'claims.csv'),
  /** the claims' verdicts with all their evidence, and the callouts' measured evidence */
  verdicts: path.join(reportDir, 'verdicts.json'),
  archive: path.join(reportDir, 'artifact.tar.gz'),
  /** the page as printed, with the contents' page numbers filled in; removed after printing */
  printHtml: path.join(reportDir, '.print.html'),
});
