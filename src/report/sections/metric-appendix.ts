// The appendix "Every metric": each workload's metric in one table over its jobs, measured rows only; the body shows the headline table.
import { isCount, metricName } from '../areas.ts';
import { unique, type ReportContext } from '../context.ts';
import { slug } from '../format.ts';
import type { AppendixTable, AreaView, MetricAppendixView, MetricTable } from '../view-types.ts';
import { APPENDICES } from '../appendices.ts';
import { absentLine } from './area.ts';

export function buildMetricAppendix(areas: AreaView[], ctx: ReportContext, print = false): MetricAppendixView {
  const section = APPENDICES.everyMetric;
  const tables: AppendixTable[] = [];
  for (const area of areas) {
    for (const workload of unique(area.blocks.map((b) => b.workload))) {
      const blocks = area.blocks.filter((b) => b.workload === workload);
      for (const metric of unique(blocks.flatMap((b) => b.tables.map((t) => t.metric)))) {
        const per = blocks.flatMap((b) => b.tables.filter((t) => t.metric === metric).map((t) => ({ job: b.job, t })));
        tables.push(appendixTable(workload, metric, per, blocks.length > 1, ctx, print));
      }
    }
  }
  return {
    section,
    intro: 'Every metric of every workload, one table over its jobs: n instances with a value, iterations, failed instances, mean, median and SD over instance means, 95 % CI, and the ratio to native with its 95 % interval. Only platforms with a value have a row; the line under a table names the others (on paper it counts them when they are every platform that did not run). summary.csv holds every statistic at full precision.',
    tables,
    finePrint: areas.flatMap((a) => a.blocks.flatMap((b) => b.finePrint)),
  };
}

function appendixTable(workload: string, metric: string, per: { job: string; t: MetricTable }[], jobs: boolean, ctx: ReportContext, print: boolean): AppendixTable {
  const first = per[0].t;
  const human = metricName(workload, metric);
  const id = slug(`every-${workload}-${metric}`);
  const over = jobs ? ` (jobs ${per.map((p) => p.job).join(', ')})` : '';
  const caption = first.flag
    ? `${human} (${metric}, a flag): in how many instances it was set`
    : `${human} (${metric}; ${first.unit}, ${first.better})${isCount(workload, metric) ? ', a count: no ratio to native' : ''}`;
  return {
    id: `table-${id}`,
    title: `${workload}: ${human}`,
    metric,
    flag: first.flag,
    table: ctx.number.table(id, `${workload}${over}: ${caption}.`),
    screenOnly: first.screenOnly,
    jobs,
    rows: per.flatMap(({ job, t }) => t.rows.filter((r) => r.measured).map((r) => ({ ...r, job }))),
    absent: absentLine(per.map((p) => p.t), ctx, print),
  };
}
