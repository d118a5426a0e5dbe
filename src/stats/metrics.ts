/**
 * Evaluation metrics, as scikit-learn defines them, for the baseline and the fine-tuned
 * model alike. Pure functions; edge cases are stated on each. Sums are compensated
 * (Neumaier), so long vectors of similar errors do not drift.
 */
import { TabtuneError } from "../errors.js";
import { bootstrapIndices, createRng } from "./random.js";

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true label is this one. */
  support: number;
}
export interface ClassificationMetrics {
  accuracy: number;
  /** Mean F1 over the labels that occur in yTrue or among the matched predictions. */
  macroF1: number;
  /** One entry per label, in the order given. */
  perClass: ClassMetrics[];
  /** rows = true label, cols = predicted label; unmatched predictions appear in no column. */
  confusion: { labels: string[]; matrix: number[][] };
  /** Predictions that are null or not one of the labels: counted wrong, never dropped. */
  unmatched: number;
  n: number;
  /** Bootstrap intervals (evaluate fills them in; absent from a bare computation). */
  ci?: { level: number; accuracy: Interval; macroF1: Interval };
  /** ROC-AUC where the model gives scores (the baseline on binary tasks), else null. */
  rocAuc?: number | null;
}
export interface RegressionMetrics {
  rmse: number;
  mae: number;
  r2: number;
  n: number;
  /** Bootstrap intervals (evaluate fills them in). */
  ci?: { level: number; rmse: Interval; mae: Interval };
}

/** Neumaier-compensated sum. @example compensatedSum([1e100, 1, -1e100]) // 1 */
export function compensatedSum(values: ArrayLike<number>): number {
  let sum = 0;
  let correction = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const t = sum + v;
    correction += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + correction;
}

function checkSameLength(a: { length: number }, b: { length: number }, what: string): void {
  if (a.length !== b.length) {
    throw new TabtuneError("METRICS_LENGTH_MISMATCH", `${what}: ${a.length} true values but ${b.length} predictions`, {
      suggestion: "predict exactly one value per test row, in the test rows' order",
    });
  }
  if (a.length === 0) {
    throw new TabtuneError("METRICS_EMPTY", `${what}: there are no rows to evaluate`, {
      suggestion: "check the test split: it is empty",
    });
  }
}

/**
 * Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.
 * A null prediction (a generation that names no label) or one outside `labels` is counted
 * wrong. Precision of a label never predicted is 0, as is F1 when precision and recall are
 * both 0 (scikit-learn's zero_division default).
 * @throws TabtuneError when lengths differ, there are no rows, or a true label is not in `labels`.
 * @example classificationMetrics(["a", "b"], ["a", null], ["a", "b"]).accuracy // 0.5
 */
export function classificationMetrics(yTrue: string[], yPred: (string | null)[], labels: string[]): ClassificationMetrics {
  checkSameLength(yTrue, yPred, "classification metrics");
  const index = new Map(labels.map((label, i) => [label, i]));
  const k = labels.length;
  const matrix = labels.map(() => new Array<number>(k).fill(0));
  const support = new Array<number>(k).fill(0);
  let correct = 0;
  let unmatched = 0;
  yTrue.forEach((truth, i) => {
    const t = index.get(truth);
    if (t === undefined) {
      throw new TabtuneError("LABEL_OUTSIDE_MAPPING", `row ${i} has true label "${truth}", which is not one of: ${labels.join(", ")}`, {
        suggestion: "fix the label mapping or clean the target column; such rows are reported, not skipped",
      });
    }
    support[t]! += 1;
    const guess = yPred[i];
    const p = guess === null || guess === undefined ? undefined : index.get(guess);
    if (p === undefined) {
      unmatched++;
      return;
    }
    (matrix[t] as number[])[p]! += 1;
    if (p === t) correct++;
  });

  const perClass: ClassMetrics[] = labels.map((label, c) => {
    const tp = (matrix[c] as number[])[c] as number;
    const predicted = matrix.reduce((s, row) => s + (row[c] as number), 0);
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = (support[c] as number) === 0 ? 0 : tp / (support[c] as number);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support: support[c] as number };
  });
  const present = perClass.filter((m, c) => m.support > 0 || matrix.some((row) => (row[c] as number) > 0));
  return {
    accuracy: correct / yTrue.length,
    macroF1: compensatedSum(present.map((m) => m.f1)) / present.length,
    perClass,
    confusion: { labels: [...labels], matrix },
    unmatched,
    n: yTrue.length,
  };
}

/**
 * RMSE, MAE and R² (1 − SS_res/SS_tot). With a constant yTrue, R² is 1 for a perfect
 * prediction and 0 otherwise (scikit-learn's force_finite).
 * @throws TabtuneError when lengths differ, there are no rows, or a value is not finite.
 * @example regressionMetrics([1, 2, 3], [1, 2, 4]).mae // 0.3333333333333333
 */
export function regressionMetrics(yTrue: number[], yPred: number[]): RegressionMetrics {
  checkSameLength(yTrue, yPred, "regression metrics");
  const bad = yTrue.findIndex((v, i) => !Number.isFinite(v) || !Number.isFinite(yPred[i]));
  if (bad >= 0) {
    throw new TabtuneError("METRICS_NOT_FINITE", `row ${bad} has a non-finite value (true ${yTrue[bad]}, predicted ${yPred[bad]})`, {
      suggestion: "every true value and prediction must be a finite number",
    });
  }
  const n = yTrue.length;
  const errors = yTrue.map((v, i) => v - (yPred[i] as number));
  const mean = compensatedSum(yTrue) / n;
  const ssRes = compensatedSum(errors.map((e) => e * e));
  const ssTot = compensatedSum(yTrue.map((v) => (v - mean) * (v - mean)));
  const r2 = ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  return { rmse: Math.sqrt(ssRes / n), mae: compensatedSum(errors.map(Math.abs)) / n, r2, n };
}

/**
 * Area under the ROC curve (the Mann–Whitney statistic); tied scores share their average
 * rank, so a tie between a positive and a negative counts one half.
 * @returns NaN when yTrue holds only one class.
 * @throws TabtuneError when lengths differ, there are no rows, or a score is NaN.
 * @example rocAuc([false, false, true, true], [0.1, 0.4, 0.35, 0.8]) // 0.75
 */
export function rocAuc(yTrue: boolean[], scores: number[]): number {
  checkSameLength(yTrue, scores, "ROC-AUC");
  if (scores.some((s) => Number.isNaN(s))) {
    throw new TabtuneError("METRICS_NOT_FINITE", "ROC-AUC: a score is NaN", { suggestion: "score every test row" });
  }
  const positives = yTrue.filter(Boolean).length;
  const negatives = yTrue.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let positiveRankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1] as number] === scores[order[start] as number]) end++;
    const averageRank = (start + end) / 2 + 1;
    for (let j = start; j <= end; j++) if (yTrue[order[j] as number]) positiveRankSum += averageRank;
    start = end + 1;
  }
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Percentile bootstrap interval of a statistic over n rows: `resamples` times, draw n row
 * indices with replacement (seeded) and evaluate `statistic`; the bounds are the
 * (1 − level)/2 and (1 + level)/2 quantiles (linear interpolation, numpy's default).
 * Resamples where the statistic is NaN (e.g. AUC with one class drawn) are left out;
 * if all are, both bounds are NaN.
 * @throws if n < 1, resamples < 1 or level is not in (0, 1).
 * @example bootstrapInterval(3, (ix) => ix.length, { resamples: 10, seed: 1 }) // { low: 3, high: 3 }
 */
export function bootstrapInterval(
  n: number,
  statistic: (indices: number[]) => number,
  opts: { resamples: number; seed: number; level?: number },
): { low: number; high: number } {
  const level = opts.level ?? 0.95;
  if (!(n >= 1) || !(opts.resamples >= 1) || !(level > 0 && level < 1)) {
    throw new RangeError(`bootstrapInterval needs n ≥ 1, resamples ≥ 1 and 0 < level < 1 (got ${n}, ${opts.resamples}, ${level})`);
  }
  const rng = createRng(opts.seed);
  const values: number[] = [];
  for (let r = 0; r < opts.resamples; r++) {
    const v = statistic(bootstrapIndices(n, rng));
    if (!Number.isNaN(v)) values.push(v);
  }
  if (values.length === 0) return { low: Number.NaN, high: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  return { low: quantileSorted(sorted, (1 - level) / 2), high: quantileSorted(sorted, (1 + level) / 2) };
}

/** Linear-interpolation quantile of sorted values (numpy's default "linear" method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** A two-sided bootstrap interval. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * Percentile bootstrap intervals of accuracy and macro-F1 (resampling test rows; the
 * same seed gives the same resamples to every model, so intervals are comparable).
 * Macro-F1 of a resample averages over the labels present in it, as `classificationMetrics`.
 * Unmatched predictions stay wrong in every resample.
 * @throws TabtuneError as `classificationMetrics` (lengths, empty input, labels outside the mapping).
 * @example classificationIntervals(["a", "b"], ["a", "b"], ["a", "b"], { resamples: 50, seed: 1 }).accuracy // { low: 1, high: 1 }
 */
export function classificationIntervals(
  yTrue: string[],
  yPred: (string | null)[],
  labels: string[],
  opts: { resamples: number; seed: number; level?: number },
): { accuracy: Interval; macroF1: Interval } {
  classificationMetrics(yTrue, yPred, labels); // validates, throws on a label outside the mapping
  const index = new Map(labels.map((label, i) => [label, i]));
  const t = Int32Array.from(yTrue, (v) => index.get(v) ?? -1);
  const p = Int32Array.from(yPred, (v) => (v === null ? -1 : (index.get(v) ?? -1)));
  const k = labels.length;
  const tp = new Float64Array(k);
  const support = new Float64Array(k);
  const predicted = new Float64Array(k);
  const macroF1 = (idx: number[]): number => {
    tp.fill(0);
    support.fill(0);
    predicted.fill(0);
    for (const i of idx) {
      const ti = t[i] as number;
      const pi = p[i] as number;
      support[ti]! += 1;
      if (pi >= 0) predicted[pi]! += 1;
      if (pi === ti) tp[ti]! += 1;
    }
    let sum = 0;
    let present = 0;
    for (let c = 0; c < k; c++) {
      if ((support[c] as number) === 0 && (predicted[c] as number) === 0) continue;
      present++;
      const precision = (predicted[c] as number) === 0 ? 0 : (tp[c] as number) / (predicted[c] as number);
      const recall = (support[c] as number) === 0 ? 0 : (tp[c] as number) / (support[c] as number);
      sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    }
    return present === 0 ? Number.NaN : sum / present;
  };
  const accuracy = (idx: number[]): number => {
    let correct = 0;
    for (const i of idx) if (t[i] === p[i]) correct++;
    return correct / idx.length;
  };
  return { accuracy: bootstrapInterval(t.length, accuracy, opts), macroF1: bootstrapInterval(t.length, macroF1, opts) };
}

/**
 * Percentile bootstrap intervals of RMSE and MAE over test rows.
 * @throws TabtuneError as `regressionMetrics`.
 * @example regressionIntervals([1, 2], [1, 2], { resamples: 20, seed: 1 }).rmse // { low: 0, high: 0 }
 */
export function regressionIntervals(yTrue: number[], yPred: number[], opts: { resamples: number; seed: number; level?: number }): { rmse: Interval; mae: Interval } {
  regressionMetrics(yTrue, yPred);
  const errors = yTrue.map((v, i) => v - (yPred[i] as number));
  const rmse = (idx: number[]) => Math.sqrt(compensatedSum(idx.map((i) => (errors[i] as number) ** 2)) / idx.length);
  const mae = (idx: number[]) => compensatedSum(idx.map((i) => Math.abs(errors[i] as number))) / idx.length;
  return { rmse: bootstrapInterval(errors.length, rmse, opts), mae: bootstrapInterval(errors.length, mae, opts) };
}
