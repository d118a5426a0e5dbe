/**
 * Feature selection for wide tables (DESIGN §3 select_features): a variance filter, then
 * three scores per column — |correlation| with the target, mutual information, random-
 * forest importance — ranked and averaged. Categorical columns are scored like numeric
 * ones (correlation ratio or Cramér's V, MI on their levels, forest on integer codes).
 *
 * Rows whose target is missing are left out of every score. Missing numeric cells take the
 * column median; a missing categorical cell is a level of its own.
 */
import { TabtuneError } from "../errors.js";
import type { Column } from "../table/columns.js";
import { cellToNumber } from "./baseline.js";
import { fitForest, type ForestTarget } from "./forest.js";
import { compensatedSumOf, mean, medianSorted, pearson } from "./kernel.js";
import { createRng, sampleIndices } from "./random.js";

export interface FeatureRanking {
  column: string;
  kind: "numeric" | "categorical";
  /** Scale-free variance: population variance / mean of squares, in [0, 1] (numeric only; null for categorical). */
  variance: number | null;
  /** |Pearson r| (numeric vs number), correlation ratio η (numbers vs classes or levels), Cramér's V (levels vs classes). */
  absCorrelation: number;
  /** Plug-in mutual information in nats; numbers in `miBins` equal-frequency bins. */
  mutualInformation: number;
  /** Mean decrease in impurity in a seeded forest; the eligible columns' importances sum to 1. */
  forestImportance: number;
  /** Mean of the three ranks (1 = best; ties share their average rank), over all columns. */
  averageRank: number;
  kept: boolean;
  reason: string;
}

type Value = number | string | null;

/**
 * A column to rank: plain cells (`kind` + `values`), or a typed column exactly as
 * readTable builds it (`type` numeric/categorical), which is used without a copy.
 */
export type RankColumn = { name: string; kind: "numeric" | "categorical"; values: Value[] } | Column;

/** A column restricted to the rows with a target: numbers (NaN = missing) or level codes. */
type Prepared =
  | { kind: "numeric"; x: Float64Array }
  /** Codes 0..levels-1 in sorted order of the level text; a missing cell is its own (last) level. */
  | { kind: "categorical"; codes: Int32Array; levels: number };

/** Dense codes of text cells in sorted order of the text, missing (null) as the last level. */
function codesOfText(texts: (string | null)[]): { codes: Int32Array; levels: number } {
  const distinct = [...new Set(texts.filter((t): t is string => t !== null))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const code = new Map(distinct.map((t, i) => [t, i]));
  const hasMissing = texts.includes(null);
  const codes = Int32Array.from(texts, (t) => (t === null ? distinct.length : (code.get(t) ?? 0)));
  return { codes, levels: distinct.length + (hasMissing ? 1 : 0) };
}

/** The column's cells on `rows` (the rows with a target). */
function prepare(column: RankColumn, rows: Int32Array): Prepared {
  if ("type" in column) {
    if (column.type === "numeric") {
      // Plain loops here and below: typed-array from/map/filter with callbacks are several times slower.
      const x = new Float64Array(rows.length);
      for (let i = 0; i < rows.length; i++) x[i] = column.values[rows[i] as number] as number;
      return { kind: "numeric", x };
    }
    // Re-code by sorted dictionary text so results do not depend on the file's row order.
    const order = column.dictionary.map((_, i) => i).sort((a, b) => {
      const x = column.dictionary[a] ?? "";
      const y = column.dictionary[b] ?? "";
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const rank = new Int32Array(column.dictionary.length);
    order.forEach((code, i) => (rank[code] = i));
    const used = new Uint8Array(column.dictionary.length + 1);
    const raw = Int32Array.from(rows, (r) => column.codes[r] ?? -1);
    for (const c of raw) used[c < 0 ? column.dictionary.length : (rank[c] ?? 0)] = 1;
    // Dense: drop levels no kept row uses.
    const dense = new Int32Array(used.length);
    let levels = 0;
    for (let i = 0; i < used.length; i++) dense[i] = used[i] ? levels++ : -1;
    const codes = Int32Array.from(raw, (c) => dense[c < 0 ? column.dictionary.length : (rank[c] ?? 0)] ?? 0);
    return { kind: "categorical", codes, levels };
  }
  if (column.kind === "numeric") return { kind: "numeric", x: Float64Array.from(rows, (r) => cellToNumber(column.values[r] ?? null)) };
  return { kind: "categorical", ...codesOfText(Array.from(rows, (r) => (isMissing(column.values[r]) ? null : String(column.values[r])))) };
}

export function targetCell(target: Value[] | Column, r: number): Value {
  if (Array.isArray(target)) return target[r] ?? null;
  if (target.type === "numeric") {
    const v = target.values[r] ?? NaN;
    return Number.isNaN(v) ? null : v;
  }
  const code = target.codes[r] ?? -1;
  return code < 0 ? null : (target.dictionary[code] ?? null);
}

const kindOf = (column: RankColumn): "numeric" | "categorical" => ("type" in column ? column.type : column.kind);
const lengthOf = (column: RankColumn): number => ("type" in column ? (column.type === "numeric" ? column.values.length : column.codes.length) : column.values.length);

/**
 * Rank columns for the target; sorted by averageRank, then eligible first, then name.
 * Cost: O(rows · log rows) per column for the univariate scores, plus a forest on at most
 * forestMaxRows rows and forestMaxColumns columns (the best by the mean of the
 * |correlation| and MI ranks; the others get importance 0): 20,000 columns stay linear.
 */
export function rankFeatures(args: {
  columns: RankColumn[];
  target: Value[] | Column;
  task: "binary" | "multiclass" | "regression";
  /** Top eligible columns marked kept; "auto" marks every eligible one (the caller chooses k). */
  keep: number | "auto";
  minVariance: number;
  miBins: number;
  forestTrees: number;
  forestMaxRows: number;
  /** Columns the forest ranks at most (default: all). */
  forestMaxColumns?: number;
  /** The rows to rank on, increasing (the split's training rows); default all. Rows without a target are left out either way. */
  rows?: ArrayLike<number>;
  seed: number;
  /** Forest trees grown so far, of the total (progress). */
  onTree?: (done: number, total: number) => void;
}): FeatureRanking[] {
  const { columns, task, miBins } = args;
  const targetLength = Array.isArray(args.target) ? args.target.length : lengthOf(args.target);
  for (const c of columns)
    if (lengthOf(c) !== targetLength) throw new TabtuneError("SELECTION_LENGTH_MISMATCH", `column "${c.name}" has ${lengthOf(c)} values but the target has ${targetLength}`);
  const present: number[] = [];
  for (let k = 0, n = args.rows?.length ?? targetLength; k < n; k++) {
    const i = args.rows ? (args.rows[k] as number) : k;
    const v = targetCell(args.target, i);
    if (!(isMissing(v) || (task === "regression" && Number.isNaN(cellToNumber(v))))) present.push(i);
  }
  const rows = Int32Array.from(present);
  if (rows.length === 0)
    throw new TabtuneError("SELECTION_NO_TARGET", "every row has a missing target: nothing to rank features against", { suggestion: "check the target column" });
  const yNumbers = task === "regression" ? Float64Array.from(rows, (r) => cellToNumber(targetCell(args.target, r))) : null;
  const yLevels = yNumbers ? quantileBins(yNumbers, miBins) : codesOfText(Array.from(rows, (r) => String(targetCell(args.target, r)))).codes;

  // Variance filter, encodings (numbers: median-filled; levels: codes) and univariate scores, one column at a time.
  const scored = columns.map((column) => {
    const prepared = prepare(column, rows);
    let variance: number | null = null;
    let reason: string | null = null;
    let encoded: Float64Array;
    let xLevels: ArrayLike<number>;
    if (prepared.kind === "numeric") {
      const x = prepared.x;
      const buffer = new Float64Array(x.length);
      let count = 0;
      for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i] as number)) buffer[count++] = x[i] as number;
      const observed = buffer.subarray(0, count);
      variance = normalizedVariance(observed);
      const sorted = observed.sort();
      if (sorted.length === 0) reason = "every value is missing";
      else if (sorted[0] === sorted[sorted.length - 1]) reason = "constant: one distinct value";
      else if (variance < args.minVariance) reason = `near-zero variance: ${variance.toExponential(2)} < minVariance ${args.minVariance}`;
      const median = sorted.length === 0 ? 0 : medianSorted(sorted);
      encoded = new Float64Array(x.length);
      for (let i = 0; i < x.length; i++) encoded[i] = Number.isNaN(x[i] as number) ? median : (x[i] as number);
      xLevels = reason === null ? quantileBins(encoded, miBins) : [];
    } else {
      if (prepared.levels <= 1) reason = "constant: one distinct value";
      encoded = new Float64Array(prepared.codes);
      xLevels = prepared.codes;
    }
    if (reason !== null) return { column, variance, reason, encoded, absCorrelation: 0, mutualInformation: 0 };
    let absCorrelation: number;
    if (yNumbers) absCorrelation = prepared.kind === "numeric" ? Math.abs(pearson(encoded, yNumbers)) : correlationRatio(xLevels, yNumbers);
    else absCorrelation = prepared.kind === "numeric" ? correlationRatio(yLevels, encoded) : cramersV(xLevels, yLevels);
    return {
      column,
      variance,
      reason,
      encoded,
      absCorrelation: Number.isNaN(absCorrelation) ? 0 : absCorrelation,
      mutualInformation: mutualInformation(xLevels, yLevels),
    };
  });

  const rankCorrelation = averageRanks(scored.map((s) => s.absCorrelation));
  const rankMi = averageRanks(scored.map((s) => s.mutualInformation));

  // Forest importance on the eligible columns (the univariately best forestMaxColumns), on at most forestMaxRows seeded rows.
  let eligible = scored.flatMap((s, j) => (s.reason === null ? [j] : []));
  const eligibleCount = eligible.length;
  const maxColumns = args.forestMaxColumns ?? Infinity;
  const prefiltered = eligible.length > maxColumns;
  if (prefiltered) {
    const univariate = (j: number) => (rankCorrelation[j] ?? 0) + (rankMi[j] ?? 0);
    eligible = [...eligible].sort((a, b) => univariate(a) - univariate(b) || a - b).slice(0, maxColumns).sort((a, b) => a - b);
  }
  const inForest = new Set(eligible);
  const importance = new Array<number>(columns.length).fill(0);
  if (eligible.length > 0) {
    const take = rows.length > args.forestMaxRows ? sampleIndices(rows.length, args.forestMaxRows, createRng(args.seed)) : Array.from(rows, (_, i) => i);
    const X = eligible.map((j) => Float64Array.from(take, (r) => (scored[j]?.encoded[r] ?? 0)));
    const target: ForestTarget =
      task === "regression"
        ? { kind: "regression", y: Float64Array.from(take, (r) => yNumbers?.[r] ?? 0) }
        : { kind: "classification", classes: Math.max(...yLevels) + 1, y: Int32Array.from(take, (r) => yLevels[r] ?? 0) };
    const forest = fitForest(X, target, { trees: args.forestTrees, maxDepth: 16, maxFeatures: null, seed: args.seed, onTree: args.onTree });
    eligible.forEach((j, k) => (importance[j] = forest.importance[k] as number));
  }

  const rankForest = averageRanks(importance);
  const rankings = scored.map(({ column, variance, reason, absCorrelation, mutualInformation: mi }, j) => ({
    column: column.name,
    kind: kindOf(column),
    variance,
    absCorrelation,
    mutualInformation: mi,
    forestImportance: importance[j] ?? 0,
    averageRank: ((rankCorrelation[j] ?? 0) + (rankMi[j] ?? 0) + (rankForest[j] ?? 0)) / 3,
    kept: false,
    reason: reason ?? "",
    index: j,
  }));
  rankings.sort(
    (a, b) => a.averageRank - b.averageRank || Number(a.reason !== "") - Number(b.reason !== "") || (a.column < b.column ? -1 : a.column > b.column ? 1 : 0),
  );
  let place = 0;
  for (const r of rankings) {
    if (r.reason !== "") continue;
    place++;
    r.kept = args.keep === "auto" || place <= args.keep;
    const forestNote = !prefiltered ? "" : inForest.has(r.index) ? `; forest ranked the ${maxColumns} best by |correlation| + MI` : `; not in the forest (outside the ${maxColumns} best by |correlation| + MI)`;
    r.reason = `${place} of ${eligibleCount} by average rank; ${args.keep === "auto" ? KEPT_UNBOUNDED : `${r.kept ? "in" : "outside"} the top ${args.keep}`}${forestNote}`;
  }
  return rankings.map(({ index: _index, ...r }) => r);
}

/** The reason's words for a column kept with keep "auto" (select_features replaces them with the chosen k). */
export const KEPT_UNBOUNDED = "kept (no bound)";
export const isMissing = (v: Value | undefined): boolean => v === null || v === undefined || (typeof v === "string" && v.trim() === "") || (typeof v === "number" && Number.isNaN(v));

/**
 * Population variance divided by the mean of squares (σ² / (μ² + σ²)): 0 for a constant,
 * below 1e-8 when the spread is under 1e-4 of the values' magnitude, 1 for any spread
 * centred on 0. Scale-free, so float noise around a constant reads as near-zero. 0 for no values.
 * @example normalizedVariance([0, 2]) // 0.5
 */
export function normalizedVariance(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  const average = mean(values);
  // Squared deviations summed with compensation too (kernel.variance sums them plainly, as simple-statistics).
  const variance = compensatedSumOf(n, (i) => ((values[i] as number) - average) ** 2) / n;
  const meanSquare = compensatedSumOf(n, (i) => (values[i] as number) ** 2) / n;
  return meanSquare === 0 ? 0 : Math.min(1, variance / meanSquare);
}

/**
 * Equal-frequency bin codes 0..bins-1: a value's bin is ⌊(rows below it) × bins / n⌋, so
 * tied values share a bin. One sort, then bins − 1 edges: the bin is the number of edges
 * below the value (edge b is the value ranked ⌈b·n/bins⌉ − 1), which is the same thing.
 * @example quantileBins([5, 1, 3, 3], 2) // [1, 0, 0, 0]
 */
export function quantileBins(values: ArrayLike<number>, bins: number): Int32Array {
  const n = values.length;
  const sorted = new Float64Array(n);
  for (let i = 0; i < n; i++) sorted[i] = values[i] as number;
  sorted.sort();
  const k = Math.max(1, Math.floor(bins));
  const edges = new Float64Array(k - 1);
  for (let b = 1; b < k; b++) edges[b - 1] = n === 0 ? 0 : (sorted[Math.ceil((b * n) / k) - 1] as number);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    let bin = 0;
    while (bin < k - 1 && (edges[bin] as number) < v) bin++;
    out[i] = bin;
  }
  return out;
}

/** Largest code + 1 of non-negative integer codes. */
function levelCount(codes: ArrayLike<number>): number {
  let max = -1;
  for (let i = 0; i < codes.length; i++) if ((codes[i] ?? 0) > max) max = codes[i] ?? 0;
  return max + 1;
}

/**
 * Correlation ratio η = √(SS_between / SS_total) of numbers grouped by codes (non-negative
 * integers); 0 when the numbers are constant.
 */
export function correlationRatio(groups: ArrayLike<number>, values: ArrayLike<number>): number {
  const n = values.length;
  const average = mean(values);
  const k = levelCount(groups);
  const sums = new Float64Array(k);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const g = groups[i] ?? 0;
    sums[g]! += values[i] ?? 0;
    counts[g]! += 1;
  }
  const between = compensatedSumOf(k, (g) => ((counts[g] ?? 0) === 0 ? 0 : (counts[g] ?? 0) * ((sums[g] ?? 0) / (counts[g] ?? 1) - average) ** 2));
  const total = compensatedSumOf(n, (i) => ((values[i] ?? 0) - average) ** 2);
  return total === 0 ? 0 : Math.sqrt(Math.min(1, between / total));
}

/** Contingency counts of two vectors of non-negative integer codes: joint[a · ky + b]. */
function contingency(x: ArrayLike<number>, y: ArrayLike<number>): { joint: Float64Array; px: Float64Array; py: Float64Array; ky: number } {
  const kx = levelCount(x);
  const ky = levelCount(y);
  const joint = new Float64Array(kx * ky);
  const px = new Float64Array(kx);
  const py = new Float64Array(ky);
  for (let i = 0; i < x.length; i++) {
    const a = x[i] ?? 0;
    const b = y[i] ?? 0;
    joint[a * ky + b]! += 1;
    px[a]! += 1;
    py[b]! += 1;
  }
  return { joint, px, py, ky };
}

/**
 * Plug-in mutual information of two vectors of non-negative integer codes, in nats
 * (scikit-learn's mutual_info_score).
 */
export function mutualInformation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n === 0) return 0;
  const { joint, px, py, ky } = contingency(x, y);
  const mi = compensatedSumOf(joint.length, (cell) => {
    const count = joint[cell] ?? 0;
    if (count === 0) return 0;
    const a = Math.floor(cell / ky);
    return (count / n) * Math.log((count * n) / ((px[a] ?? 1) * (py[cell - a * ky] ?? 1)));
  });
  return Math.max(0, mi);
}

/** Cramér's V (no bias correction) of two vectors of non-negative integer codes; 0 when either side has a single level. */
export function cramersV(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const { joint, px, py, ky } = contingency(x, y);
  const usedX = px.filter((c) => c > 0).length;
  const usedY = py.filter((c) => c > 0).length;
  const k = Math.min(usedX, usedY);
  if (k <= 1) return 0;
  const chi2 = compensatedSumOf(joint.length, (cell) => {
    const a = Math.floor(cell / ky);
    const b = cell - a * ky;
    const expected = ((px[a] ?? 0) * (py[b] ?? 0)) / n;
    return expected === 0 ? 0 : ((joint[cell] ?? 0) - expected) ** 2 / expected;
  });
  return Math.sqrt(chi2 / (n * (k - 1)));
}

/** Descending ranks (1 = largest), ties sharing their average rank. @example averageRanks([3, 1, 3]) // [1.5, 3, 1.5] */
export function averageRanks(values: number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => (values[b] as number) - (values[a] as number));
  const ranks = new Array<number>(values.length).fill(0);
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && values[order[end + 1] as number] === values[order[start] as number]) end++;
    for (let j = start; j <= end; j++) ranks[order[j] as number] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return ranks;
}
