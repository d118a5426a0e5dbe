/**
 * Train/test drift per feature: the population stability index (PSI) of the test rows
 * against the training rows, on bins learned from the training rows, and the two-sample
 * Kolmogorov–Smirnov statistic for numbers. Pure functions.
 *
 * PSI = Σ (aᵢ − eᵢ) · ln(aᵢ / eᵢ) over bins, e = training share, a = test share; a share
 * below `PSI_FLOOR` is raised to it so an empty bin gives a large, finite value. Missing
 * values (null, NaN, "") are a bin of their own in both kinds.
 */
import { quantileSorted } from "./kernel.js";
import { sortNumbers } from "./sort.js";

/** The smallest share a bin counts with (empty bins would make ln(a / e) infinite). */
export const PSI_FLOOR = 1e-4;

export type DriftValue = string | number | boolean | null | undefined;

const isMissing = (v: DriftValue) => v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v));

/** PSI of two share vectors of the same bins. @example psiFromShares([0.5, 0.5], [0.5, 0.5]) // 0 */
export function psiFromShares(expected: number[], actual: number[]): number {
  let sum = 0;
  expected.forEach((e0, i) => {
    const e = Math.max(e0, PSI_FLOOR);
    const a = Math.max(actual[i] ?? 0, PSI_FLOOR);
    sum += (a - e) * Math.log(a / e);
  });
  return sum;
}

/**
 * Inner bin edges at the training quantiles k / bins (numpy's linear method) of the finite
 * values, duplicates removed. A value v falls in bin #{edges < v} (np.searchsorted(edges, v, "left")).
 * @example numericEdges([1, 2, 3, 4], 2) // [2.5]
 */
export function numericEdges(train: number[] | Float64Array, bins: number): number[] {
  return numericEdgesSorted(sortedColumn(train).sorted, bins);
}

/**
 * `numericEdges` of values already sorted ascending, NaN left out; infinities at either end
 * are skipped (the quantiles are of the finite values). No copy.
 * @example numericEdgesSorted(Float64Array.of(-Infinity, 1, 2, 3, 4), 2) // [2.5]
 */
export function numericEdgesSorted(sorted: Float64Array, bins: number): number[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi && sorted[lo] === Number.NEGATIVE_INFINITY) lo++;
  while (hi > lo && sorted[hi - 1] === Number.POSITIVE_INFINITY) hi--;
  if (lo === hi) return [];
  const finite = sorted.subarray(lo, hi);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = quantileSorted(finite, k / bins);
    if (edges.length === 0 || q > edges[edges.length - 1]!) edges.push(q);
  }
  return edges;
}

/**
 * A numeric column as drift reads it: its non-missing values sorted ascending (in the order
 * of Float64Array.prototype.sort: infinities kept, -0 before +0) and its row count, missing
 * rows included (the denominator of every share).
 */
export interface SortedColumn {
  sorted: Float64Array;
  rows: number;
}

/**
 * One sorted copy of a column's values (typed or plain) that are not NaN (sortNumbers: a count or a
 * radix sort, not a comparison sort).
 * @example sortedColumn(Float64Array.of(2, Number.NaN, 1)) // { sorted: Float64Array [1, 2], rows: 3 }
 */
export function sortedColumn(values: ArrayLike<number>): SortedColumn {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) n++;
  const sorted = new Float64Array(n);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v)) sorted[at++] = v;
  }
  return { sorted: sortNumbers(sorted), rows: values.length };
}

/**
 * Values per bin of sorted values (bin i: edges[i − 1] < v ≤ edges[i], the last bin above
 * every edge, as `numericEdges` defines bins): one binary search per edge, not per value.
 * @example binCountsSorted(Float64Array.of(1, 2, 2, 3), [2]) // [3, 1]
 */
export function binCountsSorted(sorted: Float64Array, edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 1);
  let from = 0;
  for (let e = 0; e < edges.length; e++) {
    const edge = edges[e]!;
    let lo = from;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edge < sorted[mid]!) hi = mid;
      else lo = mid + 1;
    }
    counts[e] = lo - from;
    from = lo;
  }
  counts[edges.length] = sorted.length - from;
  return counts;
}

export interface DriftResult {
  kind: "numeric" | "categorical";
  psi: number;
  /** Numbers only: the KS statistic (max distance of the empirical CDFs, missing left out); null otherwise. */
  ks: number | null;
  /** Bin labels and the share of training and test rows in each (the last bin "missing" when any). */
  bins: { bin: string; train: number; test: number }[];
}

/**
 * PSI of a numeric column on `bins` training-quantile bins (plus a missing bin when either
 * side has missing values), and the KS statistic.
 * @throws RangeError when either side has no rows.
 */
export function numericDrift(train: DriftValue[], test: DriftValue[], bins = 10): DriftResult {
  if (train.length === 0 || test.length === 0) throw new RangeError("numericDrift: both sides need rows");
  const num = (v: DriftValue) => (isMissing(v) ? Number.NaN : Number(v));
  return numericDriftValues(Float64Array.from(train, num), Float64Array.from(test, num), bins);
}

/**
 * `numericDrift` on typed columns: NaN stands for a missing (or non-numeric) value.
 * @throws RangeError when either side has no rows.
 * @example numericDriftValues(Float64Array.of(1, 2), Float64Array.of(1, 2), 2).psi // 0
 */
export function numericDriftValues(a: Float64Array, b: Float64Array, bins = 10): DriftResult {
  if (a.length === 0 || b.length === 0) throw new RangeError("numericDrift: both sides need rows");
  return numericDriftSorted(sortedColumn(a), sortedColumn(b), bins);
}

/**
 * `numericDriftValues` of columns sorted once (`sortedColumn`): the edges, both sides' bin
 * counts and the KS statistic all read the same sorted values.
 * @throws RangeError when either side has no rows.
 * @example numericDriftSorted(sortedColumn(Float64Array.of(1, 2)), sortedColumn(Float64Array.of(1, 2)), 2).ks // 0
 */
export function numericDriftSorted(a: SortedColumn, b: SortedColumn, bins = 10): DriftResult {
  if (a.rows === 0 || b.rows === 0) throw new RangeError("numericDrift: both sides need rows");
  const edges = numericEdgesSorted(a.sorted, bins);
  const k = edges.length + 1;
  const shares = (c: SortedColumn) => [...binCountsSorted(c.sorted, edges), c.rows - c.sorted.length].map((x) => x / c.rows);
  const e = shares(a);
  const t = shares(b);
  const labels = Array.from({ length: k }, (_, i) => (i === 0 ? `≤ ${fmt(edges[0] ?? Number.POSITIVE_INFINITY)}` : i === k - 1 ? `> ${fmt(edges[k - 2]!)}` : `(${fmt(edges[i - 1]!)}, ${fmt(edges[i]!)}]`));
  if (k === 1) labels[0] = "all values";
  const hasMissing = (e[k] as number) > 0 || (t[k] as number) > 0;
  const useBins = hasMissing ? k + 1 : k;
  const outBins = Array.from({ length: useBins }, (_, i) => ({ bin: i === k ? "missing" : (labels[i] as string), train: e[i] as number, test: t[i] as number }));
  return { kind: "numeric", psi: psiFromShares(e.slice(0, useBins), t.slice(0, useBins)), ks: ksStatisticSorted(a.sorted, b.sorted), bins: outBins };
}

/**
 * PSI of a categorical column over the union of the values seen on both sides (a value
 * only in the test rows gets the floor share in training), missing as "missing".
 * @throws RangeError when either side has no rows.
 * @example categoricalDrift(["a", "b"], ["a", "b"]).psi // 0
 */
export function categoricalDrift(train: DriftValue[], test: DriftValue[]): DriftResult {
  if (train.length === 0 || test.length === 0) throw new RangeError("categoricalDrift: both sides need rows");
  const tally = (values: DriftValue[]) => {
    const m = new Map<string, number>();
    for (const v of values) {
      const key = driftKey(v);
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    return m;
  };
  return categoricalDriftCounts(tally(train), train.length, tally(test), test.length);
}

/** A categorical value's bin: its text, or "missing". @example driftKey(null) // "missing" */
export function driftKey(v: DriftValue): string {
  return isMissing(v) ? "missing" : String(v);
}

/**
 * `categoricalDrift` on counts per bin (keys as `driftKey` makes them) of `trainRows` and `testRows` rows.
 * @throws RangeError when either side has no rows.
 * @example categoricalDriftCounts(new Map([["a", 1]]), 1, new Map([["a", 2]]), 2).psi // 0
 */
export function categoricalDriftCounts(e: Map<string, number>, trainRows: number, t: Map<string, number>, testRows: number): DriftResult {
  if (trainRows === 0 || testRows === 0) throw new RangeError("categoricalDrift: both sides need rows");
  const levels = [...new Set([...e.keys(), ...t.keys()])].sort((x, y) => (x === "missing" ? 1 : y === "missing" ? -1 : x < y ? -1 : x > y ? 1 : 0));
  const es = levels.map((l) => (e.get(l) ?? 0) / trainRows);
  const ts = levels.map((l) => (t.get(l) ?? 0) / testRows);
  return { kind: "categorical", psi: psiFromShares(es, ts), ks: null, bins: levels.map((bin, i) => ({ bin, train: es[i] as number, test: ts[i] as number })) };
}

/**
 * Two-sample Kolmogorov–Smirnov statistic: the largest distance between the empirical
 * CDFs (scipy.stats.ks_2samp's statistic), NaN values left out. NaN when either side is empty.
 * @example ksStatistic([1, 2, 3], [1, 2, 3]) // 0
 */
export function ksStatistic(a: number[] | Float64Array, b: number[] | Float64Array): number {
  return ksStatisticSorted(sortedColumn(a).sorted, sortedColumn(b).sorted);
}

/**
 * `ksStatistic` of values sorted ascending, without NaN: one merge walk over both.
 * @example ksStatisticSorted(Float64Array.of(1, 2), Float64Array.of(3, 4)) // 1
 */
export function ksStatisticSorted(x: Float64Array, y: Float64Array): number {
  if (x.length === 0 || y.length === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

function fmt(x: number): string {
  return Math.abs(x) >= 100 || Number.isInteger(x) ? x.toFixed(0) : x.toPrecision(3);
}
