// ro-crate-metadata.json: the artifact described as an RO-Crate 1.1 (https://w3id.org/ro/crate/1.1), so repositories can read its metadata.
import path from 'node:path';
import { stableStringify } from '../stats/stable-json.ts';
import { authorName, datasetDate, datasetDescription, datasetLicense, datasetTitle, reproducedPaper, softwareLicense, type DatasetFacts } from './dataset.ts';

export const roCrateName = 'ro-crate-metadata.json';
const spec = 'https://w3id.org/ro/crate/1.1';
// RO-Crate 1.1 has no checksum term; this is the one the Workflow Run RO-Crate profiles define for it.
const sha256Term = 'https://w3id.org/ro/terms/workflow-run#sha256';

/** One file of the crate, its path relative to the crate root (the artifact's top folder). */
export interface CrateFile {
  path: string;
  size: number;
  /** absent only for MANIFEST.sha256, which cannot hold a hash of the file that lists its own hash */
  sha256?: string;
}

type Entity = Record<string, unknown> & { '@id': string };
const ref = (id: string) => ({ '@id': id });

/** The RO-Crate JSON-LD text: keys sorted, entities in a fixed order, so the same inputs give the same bytes. */
export function roCrateMetadata(facts: DatasetFacts, files: CrateFile[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of sorted) {
    if (f.path === roCrateName) throw new Error(`${roCrateName}: the metadata file describes itself through its descriptor, not as a part`);
  }
  const has = (p: string) => sorted.some((f) => f.path === p);
  const authors: Entity[] = facts.authors.map((a, i) => (a.kind === 'person'
    ? { '@id': `#author-${i + 1}`, '@type': 'Person', name: authorName(a), givenName: a.given, familyName: a.family }
    : { '@id': `#author-${i + 1}`, '@type': 'Organization', name: a.name }));
  const paperAuthors: Entity[] = reproducedPaper.authors.map((a) => ({
    '@id': `#paper-author-${a.family.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`, '@type': 'Person', name: `${a.given} ${a.family}`, givenName: a.given, familyName: a.family,
  }));
  const experimentFile = 'run/experiment.yaml';
  // what the run produced; the experiment file is what it ran (the action's object)
  const results = sorted.filter((f) => (f.path.startsWith('run/') || f.path.startsWith('report/')) && f.path !== experimentFile).map((f) => ref(f.path));

  const descriptor: Entity = { '@id': roCrateName, '@type': 'CreativeWork', conformsTo: ref(spec), about: ref('./') };
  const root: Entity = {
    '@id': './',
    '@type': 'Dataset',
    name: datasetTitle(facts),
    description: datasetDescription(facts),
    datePublished: datasetDate(facts),
    version: facts.run,
    license: ref(datasetLicense.url),
    author: authors.map((a) => ref(a['@id'])),
    citation: ref(reproducedPaper.url),
    about: ref('#experiment'),
    mentions: ref('#run'),
    keywords: ['isolation platforms', 'containers', 'virtual machines', 'benchmark', 'reproduction', facts.experiment.name],
    hasPart: sorted.map((f) => ref(f.path)),
  };
  const fileEntities: Entity[] = sorted.map((f) => ({
    '@id': f.path,
    '@type': 'File',
    name: path.posix.basename(f.path),
    encodingFormat: encodingFormat(f.path),
    contentSize: String(f.size),
    ...(f.sha256 ? { sha256: f.sha256 } : {}),
    ...(describe(f.path) ? { description: describe(f.path) } : {}),
    ...(f.path === experimentFile ? { exampleOfWork: ref('#experiment') } : {}),
  }));
  const contextual: Entity[] = [
    {
      '@id': '#experiment',
      '@type': 'CreativeWork',
      name: `isobench experiment '${facts.experiment.name}'`,
      description: facts.experiment.description || `the experiment file ${facts.experiment.file}`,
      identifier: `sha256:${facts.experiment.sha256}`,
      ...(has(experimentFile) ? { workExample: ref(experimentFile) } : {}),
      isBasedOn: ref(reproducedPaper.url),
    },
    {
      '@id': '#run',
      '@type': 'CreateAction',
      name: `isobench run ${facts.run}`,
      description: `measured on ${facts.hosts.join(', ') || 'an unrecorded host'}`,
      startTime: new Date(facts.startedAt).toISOString(),
      endTime: datasetDate(facts),
      instrument: ref('#isobench'),
      object: ref('#experiment'),
      result: results,
    },
    {
      '@id': '#isobench',
      '@type': 'SoftwareApplication',
      name: 'isobench',
      version: facts.software.version,
      identifier: facts.software.commit,
      description: `isobench ${facts.software.version}, git commit ${facts.software.commit}${facts.software.dirty ? ' with uncommitted changes' : ''}; exact dependency versions in software/package-lock.json`,
      license: ref(softwareLicense.url),
    },
    {
      '@id': reproducedPaper.url,
      '@type': 'ScholarlyArticle',
      name: reproducedPaper.title,
      author: paperAuthors.map((a) => ref(a['@id'])),
      datePublished: String(reproducedPaper.year),
      identifier: reproducedPaper.url,
      publisher: reproducedPaper.publisher,
      isPartOf: reproducedPaper.proceedings,
    },
    { '@id': datasetLicense.url, '@type': 'CreativeWork', name: datasetLicense.name, identifier: datasetLicense.spdx },
    { '@id': softwareLicense.url, '@type': 'CreativeWork', name: softwareLicense.name, identifier: softwareLicense.spdx },
    ...authors,
    ...paperAuthors,
  ].sort((a, b) => (a['@id'] < b['@id'] ? -1 : a['@id'] > b['@id'] ? 1 : 0));

  const doc = {
    '@context': ['https://w3id.org/ro/crate/1.1/context', { sha256: sha256Term }],
    '@graph': [descriptor, root, ...fileEntities, ...contextual],
  };
  return `${stableStringify(doc)}\n`;
}

/** IANA media type by name; application/octet-stream for anything unknown. */
export function encodingFormat(file: string): string {
  const name = path.posix.basename(file);
  if (name === 'COMMIT' || name.endsWith('.sha256') || name.endsWith('.log') || name.endsWith('.txt')) return 'text/plain';
  const types: [string, string][] = [
    ['.jsonl', 'application/x-ndjson'], ['.json', 'application/json'], ['.yaml', 'application/yaml'], ['.yml', 'application/yaml'],
    ['.cff', 'application/yaml'], ['.html', 'text/html'], ['.pdf', 'application/pdf'], ['.svg', 'image/svg+xml'],
    ['.csv', 'text/csv'], ['.md', 'text/markdown'],
  ];
  return types.find(([ext]) => name.endsWith(ext))?.[1] ?? 'application/octet-stream';
}

const descriptions: Record<string, string> = {
  'run/samples.jsonl': 'raw samples: one JSON object per measured value, failures and timeouts included',
  'run/environment.json': 'host, kernel, noise conditions, tool and platform versions, isobench commit',
  'run/analysis.json': 'statistics: per platform, workload and metric n, mean, 95 % interval, ratio to native; claim verdicts',
  'run/plan.json': 'cells and the seeded order in which their instances ran',
  'run/experiment.yaml': 'the experiment file as run',
  'report/index.html': 'the report (self-contained HTML)',
  'report/report.pdf': 'the report as PDF',
  'report/summary.csv': 'one row per platform, workload and metric, full precision',
  'software/package.json': "isobench's package manifest",
  'software/package-lock.json': 'exact versions of every npm dependency',
  'software/COMMIT': 'the git commit isobench ran from',
  'MANIFEST.sha256': 'sha256 of every other file (sha256sum -c MANIFEST.sha256)',
  'CITATION.cff': 'how to cite this dataset (Citation File Format 1.2.0)',
};

function describe(file: string): string | undefined {
  return descriptions[file];
}
