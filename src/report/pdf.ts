// report.pdf: Chromium prints the HTML (A4, page numbers), then pdf-lib fixes the metadata so re-printing changes as little as possible.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { PDFArray, PDFDict, PDFDocument, PDFHexString, PDFString, type PDFObject } from 'pdf-lib';
import { log } from '../log.ts';
import { withBrowser } from './browser.ts';

export interface PdfMeta {
  title: string;
  subject: string;
  keywords: string[];
  /** the run's time (ISO 8601), used as creation and modification date */
  date: string;
}

const PRINT_TIMEOUT_MS = 60_000;
/** a page reference that moves a heading to another page moves the numbers again at most this often */
const MAX_PASSES = 3;

/**
 * Prints htmlFile; then `repaginate` reads the printed PDF and may name another HTML file to print instead (the same page
 * with the contents' page numbers filled in), until it returns null. Running headers, footers and page size come from the
 * page's own CSS (@page margin boxes), so Chromium's header and footer templates are not used.
 */
export async function printPdf(htmlFile: string, pdfFile: string, meta: PdfMeta, repaginate?: (pdf: Uint8Array, pass: number) => Promise<string | null>): Promise<void> {
  const printed = await withBrowser(async (browser) => {
    const page = await browser.newPage();
    // The page is inert: no JavaScript runs, and every request but the report file itself is refused (no other
    // file: URL, nothing remote); the HTML's Content-Security-Policy says the same to any other browser.
    await page.setJavaScriptEnabled(false);
    // the report file, and the copy with the contents' page numbers filled in that a later pass prints
    const allowed = new Set([pathToFileURL(htmlFile).href]);
    const refused: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      if (allowed.has(url) || url.startsWith('data:')) void req.continue();
      else {
        refused.push(url);
        void req.abort('blockedbyclient');
      }
    });
    await page.emulateMediaType('print');
    let file = htmlFile;
    let pdf: Uint8Array = new Uint8Array();
    for (let pass = 1; pass <= MAX_PASSES; pass++) {
      const url = pathToFileURL(file).href;
      allowed.add(url);
      await page.goto(url, { waitUntil: 'load', timeout: PRINT_TIMEOUT_MS });
      for (const r of refused.splice(0)) log.warn(`${file}: the page asked for ${r.slice(0, 200)}; refused (the PDF is printed from the report file alone)`);
      pdf = await page.pdf({
        preferCSSPageSize: true,
        printBackground: true,
        displayHeaderFooter: false,
        tagged: true,
        outline: true,
        timeout: PRINT_TIMEOUT_MS,
      });
      const next = repaginate ? await repaginate(pdf, pass) : null;
      if (next === null) break;
      file = next;
    }
    return pdf;
  });
  writeFileSync(pdfFile, await withMetadata(printed, meta));
}

/** Title, author, subject, keywords, and dates fixed to the run's time instead of the print time. */
export async function withMetadata(pdf: Uint8Array, meta: PdfMeta): Promise<Uint8Array> {
  const date = new Date(meta.date);
  if (Number.isNaN(date.getTime())) throw new Error(`pdf metadata: date '${meta.date}' is not an ISO 8601 time (environment.json startedAt/endedAt)`);
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  doc.setTitle(meta.title, { showInWindowTitleBar: true });
  doc.setAuthor('isobench');
  doc.setSubject(meta.subject);
  doc.setKeywords(meta.keywords);
  doc.setCreator('isobench');
  doc.setProducer('isobench (Chromium, pdf-lib)');
  doc.setCreationDate(date);
  doc.setModificationDate(date);
  doc.setLanguage('en');
  renumberStructureIds(doc);
  return doc.save({ useObjectStreams: false });
}

/**
 * Chromium names each tagged element after its DOM node's counter ("node00018397"), which shifts between two prints of
 * the same page; every such name (the element's /ID, table cells' /Headers, the ID tree's keys) becomes its rank among
 * them, zero-padded, so the names keep their order (the ID tree stays sorted) and the same report gives the same bytes.
 */
function renumberStructureIds(doc: PDFDocument): void {
  const NODE = /^node(\d+)$/;
  const found = new Set<number>();
  const visit = (o: unknown, f: (s: PDFString | PDFHexString) => PDFObject | undefined): PDFObject | undefined => {
    if (o instanceof PDFString || o instanceof PDFHexString) return f(o);
    if (o instanceof PDFArray) for (let i = 0; i < o.size(); i++) { const r = visit(o.get(i), f); if (r) o.set(i, r); }
    else if (o instanceof PDFDict) for (const [k, v] of o.entries()) { const r = visit(v, f); if (r) o.set(k, r); }
    return undefined;
  };
  const objects = doc.context.enumerateIndirectObjects().map(([, o]) => o);
  for (const o of objects) visit(o, (s) => { const m = NODE.exec(s.decodeText()); if (m) found.add(Number(m[1])); return undefined; });
  const rank = new Map([...found].sort((a, b) => a - b).map((n, i) => [n, i]));
  const width = String(rank.size).length;
  for (const o of objects) {
    visit(o, (s) => {
      const m = NODE.exec(s.decodeText());
      return m ? PDFString.of(`e${String(rank.get(Number(m[1]))).padStart(width, '0')}`) : undefined;
    });
  }
}

/** For tests: the Info dictionary as pdf-lib reads it back. */
export async function readPdfInfo(pdfFile: string): Promise<{ title?: string; author?: string; subject?: string; keywords?: string; creationDate?: Date; modificationDate?: Date }> {
  const doc = await PDFDocument.load(readFileSync(pdfFile), { updateMetadata: false });
  return {
    title: doc.getTitle(),
    author: doc.getAuthor(),
    subject: doc.getSubject(),
    keywords: doc.getKeywords(),
    creationDate: doc.getCreationDate(),
    modificationDate: doc.getModificationDate(),
  };
}
