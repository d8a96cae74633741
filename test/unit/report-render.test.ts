import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderCharts } from '../../src/report/charts.ts';
import { claimsCsv } from '../../src/report/claims-view.ts';
import { verdictsJson } from '../../src/report/index.ts';
import { readRunInputs, type ReportInputs } from '../../src/report/inputs.ts';
import { renderHtml } from '../../src/report/render.ts';
import { summaryCsv } from '../../src/report/summary-csv.ts';
import { allCharts, buildViewModel, orderedSummaries } from '../../src/report/view-model.ts';

const quick = fileURLToPath(new URL('../fixtures/runs/quick-example', import.meta.url));
const area = fileURLToPath(new URL('../fixtures/runs/area-example', import.meta.url));

async function html(inputs: ReportInputs): Promise<string> {
  const view = buildViewModel(inputs);
  return renderHtml(view, await renderCharts(allCharts(view), view.platformOrder));
}

const areaPage = html(readRunInputs(area));
const SECTIONS = [
  "1 Summary: the paper's claims on this host", '2 The run', '3 Host and platforms', '4 CPU', '5 Memory', '6 Disk I/O', '7 Network', '8 Startup', '9 Isolation (HAP)',
  '10 What was not run, and why', '11 Threats to validity', 'A Appendix: methods', 'B Appendix: every metric', 'C Appendix: the claims in full', 'D Appendix: every figure and its samples',
];
const FIGURES = 18;

test('the page has a title page, then the sections in order', async () => {
  const page = await areaPage;
  assert.match(page, /<header class="title-block">[^]*<h1>A reproduction of “A Fresh Look at the Architecture and Performance of Contemporary Isolation Platforms”<\/h1>/);
  assert.match(page, /DOI <a href="https:\/\/doi\.org\/10\.1145\/3464298\.3493404">10\.1145\/3464298\.3493404<\/a>/);
  // page 1: every claim with its verdict
  const first = page.slice(0, page.indexOf('<section id="run"'));
  for (const id of ['cpu-parity', 'net-gvisor-tail', 'mem-kata', 'hap-caveat', 'mysql-gvisor']) assert.match(first, new RegExp(`<a href="#claim-${id}">${id}</a>`));
  assert.match(first, /<span class="verdict not-reproduced">not reproduced<\/span>/);
  const titles = [...page.matchAll(/<h2><span class="secno">(\w+)<\/span> ([^<]+)<\/h2>/g)].map((m) => `${m[1]} ${m[2].replace(/&#x27;/g, "'")}`);
  assert.equal(titles, SECTIONS);
});

test('the page is self-contained: CSS and SVG inline, no scripts, nothing fetched', async () => {
  const page = await areaPage;
  assert.match(page, /<style>\n\/\* isobench report[^]*:root \{[^]*@media print[^]*<\/style>/);
  assert.is((page.match(/<svg /g) ?? []).length, FIGURES);
  assert.not.match(page, /<script/i);
  assert.not.match(page, /<link /i);
  assert.not.match(page, /\ssrc=/i);
  // links leave the page only for the DOI and for the files beside it
  const outside = [...page.matchAll(/href="([^#"][^"]*)"/g)].map((m) => m[1]);
  assert.equal(outside.filter((h) => !/^(https:\/\/doi\.org\/10\.1145\/3464298\.3493404|summary\.csv|claims\.csv|verdicts\.json|charts\/([a-z0-9-]+\.(csv|vl\.json))?)$/.test(h)), []);
  assert.ok(outside.includes('charts/fio-default-ratio-1.csv'));
  // hover values on the chart points
  assert.match(page, /<title>[^<]*, ratio to native of [^<]*<\/title>/);
  assert.not.match(page, /url\(/);
});

test('every internal link points at an element of the page', async () => {
  const page = await areaPage;
  const ids = new Set([...page.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  const targets = [...page.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]);
  assert.ok(targets.length > 40);
  assert.equal(targets.filter((t) => !ids.has(t)), []);
});

test('every figure is numbered and has a text alternative with the values', async () => {
  const page = await areaPage;
  const alts = [...page.matchAll(/<div class="chart-svg" role="img" aria-label="([^"]+)">/g)].map((m) => m[1]);
  assert.is(alts.length, FIGURES);
  assert.ok(alts.some((a) => /^Ratio to native for sysbench-cpu: runc, prime verification events per second: \d\.\d+ \[\d\.\d+, \d\.\d+\]; docker-runc/.test(a)));
  for (let n = 1; n <= FIGURES; n++) assert.match(page, new RegExp(`<span class="label">Figure ${n}\\.</span>`));
});

test('the claims stand beside their verdicts, with the paper\'s values labelled as not compared', async () => {
  const page = await areaPage;
  assert.match(page, /<article class="claim-card not-reproduced" id="claim-hap-secure">/);
  assert.match(page, /<article class="claim-card caveat" id="claim-hap-caveat">/);
  assert.match(page, /The paper's value \(paper's host, not compared\):<\/span> Docker daemon overhead: 250 ms\./);
  assert.match(page, /<span class="verdict inconclusive">inconclusive<\/span>/);
});

test('callouts sit in the figure row of the chart they explain, with the measured ratio', async () => {
  const page = await areaPage;
  const disk = page.slice(page.indexOf('<section class="workload" id="block-fio-default">'));
  const firstRow = disk.slice(0, disk.indexOf('</div>\n    </div>') + 20);
  assert.match(firstRow, /<figure class="chart chart-ratio" id="figure-\d+-fio-default-ratio-1">[^]*<aside class="callout" id="callout-kata-9p-virtiofs"/);
  assert.match(page, /virtio-fs \/ 9p, sequential read:<\/span> kata-virtiofs \/ kata-9p = <strong>2\.\d+ \[\d\.\d+, \d\.\d+\]<\/strong>/);
  assert.not.match(page, /id="callout-rust-vm-memory"/);
  assert.match(page, /Architecture notes not shown, because none of their platforms ran here: [^<]*Firecracker and Cloud Hypervisor/);
});

test('emulated platforms are labelled software emulation in tables and charts', async () => {
  const page = await areaPage;
  assert.match(page, /<tr><th scope="row">qemu-tcg \(software emulation\)<\/th>/);
  assert.match(page, />qemu-tcg \(software emulation\)<\/text>/);
  assert.not.match(page, /qemu-tcg \(emulated\)/);
});

test('text from the data is escaped', async () => {
  const inputs = readRunInputs(quick);
  inputs.analysis.notRun[0].reason = '<script>alert(1)</script> & "quotes"';
  inputs.analysis.failures[0].error = '<img src=x onerror=alert(1)>';
  const page = await html(inputs);
  assert.not.match(page, /<script>alert/);
  assert.not.match(page, /<img src=x/);
  assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;quotes&quot;/);
  assert.match(page, /&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;/);
});

test('the HTML holds no render time: two renders are byte-identical', async () => {
  assert.is(await html(readRunInputs(area)), await areaPage);
});

test('a run without native, failures or skipped platforms still renders, and says so', async () => {
  const inputs = readRunInputs(quick);
  inputs.analysis.summaries = inputs.analysis.summaries.filter((s) => s.platform !== 'native').map((s) => ({ ...s, ratioToNative: null }));
  inputs.analysis.failures = [];
  inputs.analysis.notRun = [];
  inputs.plan.cells = inputs.plan.cells.filter((c) => c.platform === 'runc');
  inputs.environment.platforms = inputs.environment.platforms.filter((p) => p.id === 'runc');
  const page = await html(inputs);
  // the value chart and the claim's figure
  assert.is((page.match(/<svg /g) ?? []).length, 2);
  assert.match(page, /no ratios to native are given/);
  assert.match(page, /No measurement failed, timed out or was skipped\./);
});

test('summary.csv has a header and one full-precision row per summary', () => {
  const csv = summaryCsv(orderedSummaries(readRunInputs(quick)));
  const lines = csv.split('\r\n');
  assert.is(lines.length, 4); // header, native, runc, trailing empty
  assert.match(lines[0], /^workload,job,metric,unit,better,platform,n,iterations,failed,mean,/);
  assert.match(lines[2], /^sysbench-cpu,default,events_per_s,events\/s,higher,runc,3,5,0,1645\.4099999999999,1645\.865,1\.0725087412231753,/);
  assert.match(lines[2], /,0\.9974589825220431,0\.9957037148858874,0\.9992173444164899,"ratio of means of instance means; 95% interval exp\(ln ratio ± t·se\), Welch t on the log ratio \(delta method\), standard error of each mean at least the metric's resolution",1645\.865 1644\.185 1646\.18,false,none$/);
});

test('claims.csv has one row per claim with its verdict and Holm-adjusted p-values', () => {
  const csv = claimsCsv(readRunInputs(area).analysis.claims);
  const lines = csv.split('\r\n');
  assert.is(lines.length, 22); // header, 20 claims (one a caveat), trailing empty
  assert.match(lines[0], /^id,area,verdict,coverage,provenance_kind,provenance_where,test_kind,comparisons,p_support,p_refute,p_support_holm,p_refute_holm,reason,claim$/);
  assert.match(lines.find((l) => l.startsWith('hap-secure,'))!, /^hap-secure,isolation,not reproduced,partial,text,Finding 26,ordering,\d+,[\d.e-]+,/);
  assert.match(lines.find((l) => l.startsWith('hap-caveat,'))!, /^hap-caveat,isolation,caveat,,text,Finding 28,caveat,0,,,,,/);
  assert.is(claimsCsv(undefined), 'id,area,verdict,coverage,provenance_kind,provenance_where,test_kind,comparisons,p_support,p_refute,p_support_holm,p_refute_holm,reason,claim\r\n');
});

test('verdicts.json holds the claims as analysed and the callouts\' measured evidence', () => {
  const inputs = readRunInputs(area);
  const json = JSON.parse(verdictsJson(inputs, buildViewModel(inputs)));
  assert.is(json.schema, 1);
  assert.equal(json.claims, inputs.analysis.claims);
  const kata = json.callouts.find((c: any) => c.callout === 'kata-9p-virtiofs' && c.metric === 'read_bw_mbps' && c.reference === 'kata-9p');
  assert.is(kata.platform, 'kata-virtiofs');
  assert.ok(kata.ratio > 2 && kata.interval.low < kata.ratio && kata.ratio < kata.interval.high);
  const firecracker = json.callouts.find((c: any) => c.callout === 'rust-vm-memory');
  assert.is(firecracker.ratio, null);
  assert.match(firecracker.reason, /^not measured here/);
});

test.run();
