/**
 * The classical baseline every run reports: a seeded random forest on the same split as
 * the fine-tuned model, with scikit-learn's defaults for features tried per split (√p for
 * classes, all p for regression). Features are prepared on the training rows only by
 * baseline-features.ts (dates as numbers, unseen categories as one explicit code, near-unique
 * strings left out by the caller through chooseBaselineFeatures).
 */
import { TabtuneError } from "../errors.js";
import { cellToNumber, fitFeatureEncoder, type Cell, type FeatureSpec } from "./baseline-features.js";
import { fitForest, predictForest, type Forest, type ForestTarget } from "./forest.js";
import { createRng, sampleIndices } from "./random.js";

export { cellToNumber, chooseBaselineFeatures, dateParts, fitColumnEncoder, type ExcludedFeature, type FeatureSpec } from "./baseline-features.js";
export type BaselineRow = Record<string, string | number | boolean | null>;
export interface BaselineOptions {
  trees: number;
  maxDepth: number;
  /** Features tried per split: null → scikit-learn's defaults (√p for classes, all p for regression); ≤ 1 → fraction of p; > 1 → count. */
  maxFeatures: number | null;
  /** Rows used to fit at most; beyond this a seeded sample of the training rows. */
  maxTrainRows: number;
  seed: number;
}
export interface BaselineResult {
  /** One per test row: a label from `labels` (classification) or a number (regression). */
  predictions: string[] | number[];
  /** Binary only: the forest's probability of labels[1] per test row. */
  positiveScores: number[] | null;
  /** Mean decrease in impurity per feature (a date's parts summed), summing to 1, highest first (ties by name). */
  featureImportance: { name: string; importance: number }[] | null;
  /** The forest as fitted, and the training rows it saw (the sample beyond maxTrainRows): what tabtune predict saves, so it is not fitted twice. */
  forestFit?: { forest: Forest; trainRows: number };
}

/**
 * The forest's maxFeatures for a task: a configured value as is; null → scikit-learn's
 * defaults, √p for classification (the forest's null) and all p (1) for regression, where the
 * forest's own null (Breiman's p/3) tried 1 feature of 5 and lost R² (issue 15: 0.599 vs 0.675).
 * @example baselineMaxFeatures(null, "regression") // 1
 */
export function baselineMaxFeatures(maxFeatures: number | null, task: "binary" | "multiclass" | "regression"): number | null {
  return maxFeatures ?? (task === "regression" ? 1 : null);
}

/**
 * Fits the baseline forest on `train` and predicts `test`.
 * @throws TabtuneError when there are no features or no training rows, a training target is
 * missing, a class is outside `labels`, or a regression target is not a number.
 */
export function trainAndPredictBaseline(args: {
  features: FeatureSpec[];
  target: string;
  task: "binary" | "multiclass" | "regression";
  labels: string[];
  train: BaselineRow[];
  test: BaselineRow[];
  options: BaselineOptions;
  /** Trees grown so far, of the total (progress). */
  onTree?: (done: number, total: number) => void;
  /** Gains the milliseconds spent encoding and predicting the test rows (the rest of the call is fitting). */
  timing?: { predictMs: number };
}): BaselineResult {
  const { features, target, task, labels, test, options } = args;
  if (features.length === 0) {
    throw new TabtuneError("BASELINE_NO_FEATURES", "the baseline has no feature columns to learn from", {
      suggestion: "keep at least one feature column in the plan",
    });
  }
  if (args.train.length === 0) {
    throw new TabtuneError("BASELINE_NO_ROWS", "the baseline has no training rows", {
      suggestion: "check the split: the training set is empty",
    });
  }
  const train = baselineTrainRows(args.train, options);

  const encoders = features.map((f) => fitFeatureEncoder(f, train.map((row) => row[f.name])));
  const encode = (rows: BaselineRow[]): Float64Array[] => features.flatMap((f, j) => encoders[j]!.encode(rows.map((row): Cell => row[f.name])));
  const trainX = encode(train);
  /** The feature each forest column came from (a date gives several). */
  const owner = features.flatMap((_, j) => Array.from({ length: encoders[j]!.width }, () => j));

  const forestOptions = { trees: options.trees, maxDepth: options.maxDepth, maxFeatures: baselineMaxFeatures(options.maxFeatures, task), seed: options.seed };
  const forestTarget = encodeBaselineTarget(train, target, task, labels);
  const forest = fitForest(trainX, forestTarget, { ...forestOptions, onTree: args.onTree });
  const output = timedPredict(args.timing, () => predictForest(forest, encode(test)));

  const summed = new Array<number>(features.length).fill(0);
  forest.importance.forEach((v, c) => (summed[owner[c]!]! += v));
  const featureImportance = features
    .map((f, j) => ({ name: f.name, importance: summed[j] as number }))
    .sort((a, b) => b.importance - a.importance || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  if (forestTarget.kind === "regression") return { predictions: Array.from(output), positiveScores: null, featureImportance, forestFit: { forest, trainRows: train.length } };
  const classes = timedPredict(args.timing, () => classesOf(output, test.length, labels.length, labels, task));
  return { ...classes, featureImportance, forestFit: { forest, trainRows: train.length } };
}

/** `predict()`, its milliseconds added to `timing.predictMs` when a timing is given: the test rows' predictions are timed apart from training. */
export function timedPredict<T>(timing: { predictMs: number } | undefined, predict: () => T): T {
  const started = performance.now();
  const result = predict();
  if (timing) timing.predictMs += performance.now() - started;
  return result;
}

/**
 * Each row's label from `width` outputs per row (the largest; the first on a tie), and for
 * a binary task the second class's output per row (its positive score).
 */
export function classesOf(output: ArrayLike<number>, rows: number, width: number, labels: readonly string[], task: string): { predictions: string[]; positiveScores: number[] | null } {
  const predictions: string[] = [];
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < width; c++) if ((output[i * width + c] as number) > (output[i * width + best] as number)) best = c;
    predictions.push(labels[best] as string);
  }
  const positiveScores = task === "binary" ? Array.from({ length: rows }, (_, i) => output[i * width + 1] as number) : null;
  return { predictions, positiveScores };
}

/**
 * The rows a baseline model is fitted on: all of `train` up to `maxTrainRows`, else a seeded
 * sample of that many (the same sample for the forest, the linear model and the saved model).
 */
export function baselineTrainRows(train: BaselineRow[], options: Pick<BaselineOptions, "maxTrainRows" | "seed">): BaselineRow[] {
  return train.length > options.maxTrainRows ? sampleIndices(train.length, options.maxTrainRows, createRng(options.seed)).map((i) => train[i] as BaselineRow) : train;
}

/**
 * The training target as class codes (index in `labels`) or numbers.
 * @throws TabtuneError when a target is missing, outside `labels`, or not a number (regression).
 */
export function encodeBaselineTarget(rows: BaselineRow[], target: string, task: "binary" | "multiclass" | "regression", labels: string[]): ForestTarget {
  rows.forEach((row, i) => {
    const value = row[target];
    if (value === null || value === undefined || (typeof value === "string" && value.trim() === "")) {
      throw new TabtuneError("BASELINE_TARGET_MISSING", `training row ${i} has no value for the target "${target}"`, {
        suggestion: "drop rows with a missing target before training",
      });
    }
  });
  if (task === "regression") {
    const y = Float64Array.from(rows, (row) => cellToNumber(row[target]));
    const bad = y.findIndex((v) => Number.isNaN(v));
    if (bad >= 0) {
      throw new TabtuneError("BASELINE_TARGET_NOT_NUMERIC", `training row ${bad} has a non-numeric target "${String(rows[bad]?.[target])}"`, {
        suggestion: "clean the target column or choose a classification task",
      });
    }
    return { kind: "regression", y };
  }
  if (labels.length < 2 || (task === "binary" && labels.length !== 2)) {
    throw new TabtuneError("BASELINE_BAD_LABELS", `a ${task} baseline needs ${task === "binary" ? "exactly 2" : "at least 2"} labels, got ${labels.length}`, {
      suggestion: "check the label mapping chosen at explore",
    });
  }
  const index = new Map(labels.map((label, i) => [label, i]));
  const y = new Int32Array(rows.length);
  rows.forEach((row, i) => {
    const code = index.get(String(row[target]));
    if (code === undefined) {
      throw new TabtuneError("BASELINE_LABEL_OUTSIDE_MAPPING", `training row ${i} has target "${String(row[target])}", which is not one of: ${labels.join(", ")}`, {
        suggestion: "fix the label mapping or clean the target column",
      });
    }
    y[i] = code;
  });
  return { kind: "classification", classes: labels.length, y };
}
