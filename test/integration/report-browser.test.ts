import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run, which } from '../../src/proc.ts';
import { findChromium, withBrowser } from '../../src/report/browser.ts';
import { renderReport } from '../../src/report/index.ts';
import { readPdfInfo } from '../../src/report/pdf.ts';
import { readOutline, sectionPages } from '../../src/report/pdf-outline.ts';
import { allCharts, buildViewModel, readRunInputs } from '../../src/report/index.ts';
import { skip, skipPart } from '../helpers/skip.ts';

const quick = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const area = fileURLToPath(new URL('../fixtures/runs/area-example', import.meta.url));
/** a real quick run of a 2-core host (its README says which) */
const real = fileURLToPath(new URL('../fixtures/runs/quick-real', import.meta.url));
const SECTIONS = ["Summary: the paper's claims on this host", 'The run', 'Host and platforms', 'CPU', 'Memory', 'Disk I/O', 'Network', 'Startup', 'Isolation (HAP)',
  'What was not run, and why', 'Threats to validity', 'Appendix: methods', 'Appendix: every metric', 'Appendix: the claims in full', 'Appendix: every figure and its samples'];
const QUICK_SECTIONS = ["Summary: the paper's claims on this host", 'The run', 'Host and platforms', 'CPU', 'What was not run, and why', 'Threats to validity', 'Appendix: methods', 'Appendix: every metric', 'Appendix: the claims in full', 'Appendix: every figure and its samples'];
const AREA_FIGURES = 18;
/** the PDF's body leaves each workload's plain ratio figure to the HTML */
const AREA_PRINTED_FIGURES = allCharts(buildViewModel(readRunInputs(area), undefined, { print: true })).length;

const profiles = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith('isobench-chromium-'));

interface PageFacts {
  problems: string[];
  h2: string[];
  scripts: number;
  figures: { id: string; label: string; width: number; height: number; marks: number }[];
  /** chart labels that overlap another label or stick out of their chart */
  labelClashes: string[];
}

/** Opens a page in Chromium and collects what a reader would notice: errors, sections, charts, clashing labels. */
async function inspect(browser: Browser, url: string): Promise<PageFacts> {
  const problems: string[] = [];
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) problems.push(`network request: ${r.url()}`); });
  await page.setViewport({ width: 1200, height: 900 });
  const response = await page.goto(url, { waitUntil: 'load' });
  if (!response?.ok()) problems.push(`${url} did not load`);
  const facts = await page.evaluate(() => {
    const clashes: string[] = [];
    const figures = [...document.querySelectorAll('figure.chart')].map((fig) => {
      const svg = fig.querySelector('svg');
      const frame = svg?.getBoundingClientRect();
      const boxes: { text: string; r: DOMRect }[] = [];
      for (const t of fig.querySelectorAll('svg text')) {
        const r = t.getBoundingClientRect();
        const text = t.textContent ?? '';
        if (!text.trim() || r.width === 0) continue;
        // the white halo under a value label is the same text in the same place
        if (boxes.some((b) => b.text === text && Math.abs(b.r.x - r.x) < 0.5 && Math.abs(b.r.y - r.y) < 0.5)) continue;
        boxes.push({ text, r });
      }
      for (const b of boxes) {
        if (frame && (b.r.left < frame.left - 0.5 || b.r.right > frame.right + 0.5 || b.r.top < frame.top - 0.5 || b.r.bottom > frame.bottom + 0.5)) clashes.push(`${fig.id}: '${b.text}' sticks out of the chart`);
      }
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i].r;
          const c = boxes[j].r;
          const w = Math.min(a.right, c.right) - Math.max(a.left, c.left);
          const h = Math.min(a.bottom, c.bottom) - Math.max(a.top, c.top);
          if (w > 1 && h > 1) clashes.push(`${fig.id}: '${boxes[i].text}' overlaps '${boxes[j].text}'`);
        }
      }
      return {
        id: fig.id,
        label: fig.querySelector('[role="img"]')?.getAttribute('aria-label') ?? '',
        width: frame?.width ?? 0,
        height: frame?.height ?? 0,
        marks: svg?.querySelectorAll('path').length ?? 0,
      };
    });
    return {
      h2: [...document.querySelectorAll('h2')].map((h) => h.textContent ?? ''),
      scripts: document.scripts.length,
      figures,
      labelClashes: clashes,
    };
  });
  await page.close();
  return { problems, ...facts };
}

async function pdfText(pdf: string, page?: number): Promise<string | null> {
  if (!which('pdftotext')) {
    skipPart('PDF text check: pdftotext not found (apt-get install poppler-utils)', ['pdftotext']);
    return null;
  }
  const r = await run(['pdftotext', '-layout', ...(page ? ['-f', String(page), '-l', String(page)] : []), pdf, '-'], { timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  return r.stdout.replace(/\s+/g, ' ');
}

/** The lowest text line of each page's body (points from the top), from pdftotext's word boxes; running header and footer left out. */
async function bodyBottoms(pdf: string): Promise<{ bottom: number; height: number }[] | null> {
  if (!which('pdftotext')) return null;
  const r = await run(['pdftotext', '-bbox', pdf, '-'], { timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  return [...r.stdout.matchAll(/<page width="[\d.]+" height="([\d.]+)">([^]*?)<\/page>/g)].map((m) => {
    const height = Number(m[1]);
    const ys = [...m[2].matchAll(/yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"/g)].map((w) => [Number(w[1]), Number(w[2])]);
    // margins are 17 mm (48 pt) on top and 16 mm (45 pt) at the bottom: the running header and footer live there
    const body = ys.filter(([y0, y1]) => y0 > 48 && y1 < height - 45);
    return { bottom: body.length ? Math.max(...body.map(([, y1]) => y1)) : 48, height };
  });
}

/** Each page's median word height in points (pdftotext's word boxes): a page Chromium shrank to fit a too-wide line has small text. */
async function wordHeights(pdf: string): Promise<number[] | null> {
  if (!which('pdftotext')) return null;
  const r = await run(['pdftotext', '-bbox', pdf, '-'], { timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  return [...r.stdout.matchAll(/<page width="[\d.]+" height="[\d.]+">([^]*?)<\/page>/g)].map((m) => {
    const hs = [...m[1].matchAll(/yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"/g)].map((w) => Number(w[2]) - Number(w[1])).sort((a, b) => a - b);
    return hs.length ? hs[Math.floor(hs.length / 2)] : Infinity;
  });
}

/** Body text no smaller than 8 pt word boxes (7.2 pt type) on the median page, and no page under 7 pt (a page of chart labels is set at about 7 pt): Chromium's shrink-to-fit scales the whole PDF to 2/3. */
async function checkTextSize(pdfFile: string, name: string): Promise<void> {
  const heights = await wordHeights(pdfFile);
  if (heights === null) return skipPart('PDF text size check: pdftotext not found (apt-get install poppler-utils)', ['pdftotext']);
  const median = [...heights].sort((a, b) => a - b)[Math.floor(heights.length / 2)];
  assert.ok(median >= 8, `${name}: the median page's text is ${median.toFixed(1)} pt high (< 8 pt): the PDF was shrunk to fit something too wide`);
  heights.forEach((h, i) => assert.ok(h >= 7, `${name}: page ${i + 1}'s text is ${h.toFixed(1)} pt high (< 7 pt): the PDF was shrunk to fit something too wide`));
}

/** What a printer's proof-reader checks: headings not stranded at a page's foot, no near-empty page inside a section, no Type 3 font, a contents list with pages. */
async function checkPrint(pdfFile: string, runDir: string, name: string): Promise<void> {
  const pdf = readFileSync(pdfFile);
  await checkTextSize(pdfFile, name);
  const view = buildViewModel(readRunInputs(runDir));
  const { entries, pageHeights } = await readOutline(pdf);
  assert.ok(entries.length > 5, `${name}: the PDF has an outline`);
  for (const e of entries) {
    if (e.top === null) continue;
    assert.ok(e.top < 0.9 * pageHeights[e.page - 1], `${name}: heading '${e.title}' on page ${e.page} sits in the last 10 % of the page (${e.top.toFixed(0)} pt)`);
  }
  const starts = sectionPages(entries, view.toc);
  const printed = view.toc.filter((s) => s.id !== 'appendix');
  assert.equal(printed.filter((s) => starts[s.id] === undefined).map((s) => s.title), [], `${name}: every printed section is in the outline`);
  const bottoms = await bodyBottoms(pdfFile);
  if (bottoms) {
    // a section that starts a page (its heading near the top) ends the page before; sections sharing pages do not
    const startPages = new Set(entries.filter((e) => e.top !== null && e.top < 0.2 * pageHeights[e.page - 1] && printed.some((s) => starts[s.id] === e.page && e.title.endsWith(s.title))).map((e) => e.page));
    bottoms.forEach((b, i) => {
      const page = i + 1;
      const lastOfSection = page === bottoms.length || startPages.has(page + 1);
      if (lastOfSection) return;
      const used = (b.bottom - 48) / (b.height - 48 - 45);
      assert.ok(used >= 0.2, `${name}: page ${page} is ${(used * 100).toFixed(0)} % used, inside a section`);
    });
  }
  if (which('pdffonts')) {
    const fonts = await run(['pdffonts', pdfFile], { timeoutMs: 30_000 });
    assert.is(fonts.code, 0, fonts.stderr);
    assert.not.match(fonts.stdout, /Type 3/, `${name}: no Type 3 font`);
    assert.not.match(fonts.stdout, / no  /, `${name}: every font embedded`);
  } else {
    skip('PDF font check: pdffonts not found (apt-get install poppler-utils)');
  }
  const contents = await pdfText(pdfFile, starts.run);
  if (contents === null) return;
  for (const s of printed) assert.ok(contents.includes(`${s.title} ${starts[s.id]}`), `${name}: the contents give '${s.title}' page ${starts[s.id]}`);
  const first = await pdfText(pdfFile, 1);
  for (const v of view.summary.claims?.rows ?? []) {
    assert.ok(first!.includes(v.id), `${name}: page 1 names ${v.id}`);
  }
}

if (!findChromium()) {
  // one test that says why, so the suite's count shows the report checks as skipped rather than absent
  test('the HTML report in Chromium and report.pdf', () => skip('report-browser: chromium not found (apt-get install chromium, or set ISOBENCH_CHROMIUM)', ['chromium']));
  test.run();
} else {
  const dirs = { quick: '', area: '', again: '', real: '' };
  const out: Record<string, { html: string; pdf?: string }> = {};
  const profilesBefore = profiles();

  test.before(async () => {
    for (const k of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[k] = mkdtempSync(path.join(os.tmpdir(), 'isobench-report-'));
    out.quick = await renderReport(quick, dirs.quick);
    out.area = await renderReport(area, dirs.area);
    out.again = await renderReport(area, dirs.again);
    out.real = await renderReport(real, dirs.real);
  });
  test.after(() => {
    for (const d of Object.values(dirs)) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('writes index.html, charts as .vl.json and .svg, summary.csv, claims.csv, verdicts.json and report.pdf', () => {
    assert.is(out.quick.html, path.join(dirs.quick, 'index.html'));
    assert.is(out.quick.pdf, path.join(dirs.quick, 'report.pdf'));
    assert.equal(readdirSync(dirs.quick).sort(), ['charts', 'claims.csv', 'index.html', 'report.pdf', 'summary.csv', 'verdicts.json']);
    assert.equal(readdirSync(path.join(dirs.quick, 'charts')).sort(), ['claims-cpu.csv', 'claims-cpu.svg', 'claims-cpu.vl.json', 'sysbench-cpu-default-ratio.csv', 'sysbench-cpu-default-ratio.svg', 'sysbench-cpu-default-ratio.vl.json']);
    const spec = JSON.parse(readFileSync(path.join(dirs.quick, 'charts', 'sysbench-cpu-default-ratio.vl.json'), 'utf8'));
    assert.ok(spec.layer.some((l: any) => l.mark.type === 'errorbar'));
    assert.match(readFileSync(path.join(dirs.quick, 'charts', 'sysbench-cpu-default-ratio.csv'), 'utf8'), /^platform,host,workload,job,metric,unit,cell,instance,instance_mean\r\nnative,,sysbench-cpu,default,events_per_s,events\/s,/);
    assert.is(readdirSync(path.join(dirs.area, 'charts')).filter((f) => f.endsWith('.vl.json')).length, AREA_FIGURES);
    assert.match(readFileSync(path.join(dirs.area, 'claims.csv'), 'utf8'), /^id,area,verdict,/);
    assert.is(JSON.parse(readFileSync(path.join(dirs.area, 'verdicts.json'), 'utf8')).claims.verdicts.length, 20);
  });

  test('the label check finds labels that overlap (it can fail)', async () => {
    const clash = `<!DOCTYPE html><html><body><figure class="chart" id="f"><svg width="200" height="50"><text x="10" y="20">native</text><text x="14" y="22">runc</text></svg></figure></body></html>`;
    const facts = await withBrowser((b) => inspect(b, `data:text/html,${encodeURIComponent(clash)}`));
    assert.equal(facts.labelClashes, ["f: 'native' overlaps 'runc'"]);
  });

  test('Chromium shows both reports with no console errors, no requests, every chart drawn, no clashing labels', async () => {
    const [q, a] = await withBrowser(async (b) => [await inspect(b, pathToFileURL(out.quick.html).href), await inspect(b, pathToFileURL(out.area.html).href)]);
    assert.equal(q.h2.map((h) => h.replace(/^\w+\s*/, '')), QUICK_SECTIONS);
    assert.equal(a.h2.map((h) => h.replace(/^\w+\s*/, '')), SECTIONS);
    for (const facts of [q, a]) {
      assert.equal(facts.problems, []);
      assert.is(facts.scripts, 0);
      assert.equal(facts.labelClashes, []);
      for (const f of facts.figures) {
        assert.ok(f.label.length > 40, `${f.id} has a text alternative`);
        assert.ok(f.width > 300 && f.height > 80, `${f.id} is drawn at a readable size (${f.width}x${f.height})`);
        assert.ok(f.marks > 10, `${f.id} has marks (${f.marks} paths)`);
      }
    }
    assert.is(q.figures.length, 2);
    assert.is(a.figures.length, AREA_FIGURES);
  });

  test('report.pdf is A4 with page numbers, fixed metadata, the area sections and the verdicts in its text', async () => {
    const pdf = out.area.pdf!;
    assert.ok(existsSync(pdf));
    assert.is(readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
    const info = await readPdfInfo(pdf);
    assert.is(info.author, 'isobench');
    assert.match(info.title ?? '', /isobench report: area-example\.yaml/);
    assert.match(info.keywords ?? '', /reproduction/);
    assert.is(info.creationDate?.toISOString(), new Date(JSON.parse(readFileSync(path.join(area, 'environment.json'), 'utf8')).endedAt).toISOString().replace(/\.\d+Z$/, '.000Z'));
    const text = await pdfText(pdf);
    if (text === null) return;
    for (const s of [
      ...SECTIONS.filter((t) => !t.startsWith('Appendix')), 'A reproduction of “A Fresh Look', '10.1145/3464298.3493404', 'reproduced 1 partly tested 8 not reproduced 1 inconclusive 1 not run 8 caveat 1',
      'Figure 1.', `Figure ${AREA_PRINTED_FIGURES}.`, 'Table 1.', 'page 1 of',
      'reproduced', 'partly tested', 'not reproduced', 'inconclusive', 'not run', 'caveat', 'net-gvisor-tail', 'hap-secure', 'startup-daemon', 'hap-caveat',
      "paper's host, not compared", 'qemu-tcg (software emulation)', 'Kata Containers: 9p versus virtio-fs',
      'The Docker daemon on top of the OCI runtime', 'What the HAP does not measure', '95.1 %', 'Holm step-down over the 11 claims',
      'paper: +250 ms', 'added time (ms)',
    ]) assert.ok(text.includes(s), `PDF text contains '${s}'`);
    const pdfinfo = await run(['pdfinfo', pdf], { timeoutMs: 30_000 });
    if (pdfinfo.code === 0) assert.match(pdfinfo.stdout, /Page size:\s+59[45]\.\d+ x 841\.\d+ pts \(A4\)/);
  });

  test('print-grade pages: headings kept with their text, no near-empty page, no Type 3 font, contents with page numbers, every claim on page 1', async () => {
    await checkPrint(out.quick.pdf!, quick, 'quick');
    await checkPrint(out.area.pdf!, area, 'area');
    await checkPrint(out.real.pdf!, real, 'real quick run');
  });

  // issue #13: at most 16 pages before the appendix, at full scale (no page shrunk: checkPrint's text sizes; charts at their size)
  test('a real quick run: at most 16 pages before the appendix, start-up in milliseconds with the daemon\'s added time and its interval', async () => {
    const { entries } = await readOutline(readFileSync(out.real.pdf!));
    const appendix = entries.find((e) => e.title.endsWith('Appendix: methods'));
    assert.ok(appendix, 'the PDF outline names appendix A, the first');
    assert.ok(appendix!.page - 1 <= 16, `${appendix!.page - 1} pages before the appendix`);
    const text = await pdfText(out.real.pdf!);
    if (text === null) return;
    // both clocks in one figure, side by side
    assert.match(text, /startup: instance creation to its exit \(left\)\s+and\s+instance\s+creation\s+to\s+the\s+first\s+byte[^]*in\s+ms\s+on\s+a\s+logarithmic\s+axis/);
    assert.match(text, /added by the daemon, time to first output \(docker-runc − runc\)/);
    assert.match(text, /added time \(ms\)/);
    // the daemon's added time with its 95 % interval, in the callout beside the figure
    assert.match(text, /docker-runc − runc = \+\d+ \[\d+, \d+\]\s+ms/);
  });

  test('a clause reason with raw JSON (an analysis from before reasons were words) wraps: no page is shrunk', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-wide-reason-'));
    try {
      const run = path.join(dir, 'run');
      cpSync(quick, run, { recursive: true });
      const file = path.join(run, 'analysis.json');
      const analysis = JSON.parse(readFileSync(file, 'utf8'));
      const json = '{"attachS":3,"durationS":10,"fileMiB":16,"ftraceBufferKb":131072,"method":"auto","perfFrequencyHz":999,"sysbenchThreads":1}';
      const v = analysis.claims.verdicts.find((x: { id: string }) => x.id === 'cpu-parity');
      v.clauses[0].why = `runc / native on sysbench-cpu events_per_s ${json}: ${json.repeat(3)}`;
      v.reason = `${v.reason} ${json}`;
      writeFileSync(file, JSON.stringify(analysis));
      const out = await renderReport(run, path.join(dir, 'report'));
      await checkTextSize(out.pdf!, 'raw JSON reason');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the area example\'s body (before appendix A, methods) holds one table per workload: at most 18 pages, no row for a platform that did not run', async () => {
    const { entries } = await readOutline(readFileSync(out.area.pdf!));
    const appendix = entries.find((e) => e.title.endsWith('Appendix: methods'));
    assert.ok(appendix, 'the PDF outline names appendix A, the first');
    // 16 when each workload has one headline table (a table per metric and job in the body made it 39 and more)
    assert.ok(appendix!.page - 1 <= 18, `${appendix!.page - 1} pages before the appendix`);
    const html = readFileSync(out.area.html, 'utf8');
    // the areas' part of the body (the host's platforms table lists every platform, run or not, by design)
    const body = html.slice(html.indexOf('<section class="area"'), html.indexOf('<section id="methods"'));
    assert.ok(body.length > 1000, 'the area sections are found');
    assert.not.match(body, /<tr class="missing">/);
    assert.match(body, /Not run here: gvisor-kvm[^<]*\(see “What was not run”\)/);
  });

  test('the quick example fits on at most 16 pages', async () => {
    const { pageHeights } = await readOutline(readFileSync(out.quick.pdf!));
    assert.ok(pageHeights.length <= 16, `${pageHeights.length} pages`);
  });

  test('the page checks can fail: a heading at a page\'s foot and a Type 3 font are found', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'isobench-print-check-'));
    try {
      const html = path.join(dir, 'bad.html');
      // a heading pushed to the foot of page 1, and text drawn with a stroke (which Chromium prints as a Type 3 font)
      writeFileSync(html, '<!DOCTYPE html><html><body style="margin:0"><div style="height:265mm"></div><h2>Stranded</h2><p>text</p><svg width="200" height="40"><text x="5" y="20" stroke="#000" stroke-width="2">stroked</text></svg></body></html>');
      const { printPdf } = await import('../../src/report/pdf.ts');
      const pdf = path.join(dir, 'bad.pdf');
      await printPdf(html, pdf, { title: 't', subject: 's', keywords: [], date: '2026-01-01T00:00:00Z' });
      const { entries, pageHeights } = await readOutline(readFileSync(pdf));
      const stranded = entries.find((e) => e.title === 'Stranded')!;
      assert.ok(stranded.top! >= 0.9 * pageHeights[stranded.page - 1], `found at ${stranded.top}`);
      if (which('pdffonts')) assert.match((await run(['pdffonts', pdf], { timeoutMs: 30_000 })).stdout, /Type 3/);
      // a line wider than the page that cannot wrap: Chromium shrinks every page, and the size check sees it
      const wide = path.join(dir, 'wide.html');
      writeFileSync(wide, `<!DOCTYPE html><html><body style="font: 9pt sans-serif"><p>body text at nine points</p><p style="white-space:nowrap">${'{"network":null,"threads":110}'.repeat(12)}</p></body></html>`);
      const widePdf = path.join(dir, 'wide.pdf');
      await printPdf(wide, widePdf, { title: 't', subject: 's', keywords: [], date: '2026-01-01T00:00:00Z' });
      const heights = await wordHeights(widePdf);
      if (heights) assert.ok(heights[0] < 8, `shrunk text measured at ${heights[0]} pt`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('rendering the same run twice gives byte-identical HTML, PDF, charts and summaries', () => {
    for (const f of ['index.html', 'report.pdf', 'summary.csv', 'claims.csv', 'verdicts.json']) {
      assert.ok(readFileSync(path.join(dirs.area, f)).equals(readFileSync(path.join(dirs.again, f))), `${f} differs between two renders`);
    }
    for (const f of readdirSync(path.join(dirs.area, 'charts'))) {
      assert.ok(readFileSync(path.join(dirs.area, 'charts', f)).equals(readFileSync(path.join(dirs.again, 'charts', f))), `charts/${f} differs`);
    }
  });

  test('the temporary Chromium profiles are removed', () => {
    assert.equal(profiles().filter((p) => !profilesBefore.includes(p)), []);
  });

  test.run();
}
