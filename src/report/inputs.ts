// Reads what the report needs from a run directory, with errors that name the file, the field and the fix.
import { log } from '../log.ts';
import { runFiles } from '../paths.ts';
import { parseSamples, readAnalysis, readEnvironment, readExperimentCopy, readPlan, readSamplesText, RefusedInput, checkShape } from '../rundir/index.ts';

import { latestAttempts } from '../stats/analyze.ts';
import type { Analysis, Environment, Plan, Sample } from '../types.ts';

/** cell id (with '@host' in a merged run) -> instance number -> the log files (relative to the run directory) that its samples name */
export type SampleLogs = Record<string, Record<number, string[]>>;

/** The key of a cell's logs: in a merged run two hosts share cell ids. */
export const logKey = (cell: string, host?: string): string => (host ? `${cell}@${host}` : cell);

export interface ReportInputs {
  analysis: Analysis;
  environment: Environment;
  plan: Plan;
  /** the experiment file's bytes as run */
  experimentText: string;
  /** where each instance's samples were logged, for the appendix; null when samples.jsonl is absent */
  sampleLogs: SampleLogs | null;
  /** logKey(cell, host) -> the distinct notes of its samples (how a value was obtained: HAP exact or sampled) */
  sampleNotes: Record<string, string[]>;
  /** why analysis.json may be out of date with the run (warned about, and shown in the report) */
  stale?: string;
}

/** Everything through src/rundir: no link followed, names plain, strict UTF-8, sizes capped, versions checked. */
export function readRunInputs(runDir: string): ReportInputs {
  const files = runFiles(runDir);
  const analysis = readAnalysis(runDir);
  const environment = readEnvironment(runDir);
  const plan = readPlan(runDir);
  const experiment = readExperimentCopy(runDir);
  if (!experiment) throw new Error(`${files.experiment}: cannot read (ENOENT); the run stage copies the experiment file there; re-run the experiment`);
  checkShape(files.environment, environment as unknown as Record<string, unknown>, { run: 'string', startedAt: 'string', host: 'object', tools: 'object', noise: 'object', isobench: 'object' });
  if (environment.run !== analysis.run) {
    throw new RefusedInput(`${files.environment}: run: '${environment.run}' differs from analysis.json's '${analysis.run}'; both files must come from the same run directory`);
  }
  const samplesText = readSamplesText(runDir);
  const samples = samplesText === null ? null : parseSamples(samplesText, files.samples);
  const index = samples === null ? null : indexSamples(samples);
  const stale = staleness(analysis, environment, samples);
  if (stale) log.warn(`${files.analysis}: ${stale}`);
  return { analysis, environment, plan, experimentText: experiment.text, sampleLogs: index?.logs ?? null, sampleNotes: index?.notes ?? nullObject(), ...(stale ? { stale } : {}) };
}

/**
 * Why analysis.json may not describe the run's samples as they are now, or null. Compared by content (mtimes change
 * with every checkout and copy): the experiment's hash, and the number of values counted against those stored.
 */
export function staleness(analysis: Analysis, environment: Environment, samples: Sample[] | null): string | null {
  const fix = "re-run 'isobench analyze' before reporting";
  if (analysis.experiment?.sha256 && environment.experiment?.sha256 && analysis.experiment.sha256 !== environment.experiment.sha256) {
    return `stale: analysed experiment sha256 ${analysis.experiment.sha256.slice(0, 12)}, the run's is ${environment.experiment.sha256.slice(0, 12)}; ${fix}`;
  }
  if (samples === null) return null;
  // a platform's first start is stored but kept out of the statistics (MetricSummary.firstStarts): it counts as analysed
  const analysed = analysis.summaries.reduce((n, s) => n + (s.iterations ?? 0) + (s.firstStarts?.length ?? 0), 0);
  const stored = latestAttempts(samples).filter((s) => s.status === 'ok').length;
  return analysed === stored ? null : `stale: it counts ${analysed} measured values, samples.jsonl holds ${stored}; ${fix}`;
}

/** An object keyed by data: no prototype, so a key like '__proto__' is just a key. */
const nullObject = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

/** Notes kept per cell: enough to say how the values were obtained, not every sample's numbers. */
const NOTES_PER_CELL = 3;

/** Only log paths and a few notes are kept: the report draws from analysis.json, and links each figure back to its samples. */
export function indexSamples(samples: Sample[]): { logs: SampleLogs; notes: Record<string, string[]> } {
  const logs: SampleLogs = nullObject();
  const notes: Record<string, string[]> = nullObject();
  for (const s of samples) {
    const key = logKey(s.cell, s.host);
    const byInstance = (logs[key] ??= nullObject());
    const list = (byInstance[s.instance] ??= []);
    if (s.log && !list.includes(s.log)) list.push(s.log);
    if (s.note) {
      const mine = (notes[key] ??= []);
      if (mine.length < NOTES_PER_CELL && !mine.includes(s.note)) mine.push(s.note);
    }
  }
  return { logs, notes };
}
