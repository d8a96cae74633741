// The seams between stages: plain data records and the two interfaces (Platform, Workload).

export type Family = 'native' | 'container' | 'secure-container' | 'hypervisor' | 'unikernel';
/** What isolates a platform's guest: hardware virtualisation (KVM), software emulation (QEMU TCG), or none (namespaces, a user-space kernel on ptrace). */
export type Virtualization = 'hardware' | 'emulated' | 'none';
/** how the host reaches the instance; 'sandbox': gVisor's own network stack (netstack) behind a veth pair into a netns isobench made */
export type NetworkMode = 'host' | 'bridge' | 'none' | 'tap' | 'user' | 'sandbox';

export interface Detection {
  available: boolean;
  version?: string;
  reason?: string; // why not available, with an install hint
  details?: Record<string, string>; // e.g. gVisor platforms offered, Kata hypervisor
}

/** What a platform needs to start a fresh instance. */
export interface InstanceSpec {
  /** unique name for this instance, safe as a container id ([a-z0-9-]) */
  name: string;
  cpus: number;
  memoryMiB: number;
  /** root filesystem directory (a benchmark rootfs built by src/images) */
  rootfs: string;
  /** content hash of the rootfs, for caching what a platform derives from it (images, bundles) */
  rootfsHash: string;
  /** host directory on real disk, visible inside the instance at /data */
  dataDir?: string;
  network?: NetworkMode;
  /** guest ports a server of the workload listens on (TCP and UDP), for platforms that must forward them */
  ports?: number[];
  /** platform options from the experiment file, validated against the platform's schema */
  options: Record<string, unknown>;
  /** directory for this instance's logs */
  logDir: string;
  /** the run's host-change log, for what a start changes on the host (the TAP bridge, a daemon) */
  hostChanges: HostChanges;
}

/** Where a platform or workload records a change it made to the host (a daemon started, a cgroup mounted, a bridge created): the run undoes each at its end, also on error and Ctrl-C, and lists them in environment.json. */
export interface HostChanges {
  record(by: string, what: string, undo: () => Promise<void>): void;
}

/** What a platform's provision step builds for: the run's benchmark rootfs and the option sets its cells use. */
export interface ProvisionContext {
  rootfs: { dir: string; hash: string };
  options: Record<string, unknown>[];
}

export interface ExecOptions {
  timeoutMs?: number;
  env?: Record<string, string>;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** exit code; null when killed by a signal */
  code: number | null;
  signal?: string | null;
  ms: number;
  timedOut: boolean;
  /** the host-side argv that ran (for the methods section and traceability) */
  hostArgv: string[];
  /** ms from spawn to the first byte on stdout (startup measurements); absent when nothing was printed */
  firstOutputMs?: number;
  /** ms from spawn to the first whole line equal to RunOptions.markerLine (a console that carries other lines first) */
  markerMs?: number;
  /** one-shot starts: what started and stopped the clock and what booted (kernel, boot arguments); stored as the samples' note */
  method?: string;
}

export interface OneShotOptions {
  timeoutMs?: number;
  /** the line argv prints: platforms whose console carries other output first (VMs, OSv) take first output as its arrival */
  marker?: string;
}

/** What a platform's start-up clock measures (docs/STARTUP.md prints these; the report shows them beside the start-up figure). */
export interface StartupClock {
  /** what the clock starts at: 'spawn of lxc-start -F', 'spawn of the VMM process' */
  starts: string;
  /** what first_output_ms stops at */
  firstOutput: string;
  /** what exit_ms stops at */
  exit: string;
  /** what a fresh instance is: its init, its image, what else boots */
  instance: string;
}

export interface Instance {
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** for network workloads: where a server inside the instance is reachable from the host */
  address?: string;
  /** guest port -> host port at `address`, when they differ (VMs with user-mode networking forward ports) */
  ports?: Record<number, number>;
  network?: NetworkMode;
  /** where spec.dataDir is seen inside the instance (on real disk), if one was given */
  dataPath?: string;
  /** a writable directory on an in-memory file system inside the instance (gVisor: the sandbox's own tmpfs), if the platform has one */
  memoryDir?: string;
  /** what this instance actually ran with where it decides what a benchmark measures (gVisor: network stack, file access, overlay); copied to every sample */
  settings?: Record<string, string>;
  /** always called; leaves nothing behind */
  stop(): Promise<void>;
  /** host PIDs of the processes that make up this instance (init, shim, sandbox, gofer, VMM), for tracing (HAP) */
  hostPids?(): Promise<number[]>;
}

export interface Platform {
  id: string;
  family: Family;
  /** one line: what this platform is, for doctor and the report */
  description: string;
  /** 'emulated' is labelled everywhere and never stands in for a platform the paper ran on KVM ('hardware') */
  virtualization: Virtualization;
  /** one of the platforms the paper measured (claims and architecture notes may name only these) */
  inPaper?: boolean;
  /** JSON Schema of `options` in the experiment file */
  optionsSchema?: object;
  /** Debian/Ubuntu packages that provide it (installed by `isobench setup` when missing) */
  packages?: string[];
  detect(): Promise<Detection>;
  /**
   * Once per run, before any instance starts: build what instances with these option sets need (guest kernel, initramfs,
   * root disk, VM probe verdicts), so that start() finds it cached and no build time lands in a start timeout or a
   * measured window. Returns one line per thing built or found, recorded in environment.json (`provisioned`).
   */
  provision?(ctx: ProvisionContext): Promise<string[]>;
  /** once per run before the first instance (start a daemon, apply a host fix), recording each change in `host` */
  prepare?(host: HostChanges): Promise<void>;
  start(spec: InstanceSpec): Promise<Instance>;
  /**
   * Create a fresh instance that runs argv as its workload and is gone when argv exits (`docker run --rm`, `runc run`,
   * a VM that powers off): the result's ms is creation to exit, firstOutputMs creation to first output. Leaves nothing behind.
   */
  oneShot?(spec: InstanceSpec, argv: string[], opts?: OneShotOptions): Promise<ExecResult>;
  /** what oneShot's clock measures; every platform with oneShot declares it */
  startupClock?: StartupClock;
  /** once per run after the last instance, also on error and Ctrl-C */
  teardown?(): Promise<void>;
  /** remove instances whose name starts with namePrefix that a crashed run (kill -9, power loss) left behind; returns their names */
  reap?(namePrefix: string): Promise<string[]>;
}

export interface Metric {
  name: string;
  value: number;
  unit: string;
  better: 'higher' | 'lower';
  /** how this value was obtained when it varies by host (HAP: "exact: ftrace function tracer" vs "sampled approximation: …"); copied to the Sample */
  note?: string;
  /** the smallest step the value can change by (1 for a count), when the workload knows it; copied to the Sample (src/stats/resolution.ts) */
  resolution?: number;
  /** measured on the session's first instance of the platform (cold caches); copied to the Sample, kept out of the warm statistics */
  firstStart?: boolean;
}

export interface MetricSpec {
  name: string;
  unit: string;
  better: 'higher' | 'lower';
  description?: string;
  /** the value's smallest step where it is an integer or quantised (1 for a count): every sample of it carries it (src/stats/resolution.ts) */
  resolution?: number;
}

export type Params = Record<string, unknown>;

export interface ClaimMeasures {
  jobs: string[];
  metrics: string[];
}

export interface WorkloadContext {
  /** cpus of the instance, for workloads whose thread count follows it */
  cpus: number;
  /**
   * Start a further fresh instance whose first process is argv and wait for its exit (startup measurements).
   * Given by the scheduler when the platform implements oneShot. firstStart: this is the session's first instance of the
   * platform (with these options), so it also pays for cold caches (an image just built or imported, a daemon just started).
   */
  oneShot?: (argv: string[], opts?: OneShotOptions) => Promise<ExecResult & { firstStart?: boolean }>;
  /** append text to this instance's log file (what a workload measured on the host side, e.g. HAP's function list) */
  log?: (text: string) => void;
  /** the run's host-change log, for what the workload changes on the host (HAP mounts tracefs) */
  hostChanges: HostChanges;
}

export interface Workload {
  id: string;
  description: string;
  /** binaries the benchmark image must hold */
  tools: string[];
  /** Debian/Ubuntu packages that provide the tools */
  packages?: string[];
  /** ports its server listens on inside the instance, for these params (platforms with forwarded ports need them) */
  guestPorts?(params: Params): number[];
  /** compile tools isobench ships as source into dir (paths.builtTools()); called once per run before the image is built */
  buildTools?(dir: string): Promise<void>;
  metrics: MetricSpec[];
  /** what a claim (data/paper/claims.yaml) may name of this workload: its jobs ('default' unless it has jobs) and metrics */
  claimMeasures: ClaimMeasures;
  /** JSON Schema of `params`; defaults are filled in by the loader */
  paramsSchema: object;
  /** about how many seconds one instance's measurement takes with these parameters (estimates before this host has timed it) */
  expectedS?(params: Params): number;
  /** measures only fresh one-shot instances (ctx.oneShot): the scheduler starts no long-lived instance, which would warm the platform first */
  oneShotOnly?: boolean;
  /** argv arrays only, never a shell string */
  run(instance: Instance, params: Params, ctx: WorkloadContext): Promise<Metric[]>;
  /** how the report shows it; the report reads only this, never a table of workload names */
  report: WorkloadReport;
}

/** How a figure shows a workload's metrics: ratio to native, absolute values, every instance (strip), the percentile ladder, or a metric against a swept parameter (sweep: needs `sweepPeak`). */
export type ReportChartKind = 'ratio' | 'value' | 'strip' | 'percentiles' | 'sweep';

export interface WorkloadReport {
  /** the report section (one of the paper's areas) */
  area: ClaimArea;
  /** the figures drawn for it, in order */
  charts: ReportChartKind[];
  /** metrics its figures draw, in order (absent: every metric that is neither a count nor a flag); the tables show all */
  charted?: string[];
  /** metrics of the percentile ladder, in ladder order (charts includes 'percentiles') */
  percentiles?: { metric: string; label: string }[];
  /** metrics that count events (retransmits): shown as values, never as a ratio to native */
  counts?: string[];
  /** 0/1 metrics (how a value was obtained): shown as how many instances had it, never as a statistic */
  flags?: string[];
  /** metrics whose values span orders of magnitude across platforms (startup): drawn on a log axis */
  logAxis?: boolean;
  /** metric tables that go to the HTML and CSV only, not to the printed body (fio's P50/P99 repeat its means) */
  screenOnlyTables?: string[];
  /** a workload swept over a parameter: the area names each platform's peak of this metric (the paper: native peaks at 110 threads); chart 'sweep' draws the metric against the parameter */
  sweepPeak?: { metric: string; param: string };
  /** the samples' notes say how the values were obtained (a YCSB mix's realisation, a server's settings): the area prints them once, under this title */
  howMeasured?: string;
}

/** Thrown by a workload when the tool ran but its output is not a valid result. */
export class WorkloadError extends Error {
  constructor(message: string, readonly output?: string) {
    super(message);
    this.name = 'WorkloadError';
  }
}

// ---- experiment and plan ----

export interface PlatformEntry {
  id: string;
  options: Record<string, unknown>;
  /** only these workloads run on this platform (absent: all of the experiment's) */
  workloads?: string[];
}

export interface JobEntry {
  name: string;
  params: Params;
}

export interface WorkloadEntry {
  id: string;
  params: Params;
  jobs: JobEntry[];
  sweep: Record<string, unknown[]>;
  /** overrides of the experiment's repetitions for this workload's cells */
  repetitions?: { instances?: number; iterations?: number };
}

/** Adaptive repetitions: a two-stage plan; the first minInstances fix how many instances (up to maxInstances) the cell needs for the target, or the budget ends it. */
export interface AdaptiveRepetitions {
  /** relative half-width (halfWidth / |mean|) of the 95% Student-t interval of the instance means */
  targetHalfWidth: number;
  minInstances: number;
  maxInstances: number;
  /** seconds of measuring per session after which adaptive cells stop at what they have */
  budgetS: number;
  /** the metric that decides; absent (or not a metric of the cell): every metric of the cell must be precise */
  metric?: string;
}

/**
 * Why an adaptive cell stopped: 'planned' (it has the instances its two-stage plan set after the first stage), its
 * maxInstances run, or the run's time budget spent first. 'precise' is read in logs written before issue 12 (stopped at
 * the first narrow interval, a rule that does not keep its coverage).
 */
export type AdaptiveReason = 'planned' | 'precise' | 'max' | 'budget';

export interface Experiment {
  name: string;
  description: string;
  seed: number;
  repetitions: { instances: number; iterations: number; adaptive?: AdaptiveRepetitions };
  /** `budget`: seconds the run may take; every cell gets repetitions.instances, the rest goes to cells undecided claims rest on (src/run/budget.ts) */
  budgetS?: number;
  resources: { cpus: number; memoryMiB: number };
  timeouts: { startS: number; cellS: number };
  platforms: PlatformEntry[];
  workloads: WorkloadEntry[];
}

export interface LoadedExperiment {
  file: string; // path as given
  text: string; // the file's bytes as run
  sha256: string;
  experiment: Experiment;
}

export interface Cell {
  id: string; // hash of the canonical description
  platform: string;
  platformOptions: Record<string, unknown>;
  workload: string;
  job: string;
  params: Params;
  /** fresh instances and iterations of this cell (absent in plans of isobench 0.1 before per-workload repetitions) */
  instances?: number;
  iterations?: number;
}

/** One fresh platform instance of one cell: the unit of replication. */
export interface PlannedInstance {
  cell: string;
  instance: number; // 0-based index within the cell
}

export interface Plan {
  schema: 1;
  experiment: string;
  seed: number;
  cells: Cell[];
  order: PlannedInstance[];
}

// ---- store ----

export type SampleStatus = 'ok' | 'failed' | 'timeout' | 'skipped';

export interface Sample {
  schema: 1;
  run: string;
  cell: string;
  platform: string;
  workload: string;
  job: string;
  params: Params;
  instance: number;
  /** 0 for the first measurement of this instance, +1 for each `run --resume --retry-failed`; the newest attempt supersedes older ones (absent = 0) */
  attempt?: number;
  iteration: number;
  metric: string | null;
  value: number | null;
  unit: string | null;
  better: 'higher' | 'lower' | null;
  status: SampleStatus;
  error?: string;
  /** Metric.note: how the value was obtained, when the method varies (HAP exact vs sampled, a VM's kernel and boot arguments) */
  note?: string;
  /** Metric.resolution: the value's smallest step, when the workload declares it */
  resolution?: number;
  /** Metric.firstStart: the session's first instance of this platform (cold caches); analysis reports it apart from the warm values */
  firstStart?: true;
  network?: NetworkMode;
  /** Instance.settings: what the platform ran with (gVisor's network stack, file access, overlay) */
  platformSettings?: Record<string, string>;
  /** the commands that produced this sample (host argv) */
  commands?: string[][];
  /** log file relative to the run directory */
  log?: string;
  /** set by `isobench merge`: which host (and source run) measured this value; analysis groups by it */
  host?: string;
  startedAt: string;
  endedAt: string;
}

// ---- analysis ----

export interface Interval {
  low: number;
  high: number;
  level: number; // 0.95
}

export interface MetricSummary {
  platform: string;
  /** in a merged run: the host these values come from; ratioToNative is against the same host's native */
  host?: string;
  workload: string;
  job: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  /** instances that produced a value (the n of the interval) */
  n: number;
  iterations: number; // total iteration values
  /** instances of this cell that failed or timed out without giving a value for this metric (lost.failed + lost.timeout) */
  failed: number;
  /** instances of this cell with no value for this metric, by the status of their first non-ok sample; an instance with a value is never here */
  lost?: { failed: number[]; timeout: number[]; skipped: number[] };
  /** instances that gave a value and also a failed, timed-out or skipped sample: counted once, in n */
  partial?: number[];
  /** the metric's resolution: the floor of each mean's standard error in every ratio (src/stats/resolution.ts) */
  resolution?: { value: number | null; source: 'declared' | 'inferred from the values' | 'none' };
  mean: number;
  median: number;
  sd: number;
  cv: number;
  ci: Interval | null; // Student t across instance means; null when n < 2
  /** per-instance means, in instance order */
  instanceMeans: number[];
  /** the instance numbers of instanceMeans (instances that produced no value are missing) */
  instances: number[];
  /** instance numbers whose mean is an outlier (modified z-score > 3.5); flagged, still counted */
  outliers: number[];
  /** the cell this summary is of, with its parameters and platform options (a cell can repeat a platform with other options) */
  cell: string;
  params: Params;
  platformOptions: Record<string, unknown>;
  /** the same interval the claims use (src/stats/ratio.ts); ci null with a problem when it cannot be tested */
  ratioToNative: { value: number; ci: Interval | null; method: string; problem?: string } | null;
  /** the command of the first sample, for the methods section */
  command?: string[];
  emulated?: boolean;
  network?: NetworkMode;
  /** adaptive cells only (logs/adaptive.jsonl): the target relative half-width, whether the cell reached it, and why it stopped */
  adaptive?: { target: number; reached: boolean; reason: string; planned?: number };
  /** percentiles of every warm iteration value (not instance means), for tails such as start-up's; first starts left out */
  percentiles?: { p50: number; p90: number; p99: number; values: number };
  /** values measured on a session's first instance of the platform (Sample.firstStart): kept out of every statistic above */
  firstStarts?: { instance: number; iteration: number; value: number }[];
}

export interface NotRun {
  platform: string;
  reason: string;
}

export interface Analysis {
  schema: 1;
  run: string;
  experiment: { name: string; description: string; file: string; sha256: string; seed: number };
  repetitions: { instances: number; iterations: number };
  /** how every ratio's interval is computed (src/stats/ratio.ts); absent in analyses made before issue 12 */
  ratioMethod?: string;
  /** analyses made before issue 12 only: the two-level bootstrap's resamples and seed */
  bootstrap?: { resamples: number; seed: number };
  summaries: MetricSummary[];
  notRun: NotRun[];
  failures: Failure[];
  /** the paper's claims (data/paper/claims.yaml), one verdict each (src/claims/evaluate.ts, docs/CLAIMS.md) */
  claims?: ClaimEvaluation;
  /** a merged run (isobench merge, isobench fleet): each claim's verdict per host and whether the hosts agree (src/claims/cross-host.ts) */
  crossHost?: CrossHostView;
  /** where the run's time went (runs whose completion markers carry times, since issue 18; src/stats/time-spent.ts) */
  time?: TimeSpent;
  /** a budgeted run: how its budget was spent (logs/budget.jsonl) */
  budget?: BudgetSpent;
}

/** Seconds of start, measured and stop per platform and per workload; waiting is the rest of the run's wall time. */
export interface TimeSpent {
  wallS: number;
  instancesS: number;
  /** detection, provisioning, image builds and the looks at the claims: wall time outside any instance */
  waitingS: number;
  byPlatform: TimeRow[];
  byWorkload: TimeRow[];
}

export interface TimeRow {
  key: string;
  instances: number;
  startS: number;
  measuredS: number;
  stopS: number;
}

export interface BudgetSpent {
  budgetS: number;
  /** instances of the first stage (every cell) and the ones given to cells undecided claims rest on */
  firstStage: number;
  given: number;
  /** instances given per claim (an instance may serve several) */
  byClaim: { claim: string; instances: number }[];
  /** instances planned but not given, and why */
  notGiven: { why: string; instances: number }[];
  looks: number;
  finalLevel: number;
}

// ---- across hosts ----

/** Verdicts stay within a host (ratios to that host's own native); this puts them side by side. */
export interface CrossHostView {
  hosts: string[];
  /** hosts meant to be in the run that are not (isobench fleet), with the reason */
  missing: { host: string; reason: string }[];
  /** how each host's verdicts were reached, and how the between-host spread is estimated */
  method: { verdicts: string; spread: string };
  claims: CrossHostClaim[];
}

/** 'disagree': reproduced on one host, not reproduced on another; 'mixed': verdicts differ without that contradiction
 * (one host's is inconclusive or partly tested where another's is decided) */
export type HostAgreement = 'agree' | 'disagree' | 'mixed' | 'one host' | 'not run' | 'caveat';

export interface CrossHostClaim {
  id: string;
  claim: string;
  area: ClaimArea;
  /** the claim's verdict on each host, evaluated on that host's summaries alone (Holm within the host) */
  verdicts: { host: string; verdict: ClaimVerdictKind; reason: string }[];
  /** among the hosts where the claim was tested (not 'not run'): one verdict, a contradiction, verdicts of differing
   * certainty, or too few hosts to say */
  agreement: HostAgreement;
  /** per compared ratio measured on three or more hosts: hosts as a random effect beside instances */
  spread: BetweenHostRatio[];
}

export interface BetweenHostRatio extends RandomEffectsRatio {
  platform: string;
  reference: string;
  workload: string;
  job: string;
  metric: string;
  params?: Params;
  /** each host's ratio (platform mean / reference mean) */
  perHost: { host: string; ratio: number }[];
}

/** one ratio across hosts, hosts as a random effect beside instances (src/claims/between-hosts.ts) */
export interface RandomEffectsRatio {
  hosts: number;
  /** exp of the random-effects mean log ratio: the ratio across hosts */
  ratio: number;
  /** its 95% interval: mean ± t(k-1) · se */
  ci: Interval;
  /** between-host standard deviation of the log ratio */
  tau: number;
  /** exp(tau): a typical host's ratio is within this factor of the pooled one */
  spreadFactor: number;
  /** share of the total variance due to hosts rather than instances (0..1) */
  i2: number;
  /** where a new host's ratio is expected (95%): mean ± t(k-2) · sqrt(tau² + se²) */
  prediction: Interval;
}

// ---- claims ----

/** partly tested: some clauses of the claim were tested and held, others could not be tested here; never counted as reproduced */
export type ClaimVerdictKind = 'reproduced' | 'partly tested' | 'not reproduced' | 'inconclusive' | 'not run' | 'caveat';

/** One clause of a claim (a condition, a link of a chain, the cause) and what this run found for it. */
export interface ClauseOutcome {
  label: string;
  kind: 'condition' | 'link' | 'cause';
  /** a contrast's architectural component */
  isolates?: string;
  /** an ordering's link between the groups around ones that did not run (transitivity): those groups, each as 'a | b' */
  impliedAcross?: string[];
  outcome: 'held' | 'did not hold' | 'inconclusive' | 'not run';
  /** why, in one sentence: the deciding interval, or what did not run and why */
  why: string;
  comparisons: number;
  /** subject entries tested in this clause, and those not */
  subjectTested: string[];
  subjectMissing: string[];
}
export type ClaimArea = 'cpu' | 'memory' | 'disk' | 'network' | 'startup' | 'isolation' | 'application';
export type ClaimTestKind = 'ratio-range' | 'equivalence' | 'ordering' | 'relation' | 'caveat';

export interface ClaimProvenance {
  /** text: a sentence of the paper; summary: a reader's paraphrase; scripts: the authors' scripts */
  kind: 'text' | 'summary' | 'scripts';
  where: string; // 'Finding 2', 'Startup section'
}

/** The paper's absolute number, for display only: never compared with this run's. */
export interface PaperValue {
  what: string;
  value: number;
  unit: string;
}

/** One platform / reference ratio that a claim's test looked at (instance means: n, mean, sd). */
export interface ClaimComparison {
  /** the part of the test this belongs to: a relation's label, 'runc better than docker-runc', ... */
  condition: string;
  workload: string;
  job: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  /** the cell's parameters, when not empty (a sweep compares equal parameters only) */
  params?: Params;
  platform: string;
  reference: string;
  platformStats: { mean: number; sd: number; n: number; resolution?: number };
  referenceStats: { mean: number; sd: number; n: number; resolution?: number };
  /** platform mean / reference mean; null when the reference mean is 0 */
  ratio: number | null;
  /** 95% interval of the ratio (Welch t on the log ratio, delta method); null when untestable */
  interval: Interval | null;
  df: number | null;
  /** what the claim needs: low <= ratio <= high */
  bounds: { low?: number; high?: number };
  /** the interval against the bounds; 'untestable' when n < 2 or a mean <= 0 */
  holds: 'inside' | 'outside' | 'straddles' | 'untestable';
  /** p-value against 'the claim is false' for this comparison (small supports the claim) */
  pSupport: number;
  /** p-value against 'the claim is true' for this comparison (small refutes it) */
  pRefute: number;
  /** the analysis' ratio to native (the same Welch interval on the log ratio), when the reference is native */
  ratioToNative?: MetricSummary['ratioToNative'];
  /** why it is untestable */
  problem?: string;
  /** the compared cell's platform options, when it has any (gVisor's network) */
  platformOptions?: Record<string, unknown>;
  /** a cause's contrast: the sides of platform[with] / platform[without] (each over its reference in a ratio of ratios) */
  contrast?: { role: string; platform: string; cell: string; mean: number; sd: number; n: number; resolution?: number }[];
}

export interface ClaimVerdict {
  id: string;
  claim: string;
  area: ClaimArea;
  provenance: ClaimProvenance;
  /** the test's kind and the test in words */
  test: { kind: ClaimTestKind; description: string };
  verdict: ClaimVerdictKind;
  /** one sentence: why this verdict */
  reason: string;
  /** partial: some platforms or measures that the claim names did not run here */
  coverage?: 'full' | 'partial';
  /** the platforms the claim is about (an entry: one platform of the paper, 'a or b' for its alternatives) and how many must hold */
  subject?: { platforms: string[]; quantifier: 'all' | 'most'; share?: number };
  /** each clause with its outcome; 'reproduced' and 'not reproduced' need every clause tested on the subject */
  clauses?: ClauseOutcome[];
  comparisons: ClaimComparison[];
  /** what the claim names that gave no value here, and why */
  missing: {
    platforms: NotRun[];
    measures: { workload: string; job: string; metric: string; reason: string }[];
  };
  /** tested claims only: the claim's p-values and their Holm-adjusted values */
  p?: { support: number; refute: number; supportHolm: number; refuteHolm: number };
  /** an undecided claim: about how many instances per side would decide its widest-straddling comparison */
  neededPerSide?: number;
  /** a budgeted run: the look of its sequential design that decided the claim */
  decidedAt?: { look: number; fraction: number; level: number; state: 'reproduced' | 'not reproduced' };
  note?: string;
  paperValue?: PaperValue[];
}

export interface ClaimEvaluation {
  /** the multiple-comparison correction, in words, with the size of the family */
  correction: string;
  alpha: number;
  /** a budgeted run (src/run/budget.ts): the group-sequential design its looks followed, and the level left for the last look */
  sequential?: { looks: number; finalLevel: number; rule: string };
  /** the claims file as evaluated */
  file: string;
  sha256: string;
  verdicts: ClaimVerdict[];
}

/** One non-ok sample. */
export interface Failure {
  platform: string;
  /** in a merged run: the host the failure happened on */
  host?: string;
  workload: string;
  job: string;
  instance: number;
  status: SampleStatus;
  error: string;
  cell: string;
  params: Params;
  iteration: number;
}

// ---- environment ----

export interface PlatformRecord extends Detection {
  id: string;
  family: Family;
  description: string;
  emulated?: boolean;
  /** whether the experiment asked for it */
  requested: boolean;
}

export interface HostChange {
  what: string; // e.g. 'mounted hugetlb cgroup v1 hierarchy at /sys/fs/cgroup/hugetlb'
  by: string; // platform id
  undone: boolean;
}

export interface Environment {
  schema: 1;
  run: string;
  startedAt: string;
  endedAt?: string;
  host: {
    hostname: string;
    cpuModel: string;
    cores: number;
    memoryMiB: number;
    kernel: string;
    distribution: string;
    arch: string;
    virtualization?: string;
  };
  noise: { governor?: string; smt?: string; swapMiB?: number; loadavg: number[] };
  tools: Record<string, string>; // tool -> version line
  platforms: PlatformRecord[];
  hostChanges: HostChange[];
  /** what the provision step built before any instance started, per platform (absent in runs before it existed) */
  provisioned?: { platform: string; what: string[]; ms: number }[];
  isobench: { version: string; commit: string; dirty: boolean };
  experiment: { file: string; sha256: string };
  node: string;
  /** written by `isobench merge` only: the source runs and the environment of each host */
  merged?: MergedFrom;
  /** one entry per `isobench run --resume` of this run (src/run/resume.ts) */
  resumes?: ResumeRecord[];
}

/** One resumed session of a run: when, where, and what the resume repaired in the store. */
export interface ResumeRecord {
  startedAt: string;
  endedAt?: string;
  host: { hostname: string; cpuModel: string };
  /** resumed with --force on another host than the run's */
  forced: boolean;
  retryFailed: boolean;
  /** samples of instances that had not finished (no completion marker), removed before re-running them */
  droppedPartialSamples: number;
  /** line number of a half-written last line of samples.jsonl that was removed, if any */
  droppedHalfWrittenLine?: number;
  /** the copy of samples.jsonl as it was before the repair (relative to the run directory), if it was rewritten */
  backup?: string;
  /** instances run in this session */
  instancesRun?: number;
}

/** What a merged run was made of (src/run/merge.ts). The top-level host, noise, tools and isobench describe the first source. */
export interface MergedFrom {
  /** one per source run, in the order given: the label its samples carry as `host`, and its environment.json as it was */
  hosts: { host: string; run: string; environment: Environment }[];
  /** with --common-cells: cells left out because not every source run had them */
  droppedCells: { cell: string; platform: string; workload: string; job: string; in: string[] }[];
  /** isobench fleet: hosts of the inventory that did not finish, with the reason; the merged run holds the others */
  missing?: { host: string; reason: string }[];
}
