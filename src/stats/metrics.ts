/**
 * Evaluation metrics, as scikit-learn defines them, for the baseline and the fine-tuned
 * model alike. Pure functions; edge cases are stated on each. Sums are compensated
 * (Neumaier), so long vectors of similar errors do not drift; the sums, quantiles and the
 * AUC's counting come from the statistics kernel (kernel.ts).
 */
import { TabtuneError } from "../errors.js";
import { binaryAuc, compensatedSum, mean, quantileSorted } from "./kernel.js";
import { multinomialDraw } from "./multinomial.js";
import { bootstrapIndices, createRng, randomInt } from "./random.js";

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
  const average = mean(yTrue);
  const ssRes = compensatedSum(errors.map((e) => e * e));
  const ssTot = compensatedSum(yTrue.map((v) => (v - average) * (v - average)));
  const r2 = ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  return { rmse: Math.sqrt(ssRes / n), mae: compensatedSum(errors.map(Math.abs)) / n, r2, n };
}

/**
 * Area under the ROC curve (the Mann–Whitney statistic, kernel.binaryAuc); a tie between a
 * positive and a negative counts one half.
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
  const pos = new Float64Array(positives);
  const neg = new Float64Array(negatives);
  let p = 0;
  let q = 0;
  yTrue.forEach((truth, i) => (truth ? (pos[p++] = scores[i] as number) : (neg[q++] = scores[i] as number)));
  return binaryAuc(pos, neg);
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
): Interval {
  const level = checkBootstrap(n, opts);
  const rng = createRng(opts.seed);
  const values = new Float64Array(opts.resamples);
  for (let r = 0; r < opts.resamples; r++) values[r] = statistic(bootstrapIndices(n, rng));
  return percentileInterval(values, opts.resamples, level);
}

/** A two-sided bootstrap interval. */
export interface Interval {
  low: number;
  high: number;
}

/** The percentile interval of bootstrap values (NaN ones left out), as `bootstrapInterval` takes it. */
function percentileInterval(values: Float64Array, count: number, level: number): Interval {
  const kept = values.subarray(0, count).filter((v) => !Number.isNaN(v)).sort();
  if (kept.length === 0) return { low: Number.NaN, high: Number.NaN };
  return { low: quantileSorted(kept, (1 - level) / 2), high: quantileSorted(kept, (1 + level) / 2) };
}

function checkBootstrap(n: number, opts: { resamples: number; level?: number }): number {
  const level = opts.level ?? 0.95;
  if (!(n >= 1) || !(opts.resamples >= 1) || !(level > 0 && level < 1)) {
    throw new RangeError(`bootstrap needs n ≥ 1, resamples ≥ 1 and 0 < level < 1 (got ${n}, ${opts.resamples}, ${level})`);
  }
  return level;
}

/**
 * Accuracy and macro-F1 of a confusion count table `cells` (k × (k + 1), row = true label,
 * the last column unmatched predictions), as `classificationMetrics` defines them: macro-F1
 * averages over the labels with support or predictions. NaN for an empty table.
 */
function countScores(cells: Float64Array, k: number): { accuracy: number; macroF1: number } {
  const w = k + 1;
  let n = 0;
  let correct = 0;
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < w; j++) support += cells[c * w + j] as number;
    for (let r = 0; r < k; r++) predicted += cells[r * w + c] as number;
    const tp = cells[c * w + c] as number;
    n += support;
    correct += tp;
    if (support === 0 && predicted === 0) continue;
    present++;
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    sum += precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  }
  return { accuracy: n === 0 ? Number.NaN : correct / n, macroF1: present === 0 ? Number.NaN : sum / present };
}

/**
 * Percentile bootstrap intervals of accuracy and macro-F1, resampling the test rows. Both
 * metrics depend on the rows only through the confusion counts (true label × predicted label,
 * unmatched as a column of its own), so a resample of n rows is drawn as a multinomial
 * resample of those k × (k + 1) counts (multinomial.ts): the same distribution as drawing n
 * row indices with replacement, at O(k²) per resample instead of O(n). The bounds are the
 * (1 − level)/2 and (1 + level)/2 quantiles (numpy's linear method), as `bootstrapInterval`.
 * The same seed gives the same intervals for the same counts (every model gets its own
 * counts, so intervals are comparable in distribution, not resample by resample).
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
  const m = classificationMetrics(yTrue, yPred, labels); // validates, throws on a label outside the mapping
  const k = labels.length;
  const w = k + 1;
  const counts = new Float64Array(k * w);
  m.confusion.matrix.forEach((row, t) => {
    row.forEach((v, p) => (counts[t * w + p] = v));
    counts[t * w + k] = m.perClass[t]!.support - row.reduce((a, b) => a + b, 0);
  });
  return confusionIntervals(counts, k, opts);
}

/**
 * The bootstrap of `classificationIntervals` from a confusion count table directly
 * (k × (k + 1), row-major, the last column unmatched), for callers that already hold counts.
 * @throws RangeError when the table is empty or its size is not k × (k + 1).
 */
export function confusionIntervals(counts: Float64Array, k: number, opts: { resamples: number; seed: number; level?: number }): { accuracy: Interval; macroF1: Interval } {
  if (counts.length !== k * (k + 1)) throw new RangeError(`confusionIntervals: ${counts.length} counts for ${k} labels (need ${k * (k + 1)})`);
  const n = counts.reduce((a, b) => a + b, 0);
  const level = checkBootstrap(n, opts);
  const rng = createRng(opts.seed);
  const drawn = new Float64Array(counts.length);
  const accuracy = new Float64Array(opts.resamples);
  const macroF1 = new Float64Array(opts.resamples);
  for (let r = 0; r < opts.resamples; r++) {
    multinomialDraw(counts, n, drawn, rng);
    const s = countScores(drawn, k);
    accuracy[r] = s.accuracy;
    macroF1[r] = s.macroF1;
  }
  return { accuracy: percentileInterval(accuracy, opts.resamples, level), macroF1: percentileInterval(macroF1, opts.resamples, level) };
}

/**
 * Percentile bootstrap intervals of RMSE and MAE over test rows: n row indices drawn with
 * replacement per resample (the stream `bootstrapInterval` draws, so the figures are the same
 * as resampling with it), over a typed array of the errors, summed with compensation.
 * @throws TabtuneError as `regressionMetrics`.
 * @example regressionIntervals([1, 2], [1, 2], { resamples: 20, seed: 1 }).rmse // { low: 0, high: 0 }
 */
export function regressionIntervals(yTrue: number[], yPred: number[], opts: { resamples: number; seed: number; level?: number }): { rmse: Interval; mae: Interval } {
  regressionMetrics(yTrue, yPred);
  const n = yTrue.length;
  const level = checkBootstrap(n, opts);
  const errors = Float64Array.from(yTrue, (v, i) => v - (yPred[i] as number));
  const rmse = new Float64Array(opts.resamples);
  const mae = new Float64Array(opts.resamples);
  const rng = createRng(opts.seed);
  for (let r = 0; r < opts.resamples; r++) {
    // Neumaier sums of e² and |e| over the resample, in draw order.
    let sq = 0;
    let sqC = 0;
    let ab = 0;
    let abC = 0;
    for (let j = 0; j < n; j++) {
      const e = errors[randomInt(rng, n)] as number;
      const v = e * e;
      const t = sq + v;
      sqC += Math.abs(sq) >= Math.abs(v) ? sq - t + v : v - t + sq;
      sq = t;
      const a = Math.abs(e);
      const u = ab + a;
      abC += Math.abs(ab) >= a ? ab - u + a : a - u + ab;
      ab = u;
    }
    rmse[r] = Math.sqrt((sq + sqC) / n);
    mae[r] = (ab + abC) / n;
  }
  return { rmse: percentileInterval(rmse, opts.resamples, level), mae: percentileInterval(mae, opts.resamples, level) };
}
