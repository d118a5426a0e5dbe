/**
 * The baseline's features (src/stats/baseline-features.ts) and its forest settings against
 * scikit-learn on the very same split. Reference figures: Debian python3-sklearn 1.2.1,
 * script test/fixtures/baseline-features-reference.py (split: row i is a test row when
 * i % 5 == 0; 100 trees, random_state=42, seeds 0–3 for the spread).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baselineMaxFeatures, chooseBaselineFeatures, dateParts, trainAndPredictBaseline, type BaselineRow, type FeatureSpec } from "../src/stats/baseline.js";
import { featuresPerSplit } from "../src/stats/forest.js";
import { classificationMetrics, regressionMetrics } from "../src/stats/metrics.js";
import { ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";

/** sklearn RandomForestRegressor(max_features=1.0, the default), diabetes: R² 0.4231 (seeds 0–3: 0.4327–0.4585). */
const SKLEARN_DIABETES_R2 = 0.4231;
/** sklearn RandomForestClassifier, seattle weather with the date as ordinal, year, month, weekday, day of year: 0.8567 (seeds 0–3: 0.8567–0.8601). */
const SKLEARN_SEATTLE_DATE_PARTS = 0.8567;
/** Same, the date dropped: 0.8259; the date as a sorted code with unseen → −1 (tabtune before): 0.8020. */
const SKLEARN_SEATTLE_DATE_DROPPED = 0.8259;
/*
 * End to end, `tabtune --csv test/fixtures/seattle_weather.csv --yes` (seed 42; its own stratified
 * split, 1169 train / 292 test rows): the baseline scored 0.7671 with the date as codes (before),
 * 0.8664 with its parts (after); sklearn 1.2.1 RandomForestClassifier(100 trees, random_state=42)
 * on that run's data/train_rows.jsonl and imputed_test.jsonl: 0.8664 with the parts (seeds 0–3
 * 0.8562–0.8664), 0.8425 with the date dropped.
 */

function readCsv(path: string): BaselineRow[] {
  const [head = "", ...lines] = readFileSync(path, "utf8").trim().split("\n");
  const names = head.split(",");
  return lines.map((line) => {
    const row: BaselineRow = {};
    line.split(",").forEach((v, j) => (row[names[j] ?? ""] = v === "" ? null : Number.isFinite(Number(v)) ? Number(v) : v));
    return row;
  });
}
const split = (rows: BaselineRow[]) => ({ train: rows.filter((_, i) => i % 5 !== 0), test: rows.filter((_, i) => i % 5 === 0) });
const options = { trees: 100, maxDepth: 20, maxFeatures: null, maxTrainRows: 20000, seed: 42 };

describe("forest settings as scikit-learn's", () => {
  it("tries all features per split for regression and √p for classes by default", () => {
    expect(baselineMaxFeatures(null, "regression")).toBe(1);
    expect(featuresPerSplit(baselineMaxFeatures(null, "regression"), 5, "regression")).toBe(5);
    expect(featuresPerSplit(baselineMaxFeatures(null, "binary"), 9, "classification")).toBe(3);
    expect(baselineMaxFeatures(0.5, "regression")).toBe(0.5); // configured: as is
  });

  it("scores the diabetes regression within 3 R² points of RandomForestRegressor on the same split", () => {
    const { train, test } = split(readCsv(join(ROOT, "test/fixtures/diabetes.csv")));
    const features: FeatureSpec[] = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"].map((name) => ({ name, kind: "numeric" }));
    const result = trainAndPredictBaseline({ features, target: "progression", task: "regression", labels: [], train, test, options });
    const r2 = regressionMetrics(test.map((r) => Number(r.progression)), result.predictions as number[]).r2;
    // Measured 0.4394 (all p); the forest's old p/3 gave 0.4721 here, sklearn p/3 0.4564: on this noisy table fewer features happen to do better.
    expect(Math.abs(r2 - SKLEARN_DIABETES_R2)).toBeLessThanOrEqual(0.03);
  });
});

describe("dates and unseen categories", () => {
  it("turns an ISO date into days, year, month, weekday (Monday 0) and day of year", () => {
    expect(dateParts("2012-01-02")).toEqual([15341, 2012, 1, 0, 2]);
    expect(dateParts("2016-12-31 12:00")).toEqual([17166.5, 2016, 12, 5, 366]);
    expect(dateParts("2012-02-30")).toBeNull();
    expect(dateParts("yesterday")).toBeNull();
  });

  it("learns from a date column as scikit-learn does from its parts (seattle weather, same split)", () => {
    const { train, test } = split(readCsv(join(ROOT, "test/fixtures/seattle_weather.csv")));
    const labels = [...new Set(train.map((r) => String(r.weather)))].sort();
    const numbers: FeatureSpec[] = ["precipitation", "temp_max", "temp_min", "wind"].map((name) => ({ name, kind: "numeric" }));
    const accuracy = (features: FeatureSpec[]): number => {
      const result = trainAndPredictBaseline({ features, target: "weather", task: "multiclass", labels, train, test, options });
      return classificationMetrics(test.map((r) => String(r.weather)), result.predictions as string[], labels).accuracy;
    };
    const withDate = accuracy([...numbers, { name: "date", kind: "datetime" }]);
    const dropped = accuracy(numbers);
    // Measured: 0.8635 with the date's parts, 0.8294 without it; the date as codes with unseen → −1 gave 0.7986 before.
    expect(Math.abs(withDate - SKLEARN_SEATTLE_DATE_PARTS)).toBeLessThanOrEqual(0.02);
    expect(Math.abs(dropped - SKLEARN_SEATTLE_DATE_DROPPED)).toBeLessThanOrEqual(0.02);
    expect(withDate).toBeGreaterThan(dropped);
  });

  it("sends a category unseen in training down the larger child, not wherever code −1 falls", () => {
    // "a" (10 rows) → 100, "b" (90 rows) → 0; codes a=0, b=1. Old code −1 sat left of "a" and predicted 100.
    const train: BaselineRow[] = Array.from({ length: 100 }, (_, i) => ({ g: i < 10 ? "a" : "b", y: i < 10 ? 100 : 0 }));
    const result = trainAndPredictBaseline({ features: [{ name: "g", kind: "categorical" }], target: "y", task: "regression", labels: [], train, test: [{ g: "c", y: 0 }, { g: "a", y: 100 }], options: { ...options, trees: 20 } });
    const [unseen = Number.NaN, seen = Number.NaN] = result.predictions as number[];
    expect(unseen).toBeLessThan(20);
    expect(seen).toBeGreaterThan(80);
  });
});

describe("which plan columns the baseline uses", () => {
  it("leaves out identifiers and near-unique strings with a reason, keeps dates as dates", () => {
    const columns = [
      { name: "name", kind: "text" as const, distinct: 95, missing: 0 },
      { name: "ticket", kind: "categorical" as const, distinct: 70, missing: 0 },
      { name: "code", kind: "identifier" as const, distinct: 100, missing: 0 },
      { name: "day", kind: "datetime" as const, distinct: 100, missing: 0 },
      { name: "age", kind: "integer" as const, distinct: 40, missing: 5 },
      { name: "city", kind: "categorical" as const, distinct: 4, missing: 0 },
      { name: "member", kind: "boolean" as const, distinct: 2, missing: 0 },
    ];
    const { features, excluded } = chooseBaselineFeatures(columns.map((c) => c.name), columns, 100, 0.5);
    expect(features).toEqual([
      { name: "day", kind: "datetime" },
      { name: "age", kind: "numeric" },
      { name: "city", kind: "categorical" },
      { name: "member", kind: "categorical" },
    ]);
    expect(excluded.map((e) => e.name)).toEqual(["name", "ticket", "code"]);
    expect(excluded[1]?.reason).toMatch(/70 distinct of 100 values \(70% > 50%, profile\.textDistinctRatio\)/);
    expect(excluded[2]?.reason).toMatch(/^identifier/);
  });

  it("logs and records the left-out column end to end, and keeps the date", () => {
    const dir = tempDir();
    const csv = join(dir, "people.csv");
    const surnames = ["Smith", "Jones", "Brown", "Lee", "Garcia", "Khan", "Novak", "Rossi"];
    const lines = ["title,joined,score,plan"];
    for (let i = 0; i < 120; i++) {
      const score = (i * 37) % 100;
      const day = String(1 + (i % 28)).padStart(2, "0");
      lines.push(`Dr ${surnames[i % 8]} no ${i % 80},2020-0${1 + (i % 9)}-${day},${score},${score > 50 ? "gold" : "basic"}`);
    }
    writeFileSync(csv, lines.join("\n") + "\n");
    const output = join(dir, "out");
    const result = runCli(["--csv", csv, "--target", "plan", "--output", output, "--yes"]);
    expect(result.code, result.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(output, runDirs(output)[0] ?? "", "evaluation/results.json"), "utf8")) as { baselineExcluded: { name: string; reason: string }[] };
    // title: 80 distinct of 120 (67% > 50%): free text the plan keeps for the records but the forest does not see.
    expect(results.baselineExcluded.map((e) => e.name)).toEqual(["title"]);
    expect(result.stderr).toMatch(/baseline leaves out title: free text or names: 80 distinct of 120 values/);
    // The report says it too, beside the importances.
    expect(readFileSync(join(output, runDirs(output)[0] ?? "", "report.md"), "utf8")).toMatch(/left out of the baseline: title — free text or names: 80 distinct of 120 values/);
  });
});
