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
import { cellToNumber, fitColumnEncoder } from "./baseline.js";
import { fitForest, type ForestTarget } from "./forest.js";
import { compensatedSum } from "./metrics.js";
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
interface Column {
  name: string;
  kind: "numeric" | "categorical";
  values: Value[];
}

/** Rank columns for the target; sorted by averageRank, then eligible first, then name. */
export function rankFeatures(args: {
  columns: Column[];
  target: Value[];
  task: "binary" | "multiclass" | "regression";
  keep: number;
  minVariance: number;
  miBins: number;
  forestTrees: number;
  forestMaxRows: number;
  seed: number;
}): FeatureRanking[] {
  const { columns, task, miBins } = args;
  for (const c of columns) {
    if (c.values.length !== args.target.length) {
      throw new TabtuneError("SELECTION_LENGTH_MISMATCH", `column "${c.name}" has ${c.values.length} values but the target has ${args.target.length}`);
    }
  }
  const rows = args.target.flatMap((v, i) => (isMissing(v) || (task === "regression" && Number.isNaN(cellToNumber(v))) ? [] : [i]));
  if (rows.length === 0) {
    throw new TabtuneError("SELECTION_NO_TARGET", "every row has a missing target: nothing to rank features against", {
      suggestion: "check the target column",
    });
  }
  const yNumbers = task === "regression" ? rows.map((i) => cellToNumber(args.target[i] as Value)) : null;
  const yLevels = task === "regression" ? quantileBins(yNumbers ?? [], miBins) : levelCodes(rows.map((i) => String(args.target[i])));

  // Variance filter and per-column encodings.
  const scored = columns.map((column) => {
    const values = rows.map((i) => column.values[i] ?? null);
    let variance: number | null = null;
    let reason: string | null = null;
    if (column.kind === "numeric") {
      const observed = values.map(cellToNumber).filter((v) => !Number.isNaN(v));
      variance = normalizedVariance(observed);
      if (observed.length === 0) reason = "every value is missing";
      else if (new Set(observed).size === 1) reason = "constant: one distinct value";
      else if (variance < args.minVariance) reason = `near-zero variance: ${variance.toExponential(2)} < minVariance ${args.minVariance}`;
    } else if (new Set(values.map((v) => (isMissing(v) ? null : String(v)))).size <= 1) {
      reason = "constant: one distinct value";
    }
    const encoded = Float64Array.from(values, fitColumnEncoder(column.kind, values));
    return { column, variance, reason, encoded };
  });

  const scores = scored.map(({ column, reason, encoded }) => {
    if (reason !== null) return { absCorrelation: 0, mutualInformation: 0 };
    const xLevels = column.kind === "numeric" ? quantileBins(Array.from(encoded), miBins) : levelCodes(Array.from(encoded, String));
    let absCorrelation: number;
    if (task === "regression" && yNumbers) {
      absCorrelation = column.kind === "numeric" ? Math.abs(pearson(Array.from(encoded), yNumbers)) : correlationRatio(levelCodes(Array.from(encoded, String)), yNumbers);
    } else {
      absCorrelation = column.kind === "numeric" ? correlationRatio(yLevels, Array.from(encoded)) : cramersV(xLevels, yLevels);
    }
    return { absCorrelation: Number.isNaN(absCorrelation) ? 0 : absCorrelation, mutualInformation: mutualInformation(xLevels, yLevels) };
  });

  // Forest importance on the eligible columns, on at most forestMaxRows seeded rows.
  const eligible = scored.flatMap((s, j) => (s.reason === null ? [j] : []));
  const importance = new Array<number>(columns.length).fill(0);
  if (eligible.length > 0) {
    const take = rows.length > args.forestMaxRows ? sampleIndices(rows.length, args.forestMaxRows, createRng(args.seed)) : rows.map((_, i) => i);
    const X = eligible.map((j) => Float64Array.from(take, (r) => (scored[j]?.encoded[r] ?? 0)));
    const target: ForestTarget =
      task === "regression"
        ? { kind: "regression", y: Float64Array.from(take, (r) => yNumbers?.[r] ?? 0) }
        : { kind: "classification", classes: Math.max(...yLevels) + 1, y: Int32Array.from(take, (r) => yLevels[r] ?? 0) };
    const forest = fitForest(X, target, { trees: args.forestTrees, maxDepth: 16, maxFeatures: null, seed: args.seed });
    eligible.forEach((j, k) => (importance[j] = forest.importance[k] as number));
  }

  const rankCorrelation = averageRanks(scores.map((s) => s.absCorrelation));
  const rankMi = averageRanks(scores.map((s) => s.mutualInformation));
  const rankForest = averageRanks(importance);
  const rankings = scored.map(({ column, variance, reason }, j) => ({
    column: column.name,
    kind: column.kind,
    variance,
    absCorrelation: scores[j]?.absCorrelation ?? 0,
    mutualInformation: scores[j]?.mutualInformation ?? 0,
    forestImportance: importance[j] ?? 0,
    averageRank: ((rankCorrelation[j] ?? 0) + (rankMi[j] ?? 0) + (rankForest[j] ?? 0)) / 3,
    kept: false,
    reason: reason ?? "",
  }));
  rankings.sort(
    (a, b) => a.averageRank - b.averageRank || Number(a.reason !== "") - Number(b.reason !== "") || (a.column < b.column ? -1 : a.column > b.column ? 1 : 0),
  );
  let place = 0;
  for (const r of rankings) {
    if (r.reason !== "") continue;
    place++;
    r.kept = place <= args.keep;
    r.reason = `${place} of ${eligible.length} by average rank; ${r.kept ? "in" : "outside"} the top ${args.keep}`;
  }
  return rankings;
}

function isMissing(v: Value | undefined): boolean {
  return v === null || v === undefined || (typeof v === "string" && v.trim() === "") || (typeof v === "number" && Number.isNaN(v));
}

/**
 * Population variance divided by the mean of squares (σ² / (μ² + σ²)): 0 for a constant,
 * below 1e-8 when the spread is under 1e-4 of the values' magnitude, 1 for any spread
 * centred on 0. Scale-free, so float noise around a constant reads as near-zero.
 * @example normalizedVariance([0, 2]) // 0.5
 */
export function normalizedVariance(values: number[]): number {
  if (values.length === 0) return 0;
  const n = values.length;
  const mean = compensatedSum(values) / n;
  const variance = compensatedSum(values.map((v) => (v - mean) ** 2)) / n;
  const meanSquare = compensatedSum(values.map((v) => v * v)) / n;
  return meanSquare === 0 ? 0 : Math.min(1, variance / meanSquare);
}

/** Dense codes 0..k-1 of values, in sorted order of the values. @example levelCodes(["b", "a", "b"]) // [1, 0, 1] */
export function levelCodes(values: string[]): number[] {
  const levels = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const code = new Map(levels.map((l, i) => [l, i]));
  return values.map((v) => code.get(v) ?? 0);
}

/**
 * Equal-frequency bin codes 0..bins-1: a value's bin is ⌊(rows below it) × bins / n⌋, so
 * tied values share a bin. @example quantileBins([5, 1, 3, 3], 2) // [1, 0, 0, 0]
 */
export function quantileBins(values: number[], bins: number): number[] {
  const sorted = Float64Array.from(values).sort();
  const below = new Map<number, number>();
  sorted.forEach((v, i) => {
    if (!below.has(v)) below.set(v, i);
  });
  const k = Math.max(1, Math.floor(bins));
  return values.map((v) => Math.min(k - 1, Math.floor(((below.get(v) ?? 0) * k) / values.length)));
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = compensatedSum(x) / n;
  const my = compensatedSum(y) / n;
  const sxy = compensatedSum(x.map((v, i) => (v - mx) * ((y[i] as number) - my)));
  const sxx = compensatedSum(x.map((v) => (v - mx) ** 2));
  const syy = compensatedSum(y.map((v) => (v - my) ** 2));
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Correlation ratio η = √(SS_between / SS_total) of numbers grouped by codes; 0 when the numbers are constant. */
export function correlationRatio(groups: number[], values: number[]): number {
  const n = values.length;
  const mean = compensatedSum(values) / n;
  const sums = new Map<number, { sum: number; count: number }>();
  groups.forEach((g, i) => {
    const s = sums.get(g) ?? { sum: 0, count: 0 };
    s.sum += values[i] as number;
    s.count += 1;
    sums.set(g, s);
  });
  const between = compensatedSum([...sums.values()].map((s) => s.count * (s.sum / s.count - mean) ** 2));
  const total = compensatedSum(values.map((v) => (v - mean) ** 2));
  return total === 0 ? 0 : Math.sqrt(Math.min(1, between / total));
}

/** Contingency counts of two code vectors. */
function contingency(x: number[], y: number[]): { joint: Map<string, number>; px: Map<number, number>; py: Map<number, number> } {
  const joint = new Map<string, number>();
  const px = new Map<number, number>();
  const py = new Map<number, number>();
  x.forEach((a, i) => {
    const b = y[i] as number;
    joint.set(`${a},${b}`, (joint.get(`${a},${b}`) ?? 0) + 1);
    px.set(a, (px.get(a) ?? 0) + 1);
    py.set(b, (py.get(b) ?? 0) + 1);
  });
  return { joint, px, py };
}

/** Plug-in mutual information of two discrete code vectors, in nats (scikit-learn's mutual_info_score). */
export function mutualInformation(x: number[], y: number[]): number {
  const n = x.length;
  const { joint, px, py } = contingency(x, y);
  const terms: number[] = [];
  for (const [key, count] of joint) {
    const [a, b] = key.split(",").map(Number) as [number, number];
    terms.push((count / n) * Math.log((count * n) / ((px.get(a) ?? 1) * (py.get(b) ?? 1))));
  }
  return Math.max(0, compensatedSum(terms));
}

/** Cramér's V (no bias correction); 0 when either side has a single level. */
export function cramersV(x: number[], y: number[]): number {
  const n = x.length;
  const { joint, px, py } = contingency(x, y);
  const k = Math.min(px.size, py.size);
  if (k <= 1) return 0;
  const terms: number[] = [];
  for (const [a, ca] of px) {
    for (const [b, cb] of py) {
      const expected = (ca * cb) / n;
      const observed = joint.get(`${a},${b}`) ?? 0;
      terms.push((observed - expected) ** 2 / expected);
    }
  }
  return Math.sqrt(compensatedSum(terms) / (n * (k - 1)));
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
