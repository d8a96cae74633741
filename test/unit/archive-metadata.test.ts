import { test } from 'uvu';
import * as assert from 'uvu/assert';
import AjvModule from 'ajv';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { archiveRun } from '../../src/archive/artifact.ts';
import { parseAuthor } from '../../src/archive/dataset.ts';
import { parseManifest } from '../../src/archive/manifest.ts';
import { encodingFormat } from '../../src/archive/ro-crate.ts';
import { readTarball, type TarEntry } from '../../src/archive/tarball.ts';
import { formatAnalysis, analyzeRun } from '../../src/stats/analyze.ts';

const fixture = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const top = 'isobench-20261126-101500-quick';

async function withTemp(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'isobench-crate-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The quick-example run, analysed, with a small report, archived; its files by path below the top folder. */
async function archived(dir: string, authors = [parseAuthor('van Rijn, Vincent'), parseAuthor('TU Delft')]): Promise<{ out: string; files: Map<string, TarEntry> }> {
  const runDir = path.join(dir, 'run');
  const reportDir = path.join(dir, 'report');
  await cp(fixture, runDir, { recursive: true });
  await rm(path.join(runDir, 'README.md'));
  await writeFile(path.join(runDir, 'analysis.json'), formatAnalysis(await analyzeRun(runDir)));
  await mkdir(path.join(reportDir, 'charts'), { recursive: true });
  await writeFile(path.join(reportDir, 'index.html'), '<html></html>\n');
  await writeFile(path.join(reportDir, 'charts', 'cpu.svg'), '<svg/>\n');
  const out = await archiveRun(runDir, reportDir, { authors });
  const entries = await readTarball(out, { keep: () => true });
  const files = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path.slice(top.length + 1), e]));
  return { out, files };
}

// ajv is CommonJS: under ESM its class is the default export's `default`
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (opts: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown } };
const json = (e: TarEntry | undefined) => JSON.parse(e!.data!.toString('utf8'));
const cffSchema = async () => new Ajv({ strict: false, validateFormats: false }).compile(JSON.parse(await readFile(path.join(root, 'test/fixtures/cff/schema-1.2.0.json'), 'utf8')));

test('ro-crate-metadata.json: RO-Crate 1.1 descriptor and a root Dataset with the required properties', () => withTemp(async (dir) => {
  const { files } = await archived(dir);
  const crate = json(files.get('ro-crate-metadata.json'));
  assert.equal(crate['@context'][0], 'https://w3id.org/ro/crate/1.1/context');
  const graph: any[] = crate['@graph'];
  const byId = new Map(graph.map((e) => [e['@id'], e]));
  assert.is(byId.size, graph.length, 'every @id once');
  const descriptor = byId.get('ro-crate-metadata.json');
  assert.equal(descriptor, { '@id': 'ro-crate-metadata.json', '@type': 'CreativeWork', about: { '@id': './' }, conformsTo: { '@id': 'https://w3id.org/ro/crate/1.1' } });
  const rootEntity = byId.get(descriptor.about['@id']);
  assert.is(rootEntity['@type'], 'Dataset');
  assert.match(rootEntity.name, "experiment 'quick', run 20261126-101500-quick");
  assert.match(rootEntity.description, 'isobench-ci');
  assert.is(rootEntity.datePublished, '2026-11-26T10:18:21.175Z', "the run's end time");
  assert.is(byId.get(rootEntity.license['@id']).identifier, 'CC-BY-4.0');
  assert.equal(rootEntity.author.map((a: any) => byId.get(a['@id']).name), ['Vincent van Rijn', 'TU Delft']);
  assert.equal(rootEntity.author.map((a: any) => byId.get(a['@id'])['@type']), ['Person', 'Organization']);

  const paper = byId.get(rootEntity.citation['@id']);
  assert.is(paper['@type'], 'ScholarlyArticle');
  assert.is(paper['@id'], 'https://doi.org/10.1145/3464298.3493404');
  const software = byId.get('#isobench');
  assert.is(software['@type'], 'SoftwareApplication');
  assert.is(software.version, '0.1.0');
  assert.is(software.identifier, '0000000000000000000000000000000000000000');
  const experiment = byId.get(rootEntity.about['@id']);
  assert.is(experiment['@type'], 'CreativeWork');
  assert.is(experiment.identifier, 'sha256:f9aa35bb5ef23a01290a8722d7e8d71719f0c92e9559b0db7ddee84ff51046ac');
  const action = byId.get(rootEntity.mentions['@id']);
  assert.is(action['@type'], 'CreateAction');
  assert.is(action.instrument['@id'], '#isobench');

  // every reference inside the crate points at an entity of the graph (only the spec itself is outside)
  const refs: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Object.keys(o).length === 1 && typeof o['@id'] === 'string') refs.push(o['@id']);
      else Object.values(o).forEach(walk);
    }
  };
  graph.forEach((e) => walk(Object.fromEntries(Object.entries(e).filter(([k]) => k !== '@id'))));
  const dangling = refs.filter((r) => !byId.has(r) && r !== 'https://w3id.org/ro/crate/1.1');
  assert.equal(dangling, []);
}));

test('ro-crate-metadata.json: every archived file is in hasPart with its size, sha256 and media type', () => withTemp(async (dir) => {
  const { files } = await archived(dir);
  const crate = json(files.get('ro-crate-metadata.json'));
  const byId = new Map<string, any>(crate['@graph'].map((e: any) => [e['@id'], e]));
  const hasPart = byId.get('./').hasPart.map((p: any) => p['@id']);
  const archivedPaths = [...files.keys()].filter((p) => p !== 'ro-crate-metadata.json').sort();
  assert.equal(hasPart, archivedPaths);
  for (const p of ['run/samples.jsonl', 'run/environment.json', 'run/analysis.json', 'run/experiment.yaml', 'report/index.html', 'software/package-lock.json', 'CITATION.cff', 'MANIFEST.sha256']) {
    assert.ok(hasPart.includes(p), p);
  }
  for (const p of archivedPaths) {
    const entity = byId.get(p);
    const entry = files.get(p)!;
    assert.is(entity['@type'], 'File', p);
    assert.is(entity.contentSize, String(entry.size), `${p} size`);
    assert.is(entity.encodingFormat, encodingFormat(p));
    if (p === 'MANIFEST.sha256') assert.is(entity.sha256, undefined);
    else assert.is(entity.sha256, entry.sha256, `${p} sha256`);
  }
  assert.is(byId.get('run/samples.jsonl').encodingFormat, 'application/x-ndjson');
  assert.is(byId.get('report/charts/cpu.svg').encodingFormat, 'image/svg+xml');
}));

test('MANIFEST.sha256 lists the RO-Crate and CITATION.cff; archiving twice gives the same bytes', () => withTemp(async (dir) => {
  const { out, files } = await archived(dir);
  const listed = parseManifest(files.get('MANIFEST.sha256')!.data!.toString('utf8'));
  for (const p of ['ro-crate-metadata.json', 'CITATION.cff']) {
    assert.is(listed.find((m) => m.path === p)?.sha256, files.get(p)!.sha256, p);
  }
  const first = await readFile(out);
  const again = await archived(path.join(dir, 'again'));
  assert.ok((await readFile(again.out)).equals(first), 'same run, same artifact bytes');
}));

test('the artifact CITATION.cff parses as YAML, has the required keys and validates against CFF 1.2.0', () => withTemp(async (dir) => {
  const { files } = await archived(dir);
  const cff = parseYaml(files.get('CITATION.cff')!.data!.toString('utf8'));
  for (const key of ['cff-version', 'message', 'title', 'authors']) assert.ok(cff[key], key);
  assert.is(cff['cff-version'], '1.2.0');
  assert.is(cff.type, 'dataset');
  assert.is(cff['date-released'], '2026-11-26');
  assert.equal(cff.authors, [{ 'family-names': 'van Rijn', 'given-names': 'Vincent' }, { name: 'TU Delft' }]);
  assert.is(cff.references[0].doi, '10.1145/3464298.3493404');
  assert.is(cff.references[1].commit, '0000000000000000000000000000000000000000');
  const validate = await cffSchema();
  assert.ok(validate(cff), JSON.stringify(validate.errors));
}));

test("the project's CITATION.cff validates against CFF 1.2.0 and names the package's version and the paper", async () => {
  const cff = parseYaml(await readFile(path.join(root, 'CITATION.cff'), 'utf8'));
  const validate = await cffSchema();
  assert.ok(validate(cff), JSON.stringify(validate.errors));
  const pkg = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  assert.is(cff.version, pkg.version);
  assert.is(cff.license, pkg.license);
  assert.ok(cff.references.some((r: any) => r.doi === '10.1145/3464298.3493404'));
  // the schema check can fail: a CFF without authors is refused
  assert.not.ok(validate({ ...cff, authors: undefined }));
});

test('--author takes "Family, Given" for a person and a name without a comma for an organisation', () => {
  assert.equal(parseAuthor(' van Rijn , Vincent '), { kind: 'person', family: 'van Rijn', given: 'Vincent' });
  assert.equal(parseAuthor('isobench authors'), { kind: 'entity', name: 'isobench authors' });
  assert.throws(() => parseAuthor('a, b, c'), /one comma/);
  assert.throws(() => parseAuthor('  '), /empty/);
});

test.run();
