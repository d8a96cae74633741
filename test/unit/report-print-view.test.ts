// The PDF's own view of a real quick run: plain ratio figures left to the HTML, one ratio figure per workload over its jobs, short cards.
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readRunInputs } from '../../src/report/inputs.ts';
import { cssString, pageRules, renderHtml } from '../../src/report/render.ts';
import { allCharts, buildViewModel, type DotChartView, type StripChartView } from '../../src/report/view-model.ts';

const real = readRunInputs(fileURLToPath(new URL('../fixtures/runs/quick-real', import.meta.url)));
const screen = buildViewModel(real);
const print = buildViewModel(real, undefined, { print: true });
const blocksOf = (v: typeof screen, workload: string) => v.areas.flatMap((a) => a.blocks).filter((b) => b.workload === workload);

test('the HTML draws one ratio figure per workload over its jobs: a panel per job, one caption naming the jobs', () => {
  const ratios = allCharts(screen).filter((c) => c.kind === 'ratio') as DotChartView[];
  const memcached = ratios.filter((c) => c.sources.some((s) => s.workload === 'memcached-ycsb'));
  assert.is(memcached.length, 1);
  assert.equal(memcached[0].panels.map((p) => p.title), ['a', 'b', 'c', 'f'].map((j) => `${j}: operations per second over the run phase (higher is better)`));
  assert.match(memcached[0].caption, /^memcached-ycsb, jobs a, b, c, f: /);
  // every job's platforms are on it
  assert.equal(new Set(memcached[0].sources.map((s) => s.job)), new Set(['a', 'b', 'c', 'f']));
});

test('the PDF leaves every plain ratio figure to the HTML and numbers its own figures 1..n', () => {
  const charts = allCharts(print);
  assert.ok(allCharts(screen).some((c) => c.kind === 'ratio'));
  assert.equal(charts.filter((c) => c.kind === 'ratio'), []);
  assert.equal(charts.map((c) => c.number), charts.map((_, i) => i + 1));
  assert.ok(charts.length < allCharts(screen).length);
  // the headline table still gives the ratios, and the run's note says, once, that the HTML draws them
  const memcached = blocksOf(print, 'memcached-ycsb');
  assert.ok(memcached.some((b) => b.compact && b.compact.columns.length === 4));
  // the charts' SVG is not this test's subject: an empty one per figure
  const blank = charts.map((c) => ({ name: c.name, spec: {} as never, svg: '<svg></svg>' }));
  assert.match(renderHtml(print, blank), /This PDF numbers its figures on its own: the HTML report beside it \(index.html\) also draws each workload's ratios to native, which here only its headline table gives/);
  assert.not.match(renderHtml(screen, allCharts(screen).map((c) => ({ name: c.name, spec: {} as never, svg: '<svg></svg>' }))), /This PDF numbers its figures on its own/);
});

test('a workload of several jobs is headed once, with what the jobs share and what sets each apart', () => {
  const memcached = blocksOf(screen, 'memcached-ycsb');
  assert.is(memcached[0].title, 'memcached-ycsb');
  assert.match(memcached[0].params, /; per job: a: mix=a; b: mix=b; c: mix=c; f: mix=f$/);
  assert.equal(memcached.slice(1).map((b) => b.lead), [false, false, false]);
  // jobs named by their own setting are named once
  assert.match(blocksOf(screen, 'mysql-oltp')[0].params, /per job: threads=2; threads=8$/);
  // parameters in the words the verdicts use (claims/words.ts settingsWords), never raw JSON
  assert.match(blocksOf(screen, 'fio')[0].params, /, jobs=write\+read\+randwrite\+randread, /);
  // and a budget in the one duration format of progress, plan and summary (run/duration.ts)
  assert.match(screen.methods.repetitions, / Budget 15\.0 min: the first stage gave every cell its instances/);
  assert.match(screen.methods.repetitions, / Time: 12\.8 min of wall time, 12\.0 min in instances \(start 51 s, measured 10\.2 min, stop 57 s\), 50 s outside any instance/);
  assert.ok(screen.methods.commands.every((c) => !/[[\]{}"]/.test(c.params)), screen.methods.commands.map((c) => c.params).join('\n'));
});

test('a printed card says "decided by" only of a decided verdict', () => {
  const cards = print.areas.flatMap((a) => a.claims);
  const lead = (id: string) => cards.find((c) => c.id === id)!.brief.lead;
  assert.is(lead('startup-daemon'), 'Decided by');
  assert.is(lead('startup-times'), 'Observed, among others:');
  assert.is(lead('hap-osv'), 'Observed, among others:');
  // the appendix of the claims in full holds each body card whole, under its own anchor
  assert.equal(print.claimsAppendix.cards.map((c) => c.anchor), cards.map((c) => `${c.anchor}-full`));
  assert.ok(print.claimsAppendix.cards.every((c) => c.full));
});

test('an architecture note says in a line why a platform gave nothing: grouped by cause, a failed platform not called absent', () => {
  const notes = screen.areas.flatMap((a) => a.blocks.flatMap((b) => [...b.callouts, ...b.figures.flatMap((f) => f.callouts)]));
  const brief = (id: string) => notes.find((c) => c.id === id)!.evidence.filter((e) => !e.measured).map((e) => e.brief);
  // gvisor-kvm was requested and every start failed: not "not in this experiment"
  assert.equal(brief('gvisor-ptrace-kvm'), ['not measured here (gvisor-kvm: ran, but no instance gave a value)']);
  assert.equal(brief('hap-caveat'), ['not measured here (kata-9p, kata-virtiofs: kata-runtime not found (on PATH or /opt/kata/bin))']);
});

test('what was not run: one row per reason, a claim row names its platforms that have a row rather than repeat their reasons', () => {
  const rows = screen.notRun.rows;
  const platforms = rows.filter((r) => r.kind === 'platform');
  // Kata's two shared filesystems did not run for the same reason: one row
  assert.ok(platforms.some((r) => r.what === 'kata-9p, kata-virtiofs'));
  assert.is(new Set(platforms.map((r) => r.reason)).size, platforms.length);
  const claim = (id: string) => rows.find((r) => r.kind === 'claim' && r.what === id)!.reason;
  assert.is(claim('mem-kata'), 'the claim is about kata-9p or kata-virtiofs; nothing to compare here: kata-9p, kata-virtiofs: gave no value here (their rows above say why); native: ran, but nothing to compare with ran here');
  // gvisor-kvm ran, every instance failed: its row says so, the claim row does not call it "not run"
  assert.match(claim('net-gvisor-tail'), /gvisor-kvm: gave no value here \(its row above says why\); gvisor-ptrace, docker-gvisor: ran, but gave no value for latency-rr/);
  // no claim row carries a platform's reason cut short
  assert.ok(rows.filter((r) => r.kind === 'claim').every((r) => !/the whole reason/.test(r.reason)));
});

test('on paper, under a table, the platforms that did not run anywhere are counted, not named again; the HTML names them', () => {
  const absent = (v: typeof screen) => [...v.areas.flatMap((a) => a.blocks.flatMap((b) => (b.compact ? [b.compact.absent] : []))), ...v.metricAppendix.tables.map((t) => t.absent)];
  assert.ok(absent(print).includes('Not run here: the 7 requested platforms that did not run (see “What was not run”).'), absent(print).join('\n'));
  assert.ok(absent(print).every((a) => !/Not run here: gvisor-systrap, kata-9p/.test(a)));
  // gvisor-kvm ran, and every instance failed: not among the 7, named apart where it has no value
  assert.ok(absent(print).some((a) => /No value here: gvisor-kvm \(1 failure\)/.test(a)));
  assert.ok(absent(screen).includes('Not run here: gvisor-systrap, kata-9p, kata-virtiofs, qemu-kvm, firecracker, cloud-hypervisor, osv-qemu (see “What was not run”).'), absent(screen).join('\n'));
});

test('no template placeholder reaches either page, and page 1 points at the claims in full by their letter', () => {
  const blank = (v: typeof screen) => allCharts(v).map((c) => ({ name: c.name, spec: {} as never, svg: '<svg></svg>' }));
  for (const v of [screen, print]) assert.not.match(renderHtml(v, blank(v)), /\$\{|\{\{|\}\}/);
  assert.match(print.summary.claims!.table.caption, /\(on paper: appendix C\) gives the whole reason/);
  // on paper each body card's id links to its whole copy
  const page = renderHtml(print, blank(print));
  assert.match(page, /<a class="claim-id print-inline" href="#claim-cpu-parity-full">cpu-parity<\/a>/);
  assert.match(page, /<article class="claim-card [^"]*full" id="claim-cpu-parity-full">/);
});

test('start-up\'s two clocks: side by side only over the same rows; n given apart when it differs', () => {
  const stripOf = (v: typeof screen) => allCharts(v).find((c) => c.kind === 'strip') as StripChartView;
  const sideBySide = stripOf(screen);
  assert.is(sideBySide.columns, 2);
  assert.match(sideBySide.caption, /\(left\) and .* \(right\) of every fresh instance, in ms on a logarithmic axis\. .*; n = 1–9 fresh instances per platform\./);
  // lxc's exit clock kept 3 of its 9 instances: the same rows, so still side by side, with each side's n
  const fewer = structuredClone(real);
  const lxcExit = fewer.analysis.summaries.find((s) => s.platform === 'lxc' && s.workload === 'startup' && s.metric === 'exit_ms')!;
  Object.assign(lxcExit, { n: 3, instances: lxcExit.instances.slice(0, 3), instanceMeans: lxcExit.instanceMeans.slice(0, 3) });
  const apart = stripOf(buildViewModel(fewer));
  assert.is(apart.columns, 2);
  assert.match(apart.caption, /; n = 1–4 fresh instances per platform on the left; n = 1–9 fresh instances per platform on the right\./);
  // crun's exit clock gone altogether: the rows differ, so the clocks are stacked, each panel naming its clock
  const gone = structuredClone(real);
  gone.analysis.summaries = gone.analysis.summaries.filter((s) => !(s.platform === 'crun' && s.workload === 'startup' && s.metric === 'exit_ms'));
  const stacked = stripOf(buildViewModel(gone));
  assert.is(stacked.columns, 1);
  assert.equal(stacked.panels.map((p) => p.title), [
    'instance creation to its exit: hardware-assisted and native',
    'instance creation to its exit: software emulation, on its own axis',
    'instance creation to the first byte of the marker on the host: hardware-assisted and native',
    'instance creation to the first byte of the marker on the host: software emulation, on its own axis',
  ]);
  assert.match(stacked.caption, /^startup: instance creation to its exit and instance creation to the first byte of the marker on the host \(each in its own panels\) of every fresh instance/);
});

test('a figure of ratios that span more than a factor of 8 is drawn on a log axis and says so; a narrow one stays linear', () => {
  const claims = (id: string) => allCharts(screen).find((c) => c.name === `claims-${id}`) as DotChartView;
  // start-up's claims compare 0.119 with 15.3: on a linear axis 0.119 and 1.01 sat together at its left end
  assert.ok(claims('startup').panels.every((p) => p.log && p.axisTitle === 'ratio, platform / reference (log scale)'));
  assert.match(claims('startup').caption, /all panels share one log scale\.$/);
  assert.ok(claims('cpu').panels.every((p) => !p.log));
  assert.match(claims('cpu').caption, /all panels share one scale\.$/);
  // fio's second ratio figure spans 0.058 to 72: log, where its linear axis once began at -4
  const fio = allCharts(screen).find((c) => c.name === 'fio-ratio-2') as DotChartView;
  assert.ok(fio.panels.filter((p) => !p.emulated).every((p) => p.log));
  assert.match(fio.caption, /All panels share a log scale/);
});

test('print pages: the body after page 1 shares one running header; each appendix has its own', () => {
  const rules = pageRules(print);
  const pageOf = (id: string) => new RegExp(`#${id} \\{ page: (section-\\d+); \\}`).exec(rules)?.[1];
  const body = print.toc.filter((s) => s.id !== 'summary' && /^\d+$/.test(s.number));
  assert.ok(body.length > 5);
  assert.is(new Set(body.map((s) => pageOf(s.id))).size, 1, 'one named page for the whole body');
  assert.ok(rules.includes(`@top-left { content: ${cssString('2–12 the run, the results by area, what did not run, threats to validity')}`));
  const appendices = print.toc.filter((s) => /^[A-D]$/.test(s.number));
  assert.equal(appendices.map((s) => s.id), ['methods', 'every-metric', 'claims-in-full', 'appendix']);
  assert.is(new Set([...appendices, body[0]].map((s) => pageOf(s.id))).size, appendices.length + 1, 'each appendix on pages of its own');
  assert.ok(rules.includes(`@top-left { content: ${cssString('A Appendix: methods')}`));
});

test.run();
