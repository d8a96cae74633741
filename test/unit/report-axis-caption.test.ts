// A caption says the axis does not start at 0 only when the drawn axis does not (issue 13: Figure 12 said so wrongly).
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chartSpec } from '../../src/report/charts.ts';
import { readRunInputs } from '../../src/report/inputs.ts';
import { allCharts, buildViewModel } from '../../src/report/view-model.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/runs/${name}`, import.meta.url));

/** the x domains of a dot chart's spec, panel by panel (a single panel is the top-level layer) */
function xDomains(spec: any): number[][] {
  const panels = spec.vconcat ?? [spec];
  return panels.map((p: any) => p.layer.find((l: any) => l.encoding?.x?.scale?.domain)?.encoding.x.scale.domain).filter(Boolean);
}

test('ratio and value figures: "does not start at 0" exactly when the shared axis starts above 0, "includes 0" otherwise', () => {
  let above = 0, from = 0;
  for (const name of ['area-example', 'quick-example']) {
    const view = buildViewModel(readRunInputs(fixture(name)));
    for (const chart of allCharts(view).filter((c) => c.kind === 'ratio' || c.kind === 'value')) {
      const spec = chartSpec(chart, view.platformOrder) as any;
      const hardware = xDomains(spec)[0];
      if (/log scale|, a count \(/.test(chart.caption)) continue; // a count's caption says it is drawn as it is
      if (hardware[0] > 0) {
        above++;
        assert.match(chart.caption, /does not start at 0/, `${chart.name}: axis from ${hardware[0]}`);
      } else {
        from++;
        assert.not.match(chart.caption, /does not start at 0/, `${chart.name}: axis from ${hardware[0]}`);
        assert.match(chart.caption, /includes 0/, chart.name);
      }
    }
  }
  // a ratio figure whose ratios span 0.03 to 6 is drawn on a log axis (a linear one ran below 0), and says so
  const i = readRunInputs(fixture('quick-example'));
  const target = i.analysis.summaries.find((s) => s.platform !== 'native' && s.ratioToNative?.ci)!;
  i.analysis.summaries = i.analysis.summaries.map((s) => (s === target ? { ...s, ratioToNative: { ...s.ratioToNative!, value: 0.05, ci: { low: 0.03, high: 6, level: 0.95 } } } : s));
  const view = buildViewModel(i);
  const wide = allCharts(view).find((c) => c.kind === 'ratio' && c.name.startsWith(target.workload))!;
  const wideSpec = chartSpec(wide, view.platformOrder) as any;
  assert.ok(xDomains(wideSpec)[0][0] > 0, `the crafted figure's axis starts at ${xDomains(wideSpec)[0][0]}`);
  assert.is(wideSpec.layer.find((l: any) => l.encoding?.x?.scale?.domain).encoding.x.scale.type, 'log');
  assert.match(wide.caption, /All panels share a log scale/);
  assert.ok((wide as any).panels.every((p: any) => p.emulated || /log scale/.test(p.axisTitle)));
  assert.ok(above > 0, `the fixtures have axes that start above 0 (${above}; from 0 or below: ${from})`);
});

test('a ratio figure of software emulation alone: its caption describes the emulated panel\'s own axis', () => {
  const i = readRunInputs(fixture('area-example'));
  // sysbench-cpu as if only native and emulated qemu-tcg had run
  i.analysis.summaries = i.analysis.summaries.filter((s) => s.workload !== 'sysbench-cpu' || s.platform === 'native' || s.platform === 'qemu-tcg');
  const view = buildViewModel(i);
  const chart = allCharts(view).find((c) => c.kind === 'ratio' && c.name.startsWith('sysbench-cpu'))!;
  assert.equal((chart as any).panels.map((p: any) => p.emulated), [true]);
  const domain = xDomains(chartSpec(chart, view.platformOrder))[0];
  assert.ok(domain[0] > 0);
  assert.match(chart.caption, /The axis has a scale that does not start at 0\./);
  assert.not.match(chart.caption, /All panels share|hardware-assisted panels share/);
});

test.run();
