// Where each heading landed in a printed PDF, read from the outline (bookmarks) Chromium writes: for the contents' page numbers.
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFName, PDFNumber, PDFRef, PDFString } from 'pdf-lib';

export interface OutlineEntry {
  title: string;
  /** 1-based page number */
  page: number;
  /** the heading's top, in points from the page's top edge */
  top: number | null;
  depth: number;
}

/** Every outline entry in document order, with its page and position; empty when the PDF has no outline. */
export async function readOutline(pdf: Uint8Array): Promise<{ entries: OutlineEntry[]; pageHeights: number[] }> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const pages = doc.getPages();
  const pageIndex = new Map(pages.map((p, i) => [p.ref.toString(), i]));
  const pageHeights = pages.map((p) => p.getHeight());
  const entries: OutlineEntry[] = [];
  const outlines = doc.catalog.lookupMaybe(PDFName.of('Outlines'), PDFDict);
  const walk = (first: PDFDict | undefined, depth: number) => {
    for (let item = first, guard = 0; item && guard < 10_000; item = item.lookupMaybe(PDFName.of('Next'), PDFDict), guard++) {
      const title = item.lookup(PDFName.of('Title'));
      const text = title instanceof PDFString || title instanceof PDFHexString ? title.decodeText() : '';
      const dest = destinationOf(item);
      if (dest) {
        const page = pageIndex.get(dest.page.toString());
        if (page !== undefined) entries.push({ title: text.replace(/\s+/g, ' ').trim(), page: page + 1, top: dest.y === null ? null : pageHeights[page] - dest.y, depth });
      }
      walk(item.lookupMaybe(PDFName.of('First'), PDFDict), depth + 1);
    }
  };
  walk(outlines?.lookupMaybe(PDFName.of('First'), PDFDict), 0);
  return { entries, pageHeights };
}

/** /Dest [page /XYZ x y zoom], or /A << /S /GoTo /D [...] >> */
function destinationOf(item: PDFDict): { page: PDFRef; y: number | null } | null {
  let dest = item.lookup(PDFName.of('Dest'));
  if (!dest) dest = item.lookupMaybe(PDFName.of('A'), PDFDict)?.lookup(PDFName.of('D'));
  if (!(dest instanceof PDFArray) || dest.size() < 1) return null;
  const page = dest.get(0);
  if (!(page instanceof PDFRef)) return null;
  const y = dest.size() >= 4 ? dest.get(3) : undefined;
  return { page, y: y instanceof PDFNumber ? y.asNumber() : null };
}

/** Page of each section, by its heading "<number> <title>" (the text of an h2 with its section number). */
export function sectionPages(entries: OutlineEntry[], sections: { id: string; number: string; title: string }[]): Record<string, number> {
  const norm = (s: string) => s.replace(/\s+/g, '');
  const out: Record<string, number> = {};
  for (const s of sections) {
    const want = norm(`${s.number}${s.title}`);
    const hit = entries.find((e) => norm(e.title) === want);
    if (hit) out[s.id] = hit.page;
  }
  return out;
}
