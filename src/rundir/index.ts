// The run directory as a contract: its formats, one reader and validator per file, and the rule for reading untrusted trees.
export { FORMAT, LIMITS, RUN_FILES, type AdaptiveDecision, type BudgetGift, type BudgetLook, type ClaimState, type Completion, type InFlight, type RunFile } from './formats.ts';
export { RefusedInput } from './refused.ts';
export { INSTANCE_PREFIX, instancePrefix, PLAIN_NAME, plainName, plainRelativePath } from './names.ts';
export { decodeUtf8, listFilesInside, MAX_FILE_BYTES, readBytesInside, readTextInside, statInside } from './untrusted.ts';
export { isRecord, parseJournal, PROTOTYPE_KEYS } from './journal.ts';
export { parseSampleLines, parseSamples, readSamples, readSamplesText, sampleProblem, type SampleLine } from './samples.ts';
export { parseCompletions, readCompletionsText } from './completed.ts';
export { readPlan, validatePlan } from './plan.ts';
export { readEnvironment, validateEnvironment } from './environment.ts';
export { readAnalysis, validateAnalysis } from './analysis.ts';
export { readClaimsCopy, readExperimentCopy, readExperimentMeta } from './experiment-copy.ts';
export { parseAdaptiveLog, readAdaptiveLog } from './adaptive-log.ts';
export { parseBudgetLog, readBudgetLog, type BudgetLog } from './budget-log.ts';
export { readInFlightRecord } from './in-flight.ts';
export { appendNoFollow, APPEND_NO_FOLLOW, checkWritable, CREATE_NEW, explainFsError, fsyncDir, writeFileAtomic, writeJsonAtomic } from './write.ts';
export { checkShape, checkVersion, readRunJson } from './json-file.ts';
