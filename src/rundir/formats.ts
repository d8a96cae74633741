// The run directory's files and their format versions: what a run stage writes and every later stage reads (docs/DATA.md).

/** The version each file is written in; a reader accepts this and every older version listed in docs/DATA.md. */
export const FORMAT = {
  samples: 1,
  completed: 1,
  plan: 1,
  environment: 1,
  analysis: 1,
} as const;

export type RunFile = keyof typeof FORMAT;

/** Names of the files inside a run directory, relative to it (src/paths.ts runFiles gives the absolute paths). */
export const RUN_FILES = {
  experiment: 'experiment.yaml',
  plan: 'plan.json',
  samples: 'samples.jsonl',
  environment: 'environment.json',
  analysis: 'analysis.json',
  claims: 'claims.yaml',
  logs: 'logs',
  completed: 'logs/completed.jsonl',
  adaptive: 'logs/adaptive.jsonl',
  budget: 'logs/budget.jsonl',
  inFlight: 'logs/in-flight.json',
} as const;

/** Caps on what a reader takes from a run directory: far above what a real run writes, far below what exhausts memory. */
export const LIMITS = {
  /** samples.jsonl and completed.jsonl */
  journalBytes: 256 * 1024 * 1024,
  /** one line of a journal (a sample with its commands and error text is a few KB) */
  lineBytes: 1024 * 1024,
  /** plan.json, environment.json, analysis.json */
  jsonBytes: 64 * 1024 * 1024,
  /** experiment.yaml and claims.yaml copied into the run */
  yamlBytes: 1024 * 1024,
} as const;

/**
 * Marks one attempt of one instance as finished: written after its samples are on disk, so `run --resume` can tell
 * a finished instance (marker present, sample count matching) from one a crash interrupted (no marker).
 */
export interface Completion {
  schema: 1;
  cell: string;
  instance: number;
  attempt: number;
  /** the worst status among its samples: timeout > failed > skipped > ok */
  status: 'ok' | 'failed' | 'timeout' | 'skipped';
  /** how many lines of samples.jsonl this attempt wrote */
  samples: number;
  /** an adaptive cell stopped before this instance (status 'skipped', samples 0): a decision, never retried */
  adaptive?: 'planned' | 'precise' | 'budget';
  /** a budgeted run (src/run/budget.ts): why this instance was given, or why it was not */
  why?: string;
  /** a budgeted run: the stage that gave this instance, 'first' (every cell's minimum) or 'given' (to undecided claims) */
  stage?: 'first' | 'given';
  /** where the instance's time went, in ms: start (until the instance answered), measured (the workload), stop */
  timing?: { startMs: number; measureMs: number; stopMs: number };
  endedAt: string;
}

/** One line of logs/adaptive.jsonl: a cell's decision to stop. */
export interface AdaptiveDecision {
  schema: 1;
  cell: string;
  platform: string;
  workload: string;
  job: string;
  reason: 'planned' | 'precise' | 'max' | 'budget';
  /** instances of the cell that were measured (with any sample, ok or not) */
  instances: number;
  /** the least precise considered metric and its relative half-width (halfWidth / |mean|; null: no interval) */
  metric: string | null;
  relHalfWidth: number | null;
  target: number;
  /** the instances the two-stage plan set after the first stage (absent before the first stage was in, and in old logs) */
  planned?: number;
  /** how the plan was set */
  plan?: string;
  at: string;
}

/** A claim's state at a look of a budgeted run (src/run/budget.ts). */
export type ClaimState = 'reproduced' | 'not reproduced' | 'undecided' | 'futile' | 'untested';

/** One line of logs/budget.jsonl: a look at the claims. */
export interface BudgetLook {
  schema: 1;
  kind: 'look';
  look: number;
  at: string;
  /** share of the budget passed (1 at the last look) */
  fraction: number;
  /** two-sided α spent up to and including this look, and this look's level (the increment) */
  spentAlpha: number;
  level: number;
  final: boolean;
  claims: { id: string; state: ClaimState; support?: number; refute?: number; neededPerSide?: number; why: string }[];
}

/** One line of logs/budget.jsonl: an instance given beyond the minimum, and why. */
export interface BudgetGift {
  schema: 1;
  kind: 'give';
  at: string;
  cell: string;
  instance: number;
  /** the claims this instance serves */
  claims: string[];
  why: string;
}

/** The instance being measured, written before it starts and removed after it stopped (logs/in-flight.json). */
export interface InFlight {
  /** `<run id>:<pid>` of the session measuring it */
  session: string;
  pid: number;
  platform: string;
  /** every instance of this measurement has a name starting with this (the instance and its one-shot siblings) */
  namePrefix: string;
  cell: string;
  instance: number;
  attempt: number;
  startedAt: string;
}
