// What the artifact's citation metadata (RO-Crate, CITATION.cff) says about a run, the paper it reproduces, and its licence.

/** A person ('Family, Given') or an organisation (any name without a comma). */
export type Author = { kind: 'person'; family: string; given: string } | { kind: 'entity'; name: string };

/** The run as a citable dataset; read from environment.json and analysis.json by artifact.ts. */
export interface DatasetFacts {
  run: string;
  experiment: { name: string; description: string; file: string; sha256: string };
  /** ISO times of the run; the dataset's date is when it ended (or started, when the end was not recorded) */
  startedAt: string;
  endedAt?: string;
  /** host names that measured (several for a merged run) */
  hosts: string[];
  software: { version: string; commit: string; dirty: boolean };
  authors: Author[];
}

export const reproducedPaper = {
  doi: '10.1145/3464298.3493404',
  url: 'https://doi.org/10.1145/3464298.3493404',
  title: 'A Fresh Look at the Architecture and Performance of Contemporary Isolation Platforms',
  authors: [
    { given: 'Vincent', family: 'van Rijn' },
    { given: 'Jan S.', family: 'Rellermeyer' },
  ],
  year: 2021,
  proceedings: "Proceedings of the 22nd International Middleware Conference (Middleware '21)",
  publisher: 'Association for Computing Machinery',
} as const;

/** Measurements are data, not code: CC BY 4.0 (Zenodo's default for datasets); the software inside stays MIT. */
export const datasetLicense = { spdx: 'CC-BY-4.0', url: 'https://creativecommons.org/licenses/by/4.0/', name: 'Creative Commons Attribution 4.0 International' } as const;
export const softwareLicense = { spdx: 'MIT', url: 'https://spdx.org/licenses/MIT', name: 'MIT License' } as const;

/** Whoever archives a run is its author; until named with --author, the dataset is credited to the project. */
export const defaultAuthors: Author[] = [{ kind: 'entity', name: 'isobench authors' }];

/** 'van Rijn, Vincent' is a person; 'TU Delft' (no comma) an organisation. */
export function parseAuthor(text: string): Author {
  const t = text.trim();
  if (!t) throw new Error(`--author: empty name; give 'Family, Given' for a person or a name without a comma for an organisation`);
  const comma = t.indexOf(',');
  if (comma < 0) return { kind: 'entity', name: t };
  const family = t.slice(0, comma).trim();
  const given = t.slice(comma + 1).trim();
  if (!family || !given || given.includes(',')) throw new Error(`--author '${t}': expected 'Family, Given' (one comma) for a person, or a name without a comma for an organisation`);
  return { kind: 'person', family, given };
}

export function authorName(a: Author): string {
  return a.kind === 'person' ? `${a.given} ${a.family}` : a.name;
}

export function datasetTitle(f: DatasetFacts): string {
  return `isobench measurements of isolation platforms: experiment '${f.experiment.name}', run ${f.run}`;
}

export function datasetDescription(f: DatasetFacts): string {
  const hosts = f.hosts.length > 1 ? `on ${f.hosts.length} hosts (${f.hosts.join(', ')}), merged with the host as a dimension` : `on host ${f.hosts[0] ?? 'unknown'}`;
  return [
    `Raw samples, environment, statistical analysis, logs and report of an isobench run ${hosts},`,
    `reproducing the measurements of "${reproducedPaper.title}" (Middleware '21, doi:${reproducedPaper.doi}).`,
    f.experiment.description ? `Experiment '${f.experiment.name}': ${f.experiment.description}.` : `Experiment '${f.experiment.name}'.`,
    `MANIFEST.sha256 lists the sha256 of every file; 'isobench verify' re-checks the hashes and re-runs the analysis from the raw samples.`,
  ].join(' ');
}

/** The dataset's date: when the run ended, else when it started (ISO, UTC). */
export function datasetDate(f: DatasetFacts): string {
  return new Date(f.endedAt ?? f.startedAt).toISOString();
}
