// The PDF's appendix "the claims in full": each area's claim cards with every detail; the printed body shows their summary.
import { APPENDICES } from '../appendices.ts';
import type { ClaimCard } from '../claims-view.ts';
import type { AreaView, ClaimsAppendixView } from '../view-types.ts';

export function buildClaimsAppendix(areas: AreaView[]): ClaimsAppendixView {
  const cards: ClaimCard[] = areas.flatMap((a) => a.claims.map((c) => ({ ...c, anchor: `${c.anchor}-full`, full: true })));
  return {
    section: APPENDICES.claimsInFull,
    intro: 'Each claim the body shows, with its test, every comparison it rests on, each clause\'s reason, the platforms that gave nothing, and the whole reason of its verdict. claims.csv and verdicts.json hold the same at full precision.',
    cards,
  };
}
