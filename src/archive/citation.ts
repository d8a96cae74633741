// CITATION.cff (Citation File Format 1.2.0) describing one archived run as a dataset, with the paper and software it rests on.
import { stringify } from 'yaml';
import { datasetDate, datasetDescription, datasetLicense, datasetTitle, reproducedPaper, softwareLicense, type Author, type DatasetFacts } from './dataset.ts';

export const citationName = 'CITATION.cff';

const cffAuthor = (a: Author) => (a.kind === 'person' ? { 'family-names': a.family, 'given-names': a.given } : { name: a.name });

/** The YAML text; keys in a fixed order, so the same run gives the same bytes. */
export function datasetCitation(facts: DatasetFacts): string {
  const doc = {
    'cff-version': '1.2.0',
    message: 'If you use these measurements, cite this dataset (with the DOI of its deposit, for example on Zenodo) and the paper it reproduces.',
    type: 'dataset',
    title: datasetTitle(facts),
    abstract: datasetDescription(facts),
    authors: facts.authors.map(cffAuthor),
    version: facts.run,
    'date-released': datasetDate(facts).slice(0, 10),
    license: datasetLicense.spdx,
    keywords: ['isolation platforms', 'containers', 'virtual machines', 'benchmark', 'reproduction'],
    references: [
      {
        type: 'conference-paper',
        title: reproducedPaper.title,
        authors: reproducedPaper.authors.map((a) => ({ 'family-names': a.family, 'given-names': a.given })),
        doi: reproducedPaper.doi,
        year: reproducedPaper.year,
        'collection-title': reproducedPaper.proceedings,
        publisher: { name: reproducedPaper.publisher },
      },
      {
        type: 'software',
        title: 'isobench',
        authors: [{ name: 'isobench authors' }],
        version: facts.software.version,
        commit: facts.software.commit,
        license: softwareLicense.spdx,
      },
    ],
  };
  return stringify(doc, { lineWidth: 0 });
}
