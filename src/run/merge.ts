// Merge: several runs of one experiment (other hosts, other days) become one run directory whose samples carry the host.
// It lives in src/run/ because its output is a run directory like the run stage's: analyze, report and archive read it unchanged.
import { lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '../log.ts';
import { runFiles } from '../paths.ts';
import { listFilesInside, plainName, readBytesInside, readEnvironment, readPlan, readSamples, readTextInside, RUN_FILES } from '../rundir/index.ts';
import type { Cell, Environment, MergedFrom, Plan, PlatformRecord, Sample } from '../types.ts';

export interface MergeOptions {
  /** merge only the cells every run has (runs of different experiment files); default: refuse them */
  commonCells?: boolean;
  /** the label of each run, in the order given (isobench fleet: the inventory's host names); default: each run's hostname.
   * With labels, one run is enough: a fleet where one host finished is still a run with the host as a dimension. */
  hosts?: string[];
  /** hosts that were meant to be in the merge and are not, with the reason (isobench fleet), kept in environment.json */
  missingHosts?: { host: string; reason: string }[];
}

export interface MergeResult {
  runDir: string;
  run: string;
  /** the label each source run's samples carry as `host`, in the order given */
  hosts: { host: string; run: string; dir: string }[];
  cells: number;
  samples: number;
  droppedCells: MergedFrom['droppedCells'];
}

/** A merge that would mix what must not be mixed; the message says why and what to do. */
export class MergeRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeRefused';
  }
}

interface Source {
  dir: string;
  env: Environment;
  plan: Plan;
  samples: Sample[];
  host: string;
  /** folder under the merged run's logs/ that holds this source's logs */
  logFolder: string;
}

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Merge the runs in runDirs into a new run directory outDir (which must not exist, or be empty). */
export async function mergeRuns(runDirs: string[], outDir: string, opts: MergeOptions = {}): Promise<MergeResult> {
  if (opts.hosts && opts.hosts.length !== runDirs.length) throw new MergeRefused(`merge: ${opts.hosts.length} host label(s) for ${runDirs.length} run(s)`);
  if (runDirs.length < (opts.hosts ? 1 : 2)) throw new MergeRefused(`merge: give at least two run directories (got ${runDirs.length})`);
  const run = path.basename(path.resolve(outDir));
  if (!RUN_ID.test(run)) throw new MergeRefused(`--out ${outDir}: the folder name '${run}' becomes the run id; use letters, digits, '.', '_' and '-'`);
  await requireEmpty(outDir);

  await checkSchemas(runDirs);
  const sources = await readSources(runDirs, opts.hosts);
  const { kept, dropped } = cellsToMerge(sources, opts.commonCells === true);
  const keptIds = new Set(kept.map((c) => c.id));

  const samples: Sample[] = [];
  for (const src of sources) {
    for (const s of src.samples) {
      if (!keptIds.has(s.cell)) continue;
      samples.push({ ...s, host: src.host, ...(s.log ? { log: relocateLog(s.log, src.logFolder) } : {}) });
    }
  }
  const first = sources[0];
  const plan: Plan = {
    schema: 1,
    experiment: first.plan.experiment,
    seed: first.plan.seed,
    cells: kept,
    order: sources.flatMap((src) => src.plan.order.filter((o) => keptIds.has(o.cell))),
  };
  const environment = mergedEnvironment(run, sources, dropped, opts.missingHosts);

  // written beside outDir and renamed at the end, so a failed merge leaves no half run directory
  const tmp = `${path.resolve(outDir)}.partial`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const files = runFiles(tmp);
    await writeFile(files.samples, samples.map((s) => `${JSON.stringify(s)}\n`).join(''));
    await writeFile(files.plan, `${JSON.stringify(plan, null, 2)}\n`);
    await writeFile(files.environment, `${JSON.stringify(environment, null, 2)}\n`);
    const experiment = readBytesInside(first.dir, RUN_FILES.experiment);
    if (experiment) await writeFile(files.experiment, experiment);
    else log.warn(`${runFiles(first.dir).experiment}: missing; the merged run has no experiment.yaml (the analysis omits the description)`);
    // file by file through the one rule: no link is followed, every name is plain, nothing lands outside logs/<folder>/
    for (const src of sources) {
      for (const rel of listFilesInside(src.dir, RUN_FILES.logs)) {
        const target = path.join(files.logs, src.logFolder, ...rel.split('/').slice(1));
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, readBytesInside(src.dir, rel)!, { flag: 'wx' });
      }
    }
    await rm(outDir, { recursive: true, force: true }); // empty (checked above)
    await rename(tmp, outDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  for (const d of dropped) log.warn(`merge: cell ${d.cell} (${d.platform} × ${d.workload}/${d.job}) left out: only in ${d.in.join(', ')}`);
  return {
    runDir: path.resolve(outDir),
    run,
    hosts: sources.map((s) => ({ host: s.host, run: s.env.run, dir: s.dir })),
    cells: kept.length,
    samples: samples.length,
    droppedCells: dropped,
  };
}

/** Every source must use the same schema version of each file; compared before anything is parsed as version 1. */
async function checkSchemas(runDirs: string[]): Promise<void> {
  for (const name of ['plan', 'environment', 'samples'] as const) {
    const versions: { dir: string; schema: unknown }[] = [];
    for (const dir of runDirs) versions.push({ dir, schema: await schemaOf(runFiles(dir)[name], name) });
    const other = versions.find((v) => v.schema !== versions[0].schema);
    if (other) {
      throw new MergeRefused(`merge refused: ${path.basename(runFiles(other.dir)[name])} schema versions differ (${versions.map((v) => `${v.dir}: ${JSON.stringify(v.schema)}`).join('; ')}); runs of different schema versions are never merged`);
    }
  }
}

async function schemaOf(file: string, name: 'plan' | 'environment' | 'samples'): Promise<unknown> {
  const text = readTextInside(path.dirname(file), path.basename(file));
  if (text === null) throw new MergeRefused(`${file}: cannot read (ENOENT); is this a run directory written by 'isobench run'?`);
  const firstLine = name === 'samples' ? text.split('\n').find((l) => l.trim() !== '') : text;
  if (firstLine === undefined) return undefined;
  try {
    return (JSON.parse(firstLine) as { schema?: unknown })?.schema;
  } catch (err) {
    throw new MergeRefused(`${file}: not valid JSON (${(err as Error).message})`);
  }
}

async function readSources(runDirs: string[], givenLabels?: string[]): Promise<Source[]> {
  const read = await Promise.all(runDirs.map(async (dir) => {
    const env = readEnvironment(dir);
    const plan = readPlan(dir);
    const samples = readSamples(dir);
    if (env.merged || samples.some((s) => s.host !== undefined)) {
      throw new MergeRefused(`${dir}: is itself a merged run; merge the runs it was made of instead (environment.json: merged.hosts lists them)`);
    }
    return { dir, env, plan, samples };
  }));
  // the label names a folder of the merged run's logs: a plain name only (a hostname '..' would be the run itself)
  const hostnames = givenLabels
    ? givenLabels.map((h) => plainName(h, 'hostname', 'merge: host label'))
    : read.map((r) => plainName(r.env.host?.hostname || r.env.run, 'hostname', `${runFiles(r.dir).environment}: host.hostname`));
  const labels = read.map((r, i) => (hostnames.filter((h) => h === hostnames[i]).length > 1 ? `${hostnames[i]}/${r.env.run}` : hostnames[i]));
  const sources: Source[] = [];
  const folders = new Set<string>();
  read.forEach((r, i) => {
    const twice = labels.indexOf(labels[i]);
    if (twice !== i) throw new MergeRefused(`merge refused: ${read[twice].dir} and ${r.dir} are the same run (host ${hostnames[i]}, run ${r.env.run}); give each run once`);
    let folder = plainName(labels[i].replace(/\//g, '-'), 'hostname', `${r.dir}`);
    for (let k = 2; folders.has(folder); k++) folder = `${labels[i].replace(/\//g, '-')}-${k}`;
    folders.add(folder);
    sources.push({ ...r, host: labels[i], logFolder: folder });
  });
  return sources;
}

/** The cells to merge in the first run's plan order; refuses different experiments unless commonCells. */
function cellsToMerge(sources: Source[], commonCells: boolean): { kept: Cell[]; dropped: MergedFrom['droppedCells'] } {
  const first = sources[0];
  const ids = sources.map((s) => new Set(s.plan.cells.map((c) => c.id)));
  const allCells = new Map<string, Cell>();
  for (const s of sources) for (const c of s.plan.cells) if (!allCells.has(c.id)) allCells.set(c.id, c);
  const inAll = (id: string) => ids.every((set) => set.has(id));

  if (!commonCells) {
    const problems: string[] = [];
    for (const s of sources.slice(1)) {
      if (s.env.experiment.sha256 !== first.env.experiment.sha256) {
        problems.push(`${s.dir} ran ${s.env.experiment.file} (sha256 ${s.env.experiment.sha256.slice(0, 12)}), ${first.dir} ran ${first.env.experiment.file} (sha256 ${first.env.experiment.sha256.slice(0, 12)})`);
      }
    }
    const notShared = [...allCells.keys()].filter((id) => !inAll(id));
    if (notShared.length) problems.push(`${notShared.length} cell(s) are not in every run (${notShared.slice(0, 5).join(', ')}${notShared.length > 5 ? ', …' : ''})`);
    if (problems.length) {
      throw new MergeRefused(`merge refused: the runs are not of the same experiment file: ${problems.join('; ')}. Merge runs of one experiment file, or pass --common-cells to merge only the cells they all have`);
    }
  }
  const order = [...first.plan.cells, ...allCells.values()].filter((c, i, all) => all.findIndex((x) => x.id === c.id) === i);
  const kept = order.filter((c) => inAll(c.id));
  if (kept.length === 0) throw new MergeRefused('merge refused: the runs have no cell in common (a cell is platform × workload × job × parameters × resources)');
  const dropped = order.filter((c) => !inAll(c.id)).map((c) => ({
    cell: c.id, platform: c.platform, workload: c.workload, job: c.job,
    in: sources.filter((_, i) => ids[i].has(c.id)).map((s) => s.host),
  }));
  return { kept, dropped };
}

/** samples name logs as 'logs/<...>'; in the merged run they sit under logs/<source folder>/ */
function relocateLog(log: string, folder: string): string {
  return log.startsWith('logs/') ? `logs/${folder}/${log.slice('logs/'.length)}` : `logs/${folder}/${log}`;
}

/** The merged environment: the first source's host record at the top (readers that know one host keep working), every host under merged. */
function mergedEnvironment(run: string, sources: Source[], dropped: MergedFrom['droppedCells'], missing?: MergedFrom['missing']): Environment {
  const first = sources[0].env;
  const starts = sources.map((s) => s.env.startedAt).sort();
  const ends = sources.map((s) => s.env.endedAt).filter((e): e is string => typeof e === 'string').sort();
  return {
    schema: 1,
    run,
    startedAt: starts[0],
    ...(ends.length === sources.length ? { endedAt: ends[ends.length - 1] } : {}),
    host: first.host,
    noise: first.noise,
    tools: mergedTools(sources),
    platforms: mergedPlatforms(sources),
    hostChanges: sources.flatMap((s) => s.env.hostChanges.map((c) => ({ ...c, what: `on ${s.host}: ${c.what}` }))),
    isobench: first.isobench,
    experiment: first.experiment,
    node: first.node,
    merged: {
      hosts: sources.map((s) => ({ host: s.host, run: s.env.run, environment: s.env })),
      droppedCells: dropped,
      ...(missing && missing.length > 0 ? { missing } : {}),
    },
  };
}

/** One value when every host agrees; otherwise each value with the hosts that had it. */
function perHost(values: { host: string; value: string | undefined }[]): string | undefined {
  const present = values.filter((v): v is { host: string; value: string } => v.value !== undefined);
  if (present.length === 0) return undefined;
  const distinct = [...new Set(present.map((v) => v.value))];
  if (distinct.length === 1 && present.length === values.length) return distinct[0];
  return distinct.map((d) => `${d} (${present.filter((v) => v.value === d).map((v) => v.host).join(', ')})`).join('; ');
}

function mergedTools(sources: Source[]): Record<string, string> {
  const names = [...new Set(sources.flatMap((s) => Object.keys(s.env.tools)))].sort();
  return Object.fromEntries(names.map((n) => [n, perHost(sources.map((s) => ({ host: s.host, value: s.env.tools[n] })))!]));
}

/** A platform is available in the merged run when it was on some host; versions and reasons keep their hosts. */
function mergedPlatforms(sources: Source[]): PlatformRecord[] {
  const ids = [...new Set(sources.flatMap((s) => s.env.platforms.map((p) => p.id)))];
  return ids.map((id) => {
    const on = sources.map((s) => ({ host: s.host, record: s.env.platforms.find((p) => p.id === id) }));
    const records = on.map((o) => o.record).filter((r): r is PlatformRecord => r !== undefined);
    const available = records.some((r) => r.available);
    const merged: PlatformRecord = {
      ...records[0],
      available,
      requested: records.some((r) => r.requested),
      ...(records.some((r) => r.emulated) ? { emulated: true } : {}),
    };
    const version = perHost(on.map((o) => ({ host: o.host, value: o.record?.version })));
    if (version !== undefined) merged.version = version;
    else delete merged.version;
    const reasons = on.filter((o) => o.record && !o.record.available).map((o) => ({ host: o.host, value: o.record!.reason ?? 'not available (no reason recorded)' }));
    if (!available) merged.reason = perHost(reasons);
    else if (reasons.length) merged.reason = `not available on every host: ${perHost(reasons)}`;
    else delete merged.reason;
    return merged;
  });
}

async function requireEmpty(dir: string): Promise<void> {
  const st = await lstat(dir).catch(() => null);
  if (!st) return;
  if (!st.isDirectory() || (await readdir(dir)).length > 0) {
    throw new MergeRefused(`--out ${dir}: already exists and is not an empty directory; choose a new directory (the merged run's id is its name)`);
  }
}

