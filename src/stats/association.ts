/**
 * How strongly one variable tells another, for the leakage check of explore: the
 * Goodman–Kruskal λ of a lookup table. (The Mann–Whitney AUC of one threshold and
 * Pearson's r are stats/kernel.ts's `binaryAuc` and `pearson`.)
 */

/**
 * How well the feature's value alone names the class, beyond always guessing the majority
 * (Goodman–Kruskal λ, with values seen once counted as misses so unique-per-row columns
 * never qualify): 1 when each repeated value maps to a single class. `ids` are group ids
 * 0..groups-1 (-1 = missing, left out), `classes` codes 0..classCount-1.
 * @example lookupLambda(Int32Array.of(0, 0, 1, 1), 2, Int32Array.of(1, 1, 0, 0), 2).lambda // 1
 */
export function lookupLambda(ids: Int32Array, groups: number, classes: Int32Array, classCount: number): { lambda: number; rows: number } {
  const counts = new Int32Array(groups * classCount);
  const overall = new Int32Array(classCount);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    const g = ids[i] as number;
    if (g < 0) continue;
    const c = classes[i] as number;
    counts[g * classCount + c]! += 1;
    overall[c]! += 1;
    n++;
  }
  if (n === 0) return { lambda: 0, rows: 0 };
  let hits = 0;
  for (let g = 0; g < groups; g++) {
    let total = 0;
    let best = 0;
    for (let c = 0; c < classCount; c++) {
      const k = counts[g * classCount + c] as number;
      total += k;
      if (k > best) best = k;
    }
    if (total >= 2) hits += best;
  }
  let base = 0;
  for (const k of overall) if (k > base) base = k;
  return { lambda: base >= n ? 0 : Math.max(0, (hits - base) / (n - base)), rows: n };
}
