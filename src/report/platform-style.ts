// One colour and shape per platform, fixed by the platform registry's order: the same in every chart of every report.
import { platforms } from '../platforms/index.ts';

const NATIVE_STYLE = { color: '#000000', shape: 'circle' };
// Okabe–Ito without black and its faint yellow, then darker colours of Paul Tol's muted set: all legible on white.
const PALETTE = ['#E69F00', '#56B4E9', '#009E73', '#D55E00', '#0072B2', '#CC79A7', '#8C6D00', '#882255', '#44AA99', '#6E6E00'];
// 10 colours and 7 shapes: coprime counts, so no (colour, shape) pair repeats before 70 platforms.
const SHAPES = ['square', 'triangle-up', 'diamond', 'triangle-down', 'cross', 'triangle-right', 'circle'];

/** Native is a black circle; every other platform its registry index's colour and shape; unknown ids follow the registry. */
export function platformStyle(platform: string, extra: string[] = []): { color: string; shape: string } {
  if (platform === 'native') return NATIVE_STYLE;
  const ids = platforms.map((p) => p.id).filter((id) => id !== 'native');
  let i = ids.indexOf(platform);
  if (i < 0) i = ids.length + Math.max(0, extra.filter((id) => !ids.includes(id) && id !== 'native').indexOf(platform));
  return { color: PALETTE[i % PALETTE.length], shape: SHAPES[i % SHAPES.length] };
}
