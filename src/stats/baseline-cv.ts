/**
 * Seeded k-fold cross-validation of the two baseline candidates (the forest and the linear
 * model) on the training rows, for baseline-choice.ts: folds stratified by class as the split
 * is, each row validated exactly once, and every model's out-of-fold predictions pooled into
 * one score (scikit-learn's `cross_val_predict` then the metric; not the mean of per-fold
 * scores, which on folds of a handful of rows is dominated by one fold's own target spread).
 * Large tables are cross-validated on a seeded, stratified sample of at most `maxRows` rows,
 * and the folds are scored in turn only until `minValidated` rows have been scored out of fold
 * (every fold on small tables, where the choice needs every row; one or two on large ones,
 * where a fold of thousands of rows already measures the difference and each further fold
 * would cost another forest).
 */
import { trainAndPredictBaseline, encodeBaselineTarget, type BaselineOptions, type BaselineRow, type FeatureSpec } from "./baseline.js";
import { trainAndPredictLinear, type LinearOptions } from "./linear.js";
import { classificationMetrics, regressionMetrics } from "./metrics.js";
import { createRng, shuffleInPlace } from "./random.js";
import { rowGroups, testMask } from "./split.js";

/** A model's cross-validated score: the metric over all out-of-fold predictions together. */
export type ValidationScore = { accuracy: number; macroF1: number } | { r2: number; rmse: number };

type Task = "binary" | "multiclass" | "regression";

/**
 * The fold (0..k−1) of each row: rows are shuffled with the seed within each group (a class
 * when stratified, else all rows; groups in sorted order) and dealt round-robin, one running
 * count across groups, so each class is spread as evenly as it can be and fold sizes differ
 * by at most one. Every fold has a row when k ≤ labels.length.
 * @throws RangeError when k is not an integer of 2 or more.
 * @example foldsOf(["a", "a", "b", "b"], 2, 1, true) // one "a" and one "b" in each fold
 */
export function foldsOf(labels: readonly string[], k: number, seed: number, stratify: boolean): Int32Array {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`cross-validation needs an integer of 2 or more folds, got ${k}`);
  const rng = createRng(seed);
  const groups = rowGroups(labels, stratify);
  const folds = new Int32Array(labels.length);
  let dealt = 0;
  for (const key of [...groups.keys()].sort()) {
    for (const i of shuffleInPlace(groups.get(key) ?? [], rng)) folds[i] = dealt++ % k;
  }
  return folds;
}

/**
 * The rows cross-validation sees: all of them up to `maxRows`, else a seeded sample of about
 * `maxRows` (testMask at ratio maxRows/n: stratified by class, each class's share kept).
 * @example sampleForCv(["a", "b", "a"], 10, 1, true) // [0, 1, 2]
 */
export function sampleForCv(labels: readonly string[], maxRows: number, seed: number, stratify: boolean): number[] {
  const all = labels.map((_, i) => i);
  if (labels.length <= maxRows) return all;
  const mask = testMask([...labels], maxRows / labels.length, seed, stratify);
  return all.filter((i) => mask[i] === 1);
}

/** The metric over `truth` and predictions: accuracy and macro-F1, or R² and RMSE. */
export function validationScore(task: Task, truth: BaselineRow[keyof BaselineRow][], predictions: (string | number)[], labels: string[]): ValidationScore {
  if (task === "regression") {
    const m = regressionMetrics(truth.map(Number), predictions.map(Number));
    return { r2: m.r2, rmse: m.rmse };
  }
  const m = classificationMetrics(truth.map(String), predictions.map(String), labels);
  return { accuracy: m.accuracy, macroF1: m.macroF1 };
}

/**
 * How many folds, taken in turn from fold 0, are scored: the fewest whose rows reach
 * `minValidated`, or all k (1 when k is 1).
 * @example foldsToScore(Int32Array.from([0, 1, 2, 0, 1, 2]), 3, 3) // 2
 */
export function foldsToScore(folds: Int32Array, k: number, minValidated: number): number {
  const sizes = new Array<number>(k).fill(0);
  for (const f of folds) sizes[f] = (sizes[f] ?? 0) + 1;
  let validated = 0;
  for (let f = 0; f < k; f++) {
    validated += sizes[f] ?? 0;
    if (validated >= minValidated) return f + 1;
  }
  return k;
}

export interface CrossValidation {
  forest: ValidationScore;
  linear: ValidationScore;
  /** Folds the rows were dealt into; 1 means scored in sample (fewer than 2 rows). */
  folds: number;
  /** Folds scored (the first ones in turn until `minValidated` rows were scored): `folds` unless the table is large. */
  scoredFolds: number;
  /** Rows scored out of fold (each once): all of `rows` when every fold was scored. */
  rows: number;
  /** Rows each fold's models were fitted on: the fewest and the most. */
  fitRows: [number, number];
  /**
   * The linear model's score minus the forest's, as the mean of a per-row difference over the
   * scored rows (classes: correct − correct, whose mean is the accuracy difference; numbers:
   * (forest's squared error − linear's) / the mean squared deviation, whose mean is the R²
   * difference), with that mean's standard error (sd / √n): how far the difference stands
   * above the noise of which rows happened to be scored.
   */
  difference: { mean: number; se: number };
}

/** The mean per-row difference of the linear model's score over the forest's, and its standard error (see CrossValidation.difference). */
export function pairedDifference(task: Task, truth: readonly unknown[], forest: readonly (string | number)[], linear: readonly (string | number)[]): { mean: number; se: number } {
  const n = truth.length;
  if (n === 0) return { mean: 0, se: 0 };
  const d = new Float64Array(n);
  if (task === "regression") {
    const y = Float64Array.from(truth, Number);
    const mean = y.reduce((a, b) => a + b, 0) / n;
    const msd = y.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
    for (let i = 0; i < n; i++) {
      const ef = (y[i] as number) - Number(forest[i]);
      const el = (y[i] as number) - Number(linear[i]);
      d[i] = msd > 0 ? (ef * ef - el * el) / msd : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const t = String(truth[i]);
      d[i] = (String(linear[i]) === t ? 1 : 0) - (String(forest[i]) === t ? 1 : 0);
    }
  }
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? d.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, se: Math.sqrt(variance / n) };
}

/**
 * Both models fitted on every fold's complement and scored on the fold, the out-of-fold
 * predictions pooled. `folds` gives each row's fold (foldsOf); a table of fewer than two rows
 * is scored in sample (folds 1).
 * @throws TabtuneError as trainAndPredictBaseline does (no features, a bad target).
 */
export function crossValidate(args: {
  features: FeatureSpec[];
  target: string;
  task: Task;
  labels: string[];
  rows: BaselineRow[];
  folds: Int32Array;
  options: BaselineOptions & { linear: LinearOptions };
  /** Score folds in turn only until this many rows have been scored out of fold (default: every fold). */
  minValidated?: number;
  /** Forest trees grown so far over all folds, of the total. */
  onTree?: (done: number, total: number) => void;
}): CrossValidation {
  const { features, target, task, labels, rows, options } = args;
  const truth = rows.map((row) => row[target] ?? null);
  const k = rows.length < 2 ? 1 : Math.max(...args.folds) + 1;
  const forestOut: (string | number)[] = new Array(rows.length);
  const linearOut: (string | number)[] = new Array(rows.length);
  let fewest = Number.POSITIVE_INFINITY;
  let most = 0;
  const scoredFolds = foldsToScore(args.folds, k, args.minValidated ?? Number.POSITIVE_INFINITY);
  const scored: number[] = [];
  for (let f = 0; f < scoredFolds; f++) {
    const held = k === 1 ? rows.map((_, i) => i) : rows.map((_, i) => i).filter((i) => args.folds[i] === f);
    const fit = k === 1 ? rows : rows.filter((_, i) => args.folds[i] !== f);
    if (held.length === 0 && k > 1) continue;
    scored.push(...held);
    fewest = Math.min(fewest, fit.length);
    most = Math.max(most, fit.length);
    const test = held.map((i) => rows[i] as BaselineRow);
    const onTree = args.onTree ? (done: number, total: number) => args.onTree?.(f * total + done, scoredFolds * total) : undefined;
    const forest = trainAndPredictBaseline({ features, target, task, labels, train: fit, test, options, onTree });
    const linear = trainAndPredictLinear({ features, labels, task, train: fit, test, y: encodeBaselineTarget(fit, target, task, labels), options: options.linear });
    held.forEach((i, j) => {
      forestOut[i] = forest.predictions[j] as string | number;
      linearOut[i] = linear.predictions[j] as string | number;
    });
  }
  if (scored.length < rows.length) scored.sort((a, b) => a - b);
  const pick = <T>(values: T[]) => (scored.length === rows.length ? values : scored.map((i) => values[i] as T));
  return {
    forest: validationScore(task, pick(truth), pick(forestOut), labels),
    linear: validationScore(task, pick(truth), pick(linearOut), labels),
    difference: pairedDifference(task, pick(truth), pick(forestOut), pick(linearOut)),
    folds: k,
    scoredFolds,
    rows: scored.length,
    fitRows: [fewest === Number.POSITIVE_INFINITY ? 0 : fewest, most],
  };
}
