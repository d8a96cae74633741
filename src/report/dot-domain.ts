// A chart's axis range, computed once: the chart spec draws it and the caption says whether it starts at 0.
import type { DotPanel } from './view-types.ts';

/** the axis range for `values`: their span with a margin, and room for the value labels on the right */
export function domainOf(values: number[], log: boolean, labelRoom: number): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (log) return [lo / 1.25, hi * (1.25 + labelRoom * 4)];
  if (hi === lo) {
    const d = Math.abs(lo) * 0.05 || 1;
    lo -= d;
    hi += d;
  }
  const span = hi - lo;
  return [lo - span * 0.06, hi + span * (0.06 + labelRoom)];
}

/** every value a dot panel draws: estimates, interval ends, instance means, reference, band and paper value */
export function panelValues(p: DotPanel): number[] {
  return [
    ...p.points.flatMap((q) => [q.value, q.low ?? q.value, q.high ?? q.value, ...q.instanceMeans]),
    ...(p.reference ? [p.reference.value] : []),
    ...(p.band ? [p.band.low, p.band.high].filter((v): v is number => v !== null) : []),
    ...(p.paper ? [p.paper.value] : []),
  ];
}

/** one x range for a figure's panels that compare the same quantity; software emulation keeps its own */
export function sharedDotDomain(panels: DotPanel[]): [number, number] {
  const hardware = panels.filter((p) => !p.emulated);
  return domainOf(hardware.flatMap(panelValues), hardware.some((p) => p.log), 0.16);
}
