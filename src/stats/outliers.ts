// Outlying instance means by the modified z-score (Iglewicz & Hoaglin): flagged for the reader, never dropped.
import { median } from './descriptive.ts';

export const OUTLIER_THRESHOLD = 3.5;
/** makes the MAD a consistent estimator of the standard deviation for normal data */
const MAD_SCALE = 1.4826;
/** the same for the mean absolute deviation, used when the MAD is 0 (more than half the values equal) */
const MEAN_AD_SCALE = 1.253314;

/** |x - median| / (1.4826 · MAD), falling back to the mean absolute deviation when the MAD is 0; all 0 when every value is equal */
export function modifiedZScores(xs: readonly number[]): number[] {
  if (xs.length === 0) return [];
  const med = median(xs);
  const deviations = xs.map((x) => Math.abs(x - med));
  const mad = median(deviations);
  if (mad > 0) return deviations.map((d) => d / (MAD_SCALE * mad));
  const meanAd = deviations.reduce((a, b) => a + b, 0) / deviations.length;
  if (meanAd > 0) return deviations.map((d) => d / (MEAN_AD_SCALE * meanAd));
  return deviations.map(() => 0);
}

/** true where the value is an outlier (modified z-score above the threshold) */
export function flagOutliers(xs: readonly number[], threshold = OUTLIER_THRESHOLD): boolean[] {
  return modifiedZScores(xs).map((z) => z > threshold);
}
