/**
 * The linear baseline against scikit-learn, and the cross-validated choice between it and the forest
 * (the folds themselves and the pooled scores against scikit-learn: test/baseline-cv.test.ts).
 *
 * Reference figures: test/fixtures/reference/linear-reference.json, written by
 * `/usr/bin/python3 test/fixtures/reference/linear-reference.py > test/fixtures/reference/linear-reference.json`
 * with scikit-learn 1.2.1 / numpy 1.24.2 (Debian bookworm python3-sklearn): LogisticRegression(C=1.0)
 * — multinomial for penguins' 3 classes — fitted by an exact Newton solver (newton-cholesky for
 * binary, newton-cg for multinomial: "coef", "intercept", …) and by lbfgs (tol=1e-10, under
 * "lbfgs"; scipy stops it on a relative decrease of 64 ε, which on credit_data leaves one-hot
 * coefficients up to 2e-3 from the optimum, so it is asserted more loosely), and
 * Ridge(alpha=1.0), on the design the script builds as linear.ts does (training medians,
 * StandardScaler, OneHotEncoder with sorted training levels, handle_unknown="ignore"); test rows
 * are those at 0-based index i % 5 == 0. The headline figures are repeated inline below.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { encodeBaselineTarget, type BaselineRow, type FeatureSpec } from "../src/stats/baseline.js";
import { compareBaselines } from "../src/stats/baseline-choice.js";
import { minimizeLbfgs } from "../src/stats/lbfgs.js";
import { fitLinearEncoder, fitLogistic, fitRidge, predictLogistic, predictRidge, trainAndPredictLinear } from "../src/stats/linear.js";
import { classificationMetrics, regressionMetrics } from "../src/stats/metrics.js";
import { baselineBlocks } from "../src/report/baseline-section.js";
import type { EvaluationResult } from "../src/state.js";
import { createRng } from "../src/stats/random.js";

interface LogisticFit {
  solver: string;
  coef: number[][];
  intercept: number[];
  testAccuracy: number;
  testProbabilities: number[][];
}
interface ClassificationReference extends LogisticFit {
  path: string;
  target: string;
  features: [string, FeatureSpec["kind"]][];
  labels: string[];
  columns: string[];
  trainRows: number;
  testRows: number;
  lbfgs: LogisticFit;
}
interface RegressionReference {
  path: string;
  target: string;
  features: [string, FeatureSpec["kind"]][];
  columns: string[];
  trainRows: number;
  testRows: number;
  coef: number[];
  intercept: number;
  testR2: number;
  testPredictions: number[];
}
const reference = JSON.parse(readFileSync(new URL("fixtures/reference/linear-reference.json", import.meta.url), "utf8")) as {
  tool: string;
  penguins: ClassificationReference;
  credit: ClassificationReference;
  seattle: RegressionReference;
  diabetes: RegressionReference;
};

/** Reads a clean fixture CSV (no quoted commas) as the reference script does: "" → null, numeric text → number. */
function readCsv(path: string): BaselineRow[] {
  const lines = readFileSync(new URL(`../${path}`, import.meta.url), "utf8").trim().split("\n");
  const header = (lines[0] ?? "").split(",");
  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    const row: BaselineRow = {};
    header.forEach((h, j) => {
      const v = cells[j] ?? "";
      row[h] = v === "" ? null : Number.isNaN(Number(v)) ? v : Number(v);
    });
    return row;
  });
}

/** The reference split: rows with a target; index % 5 == 0 is a test row. */
function load(ref: { path: string; target: string; features: [string, FeatureSpec["kind"]][] }) {
  const rows = readCsv(ref.path).filter((r) => r[ref.target] !== null);
  return {
    train: rows.filter((_, i) => i % 5 !== 0),
    test: rows.filter((_, i) => i % 5 === 0),
    features: ref.features.map(([name, kind]): FeatureSpec => ({ name, kind })),
  };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

describe("standardization against scikit-learn 1.2.1 StandardScaler (test/fixtures/reference/linear-scaling.py)", () => {
  const scaling = JSON.parse(readFileSync(new URL("fixtures/reference/linear-scaling.json", import.meta.url), "utf8")) as Record<
    "penguins" | "credit" | "seattle" | "diabetes",
    { path: string; target: string; features: string[]; trainRows: number; means: number[]; scales: number[] }
  >;
  for (const name of ["penguins", "credit", "seattle", "diabetes"] as const) {
    it(`${name}: the training means and population sds of the median-filled numbers`, () => {
      const ref = scaling[name];
      const { train, features } = load({ ...ref, features: ref.features.map((f): [string, FeatureSpec["kind"]] => [f, "numeric"]) });
      expect(train.length).toBe(ref.trainRows);
      const fitted = fitLinearEncoder(features, train).scaling;
      expect(fitted.map((s) => s.name)).toEqual(ref.features);
      fitted.forEach((s, k) => {
        // Compensated means (stats/kernel.ts) and numpy's pairwise sums agree to ~1e-14 relative.
        expect(Math.abs((s.means[0] as number) - (ref.means[k] as number))).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(ref.means[k] as number)));
        expect(Math.abs((s.scales[0] as number) - (ref.scales[k] as number))).toBeLessThanOrEqual(1e-13 * (ref.scales[k] as number));
      });
    });
  }
});

describe("logistic regression against scikit-learn 1.2.1 LogisticRegression(C=1.0, lbfgs)", () => {
  for (const [name, accuracy] of [["penguins", 1.0], ["credit", 0.7901234567901234]] as const) {
    it(`${name}: same design columns, coefficients, probabilities and test accuracy (${accuracy})`, () => {
      const ref = reference[name];
      expect(ref.testAccuracy).toBe(accuracy);
      const { train, test, features } = load(ref);
      expect([train.length, test.length]).toEqual([ref.trainRows, ref.testRows]);
      const encoder = fitLinearEncoder(features, train);
      expect(encoder.columns).toEqual(ref.columns);
      const y = encodeBaselineTarget(train, ref.target, ref.labels.length === 2 ? "binary" : "multiclass", ref.labels);
      if (y.kind !== "classification") throw new Error("expected class codes");
      // The design fitting made of the training rows is the one encode() makes of them.
      expect(encoder.train).toEqual(encoder.encode(train));
      const model = fitLogistic(encoder.train, y.y, y.classes, 1.0, 1000);
      expect(model.converged).toBe(true);
      const probabilities = predictLogistic(model, encoder.encode(test.slice(0, 5)));
      for (const [fit, tolerance] of [[ref as LogisticFit, 1e-5], [ref.lbfgs, 5e-3]] as const) {
        // sklearn's coef_ is outputs × columns; ours columns × outputs.
        expect([fit.coef.length, fit.coef[0]?.length]).toEqual([model.outputs, ref.columns.length]);
        const transposed = ref.columns.flatMap((_, c) => fit.coef.map((row) => row[c] as number));
        expect(maxAbsDiff(model.coef, transposed), fit.solver).toBeLessThan(tolerance);
        // Multinomial intercepts are defined up to a shared constant: compare them centered.
        const centered = (v: ArrayLike<number>) => Array.from(v, (x) => x - (v.length > 1 ? Array.from(v).reduce((s, t) => s + t, 0) / v.length : 0));
        expect(maxAbsDiff(centered(model.intercept), centered(fit.intercept)), fit.solver).toBeLessThan(tolerance);
        expect(maxAbsDiff(probabilities, fit.testProbabilities.flat()), fit.solver).toBeLessThan(tolerance);
        expect(fit.testAccuracy).toBe(accuracy);
      }

      const result = trainAndPredictLinear({ features, labels: ref.labels, task: ref.labels.length === 2 ? "binary" : "multiclass", train, y, test, options: { C: 1, alpha: 1, maxIterations: 1000 } });
      const correct = (result.predictions as string[]).filter((p, i) => p === String(test[i]?.[ref.target])).length;
      expect(correct / test.length).toBeCloseTo(ref.testAccuracy, 12);
      if (ref.labels.length === 2) expect(result.positiveScores?.slice(0, 5)).toEqual(Array.from({ length: 5 }, (_, i) => probabilities[2 * i + 1]));
    });
  }
});

describe("ridge regression against scikit-learn 1.2.1 Ridge(alpha=1.0)", () => {
  for (const [name, r2] of [["seattle", 0.8500865628368108], ["diabetes", 0.5199616564554251]] as const) {
    it(`${name}: coefficients, intercept and test R² (${r2.toFixed(4)}), by Cholesky and by L-BFGS`, () => {
      const ref = reference[name];
      expect(ref.testR2).toBe(r2);
      const { train, test, features } = load(ref);
      const encoder = fitLinearEncoder(features, train);
      expect(encoder.columns).toEqual(ref.columns);
      const y = Float64Array.from(train, (r) => Number(r[ref.target]));
      const X = encoder.train;
      expect(X).toEqual(encoder.encode(train));
      const exact = fitRidge(X, y, 1.0, { maxIterations: 1000 });
      expect(exact.solver).toBe("cholesky");
      expect(maxAbsDiff(exact.coef, ref.coef)).toBeLessThan(1e-8 * Math.max(1, ...ref.coef.map(Math.abs)));
      expect(exact.intercept).toBeCloseTo(ref.intercept, 8);
      const predicted = Array.from(predictRidge(exact, encoder.encode(test)));
      expect(maxAbsDiff(predicted.slice(0, 5), ref.testPredictions)).toBeLessThan(1e-8 * Math.max(1, Math.abs(ref.intercept)));
      expect(regressionMetrics(test.map((r) => Number(r[ref.target])), predicted).r2).toBeCloseTo(ref.testR2, 10);

      // The wide-design path (forced here) reaches the same optimum.
      const iterative = fitRidge(X, y, 1.0, { exactUpTo: 0, maxIterations: 5000 });
      expect(iterative.solver).toBe("lbfgs");
      expect(iterative.converged).toBe(true);
      expect(maxAbsDiff(iterative.coef, ref.coef)).toBeLessThan(1e-5 * Math.max(1, ...ref.coef.map(Math.abs)));
    });
  }

  it("a category level never seen in training is all zeros (handle_unknown='ignore'), not an error", () => {
    const train: BaselineRow[] = Array.from({ length: 40 }, (_, i) => ({ g: i % 2 === 0 ? "a" : "b", x: i, y: (i % 2 === 0 ? 10 : 20) + i }));
    const features: FeatureSpec[] = [{ name: "g", kind: "categorical" }, { name: "x", kind: "numeric" }];
    const encoder = fitLinearEncoder(features, train);
    const X = encoder.encode([{ g: "zzz", x: 3 }]);
    expect(X.codes[0]?.[0]).toBe(-1);
    const model = fitRidge(encoder.encode(train), Float64Array.from(train, (r) => Number(r.y)), 1, { maxIterations: 100 });
    const [unseen] = predictRidge(model, X);
    const [a] = predictRidge(model, encoder.encode([{ g: "a", x: 3 }]));
    const [b] = predictRidge(model, encoder.encode([{ g: "b", x: 3 }]));
    expect(unseen).toBeGreaterThan(a as number);
    expect(unseen).toBeLessThan(b as number);
  });
});

describe("L-BFGS", () => {
  it("finds the Rosenbrock minimum at (1, 1)", () => {
    const fit = minimizeLbfgs(
      (x, g) => {
        const [a, b] = [x[0] as number, x[1] as number];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      Float64Array.from([-1.2, 1]),
      { maxIterations: 500, gradientTolerance: 1e-10 },
    );
    expect(fit.converged).toBe(true);
    expect(fit.x[0]).toBeCloseTo(1, 6);
    expect(fit.x[1]).toBeCloseTo(1, 6);
  });
});

describe("compareBaselines: the stronger in cross-validation on the training rows is the baseline", () => {
  const options = { trees: 50, maxDepth: 20, maxFeatures: null, maxTrainRows: 20000, seed: 42, linear: { C: 1, alpha: 1, maxIterations: 1000 }, cvFolds: 5, cvMaxRows: 10000, cvValidationRows: 10000, linearMargin: 0 };
  const rng = createRng(7);
  const noise = () => rng() - 0.5;

  it("picks ridge when the target is linear in many features (forests extrapolate poorly), and says why", () => {
    const rows: BaselineRow[] = Array.from({ length: 150 }, () => {
      const row: BaselineRow = {};
      let y = 0;
      for (let j = 0; j < 8; j++) {
        const x = rng() * 10;
        row[`x${j}`] = x;
        y += (j + 1) * x;
      }
      row.y = y + noise();
      return row;
    });
    const features: FeatureSpec[] = Array.from({ length: 8 }, (_, j) => ({ name: `x${j}`, kind: "numeric" }));
    const result = compareBaselines({ features, target: "y", task: "regression", labels: [], validationSource: rows.slice(0, 120), train: rows.slice(0, 120), test: rows.slice(120), options });
    expect(result.chosen).toBe("linear");
    expect(result.metric).toBe("r2");
    // 5 folds of the 120 training rows (24 each): every row scored once, out of fold, by models fitted on the other 96.
    expect([result.folds, result.fitRows, result.validationRows, result.sourceRows]).toEqual([5, 96, 120, 120]);
    const [lin, rf] = [result.linear.validation, result.forest.validation];
    if (!("r2" in lin) || !("r2" in rf)) throw new Error("expected R²");
    expect(lin.r2).toBeGreaterThan(0.99);
    expect(lin.r2).toBeGreaterThan(rf.r2);
    expect(result.reason).toBe(
      `ridge regression (α = 1) chosen: R² in 5-fold cross-validation on 120 training rows, out-of-fold predictions pooled (each fold's models fitted on the other 96) ${lin.r2.toFixed(4)} against ${rf.r2.toFixed(4)} for the forest`,
    );
    expect(result.linear.predictions).toHaveLength(30);
    expect(result.forest.featureImportance).not.toBeNull();
  });

  it("picks the forest on an interaction no linear model can draw (XOR), stratifying the folds by class", () => {
    const rows: BaselineRow[] = Array.from({ length: 300 }, () => {
      const a = rng() * 2 - 1;
      const b = rng() * 2 - 1;
      return { a, b, label: a * b > 0 ? "same" : "different" };
    });
    const features: FeatureSpec[] = [{ name: "a", kind: "numeric" }, { name: "b", kind: "numeric" }];
    const train = rows.slice(0, 250);
    const result = compareBaselines({ features, target: "label", task: "binary", labels: ["different", "same"], validationSource: train, train, test: rows.slice(250), options });
    expect(result.chosen).toBe("random_forest");
    const [lin, rf] = [result.linear.validation, result.forest.validation];
    if (!("accuracy" in lin) || !("accuracy" in rf)) throw new Error("expected accuracy");
    expect(rf.accuracy).toBeGreaterThan(0.85);
    expect(lin.accuracy).toBeLessThan(0.7);
    expect([result.folds, result.fitRows, result.validationRows]).toEqual([5, 200, 250]);
    expect(result.reason).toMatch(/^random forest \(50 trees\) chosen: accuracy in 5-fold cross-validation on 250 training rows, out-of-fold predictions pooled \(each fold's models fitted on the other 200\)/);
    expect(result.linear.positiveScores).toHaveLength(50);
    // Seeded: the same inputs give the same choice and predictions.
    const again = compareBaselines({ features, target: "label", task: "binary", labels: ["different", "same"], validationSource: train, train, test: rows.slice(250), options });
    expect(again.forest.predictions).toEqual(result.forest.predictions);
    expect(again.linear.positiveScores).toEqual(result.linear.positiveScores);
  });
});

describe("the report's baseline blocks (src/report/baseline-section.ts)", () => {
  const metrics = classificationMetrics(["a", "b", "a"], ["a", "b", "b"], ["a", "b"]);
  const write = (results: unknown): string => {
    const path = join(mkdtempSync(join(tmpdir(), "tabtune-baseline-")), "results.json");
    writeFileSync(path, JSON.stringify(results));
    return path;
  };
  const evaluation = (path: string): EvaluationResult => ({ results: { path, sha256: "0", bytes: 0, rows: null }, baseline: metrics, llm: null, llmSource: null });

  const candidate = (kind: string, model: string, chosen: boolean, accuracy: number) => ({ kind, model, chosen, validation: { accuracy, macroF1: accuracy }, test: { ...metrics, rocAuc: null } });
  const candidates = [candidate("random_forest", "random forest (100 trees)", false, 1 / 3), { ...candidate("linear", "logistic regression (L2, C = 1)", true, 2 / 3), converged: true }];

  it("heads the table with the chosen model and lists both candidates' cross-validated and test scores, NaN figures (null in JSON) as —", () => {
    const path = write({
      baselineChoice: {
        chosen: "linear",
        model: "logistic regression (L2, C = 1)",
        reason:
          "logistic regression (L2, C = 1) chosen: accuracy in 5-fold cross-validation on 40 training rows (a seeded sample of the 90), out-of-fold predictions pooled (each fold's models fitted on the other 32) 0.6667 against 0.3333 for the forest",
        metric: "accuracy",
        folds: 5,
        fitRows: 32,
        validationRows: 40,
        sourceRows: 90,
        candidates,
        savedModel: "random_forest",
      },
    });
    const blocks = baselineBlocks(evaluation(path));
    expect(blocks[0]).toEqual({ pre: expect.stringMatching(/^metric +baseline: logistic regression \(L2, C = 1\) +fine-tuned LLM\n/) });
    expect(blocks[1]).toEqual({ p: expect.stringContaining("cross-validated on the training rows before balancing: 5 seeded folds of 40 rows, a seeded sample of the 90, each row scored once") });
    expect(blocks[1]).toEqual({ p: expect.stringContaining("Logistic regression (L2, C = 1) chosen: accuracy in 5-fold cross-validation on 40 training rows") });
    expect(blocks[2]).toEqual({
      table: {
        head: ["model", "CV accuracy", "CV macro-F1", "test accuracy", "test macro-F1", "test ROC-AUC", "baseline"],
        rows: [
          ["random forest (100 trees)", "0.3333", "0.3333", "0.6667", metrics.macroF1.toFixed(4), "—", ""],
          ["logistic regression (L2, C = 1)", "0.6667", "0.6667", "0.6667", metrics.macroF1.toFixed(4), "—", "chosen"],
        ],
      },
    });
    expect(blocks[3]).toEqual({ note: "baseline/model.json (tabtune predict) holds the random forest, not the chosen model." });
  });

  it("reads a results.json of the one-fold choice (validationRatio, before cross-validation) as it was written", () => {
    const path = write({
      baselineChoice: {
        chosen: "linear",
        model: "logistic regression (L2, C = 1)",
        reason: "logistic regression (L2, C = 1) chosen: accuracy on a validation fold of 3 training rows (each fitted on the other 9) 0.6667 against 0.3333 for the forest",
        metric: "accuracy",
        validationRatio: 0.2,
        fitRows: 9,
        validationRows: 3,
        candidates,
      },
    });
    const blocks = baselineBlocks(evaluation(path));
    expect(blocks).toHaveLength(3);
    expect(blocks[1]).toEqual({ p: expect.stringContaining("scored on a seeded validation fold of the training rows (20%, 3 rows, before balancing; fitted on the other 9)") });
    expect(blocks[2]).toMatchObject({ table: { head: ["model", "validation accuracy", "validation macro-F1", "test accuracy", "test macro-F1", "test ROC-AUC", "baseline"] } });
  });

  it("reads a results.json written before the linear baseline: the metrics table alone", () => {
    const blocks = baselineBlocks(evaluation(write({ baseline: { model: "random forest (100 trees)", ...metrics } })));
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toEqual({ pre: expect.stringMatching(/^metric +baseline +fine-tuned LLM\n/) });
  });
});
