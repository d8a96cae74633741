// Adaptive repetitions in the run stage: follow each adaptive cell's instance means and record why it stopped.
import { isAdaptiveCell } from '../experiment/plan.ts';
import { cellPlan, cellPrecise, type CellPrecision } from '../stats/stopping.ts';
import type { AdaptiveDecision } from '../rundir/index.ts';
import { appendNoFollow } from '../rundir/write.ts';
import type { AdaptiveReason, Cell, Experiment, Sample } from '../types.ts';

export type { AdaptiveDecision };

interface CellState {
  /** instance -> newest attempt and its ok values per metric */
  instances: Map<number, { attempt: number; values: Map<string, number[]> }>;
  decision?: AdaptiveReason;
}

export interface AdaptiveTracker {
  isAdaptive(cell: string): boolean;
  /** every sample of an adaptive cell, earlier sessions' first (a resume), in store order */
  observe(sample: Sample): void;
  /** this session's decision for the cell, deciding 'planned' now if it has the instances its two-stage plan needs */
  check(cell: string): AdaptiveReason | undefined;
  /** record a decision (once per cell and session) in logs/adaptive.jsonl */
  decide(cell: string, reason: AdaptiveReason): AdaptiveReason;
  /** adaptive cells among these without a decision in this session */
  undecided(cells: Iterable<string>): string[];
  precision(cell: string): CellPrecision;
}

/** file: logs/adaptive.jsonl; onDecision: for the console. */
export function adaptiveTracker(exp: Experiment, cells: Cell[], file: string, onDecision: (d: AdaptiveDecision) => void = () => {}): AdaptiveTracker {
  const rule = exp.repetitions.adaptive;
  const byId = new Map(cells.map((c) => [c.id, c]));
  const states = new Map<string, CellState>();
  for (const c of cells) if (rule && isAdaptiveCell(exp, c)) states.set(c.id, { instances: new Map() });

  const meansOf = (cell: string): Record<string, number[]> => {
    const st = states.get(cell)!;
    const means: Record<string, number[]> = {};
    for (const i of [...st.instances.keys()].sort((a, b) => a - b)) {
      for (const [metric, xs] of st.instances.get(i)!.values) (means[metric] ??= []).push(xs.reduce((a, b) => a + b, 0) / xs.length);
    }
    return means;
  };
  const ruleOf = () => ({ target: rule!.targetHalfWidth, minInstances: rule!.minInstances, maxInstances: rule!.maxInstances, metric: rule!.metric });
  const precision = (cell: string): CellPrecision => cellPrecise(meansOf(cell), ruleOf());

  const tracker: AdaptiveTracker = {
    isAdaptive: (cell) => states.has(cell),
    observe(s) {
      const st = states.get(s.cell);
      if (!st) return;
      const attempt = s.attempt ?? 0;
      let inst = st.instances.get(s.instance);
      // a newer attempt (--retry-failed) supersedes the older one, as in the analysis
      if (!inst || attempt > inst.attempt) st.instances.set(s.instance, (inst = { attempt, values: new Map() }));
      if (attempt < inst.attempt || s.status !== 'ok' || s.metric === null || s.value === null) return;
      if (!inst.values.has(s.metric)) inst.values.set(s.metric, []);
      inst.values.get(s.metric)!.push(s.value);
    },
    check(cell) {
      const st = states.get(cell);
      if (!st) return undefined;
      if (st.decision) return st.decision;
      return cellPlan(meansOf(cell), ruleOf()).done ? tracker.decide(cell, 'planned') : undefined;
    },
    decide(cell, reason) {
      const st = states.get(cell)!;
      if (st.decision) return st.decision;
      st.decision = reason;
      const c = byId.get(cell)!;
      const p = precision(cell);
      const plan = cellPlan(meansOf(cell), ruleOf());
      const d: AdaptiveDecision = {
        schema: 1, cell, platform: c.platform, workload: c.workload, job: c.job, reason, instances: st.instances.size,
        metric: p.metric, relHalfWidth: p.relHalfWidth !== null && Number.isFinite(p.relHalfWidth) ? p.relHalfWidth : null,
        target: rule!.targetHalfWidth, ...(plan.plannedN !== null ? { planned: plan.plannedN } : {}), plan: plan.why, at: new Date().toISOString(),
      };
      appendNoFollow(file, `${JSON.stringify(d)}\n`);
      onDecision(d);
      return reason;
    },
    undecided: (ids) => [...new Set(ids)].filter((id) => states.has(id) && !states.get(id)!.decision),
    precision,
  };
  return tracker;
}
