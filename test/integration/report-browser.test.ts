import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run, which } from '../../src/proc.ts';
import { findChromium, withBrowser } from '../../src/report/browser.ts';
import { renderReport } from '../../src/report/index.ts';
import { readPdfInfo } from '../../src/report/pdf.ts';

const fixture = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const SECTIONS = ['Summary', 'Host and platforms', 'Results', 'Methods', 'What was not run, and why'];

const profiles = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith('isobench-chromium-'));

if (!findChromium()) {
  console.log('skip: report-browser: chromium not found (apt-get install chromium, or set ISOBENCH_CHROMIUM)');
} else {
  const out = mkdtempSync(path.join(os.tmpdir(), 'isobench-report-'));
  const again = mkdtempSync(path.join(os.tmpdir(), 'isobench-report-'));
  let rendered: { html: string; pdf?: string };
  const profilesBefore = profiles();

  test.before(async () => {
    rendered = await renderReport(fixture, out);
  });
  test.after(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(again, { recursive: true, force: true });
  });

  test('writes index.html, charts as .vl.json and .svg, summary.csv and report.pdf', () => {
    assert.is(rendered.html, path.join(out, 'index.html'));
    assert.is(rendered.pdf, path.join(out, 'report.pdf'));
    assert.equal(readdirSync(path.join(out, 'charts')).sort(), [
      'sysbench-cpu-default-events-per-s-ratio.svg',
      'sysbench-cpu-default-events-per-s-ratio.vl.json',
      'sysbench-cpu-default-events-per-s.svg',
      'sysbench-cpu-default-events-per-s.vl.json',
    ]);
    const spec = JSON.parse(readFileSync(path.join(out, 'charts', 'sysbench-cpu-default-events-per-s.vl.json'), 'utf8'));
    assert.ok(spec.layer.some((l: any) => l.mark.type === 'errorbar'));
    assert.match(readFileSync(path.join(out, 'summary.csv'), 'utf8'), /^workload,job,metric/);
  });

  test('Chromium shows the page with no console errors and no network requests', async () => {
    const problems: string[] = [];
    const facts = await withBrowser(async (browser) => {
      const page = await browser.newPage();
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      page.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`); });
      const response = await page.goto(pathToFileURL(rendered.html).href, { waitUntil: 'load' });
      assert.ok(response?.ok(), 'index.html loads');
      return page.evaluate(() => ({
        figures: [...document.querySelectorAll('figure[role="img"]')].map((f) => ({
          label: f.getAttribute('aria-label') ?? '',
          svgWidth: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
          svgHeight: f.querySelector('svg')?.getBoundingClientRect().height ?? 0,
        })),
        h2: [...document.querySelectorAll('h2')].map((h) => h.textContent ?? ''),
        scripts: document.scripts.length,
      }));
    });
    assert.equal(problems, []);
    assert.is(facts.scripts, 0);
    assert.is(facts.figures.length, 2);
    for (const f of facts.figures) {
      assert.ok(f.label.length > 40, 'figure has a text alternative');
      assert.ok(f.svgWidth > 200 && f.svgHeight > 50, `chart is drawn at a readable size (${f.svgWidth}x${f.svgHeight})`);
    }
    assert.equal(facts.h2.map((h) => h.replace(/^\d\s*/, '')), SECTIONS);
  });

  test('report.pdf is A4 with the section titles and platform names in its text, and fixed metadata', async () => {
    const pdf = rendered.pdf!;
    assert.ok(existsSync(pdf));
    assert.is(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
    const info = await readPdfInfo(pdf);
    assert.is(info.author, 'isobench');
    assert.match(info.title ?? '', /isobench report: quick/);
    assert.is(info.creationDate?.toISOString(), '2026-11-26T10:18:21.000Z');
    assert.is(info.modificationDate?.toISOString(), '2026-11-26T10:18:21.000Z');
    if (!which('pdftotext')) {
      console.log('skip: PDF text check: pdftotext not found (apt-get install poppler-utils)');
      return;
    }
    const r = await run(['pdftotext', '-layout', pdf, '-'], { timeoutMs: 30_000 });
    assert.is(r.code, 0, r.stderr);
    const text = r.stdout.replace(/\s+/g, ' ');
    for (const s of [...SECTIONS, 'native', 'runc', 'gvisor-kvm', 'Figure 1.', 'Table 4.', 'page 1 of']) assert.ok(text.includes(s), `PDF text contains '${s}'`);
    const info2 = await run(['pdfinfo', pdf], { timeoutMs: 30_000 });
    if (info2.code === 0) assert.match(info2.stdout, /Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)/);
  });

  test('rendering the same run again gives byte-identical HTML', async () => {
    const second = await renderReport(fixture, again, { pdf: false });
    assert.is(second.pdf, undefined);
    assert.ok(readFileSync(second.html).equals(readFileSync(rendered.html)), 'index.html differs between two renders');
  });

  test('the temporary Chromium profiles are removed', () => {
    assert.equal(profiles().filter((p) => !profilesBefore.includes(p)), []);
  });

  test.run();
}
