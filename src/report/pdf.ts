// report.pdf: Chromium prints the HTML (A4, page numbers), then pdf-lib fixes the metadata so re-printing changes as little as possible.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import Handlebars from 'handlebars';
import { PDFDocument } from 'pdf-lib';
import { log } from '../log.ts';
import { withBrowser } from './browser.ts';

export interface PdfMeta {
  title: string;
  subject: string;
  keywords: string[];
  /** the run's time (ISO 8601), used as creation and modification date */
  date: string;
  /** shown in every page footer */
  footer: string;
}

const PRINT_TIMEOUT_MS = 60_000;

export async function printPdf(htmlFile: string, pdfFile: string, meta: PdfMeta): Promise<void> {
  const printed = await withBrowser(async (browser) => {
    const page = await browser.newPage();
    // The page is inert: no JavaScript runs, and every request but the report file itself is refused (no other
    // file: URL, nothing remote); the HTML's Content-Security-Policy says the same to any other browser.
    await page.setJavaScriptEnabled(false);
    const own = pathToFileURL(htmlFile).href;
    const refused: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      if (url === own || url.startsWith('data:')) void req.continue();
      else {
        refused.push(url);
        void req.abort('blockedbyclient');
      }
    });
    await page.goto(own, { waitUntil: 'load', timeout: PRINT_TIMEOUT_MS });
    for (const url of refused) log.warn(`${htmlFile}: the page asked for ${url.slice(0, 200)}; refused (the PDF is printed from the report file alone)`);
    await page.emulateMediaType('print');
    return page.pdf({
      format: 'A4',
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<span></span>',
      footerTemplate: footerTemplate(meta.footer),
      margin: { top: '16mm', bottom: '18mm', left: '16mm', right: '16mm' },
      tagged: true,
      outline: true,
      timeout: PRINT_TIMEOUT_MS,
    });
  });
  writeFileSync(pdfFile, await withMetadata(printed, meta));
}

function footerTemplate(text: string): string {
  // Chromium renders this in its own context: styles must be inline, and the text is escaped here.
  return `<div style="width:100%;font-family:'Liberation Sans',Arial,sans-serif;font-size:8pt;color:#444;padding:0 16mm;display:flex;justify-content:space-between;">`
    + `<span>${Handlebars.escapeExpression(text)}</span>`
    + `<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`;
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
  return doc.save({ useObjectStreams: false });
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
