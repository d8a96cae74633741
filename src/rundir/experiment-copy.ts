// experiment.yaml (and claims.yaml) as copied into the run: the exact bytes that were run, read as strict UTF-8.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { log } from '../log.ts';
import { budgetSeconds } from './budget-syntax.ts';
import { LIMITS, RUN_FILES } from './formats.ts';
import { decodeUtf8, readBytesInside } from './untrusted.ts';
import { parseYamlDocument } from '../yaml-document.ts';

/** The run's copy of its experiment file: text and the sha256 of its bytes; null when the run has none. */
export function readExperimentCopy(runDir: string): { text: string; sha256: string } | null {
  const bytes = readBytesInside(runDir, RUN_FILES.experiment, { maxBytes: LIMITS.yamlBytes });
  if (bytes === null) return null;
  return { text: decodeUtf8(bytes, path.join(runDir, RUN_FILES.experiment)), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The claims file an analysis evaluated, as kept beside it; null when absent. */
export function readClaimsCopy(runDir: string): string | null {
  const bytes = readBytesInside(runDir, RUN_FILES.claims, { maxBytes: LIMITS.yamlBytes });
  return bytes === null ? null : decodeUtf8(bytes, path.join(runDir, RUN_FILES.claims));
}

/** The experiment's description, repetitions and budget (in seconds) from the run's copy; {} when absent or not YAML (old runs stay analysable). */
export function readExperimentMeta(runDir: string): { description?: string; repetitions?: { instances: number; iterations: number }; budgetS?: number } {
  const copy = readExperimentCopy(runDir);
  if (!copy) return {};
  let doc: any;
  try {
    doc = parseYamlDocument(copy.text, { bytes: LIMITS.yamlBytes }).value; // bounded: the copy comes from whoever made the run
  } catch (e) {
    log.warn(`${path.join(runDir, RUN_FILES.experiment)}: not valid YAML (${(e as Error).message.split('\n')[0]}); the analysis omits the description`);
    return {};
  }
  const out: { description?: string; repetitions?: { instances: number; iterations: number }; budgetS?: number } = {};
  if (typeof doc?.description === 'string') out.description = doc.description;
  const budgetS = budgetSeconds(doc?.budget);
  if (budgetS !== null) out.budgetS = budgetS;
  const r = doc?.repetitions;
  if (Number.isInteger(r?.instances) && Number.isInteger(r?.iterations)) out.repetitions = { instances: r.instances, iterations: r.iterations };
  return out;
}
