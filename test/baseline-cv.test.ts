/**
 * The cross-validation that chooses between the forest and the linear model (src/stats/baseline-cv.ts).
 *
 * Reference figures: test/fixtures/reference/baseline-cv.json, written by
 * `/usr/bin/python3 test/fixtures/reference/baseline-cv.py > test/fixtures/reference/baseline-cv.json`
 * with scikit-learn 1.2.1 / numpy 1.24 (Debian bookworm python3-sklearn): a seeded 60-row table,
 * a seeded fold vector, and cross_val_predict(PredefinedSplit(folds)) of Ridge(alpha=1.0) and
 * LogisticRegression(C=1.0, newton-cholesky) behind median imputation, StandardScaler and
 * OneHotEncoder(handle_unknown="ignore"); the pooled score is r2_score / accuracy_score /
 * f1_score(average="macro") over all out-of-fold predictions.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { baselineTrainRows, encodeBaselineTarget, trainAndPredictBaseline, type BaselineRow, type FeatureSpec } from "../src/stats/baseline.js";
import { trainAndPredictLinear } from "../src/stats/linear.js";
import { crossValidate, foldsOf, foldsToScore, pairedDifference, sampleForCv, validationScore } from "../src/stats/baseline-cv.js";
import { compareBaselines } from "../src/stats/baseline-choice.js";
import { createRng } from "../src/stats/random.js";

interface Reference {
  rows: BaselineRow[];
  folds: number[];
  ridge: { oof: number[]; pooledR2: number; pooledRmse: number; meanFoldR2: number };
  logistic: { oof: string[]; pooledAccuracy: number; pooledMacroF1: number };
}
const reference = JSON.parse(readFileSync(new URL("fixtures/reference/baseline-cv.json", import.meta.url), "utf8")) as Reference;
const features: FeatureSpec[] = [
  { name: "x0", kind: "numeric" },
  { name: "x1", kind: "numeric" },
  { name: "c", kind: "categorical" },
];
const options = { trees: 20, maxDepth: 10, maxFeatures: null, maxTrainRows: 20000, seed: 42, linear: { C: 1, alpha: 1, maxIterations: 1000 }, cvFolds: 5, cvMaxRows: 10000, cvValidationRows: 10000, linearMargin: 0 };

/** Rows per fold, and per class within each fold. */
function tally(labels: string[], folds: Int32Array, k: number) {
  const sizes = new Array<number>(k).fill(0);
  const byClass = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const f = folds[i] as number;
    sizes[f]!++;
    const row = byClass.get(label) ?? new Array<number>(k).fill(0);
    row[f]!++;
    byClass.set(label, row);
  });
  return { sizes, byClass };
}
const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);

describe("foldsOf: seeded k folds, stratified by class, each row in exactly one", () => {
  const rng = createRng(3);
  const labels = Array.from({ length: 103 }, () => (rng() < 0.15 ? "rare" : rng() < 0.5 ? "b" : "a"));

  it("spreads every class over the folds as evenly as it can, fold sizes within one row", () => {
    const folds = foldsOf(labels, 5, 42, true);
    expect(folds).toHaveLength(labels.length);
    expect(folds.every((f) => f >= 0 && f < 5)).toBe(true);
    const { sizes, byClass } = tally(labels, folds, 5);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(labels.length);
    expect(spread(sizes)).toBeLessThanOrEqual(1);
    for (const perFold of byClass.values()) expect(spread(perFold)).toBeLessThanOrEqual(1);
  });

  it("is the same for the same seed and differs for another; unstratified folds ignore the labels", () => {
    expect(foldsOf(labels, 5, 42, true)).toEqual(foldsOf(labels, 5, 42, true));
    expect(foldsOf(labels, 5, 43, true)).not.toEqual(foldsOf(labels, 5, 42, true));
    const plain = foldsOf(labels, 4, 42, false);
    expect(plain).toEqual(foldsOf(labels.map(() => "x"), 4, 42, false));
    expect(spread(tally(labels, plain, 4).sizes)).toBeLessThanOrEqual(1);
  });

  it("refuses fewer than two folds", () => {
    expect(() => foldsOf(labels, 1, 42, true)).toThrow(RangeError);
  });
});

describe("sampleForCv: the cost bound", () => {
  it("keeps every row up to the bound, else a seeded stratified sample of about that many", () => {
    expect(sampleForCv(["a", "b", "a"], 10, 1, true)).toEqual([0, 1, 2]);
    const labels = Array.from({ length: 5000 }, (_, i) => (i % 10 === 0 ? "rare" : "common"));
    const sample = sampleForCv(labels, 1000, 42, true);
    expect(sample.length).toBe(1000);
    expect(sample.filter((i) => labels[i] === "rare")).toHaveLength(100);
    expect(new Set(sample).size).toBe(sample.length);
    expect(sampleForCv(labels, 1000, 42, true)).toEqual(sample);
  });
});

describe("crossValidate: pooled out-of-fold scores, as scikit-learn's cross_val_predict", () => {
  const folds = Int32Array.from(reference.folds);

  it("ridge's pooled R² and RMSE equal scikit-learn's on the same folds (not the mean over folds)", () => {
    const cv = crossValidate({ features, target: "y", task: "regression", labels: [], rows: reference.rows, folds, options });
    if (!("r2" in cv.linear)) throw new Error("expected R²");
    expect(cv.linear.r2).toBeCloseTo(reference.ridge.pooledR2, 9);
    expect(cv.linear.rmse).toBeCloseTo(reference.ridge.pooledRmse, 9);
    expect(Math.abs(cv.linear.r2 - reference.ridge.meanFoldR2)).toBeGreaterThan(0.01);
    expect([cv.folds, cv.rows, cv.fitRows]).toEqual([5, 60, [48, 48]]);
  });

  it("logistic regression's pooled accuracy and macro-F1 equal scikit-learn's on the same folds", () => {
    const cv = crossValidate({ features, target: "label", task: "binary", labels: ["high", "low"], rows: reference.rows, folds, options });
    if (!("accuracy" in cv.linear)) throw new Error("expected accuracy");
    expect(cv.linear.accuracy).toBeCloseTo(reference.logistic.pooledAccuracy, 12);
    expect(cv.linear.macroF1).toBeCloseTo(reference.logistic.pooledMacroF1, 12);
  });

  it("the forest's score is the metric over its own per-fold predictions, each row predicted by the fold that left it out", () => {
    const cv = crossValidate({ features, target: "y", task: "regression", labels: [], rows: reference.rows, folds, options });
    const predicted = new Array<number>(reference.rows.length);
    for (let f = 0; f < 5; f++) {
      const held = reference.rows.map((_, i) => i).filter((i) => folds[i] === f);
      const fit = reference.rows.filter((_, i) => folds[i] !== f);
      const out = trainAndPredictBaseline({ features, target: "y", task: "regression", labels: [], train: fit, test: held.map((i) => reference.rows[i]!), options });
      held.forEach((i, j) => (predicted[i] = out.predictions[j] as number));
    }
    expect(cv.forest).toEqual(validationScore("regression", reference.rows.map((r) => r.y ?? null), predicted, []));
  });

  it("scores a single row in sample (nothing to hold out)", () => {
    const one = reference.rows.slice(0, 1);
    const cv = crossValidate({ features, target: "y", task: "regression", labels: [], rows: one, folds: new Int32Array(1), options });
    expect([cv.folds, cv.rows, cv.fitRows]).toEqual([1, 1, [1, 1]]);
  });
});

describe("compareBaselines cross-validates on a sample of at most cvMaxRows rows", () => {
  it("uses cvFolds folds over a seeded sample, says so in the reason, and still fits the final models on every training row", () => {
    const rows = [...reference.rows, ...reference.rows.map((r) => ({ ...r, x0: (r.x0 as number) + 0.01 }))];
    const small = { ...options, cvFolds: 4, cvMaxRows: 50 };
    const result = compareBaselines({ features, target: "label", task: "binary", labels: ["high", "low"], validationSource: rows, train: rows, test: rows.slice(0, 10), options: small });
    expect(result.sourceRows).toBe(120);
    expect(result.validationRows).toBe(50);
    expect(result.folds).toBe(4);
    expect(result.fitRows).toBeGreaterThanOrEqual(37);
    expect(result.fitRows).toBeLessThanOrEqual(38);
    expect(result.reason).toMatch(/in 4-fold cross-validation on 50 training rows \(a seeded sample of the 120\), out-of-fold predictions pooled/);
    expect(result.forest.predictions).toHaveLength(10);
  });
});

describe("large tables score only the first folds, until cvValidationRows rows are scored", () => {
  it("foldsToScore takes folds in turn until their rows reach the floor, and all k below it", () => {
    const folds = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1]);
    expect(foldsToScore(folds, 3, 3)).toBe(1);
    expect(foldsToScore(folds, 3, 4)).toBe(2);
    expect(foldsToScore(folds, 3, 100)).toBe(3);
  });

  it("the pooled scores are the metric over exactly the scored folds' rows, each predicted by the models that left its fold out", () => {
    const folds = Int32Array.from(reference.folds);
    const cv = crossValidate({ features, target: "y", task: "regression", labels: [], rows: reference.rows, folds, options, minValidated: 20 });
    const scored = reference.rows.map((_, i) => i).filter((i) => (folds[i] as number) < cv.scoredFolds);
    expect(cv.scoredFolds).toBe(2);
    expect(cv.rows).toBe(scored.length);
    const predicted = new Map<number, number>();
    for (let f = 0; f < cv.scoredFolds; f++) {
      const held = reference.rows.map((_, i) => i).filter((i) => folds[i] === f);
      const out = trainAndPredictBaseline({ features, target: "y", task: "regression", labels: [], train: reference.rows.filter((_, i) => folds[i] !== f), test: held.map((i) => reference.rows[i]!), options });
      held.forEach((i, j) => predicted.set(i, out.predictions[j] as number));
    }
    expect(cv.forest).toEqual(validationScore("regression", scored.map((i) => reference.rows[i]!.y ?? null), scored.map((i) => predicted.get(i)!), []));
  });

  it("compareBaselines says how many folds it scored, records them, and scores every fold when the table is small", () => {
    const partial = compareBaselines({ features, target: "label", task: "binary", labels: ["high", "low"], validationSource: reference.rows, train: reference.rows, test: reference.rows.slice(0, 5), options: { ...options, cvValidationRows: 20 } });
    expect([partial.folds, partial.scoredFolds, partial.cvRows, partial.validationRows]).toEqual([5, 2, 60, 24]);
    expect(partial.reason).toMatch(/in 5-fold cross-validation on 60 training rows, the first 2 folds scored \(24 rows out of fold/);
    const full = compareBaselines({ features, target: "label", task: "binary", labels: ["high", "low"], validationSource: reference.rows, train: reference.rows, test: reference.rows.slice(0, 5), options });
    expect([full.folds, full.scoredFolds, full.validationRows]).toEqual([5, 5, 60]);
  });
});

describe("the linear model replaces the forest only with a lead above linearMargin standard errors", () => {
  it("pairedDifference: the mean is the accuracy (or R²) difference, with the standard error of the per-row differences", () => {
    const cls = pairedDifference("binary", ["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "a", "b", "a"]);
    expect(cls.mean).toBe(0);
    expect(cls.se).toBeCloseTo(Math.sqrt(2 / 3) / 2, 15);
    const truth = [1, 2, 3, 4, 10];
    const forest = [2, 2, 2, 5, 8];
    const linear = [1, 3, 3, 4, 9];
    const reg = pairedDifference("regression", truth, forest, linear);
    const r2 = (p: number[]) => validationScore("regression", truth, p, []) as { r2: number };
    expect(reg.mean).toBeCloseTo(r2(linear).r2 - r2(forest).r2, 14);
    expect(reg.se).toBeGreaterThan(0);
  });

  it("a lead within the margin keeps the forest and says so; margin 0 lets any lead win", () => {
    const args = { features, target: "y", task: "regression" as const, labels: [], validationSource: reference.rows, train: reference.rows, test: reference.rows.slice(0, 5) };
    const open = compareBaselines({ ...args, options });
    const lead = (open.linear.validation as { r2: number }).r2 - (open.forest.validation as { r2: number }).r2;
    expect(open.difference.mean).toBeCloseTo(lead, 12);
    // Fixture fact: ridge leads on this table (its target is linear in x0, x1).
    expect(lead).toBeGreaterThan(0);
    expect(open.chosen).toBe("linear");
    const wide = compareBaselines({ ...args, options: { ...options, linearMargin: (lead / open.difference.se) * 1.01 } });
    expect(wide.chosen).toBe("random_forest");
    expect(wide.reason).toMatch(/the linear model's lead of [0-9.]+ is within [0-9.]+ standard errors \([0-9.]+\) of the paired difference, so the forest stays/);
    const narrow = compareBaselines({ ...args, options: { ...options, linearMargin: (lead / open.difference.se) * 0.99 } });
    expect(narrow.chosen).toBe("linear");
    expect(narrow.reason).toMatch(/a lead of [0-9.]+, above [0-9.]+ standard errors/);
  });
});

describe("both final models fit on the same rows, at most maxTrainRows", () => {
  it("the linear model's predictions are those of a fit on the forest's seeded sample, not on every training row", () => {
    const capped = { ...options, maxTrainRows: 30 };
    const rows = reference.rows;
    const test = rows.slice(0, 8);
    const result = compareBaselines({ features, target: "y", task: "regression", labels: [], validationSource: rows, train: rows, test, options: capped });
    const sample = baselineTrainRows(rows, capped);
    expect(sample).toHaveLength(30);
    expect(result.forest.forestFit?.trainRows).toBe(30);
    const onSample = trainAndPredictLinear({ features, labels: [], task: "regression", train: sample, test, y: encodeBaselineTarget(sample, "y", "regression", []), options: capped.linear });
    const onAll = trainAndPredictLinear({ features, labels: [], task: "regression", train: rows, test, y: encodeBaselineTarget(rows, "y", "regression", []), options: capped.linear });
    expect(result.linear.predictions).toEqual(onSample.predictions);
    expect(result.linear.predictions).not.toEqual(onAll.predictions);
  });
});
