// The appendix: every figure, the cells and instances behind it, their logs, and the file that holds its values.
import { APPENDICES } from '../appendices.ts';
import type { ReportInputs, SampleLogs } from '../inputs.ts';
import { logKey } from '../inputs.ts';
import type { AppendixRow, AppendixView, ChartView } from '../view-types.ts';

export function buildAppendix(charts: ChartView[], inputs: ReportInputs): AppendixView {
  const failedByCell = new Map<string, Set<number>>();
  for (const f of inputs.analysis.failures) {
    if (f.status !== 'failed' && f.status !== 'timeout') continue;
    // analyses written before failures named their cell: the plan's cell of that platform, workload and job
    const cell = f.cell ?? inputs.plan.cells.find((c) => c.platform === f.platform && c.workload === f.workload && c.job === f.job)?.id;
    if (!cell) continue;
    const key = logKey(cell, f.host);
    if (!failedByCell.has(key)) failedByCell.set(key, new Set());
    failedByCell.get(key)!.add(f.instance);
  }
  const entries = charts.map((chart) => {
    const rows: AppendixRow[] = [];
    for (const src of chart.sources) {
      const key = logKey(src.cell, src.host);
      const row = rows.find((r) => r.cell === src.cell && r.platform === src.label);
      if (row) {
        if (!row.metrics.split(', ').includes(src.metric)) row.metrics += `, ${src.metric}`;
        continue;
      }
      const failed = [...(failedByCell.get(key) ?? [])].sort((a, b) => a - b);
      rows.push({
        platform: src.label,
        cell: src.cell,
        metrics: src.metric,
        instances: `${ranges(src.instances)} (n = ${src.instances.length})`,
        failed: failed.length ? ranges(failed) : '',
        logs: logsText(key, [...src.instances, ...failed].sort((a, b) => a - b), inputs.sampleLogs),
      });
    }
    return { figure: chart.number, figureId: chart.id, anchor: `samples-${chart.id}`, title: chart.caption.split(/[.:] /)[0], samplesFile: samplesFile(chart.name), rows };
  });
  return {
    section: APPENDICES.samples,
    intro: 'For each figure: the file beside this report that holds its values (one row per platform, metric and instance), the cells it draws (cell ids as in plan.json and samples.jsonl), the instance numbers with a value (from 0), the instances that failed, and their log files, relative to the run directory. Every value in samples.jsonl carries its cell and instance, so these select exactly the samples behind a mark.',
    entries,
  };
}

/** The figure's values beside the report: charts/<name>.csv (src/report/index.ts writes it). */
export function samplesFile(chartName: string): string {
  return `charts/${chartName}.csv`;
}

/** The values a figure draws, one row per platform, metric and instance: what "samples of this figure" links to. */
export function figureValuesCsv(chart: ChartView): string {
  const lines = ['platform,host,workload,job,metric,unit,cell,instance,instance_mean'];
  for (const s of chart.sources) {
    s.instances.forEach((k, i) => lines.push([s.platform, s.host ?? '', s.workload, s.job, s.metric, s.unit, s.cell, k, s.values[i]].map(csvField).join(',')));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvField(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** [0, 1, 2, 3, 7] -> "0–3, 7" */
export function ranges(xs: number[]): string {
  const sorted = [...new Set(xs)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** The log files of a cell's instances (key: logKey(cell, host)); "logs/<cell>/instance-{k}.log, k = 0–4" when they follow one pattern. */
export function logsText(key: string, instances: number[], sampleLogs: SampleLogs | null): string {
  if (!sampleLogs) return 'samples.jsonl not found in the run directory';
  const byInstance = sampleLogs[key] ?? {};
  const logs = instances.map((i) => byInstance[i] ?? []);
  if (logs.every((l) => l.length === 0)) return 'no log file recorded';
  if (instances.length > 1 && logs.every((l) => l.length === 1)) {
    const first = logs[0][0];
    const k0 = String(instances[0]);
    for (let p = first.lastIndexOf(k0); p >= 0; p = p === 0 ? -1 : first.lastIndexOf(k0, p - 1)) {
      const prefix = first.slice(0, p);
      const suffix = first.slice(p + k0.length);
      if (instances.every((k, i) => logs[i][0] === `${prefix}${k}${suffix}`)) return `${prefix}{k}${suffix}, k = ${ranges(instances)}`;
    }
  }
  return [...new Set(logs.flat())].join(', ');
}
