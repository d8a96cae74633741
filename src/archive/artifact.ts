// The archive stage: one deterministic artifact.tar.gz holding a run's data, its report, isobench's exact version and a manifest.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { log } from '../log.ts';
import { paths, reportFiles, runFiles } from '../paths.ts';
import { listFilesInside, RUN_FILES, statInside } from '../rundir/index.ts';
import type { Environment } from '../types.ts';
import { datasetCitation, citationName } from './citation.ts';
import { defaultAuthors, type Author, type DatasetFacts } from './dataset.ts';
import { formatManifest, manifestName, sha256Hex, type ManifestEntry } from './manifest.ts';
import { roCrateMetadata, roCrateName, type CrateFile } from './ro-crate.ts';
import { partialPath, writeTarball, type TarInput } from './tarball.ts';

/** Paths inside the artifact's top folder `isobench-<runId>/` that verify reads. */
export const inArtifact = { runFolder: 'run/', analysis: 'run/analysis.json', samples: 'run/samples.jsonl' } as const;

/** What archiving needs from environment.json. */
interface ArchiveEnvironment {
  run: string;
  startedAt: Date;
  commit: string;
  dirty: boolean;
  /** the rest, for the citation metadata: read leniently, since old runs may lack a field */
  raw: Partial<Environment>;
}

export interface ArchiveOptions {
  /** the dataset's authors (RO-Crate and CITATION.cff); default: the isobench authors */
  authors?: Author[];
}

/** Write `<reportDir>/artifact.tar.gz` for the run in runDir; returns its path. The same inputs give the same bytes. */
export async function archiveRun(runDir: string, reportDir: string, opts: ArchiveOptions = {}): Promise<string> {
  const rf = runFiles(runDir);
  const runArg = `--run ${runDir}`;
  for (const rel of [RUN_FILES.samples, RUN_FILES.environment, RUN_FILES.analysis]) statInside(runDir, rel); // a link is refused, not reported missing
  await requireFile(rf.samples, `run \`isobench run\` first (it measures and writes samples.jsonl)`);
  await requireFile(rf.environment, `run \`isobench run\` first (it writes environment.json when the run starts)`);
  await requireFile(rf.analysis, `run \`isobench analyze ${runArg}\` first`);
  const env = await readArchiveEnvironment(rf.environment);

  // the run's files through the one rule for untrusted trees: a link, hard link or device in the run is refused, never published
  const files = new Map<string, string>(); // path inside the top folder -> source file
  for (const rel of [RUN_FILES.samples, RUN_FILES.environment, RUN_FILES.analysis]) files.set(`run/${rel}`, statInside(runDir, rel)!.file);
  for (const rel of [RUN_FILES.experiment, RUN_FILES.plan, RUN_FILES.claims]) {
    const found = statInside(runDir, rel);
    if (found) files.set(`run/${rel}`, found.file);
    else log.warn(`${path.join(runDir, rel)}: missing; the artifact will not hold it`);
  }
  for (const rel of listFilesInside(runDir, RUN_FILES.logs)) files.set(`run/${rel}`, statInside(runDir, rel)!.file);

  const out = reportFiles(reportDir).archive;
  const ownOutput = new Set([out, partialPath(out)].map((p) => path.resolve(p)));
  const report = (await listFiles(reportDir)).filter(([, file]) => !ownOutput.has(path.resolve(file)));
  if (report.length === 0) log.warn(`${reportDir}: no report files; run \`isobench report ${runArg}\` first to include the report`);
  for (const [rel, file] of report) files.set(`report/${rel}`, file);

  const packageJson = path.join(paths.root, 'package.json');
  const lockfile = path.join(paths.root, 'package-lock.json');
  await requireFile(packageJson, 'run isobench from its project directory');
  files.set('software/package.json', packageJson);
  if (await isFile(lockfile)) files.set('software/package-lock.json', lockfile);
  else log.warn(`${lockfile}: missing; the artifact will not pin dependency versions`);
  const commit = Buffer.from(`${env.commit}\n${env.dirty ? 'dirty (uncommitted changes when the run started)\n' : ''}`);
  const facts = await datasetFacts(env, rf.analysis, opts.authors ?? defaultAuthors);
  const generated = new Map<string, Buffer>([['software/COMMIT', commit], [citationName, Buffer.from(datasetCitation(facts))]]);

  const crateFiles: CrateFile[] = [];
  for (const [rel, data] of generated) crateFiles.push({ path: rel, size: data.length, sha256: sha256Hex(data) });
  for (const [rel, file] of files) crateFiles.push({ path: rel, size: (await stat(file)).size, sha256: await sha256File(file) });
  const manifest: ManifestEntry[] = crateFiles.map((f) => ({ path: f.path, sha256: f.sha256! }));
  // the manifest's size does not depend on the hashes it holds, so the crate can give it before the crate's own hash is known
  const placeholder = '0'.repeat(64);
  const manifestSize = Buffer.byteLength(formatManifest([...manifest, { path: roCrateName, sha256: placeholder }]));
  const crate = Buffer.from(roCrateMetadata(facts, [...crateFiles, { path: manifestName, size: manifestSize }]));
  manifest.push({ path: roCrateName, sha256: sha256Hex(crate) });
  const manifestText = Buffer.from(formatManifest(manifest));
  if (manifestText.length !== manifestSize) throw new Error(`${manifestName}: ${manifestText.length} bytes, but ${roCrateName} says ${manifestSize} (a bug in isobench)`);
  generated.set(roCrateName, crate);

  const top = `isobench-${env.run}`;
  const inputs: TarInput[] = [
    // an artifact holds data: every file 0644 whatever its mode on disk, so verify can re-pack it byte for byte
    ...[...files].map(([rel, file]) => ({ path: `${top}/${rel}`, file, executable: false })),
    ...[...generated].map(([rel, data]) => ({ path: `${top}/${rel}`, data })),
    { path: `${top}/${manifestName}`, data: manifestText },
  ];
  await mkdir(reportDir, { recursive: true });
  await writeTarball(out, inputs, { mtime: env.startedAt });
  log.debug(`archive: ${out}: ${inputs.length} files`);
  return out;
}

async function readArchiveEnvironment(file: string): Promise<ArchiveEnvironment> {
  let env: Partial<Record<keyof Environment, unknown>> & { isobench?: Partial<Environment['isobench']> };
  try {
    env = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message}); re-run \`isobench run\` to recreate it`);
  }
  const run = env?.run;
  if (typeof run !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(run)) {
    throw new Error(`${file}: field 'run' must be a run id of letters, digits, '.', '_' and '-' (got ${JSON.stringify(run)})`);
  }
  const startedAt = new Date(env.startedAt as string);
  if (typeof env.startedAt !== 'string' || Number.isNaN(startedAt.getTime())) {
    throw new Error(`${file}: field 'startedAt' must be an ISO date (got ${JSON.stringify(env.startedAt)}); it fixes the artifact's timestamps`);
  }
  const commit = env.isobench?.commit;
  if (typeof commit !== 'string' || !commit || commit.includes('\n')) {
    throw new Error(`${file}: field 'isobench.commit' must be the git commit isobench ran from (got ${JSON.stringify(commit)})`);
  }
  return { run, startedAt, commit, dirty: env.isobench?.dirty === true, raw: env as Partial<Environment> };
}

/** The run as a dataset: experiment name and description from analysis.json, hosts and versions from environment.json. */
async function datasetFacts(env: ArchiveEnvironment, analysisFile: string, authors: Author[]): Promise<DatasetFacts> {
  let analysis: { experiment?: Partial<DatasetFacts['experiment']> } = {};
  try {
    analysis = JSON.parse(await readFile(analysisFile, 'utf8'));
  } catch (err) {
    throw new Error(`${analysisFile}: not valid JSON (${(err as Error).message}); re-run \`isobench analyze\``);
  }
  const str = (v: unknown, fallback: string) => (typeof v === 'string' ? v : fallback);
  const raw = env.raw;
  const hosts = raw.merged?.hosts?.map((h) => h.host) ?? [str(raw.host?.hostname, 'unknown host')];
  return {
    run: env.run,
    experiment: {
      name: str(analysis.experiment?.name, env.run),
      description: str(analysis.experiment?.description, ''),
      file: str(analysis.experiment?.file ?? raw.experiment?.file, 'experiment.yaml'),
      sha256: str(analysis.experiment?.sha256 ?? raw.experiment?.sha256, 'not recorded'),
    },
    startedAt: env.startedAt.toISOString(),
    ...(typeof raw.endedAt === 'string' && !Number.isNaN(new Date(raw.endedAt).getTime()) ? { endedAt: raw.endedAt } : {}),
    hosts,
    software: { version: str(raw.isobench?.version, 'unknown'), commit: env.commit, dirty: env.dirty },
    authors,
  };
}

async function requireFile(file: string, fix: string): Promise<void> {
  if (!(await isFile(file))) throw new Error(`${file}: missing; ${fix}`);
}

async function isFile(file: string): Promise<boolean> {
  return lstat(file).then((st) => st.isFile(), () => false);
}

/** Regular files under dir as [path relative to dir with '/', absolute path]; [] when dir is absent; links are skipped with a warning. */
async function listFiles(dir: string): Promise<[string, string][]> {
  const found: [string, string][] = [];
  const walk = async (sub: string) => {
    const entries = await readdir(path.join(dir, sub), { withFileTypes: true });
    for (const e of entries) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      const abs = path.join(dir, rel);
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile()) found.push([rel, abs]);
      else log.warn(`${abs}: not a regular file (a link or device); left out of the artifact`);
    }
  };
  if (await lstat(dir).then((st) => st.isDirectory(), () => false)) await walk('');
  return found;
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', (err) => reject(new Error(`${file}: cannot read: ${err.message}`)))
      .on('end', () => resolve(hash.digest('hex')));
  });
}
