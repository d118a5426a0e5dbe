import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fitColumnEncoder, trainAndPredictBaseline, type BaselineRow, type FeatureSpec } from "../src/stats/baseline.js";
import { TabtuneError } from "../src/errors.js";
import { classificationMetrics, regressionMetrics, rocAuc } from "../src/stats/metrics.js";
import { createRng } from "../src/stats/random.js";
import { testMask } from "../src/stats/split.js";

/** Reads a clean fixture CSV (no quoted commas): empty → null, numeric text → number. */
function readCsv(path: string): { header: string[]; rows: BaselineRow[] } {
  const lines = readFileSync(new URL(path, import.meta.url), "utf8").trim().split("\n");
  const header = (lines[0] ?? "").split(",");
  const rows = lines.slice(1).map((line) => {
    const cells = line.split(",");
    const row: BaselineRow = {};
    header.forEach((h, j) => {
      const v = cells[j] ?? "";
      row[h] = v === "" ? null : Number.isNaN(Number(v)) ? v : Number(v);
    });
    return row;
  });
  return { header, rows };
}

/** 80/20 stratified split with the pipeline's own seeded splitter. */
function stratifiedSplit(rows: BaselineRow[], target: string, seed: number): { train: BaselineRow[]; test: BaselineRow[] } {
  const mask = testMask(rows.map((r) => String(r[target])), 0.2, seed, true);
  return { train: rows.filter((_, i) => !mask[i]), test: rows.filter((_, i) => mask[i]) };
}

const options = { trees: 100, maxDepth: 20, maxFeatures: null, maxTrainRows: 20000, seed: 42 };

describe("trainAndPredictBaseline on credit_data (modeldata 1.1.0, same data as examples/)", () => {
  const { header, rows } = readCsv("../examples/credit_data.csv");
  const labelled = rows.filter((r) => r.Status !== null);
  const { train, test } = stratifiedSplit(labelled, "Status", 42);
  const categorical = new Set(["Home", "Marital", "Records", "Job"]);
  const features: FeatureSpec[] = header.slice(1).map((name) => ({ name, kind: categorical.has(name) ? "categorical" : "numeric" }));

  it("is about as accurate as scikit-learn's forest, and fast", () => {
    const started = Date.now();
    const result = trainAndPredictBaseline({ features, target: "Status", task: "binary", labels: ["bad", "good"], train, test, options });
    const seconds = (Date.now() - started) / 1000;
    const yTrue = test.map((r) => String(r.Status));
    const metrics = classificationMetrics(yTrue, result.predictions as string[], ["bad", "good"]);
    const auc = rocAuc(yTrue.map((y) => y === "good"), result.positiveScores ?? []);
    // Reference on this exact split (test indices exported from this helper), same encoding
    // (median imputation, sorted ordinal codes): sklearn 1.2.1 RandomForestClassifier(
    // n_estimators=100, max_depth=20), random_state 42..46 → accuracy 0.792–0.806 (mean 0.799),
    // macro-F1 mean 0.726, AUC mean 0.843. INDEX.md's 0.820 is on sklearn's own split.
    expect(test.length).toBe(891);
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.77);
    expect(metrics.macroF1).toBeGreaterThanOrEqual(0.68);
    expect(auc).toBeGreaterThanOrEqual(0.8);
    expect(seconds).toBeLessThan(20);
    console.log(`credit_data baseline: accuracy ${metrics.accuracy.toFixed(3)}, macro-F1 ${metrics.macroF1.toFixed(3)}, AUC ${auc.toFixed(3)}, ${seconds.toFixed(1)} s`);
  });

  it("is deterministic for a seed and reports feature importance summing to 1", () => {
    const small = { ...options, trees: 10 };
    const a = trainAndPredictBaseline({ features, target: "Status", task: "binary", labels: ["bad", "good"], train, test, options: small });
    const b = trainAndPredictBaseline({ features, target: "Status", task: "binary", labels: ["bad", "good"], train, test, options: small });
    expect(a).toEqual(b);
    const importance = a.featureImportance ?? [];
    expect(importance).toHaveLength(features.length);
    expect(importance.reduce((s, f) => s + f.importance, 0)).toBeCloseTo(1, 10);
    for (let i = 1; i < importance.length; i++) expect(importance[i - 1]!.importance).toBeGreaterThanOrEqual(importance[i]!.importance);
  });
});

describe("trainAndPredictBaseline on other fixtures", () => {
  it("multiclass penguins: near-perfect like sklearn (acc 1.000 in INDEX.md)", () => {
    const { header, rows } = readCsv("./fixtures/penguins.csv");
    const target = header[0] ?? "";
    const labelled = rows.filter((r) => r[target] !== null);
    const { train, test } = stratifiedSplit(labelled, target, 42);
    const labels = [...new Set(labelled.map((r) => String(r[target])))].sort();
    const features: FeatureSpec[] = header.slice(1).map((name) => ({ name, kind: typeof labelled.find((r) => r[name] !== null)?.[name] === "number" ? "numeric" : "categorical" }));
    const result = trainAndPredictBaseline({ features, target, task: "multiclass", labels, train, test, options });
    expect(result.positiveScores).toBeNull();
    expect(classificationMetrics(test.map((r) => String(r[target])), result.predictions as string[], labels).accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("regression learns a noiseless function", () => {
    const rng = createRng(3);
    const rows: BaselineRow[] = Array.from({ length: 600 }, () => {
      const x = rng() * 10;
      const g = rng() < 0.5 ? "a" : "b";
      return { x, g, y: (g === "a" ? 0 : 20) + 3 * x };
    });
    const result = trainAndPredictBaseline({
      features: [{ name: "x", kind: "numeric" }, { name: "g", kind: "categorical" }],
      target: "y", task: "regression", labels: [], train: rows.slice(0, 500), test: rows.slice(500), options: { ...options, trees: 30 },
    });
    const m = regressionMetrics(rows.slice(500).map((r) => r.y as number), result.predictions as number[]);
    expect(m.r2).toBeGreaterThan(0.98);
    expect(result.featureImportance?.map((f) => f.name)).toEqual(["g", "x"]);
  });

  it("rejects a training label outside the mapping and a missing target", () => {
    const base = { features: [{ name: "x", kind: "numeric" as const }], target: "y", task: "binary" as const, labels: ["no", "yes"], test: [], options };
    expect(() => trainAndPredictBaseline({ ...base, train: [{ x: 1, y: "no" }, { x: 2, y: "maybe" }] })).toThrow(TabtuneError);
    expect(() => trainAndPredictBaseline({ ...base, train: [{ x: 1, y: "no" }, { x: 2, y: null }] })).toThrow(/no value for the target/);
  });
});

describe("fitColumnEncoder", () => {
  it("imputes the training median and codes categories from training only", () => {
    expect(fitColumnEncoder("numeric", [1, null, 3, 10])(null)).toBe(3);
    expect(fitColumnEncoder("numeric", [1, "2", "x"])("4")).toBe(4);
    const cat = fitColumnEncoder("categorical", ["b", "a", null]);
    expect([cat("a"), cat("b"), cat(null), cat("c")]).toEqual([1, 2, 0, Number.NaN]); // unseen: the one "unseen" code (forest.ts sends it to the larger child)
  });
});
