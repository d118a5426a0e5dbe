/**
 * The classical baseline every run reports: a seeded random forest on the same split as
 * the fine-tuned model. Encoding is learned on the training rows only: numbers keep their
 * value (missing → the training median), categories become integer codes in sorted order
 * of their training values (missing is a category of its own; unseen in training → -1).
 */
import { TabtuneError } from "../errors.js";
import { fitForest, predictForest, type ForestTarget } from "./forest.js";
import { createRng, sampleIndices } from "./random.js";

export interface FeatureSpec {
  name: string;
  kind: "numeric" | "categorical";
}
export type BaselineRow = Record<string, string | number | boolean | null>;
export interface BaselineOptions {
  trees: number;
  maxDepth: number;
  /** Features tried per split: null → √p (classes) or p/3 (regression); ≤ 1 → fraction of p; > 1 → count. */
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
  /** Mean decrease in impurity, summing to 1, highest first (ties by name). */
  featureImportance: { name: string; importance: number }[] | null;
}

type Cell = string | number | boolean | null | undefined;
const MISSING_CATEGORY = "\u0000missing";

/** A cell as a number: finite numbers, booleans as 0/1, numeric strings; anything else NaN. */
export function cellToNumber(value: Cell): number {
  if (typeof value === "number") return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value.trim());
    return Number.isFinite(parsed) ? parsed : Number.NaN;
  }
  return Number.NaN;
}

/**
 * Learns from training values how to turn one column into numbers, and returns the encoder.
 * @example fitColumnEncoder("numeric", [1, null, 3])(null) // 2 (the training median)
 * @example fitColumnEncoder("categorical", ["b", "a"])("b") // 1; unseen "c" → -1
 */
export function fitColumnEncoder(kind: FeatureSpec["kind"], trainValues: Cell[]): (value: Cell) => number {
  if (kind === "numeric") {
    const observed = trainValues.map(cellToNumber).filter((v) => !Number.isNaN(v));
    const fill = observed.length === 0 ? 0 : medianOf(observed);
    return (value) => {
      const v = cellToNumber(value);
      return Number.isNaN(v) ? fill : v;
    };
  }
  const key = (value: Cell): string => (value === null || value === undefined ? MISSING_CATEGORY : String(value));
  const levels = [...new Set(trainValues.map(key))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const codes = new Map(levels.map((level, i) => [level, i]));
  return (value) => codes.get(key(value)) ?? -1;
}

/** Median of a non-empty list (mean of the two middle values when even). */
function medianOf(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
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
  const train =
    args.train.length > options.maxTrainRows
      ? sampleIndices(args.train.length, options.maxTrainRows, createRng(options.seed)).map((i) => args.train[i] as BaselineRow)
      : args.train;

  const encoders = features.map((f) => fitColumnEncoder(f.kind, train.map((row) => row[f.name])));
  const encode = (rows: BaselineRow[]): Float64Array[] =>
    features.map((f, j) => Float64Array.from(rows, (row) => (encoders[j] as (v: Cell) => number)(row[f.name])));
  const trainX = encode(train);
  const testX = encode(test);

  const forestOptions = { trees: options.trees, maxDepth: options.maxDepth, maxFeatures: options.maxFeatures, seed: options.seed };
  const forestTarget = encodeTarget(train, target, task, labels);
  const forest = fitForest(trainX, forestTarget, forestOptions);
  const output = predictForest(forest, testX);

  const featureImportance = features
    .map((f, j) => ({ name: f.name, importance: forest.importance[j] as number }))
    .sort((a, b) => b.importance - a.importance || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  if (forestTarget.kind === "regression") {
    return { predictions: Array.from(output), positiveScores: null, featureImportance };
  }
  const w = labels.length;
  const predictions: string[] = [];
  for (let i = 0; i < test.length; i++) {
    let best = 0;
    for (let c = 1; c < w; c++) if ((output[i * w + c] as number) > (output[i * w + best] as number)) best = c;
    predictions.push(labels[best] as string);
  }
  const positiveScores = task === "binary" ? Array.from({ length: test.length }, (_, i) => output[i * w + 1] as number) : null;
  return { predictions, positiveScores, featureImportance };
}

/** The training target as class codes (index in `labels`) or numbers. */
function encodeTarget(rows: BaselineRow[], target: string, task: "binary" | "multiclass" | "regression", labels: string[]): ForestTarget {
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
