/** The ROC curve of a binary scorer, kept in results.json so the report can draw it. */

export interface RocPoint {
  fpr: number;
  tpr: number;
}

/**
 * ROC points at every distinct score (ties move together), from (0,0) to (1,1).
 * Empty when either class is absent (the curve is undefined).
 * @example rocPoints([true, false], [0.9, 0.1]) // [{fpr:0,tpr:0},{fpr:0,tpr:1},{fpr:1,tpr:1}]
 */
export function rocPoints(positive: boolean[], scores: number[]): RocPoint[] {
  const pos = positive.filter(Boolean).length;
  const neg = positive.length - pos;
  if (pos === 0 || neg === 0) return [];
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    if (positive[order[k]![1]]) tp += 1;
    else fp += 1;
    if (k === order.length - 1 || order[k + 1]![0] !== order[k]![0]) points.push({ fpr: fp / neg, tpr: tp / pos });
  }
  return points;
}

/** Points results.json keeps of a ROC curve at most (roc.ts's downsampleRoc). */
export const ROC_MAX_POINTS = 200;

/**
 * At most `max` points of a ROC curve for results.json and the report's plot: the first and
 * last, the vertices of its upper convex hull (the operating points a threshold choice would
 * use; evenly thinned if they alone are over half of `max`), and the rest spread evenly along
 * the curve's length in fpr + tpr, so the drawn line stays within ≈ 2 / max of the full curve.
 * The AUC is never computed from these (metrics.ts's rocAuc uses every score).
 * A curve of `max` points or fewer comes back as it is.
 * @throws RangeError when max < 2.
 * @example downsampleRoc([{fpr:0,tpr:0},{fpr:0.5,tpr:0.7},{fpr:1,tpr:1}], 2) // [{fpr:0,tpr:0},{fpr:1,tpr:1}]
 */
export function downsampleRoc(points: RocPoint[], max = ROC_MAX_POINTS): RocPoint[] {
  if (!(Number.isInteger(max) && max >= 2)) throw new RangeError(`downsampleRoc: max must be a whole number ≥ 2, got ${max}`);
  const n = points.length;
  if (n <= max) return points;
  // Upper hull by Andrew's monotone chain (points are sorted by fpr, then tpr, along the curve).
  const hull: number[] = [];
  const cross = (o: RocPoint, a: RocPoint, b: RocPoint) => (a.fpr - o.fpr) * (b.tpr - o.tpr) - (a.tpr - o.tpr) * (b.fpr - o.fpr);
  for (let i = 0; i < n; i++) {
    while (hull.length >= 2 && cross(points[hull[hull.length - 2]!]!, points[hull[hull.length - 1]!]!, points[i]!) >= 0) hull.pop();
    hull.push(i);
  }
  const keep = new Set<number>([0, n - 1]);
  const hullBudget = Math.floor(max / 2) - 2;
  const step = hull.length <= hullBudget ? 1 : hull.length / hullBudget;
  for (let j = 0; j < hull.length && keep.size < Math.floor(max / 2); j += step) keep.add(hull[Math.floor(j)]!);
  // The rest evenly along fpr + tpr (monotone along the curve, from 0 to 2).
  const spread = max - keep.size;
  let i = 0;
  for (let j = 1; j <= spread; j++) {
    const target = (2 * j) / (spread + 1);
    while (i < n - 1 && points[i]!.fpr + points[i]!.tpr < target) i++;
    keep.add(i);
  }
  return [...keep].sort((a, b) => a - b).map((k) => points[k]!);
}

/** Points results.json keeps of a precision-recall curve at most (downsamplePr). */
export const PR_MAX_POINTS = 200;

/**
 * At most `max` points of a precision-recall curve (highest threshold first) for results.json
 * and the report's plot: the first and last, and the rest spread evenly along the curve's
 * length in |Δrecall| + |Δprecision|, so the noisy high-threshold end, where precision jumps
 * with each row, keeps its share and the drawn line stays within ≈ (that length) / max of the
 * full curve. Average precision is never computed from these (calibration.ts uses every
 * score). A curve of `max` points or fewer comes back as it is.
 * @throws RangeError when max < 2.
 */
export function downsamplePr<P extends { precision: number; recall: number }>(points: P[], max = PR_MAX_POINTS): P[] {
  if (!(Number.isInteger(max) && max >= 2)) throw new RangeError(`downsamplePr: max must be a whole number ≥ 2, got ${max}`);
  const n = points.length;
  if (n <= max) return points;
  const along = new Float64Array(n);
  for (let i = 1; i < n; i++) along[i] = along[i - 1]! + Math.abs(points[i]!.recall - points[i - 1]!.recall) + Math.abs(points[i]!.precision - points[i - 1]!.precision);
  const total = along[n - 1]!;
  const keep = new Set<number>([0, n - 1]);
  const spread = max - 2;
  let i = 0;
  for (let j = 1; j <= spread && keep.size < max; j++) {
    const target = (total * j) / (spread + 1);
    while (i < n - 1 && along[i]! < target) i++;
    keep.add(i);
  }
  return [...keep].sort((a, b) => a - b).map((k) => points[k]!);
}
