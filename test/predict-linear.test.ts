/**
 * The saved baseline when the linear model is the baseline (issues 14 and 15): evaluate saves
 * the model it chose, and `tabtune predict` reproduces evaluate's predictions from the file.
 * In process: the saved linear model (logistic binary and multinomial, ridge) read back from
 * its JSON predicts exactly what compareBaselines' fitted model predicted, class probabilities
 * included; a damaged file is refused in one line. As a user runs it: a run on the diabetes
 * table (scikit-learn's diabetes data, test/fixtures/diabetes.csv), where ridge beats the
 * forest in cross-validation, then `tabtune predict` on its test rows.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { TabtuneError } from "../src/errors.js";
import { baselineModelPath, predictBaseline, readBaselineModel, saveBaselineModel, type SaveArgs } from "../src/predictor/baseline-model.js";
import type { BaselineRow, FeatureSpec } from "../src/stats/baseline.js";
import { chosenBaseline, compareBaselines, type BaselineComparison } from "../src/stats/baseline-choice.js";
import { createRng } from "../src/stats/random.js";
import { ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";

const options = { trees: 10, maxDepth: 10, maxFeatures: null, maxTrainRows: 20000, seed: 42, linear: { C: 1, alpha: 1, maxIterations: 1000 }, cvFolds: 5, cvMaxRows: 10000, cvValidationRows: 10000, linearMargin: 0 };

/** A table with every feature kind: numbers (some missing), a category (missing among its levels), a date (some unreadable). */
function mixedRows(n: number, seed: number, target: (x: number, g: string, month: number) => string | number): BaselineRow[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const x = rng() * 10 - 5;
    const g = ["north", "south", "east"][Math.floor(rng() * 3)] as string;
    const month = 1 + Math.floor(rng() * 12);
    return {
      x: i % 17 === 0 ? null : x,
      z: rng(),
      g: i % 23 === 0 ? null : g,
      when: i % 19 === 0 ? "not a date" : `2021-${String(month).padStart(2, "0")}-${String(1 + (i % 28)).padStart(2, "0")}`,
      y: target(x, g, month),
    };
  });
}
const features: FeatureSpec[] = [
  { name: "x", kind: "numeric" },
  { name: "z", kind: "numeric" },
  { name: "g", kind: "categorical" },
  { name: "when", kind: "datetime" },
];

/** Fits both models, saves the LINEAR one (chosen or not) in a fresh run folder and reads it back. */
function saveLinear(task: "binary" | "multiclass" | "regression", labels: string[], rows: BaselineRow[]) {
  const train = rows.slice(0, 200);
  // Test rows with a category and values training never saw.
  const test = [...rows.slice(200), { x: 99, z: null, g: "west", when: "1999-12-31", y: rows[0]?.y ?? null }];
  const comparison = compareBaselines({ features, target: "y", task, labels, validationSource: train, train, test, options });
  const args: SaveArgs = { features, target: "y", task, labels, labelTexts: Object.fromEntries(labels.map((l) => [l, l.toUpperCase()])), train, test, options };
  const runDir = tempDir("tabtune-linear-save-");
  const saved = saveBaselineModel(runDir, args, { kind: "linear", result: comparison.linear });
  expect(saved.path, "path" in saved && saved.path === null ? saved.reason : "").toBe(baselineModelPath(runDir));
  return { comparison, test, runDir, model: readBaselineModel(baselineModelPath(runDir)) };
}

describe("the saved linear baseline predicts what evaluate's fitted model predicted", () => {
  it("binary logistic regression: the same labels and the same positive-class probabilities, bit for bit", () => {
    const rows = mixedRows(260, 3, (x, g) => (x + (g === "south" ? 2 : 0) + Math.sin(x) > 0.5 ? "yes" : "no"));
    const { comparison, test, model } = saveLinear("binary", ["no", "yes"], rows);
    expect(model.kind).toBe("linear");
    expect(model.model.kind === "linear" && model.model.estimator).toBe("logistic");
    expect(model.description).toMatch(/^logistic regression \(L2, C = 1\) on 7 standardized and 4 one-hot columns$/);
    const again = predictBaseline(model, test);
    expect(again.predictions).toEqual(comparison.linear.predictions);
    expect(again.probabilities?.map((p) => p[1])).toEqual(comparison.linear.positiveScores);
    for (const p of again.probabilities ?? []) expect((p[0] as number) + (p[1] as number)).toBeCloseTo(1, 12);
  });

  it("multinomial logistic regression on three classes: the same labels, probabilities that sum to 1", () => {
    const rows = mixedRows(260, 5, (x, g) => (g === "east" ? "c" : x > 0 ? "a" : "b"));
    const { comparison, test, model } = saveLinear("multiclass", ["a", "b", "c"], rows);
    expect(model.model.kind === "linear" && [model.model.estimator, model.model.outputs]).toEqual(["logistic", 3]);
    const again = predictBaseline(model, test);
    expect(again.predictions).toEqual(comparison.linear.predictions);
    expect(again.probabilities).toHaveLength(test.length);
    for (const p of again.probabilities ?? []) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("ridge regression: the same numbers, exactly", () => {
    const rows = mixedRows(260, 7, (x, g, month) => 3 * x + (g === "north" ? 5 : 0) + 0.5 * month);
    const { comparison, test, model } = saveLinear("regression", [], rows);
    expect(model.model.kind === "linear" && [model.model.estimator, model.model.outputs]).toEqual(["ridge", 1]);
    const again = predictBaseline(model, test);
    expect(again.predictions).toEqual(comparison.linear.predictions);
    expect(again.probabilities).toBeNull();
  });

  it("chosenBaseline hands the saver the model the comparison chose: the forest on XOR, saved as a forest", () => {
    const rng = createRng(11);
    const rows: BaselineRow[] = Array.from({ length: 260 }, () => {
      const a = rng() * 2 - 1;
      const b = rng() * 2 - 1;
      return { a, b, y: a * b > 0 ? "same" : "different" };
    });
    const xorFeatures: FeatureSpec[] = [{ name: "a", kind: "numeric" }, { name: "b", kind: "numeric" }];
    const [train, test] = [rows.slice(0, 220), rows.slice(220)];
    const labels = ["different", "same"];
    const comparison = compareBaselines({ features: xorFeatures, target: "y", task: "binary", labels, validationSource: train, train, test, options });
    expect(comparison.chosen).toBe("random_forest");
    const runDir = tempDir("tabtune-forest-save-");
    const saved = saveBaselineModel(runDir, { features: xorFeatures, target: "y", task: "binary", labels, labelTexts: {}, train, test, options }, chosenBaseline(comparison));
    expect(saved.path).toBe(baselineModelPath(runDir));
    const model = readBaselineModel(baselineModelPath(runDir));
    expect(model.kind).toBe("random_forest");
    expect(predictBaseline(model, test).predictions).toEqual(comparison.forest.predictions);
  });

  it("a model that would not reproduce evaluate's predictions is not written", () => {
    const rows = mixedRows(230, 9, (x) => x);
    const train = rows.slice(0, 200);
    const test = rows.slice(200);
    const comparison: BaselineComparison = compareBaselines({ features, target: "y", task: "regression", labels: [], validationSource: train, train, test, options });
    const altered = { ...comparison.linear, predictions: (comparison.linear.predictions as number[]).map((p, i) => (i === 3 ? p + 1e-9 : p)) };
    const runDir = tempDir("tabtune-linear-refused-");
    const saved = saveBaselineModel(runDir, { features, target: "y", task: "regression", labels: [], labelTexts: {}, train, test, options }, { kind: "linear", result: altered });
    expect(saved).toEqual({ path: null, reason: "the saved linear model does not predict what evaluate's did on the test rows" });
    expect(existsSync(baselineModelPath(runDir))).toBe(false);
  });

  it("a damaged file (coefficients missing) is refused in one line naming it, not used", () => {
    const { runDir } = saveLinear("regression", [], mixedRows(230, 13, (x) => 2 * x));
    const path = baselineModelPath(runDir);
    const json = JSON.parse(readFileSync(path, "utf8")) as { model: { coef: number[] } };
    json.model.coef = json.model.coef.slice(1);
    writeFileSync(path, JSON.stringify(json));
    let error: unknown = null;
    try {
      readBaselineModel(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TabtuneError);
    const message = error instanceof Error ? error.message : "";
    expect(message).toBe(`${path}: its linear model needs 1 output(s) and 11 coefficients, it has 1 output(s), 10 coefficients and 1 intercept(s)`);
    expect(message.split("\n")).toHaveLength(1);
  });
});

type Row = Record<string, string>;
const readCsv = (path: string): Row[] => Papa.parse<Row>(readFileSync(path, "utf8"), { header: true, skipEmptyLines: true }).data;

describe("tabtune predict when ridge is the baseline (diabetes)", () => {
  let dir = "";
  let runDir = "";
  let testCsv = "";
  let testRows = 0;
  let runStdout = "";

  /** Every 4th diabetes row held out as the test table, given to the run with --test-csv. */
  beforeAll(() => {
    dir = tempDir("tabtune-predict-linear-");
    const [header, ...rows] = readFileSync(join(ROOT, "test/fixtures/diabetes.csv"), "utf8").trim().split("\n");
    const test = rows.filter((_, i) => i % 4 === 0);
    testRows = test.length;
    const trainCsv = join(dir, "train.csv");
    testCsv = join(dir, "test.csv");
    writeFileSync(trainCsv, [header, ...rows.filter((_, i) => i % 4 !== 0)].join("\n") + "\n");
    writeFileSync(testCsv, [header, ...test].join("\n") + "\n");
    const output = join(dir, "out");
    const run = runCli(["--csv", trainCsv, "--test-csv", testCsv, "--target", "progression", "--output", output, "--yes"]);
    expect(run.code, run.stderr).toBe(0);
    runStdout = run.stdout;
    runDir = join(output, runDirs(output).at(-1) ?? "");
  });

  it("evaluate chooses ridge, saves it, and names it in the terminal summary and the report", () => {
    const results = JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as { baseline: { model: string }; baselineChoice: { chosen: string; savedModel?: string } };
    expect(results.baselineChoice.chosen).toBe("linear");
    expect(results.baselineChoice.savedModel).toBe("linear");
    expect(results.baseline.model).toBe("ridge regression (α = 1)");
    expect(readBaselineModel(join(runDir, "baseline/model.json")).kind).toBe("linear");
    expect(runStdout).toMatch(/^metric +baseline: ridge regression \(α = 1\) +fine-tuned LLM$/m);
    expect(readFileSync(join(runDir, "report.html"), "utf8")).toContain("baseline: ridge regression (α = 1)");
  });

  it("predicts the run's test rows exactly as evaluate's baseline did, naming the linear model", () => {
    const out = join(dir, "test.predictions.csv");
    const run = runCli(["predict", "--run", runDir, "--csv", testCsv]);
    expect(run.code, run.stderr).toBe(0);
    const rows = readCsv(out);
    expect(rows).toHaveLength(testRows);
    const evaluated = readFileSync(join(runDir, "evaluation/baseline_predictions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { predicted: number; truth: number });
    expect(rows.map((r) => Number(r.prediction))).toEqual(evaluated.map((e) => e.predicted));
    expect(rows.map((r) => Number(r.given_progression))).toEqual(evaluated.map((e) => e.truth));
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set(["baseline linear"]));
    expect(run.stdout).toMatch(/model +baseline linear \(ridge regression \(α = 1\) on 10 standardized and 0 one-hot columns; the run has no fine-tuned adapter\)/);
  });
});
