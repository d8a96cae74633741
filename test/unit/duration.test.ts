// One way to word a duration: the plan's estimate, the progress line and analyze's summary print the same time alike.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatDuration } from '../../src/run/duration.ts';
import { formatEstimate } from '../../src/run/estimate.ts';
import { formatProgress } from '../../src/run/progress.ts';
import { summaryLines } from '../../src/stats/console-summary.ts';
import type { Analysis } from '../../src/types.ts';

test('a unit from two of it: seconds below two minutes, minutes below two hours, then hours', () => {
  assert.is(formatDuration(57_400), '57 s');
  assert.is(formatDuration(119_400), '119 s');
  assert.is(formatDuration(119_600), '2.0 min');
  assert.is(formatDuration(120_000), '2.0 min');
  assert.is(formatDuration(900_000), '15.0 min');
  assert.is(formatDuration(7_190_000), '119.8 min');
  assert.is(formatDuration(7_199_000), '2.0 h');
  assert.is(formatDuration(7_200_000), '2.0 h');
  assert.is(formatDuration(720 * 3_600_000), '720.0 h');
});

test('one decimal below ten seconds, so a short stop does not read 0', () => {
  assert.is(formatDuration(0), '0.0 s');
  assert.is(formatDuration(420), '0.4 s');
  assert.is(formatDuration(9_940), '9.9 s');
  assert.is(formatDuration(9_960), '10 s');
});

test('an unknown duration (the ETA before the first instance ends) is ?', () => {
  assert.is(formatDuration(NaN), '?');
  assert.is(formatDuration(Infinity), '?');
  assert.is(formatDuration(-1), '?');
});

test('the plan, the progress line and the summary word 15 minutes alike', () => {
  const plan = formatEstimate({ cells: 1, instances: 2, ms: 900_000, fromHost: 1, byPlatform: [{ platform: 'runc', cells: 1, instances: 2, ms: 900_000 }], budgetS: 900 });
  const progress = formatProgress({ done: 1, total: 2, platform: 'runc', workload: 'startup', job: 'default', instance: 1, elapsedMs: 900_000 });
  const summary = summaryLines({ budget: { budgetS: 900, firstStage: 2, given: 0, byClaim: [], notGiven: [], looks: 1, finalLevel: 0.05 } } as unknown as Analysis);
  assert.match(plan.find((l) => l.startsWith('total'))!, / 15\.0 min$/);
  assert.ok(plan.some((l) => l.startsWith('budget 15.0 min:')), plan.join('\n'));
  assert.match(progress, /elapsed 15\.0 min · ETA 15\.0 min$/);
  assert.match(summary[0], /^budget 15\.0 min:/);
});

test.run();
