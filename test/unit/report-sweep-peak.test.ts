import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sweepPeakText, sweepPeaks } from '../../src/report/sweep-peak.ts';
import type { MetricSummary } from '../../src/types.ts';

const row = (platform: string, threads: number, mean: number, half: number | null): MetricSummary => ({
  platform, workload: 'mysql-oltp', job: `threads=${threads}`, metric: 'transactions_per_s', unit: 'tx/s', better: 'higher',
  n: 3, iterations: 3, failed: 0, mean, median: mean, sd: 1, cv: 0.01, ci: half === null ? null : { low: mean - half, high: mean + half, level: 0.95 },
  instanceMeans: [], instances: [], outliers: [], cell: `${platform}-${threads}`, params: { threads }, platformOptions: {}, ratioToNative: null,
});

test('peak per platform: the best mean, and the thread counts whose intervals overlap it', () => {
  const peaks = sweepPeaks([
    row('native', 10, 100, 5), row('native', 110, 300, 10), row('native', 90, 295, 10), row('native', 150, 250, 5),
    row('gvisor-ptrace', 10, 50, 2), row('gvisor-ptrace', 30, 80, 2),
  ], 'mysql-oltp', 'transactions_per_s', 'threads');
  assert.equal(peaks, [
    { platform: 'gvisor-ptrace', at: 30, mean: 80, tiedWith: [], points: 2 },
    { platform: 'native', at: 110, mean: 300, tiedWith: [90], points: 4 },
  ]);
  assert.is(sweepPeakText(peaks, 'threads', 'transactions_per_s'),
    'Peak transactions_per_s by threads: gvisor-ptrace 30; native 110 (not told apart at 95 % from 90).');
});

test('a metric where lower is better peaks at its minimum; one value only is said so; no interval counts as a tie', () => {
  const lat = (p: string, t: number, m: number) => ({ ...row(p, t, m, null), metric: 'latency_p95_ms', better: 'lower' as const });
  const peaks = sweepPeaks([lat('runc', 10, 5), lat('runc', 30, 9), lat('lxc', 10, 4)], 'mysql-oltp', 'latency_p95_ms', 'threads');
  assert.equal(peaks.map((p) => [p.platform, p.at, p.tiedWith]), [['lxc', 10, []], ['runc', 10, [30]]]);
  assert.match(sweepPeakText(peaks, 'threads', 'latency_p95_ms'), /lxc 10 \(one value only\)/);
  assert.is(sweepPeakText([], 'threads', 'x'), '');
});

test.run();
