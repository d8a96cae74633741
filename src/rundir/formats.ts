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
