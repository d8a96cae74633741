// The appendices in document order: the one place that gives their letters, anchors and titles.
import type { SectionRef } from './view-types.ts';

export const APPENDICES = {
  methods: { number: 'A', id: 'methods', title: 'Appendix: methods' },
  everyMetric: { number: 'B', id: 'every-metric', title: 'Appendix: every metric' },
  claimsInFull: { number: 'C', id: 'claims-in-full', title: 'Appendix: the claims in full' },
  samples: { number: 'D', id: 'appendix', title: 'Appendix: every figure and its samples' },
} as const satisfies Record<string, SectionRef>;
