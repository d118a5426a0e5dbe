/**
 * The statistics primitives stats/ and table/ share, one implementation each, on
 * ArrayLike<number> so typed arrays go in without a copy: compensated sums, mean and
 * variance, linear-interpolation quantiles, Pearson's r and the Mann–Whitney AUC.
 *
 * Where simple-statistics has the function (sum, mean, variance, sampleVariance,
 * quantileSorted) these follow its algorithm step for step and give the very same doubles
 * (test/stats-kernel.test.ts checks it); they exist because simple-statistics takes number[]
 * only, and copying a million-value typed column into one costs ~30 ms and 8 MB a column. The
 * median follows numpy.median instead (see medianSorted).
 * Unlike simple-statistics they return NaN on too few points instead of throwing.
 */

/**
 * Kahan–Babuška (Neumaier) compensated sum, as simple-statistics' `sum`. 0 for no values.
 * @example compensatedSum([1e100, 1, -1e100]) // 1
 */
export function compensatedSum(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  let total = values[0] as number;
  let correction = 0;
  for (let i = 1; i < n; i++) {
    const x = values[i] as number;
    const next = total + x;
    correction += Math.abs(total) >= Math.abs(x) ? total - next + x : x - next + total;
    total = next;
  }
  return total + correction;
}

/**
 * compensatedSum of term(0), …, term(n − 1), without building an array.
 * @example compensatedSumOf(3, (i) => i * i) // 5
 */
export function compensatedSumOf(n: number, term: (i: number) => number): number {
  if (n <= 0) return 0;
  let total = term(0);
  let correction = 0;
  for (let i = 1; i < n; i++) {
    const x = term(i);
    const next = total + x;
    correction += Math.abs(total) >= Math.abs(x) ? total - next + x : x - next + total;
    total = next;
  }
  return total + correction;
}

/** Arithmetic mean (compensated sum / n), as simple-statistics' `mean`; NaN when empty. @example mean([1, 2, 4]) // 2.3333333333333335 */
export function mean(values: ArrayLike<number>): number {
  return values.length === 0 ? Number.NaN : compensatedSum(values) / values.length;
}

/** Σ (x − mean)², the mean compensated and the squares summed plainly, as simple-statistics' sumNthPowerDeviations(x, 2). */
function squaredDeviations(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - m;
    sum += d * d;
  }
  return sum;
}

/** Population variance (divides by n), as simple-statistics' `variance`; NaN when empty. @example variance([1, 2, 3, 4]) // 1.25 */
export function variance(values: ArrayLike<number>): number {
  return values.length === 0 ? Number.NaN : squaredDeviations(values) / values.length;
}

/** Sample variance (divides by n − 1), as simple-statistics' `sampleVariance`; NaN under two values. @example sampleVariance([1, 2, 3, 4, 5]) // 2.5 */
export function sampleVariance(values: ArrayLike<number>): number {
  return values.length < 2 ? Number.NaN : squaredDeviations(values) / (values.length - 1);
}

/**
 * Quantile p of sorted values by linear interpolation between the ranks around (n − 1)·p
 * (numpy's default "linear", R's type 7), as simple-statistics' `quantileSorted`.
 * NaN when empty; p outside [0, 1] is a RangeError.
 * @example quantileSorted([1, 2, 3, 4], 0.25) // 1.75
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantileSorted needs 0 ≤ p ≤ 1 (got ${p})`);
  if (n === 0) return Number.NaN;
  if (p === 1) return sorted[n - 1] as number;
  if (p === 0) return sorted[0] as number;
  const at = (n - 1) * p;
  if (at % 1 === 0) return sorted[at] as number;
  const lower = Math.floor(at);
  const a = sorted[lower] as number;
  return a + (at - lower) * ((sorted[Math.ceil(at)] as number) - a);
}

/**
 * Median of sorted values as numpy.median (and so scikit-learn's SimpleImputer) computes it:
 * the middle value, or the mean of the two middle values, (a + b) / 2 — which can differ in
 * the last bit from quantileSorted(sorted, 0.5)'s a + (b − a) / 2. NaN when empty.
 * @example medianSorted([1, 2, 10, 11]) // 6
 */
export function medianSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Pearson's r of paired values, every sum compensated; NaN when either side is constant
 * or there are no pairs. Missing values must be left out by the caller.
 * @example pearson([1, 2, 3], [2, 4, 7]) // 0.9933992677987828
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const mx = compensatedSumOf(n, (i) => x[i] ?? 0) / n;
  const my = compensatedSumOf(n, (i) => y[i] ?? 0) / n;
  const sxy = compensatedSumOf(n, (i) => ((x[i] ?? 0) - mx) * ((y[i] ?? 0) - my));
  const sxx = compensatedSumOf(n, (i) => ((x[i] ?? 0) - mx) ** 2);
  const syy = compensatedSumOf(n, (i) => ((y[i] ?? 0) - my) ** 2);
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/**
 * Mann–Whitney AUC: the chance a positive's value exceeds a negative's, ties counting half
 * (scikit-learn's roc_auc_score on these scores). 0.5 when either side is empty; NaN values
 * must be left out by the caller. Typed arrays are sorted in place (callers pass scratch
 * buffers); one sweep after the two sorts (3–7× faster than ranking an index array at 200k values).
 * @example binaryAuc([3, 4], [1, 2]) // 1
 */
export function binaryAuc(positives: Float64Array | number[], negatives: Float64Array | number[]): number {
  const pos = (positives instanceof Float64Array ? positives : Float64Array.from(positives)).sort();
  const neg = (negatives instanceof Float64Array ? negatives : Float64Array.from(negatives)).sort();
  if (pos.length === 0 || neg.length === 0) return 0.5;
  let below = 0; // negatives < the current run's value
  let wins = 0;
  for (let i = 0; i < pos.length; ) {
    const v = pos[i] as number;
    let j = i + 1;
    while (j < pos.length && pos[j] === v) j++;
    while (below < neg.length && (neg[below] as number) < v) below++;
    let equal = 0;
    while (below + equal < neg.length && neg[below + equal] === v) equal++;
    wins += (j - i) * (below + equal / 2);
    i = j;
  }
  return wins / (pos.length * neg.length);
}
