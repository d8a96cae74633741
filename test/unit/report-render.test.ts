import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderCharts } from '../../src/report/charts.ts';
import { readRunInputs, type ReportInputs } from '../../src/report/inputs.ts';
import { renderHtml } from '../../src/report/render.ts';
import { summaryCsv } from '../../src/report/summary-csv.ts';
import { buildViewModel, orderedSummaries } from '../../src/report/view-model.ts';

const fixture = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));

async function html(inputs: ReportInputs = readRunInputs(fixture)): Promise<string> {
  const view = buildViewModel(inputs);
  return renderHtml(view, await renderCharts(view.results.flatMap((g) => g.charts), view.platformOrder));
}

test('the page has the five sections, in order', async () => {
  const page = await html();
  const titles = [...page.matchAll(/<h2><span class="secno">(\d)<\/span> ([^<]+)<\/h2>/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.equal(titles, ['1 Summary', '2 Host and platforms', '3 Results', '4 Methods', '5 What was not run, and why']);
});

test('the page is self-contained: CSS and SVG inline, no scripts, nothing fetched', async () => {
  const page = await html();
  assert.match(page, /<style>\n\/\* isobench report[^]*:root \{[^]*@media print[^]*<\/style>/);
  assert.is((page.match(/<svg /g) ?? []).length, 2);
  assert.not.match(page, /<script/i);
  assert.not.match(page, /<link /i);
  assert.not.match(page, /\ssrc=/i);
  assert.not.match(page, /href="(?!#)/);
  assert.not.match(page, /url\(/);
});

test('every figure is numbered and has a text alternative with the values', async () => {
  const page = await html();
  const figures = [...page.matchAll(/<figure class="chart [^"]*" id="[^"]+" role="img" aria-label="([^"]+)">/g)].map((m) => m[1]);
  assert.is(figures.length, 2);
  assert.match(figures[0], /native 1649\.6/);
  assert.match(figures[1], /runc 0\.9975/);
  assert.match(page, /<span class="label">Figure 1\.<\/span>/);
  assert.match(page, /<span class="label">Figure 2\.<\/span>/);
  for (let n = 1; n <= 8; n++) assert.match(page, new RegExp(`<span class="label">Table ${n}\\.</span>`));
});

test('text from the data is escaped', async () => {
  const inputs = readRunInputs(fixture);
  inputs.analysis.notRun[0].reason = '<script>alert(1)</script> & "quotes"';
  inputs.analysis.failures[0].error = '<img src=x onerror=alert(1)>';
  const page = await html(inputs);
  assert.not.match(page, /<script>alert/);
  assert.not.match(page, /<img src=x/);
  assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;/);
  assert.match(page, /&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/);
});

test('the HTML holds no render time: two renders are byte-identical', async () => {
  assert.is(await html(), await html());
});

test('a run without native, failures or skipped platforms still renders, and says so', async () => {
  const inputs = readRunInputs(fixture);
  inputs.analysis.summaries = inputs.analysis.summaries.filter((s) => s.platform !== 'native').map((s) => ({ ...s, ratioToNative: null }));
  inputs.analysis.failures = [];
  inputs.analysis.notRun = [];
  inputs.plan.cells = inputs.plan.cells.filter((c) => c.platform === 'runc');
  inputs.environment.platforms = inputs.environment.platforms.filter((p) => p.id === 'runc');
  const page = await html(inputs);
  assert.is((page.match(/<svg /g) ?? []).length, 1);
  assert.match(page, /no ratios to native are given/);
  assert.match(page, /Every requested platform ran\./);
  assert.match(page, /No measurement failed or timed out\./);
  assert.not.match(page, /Relative to native/);
});

test('summary.csv has a header and one full-precision row per summary', () => {
  const csv = summaryCsv(orderedSummaries(readRunInputs(fixture)));
  const lines = csv.split('\r\n');
  assert.is(lines.length, 4); // header, native, runc, trailing empty
  assert.match(lines[0], /^workload,job,metric,unit,better,platform,n,iterations,failed,mean,/);
  assert.match(lines[2], /^sysbench-cpu,default,events_per_s,events\/s,higher,runc,3,5,1,1645\.41,1645\.865,1\.072509,/);
  assert.match(lines[2], /,0\.997459,0\.996513,0\.998407,bootstrap percentile of the ratio of means \(instance means resampled per platform\),1645\.865 1644\.185 1646\.18,false,none$/);
});

test.run();
