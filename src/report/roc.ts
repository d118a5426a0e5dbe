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
