/**
 * The saved baseline's check is bounded but real (issue 16): baseline/model.json is written only
 * when the file, read back, predicts exactly what evaluate scored on every test row up to
 * baseline.savedCheckRows, beyond that on a seeded sample of that many; the file says how many
 * rows were checked. A corrupted model, a changed prediction or probability on a checked row,
 * is refused with the reason and nothing is written.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { baselineModelPath, checkedRows, readBaselineModel, saveBaselineModel, type SaveArgs } from "../src/predictor/baseline-model.js";
import type { BaselineRow, FeatureSpec } from "../src/stats/baseline.js";
import { compareBaselines, type BaselineComparison } from "../src/stats/baseline-choice.js";
import { createRng } from "../src/stats/random.js";
import { tempDir } from "./helpers/cli.js";

const options = { trees: 10, maxDepth: 10, maxFeatures: null, maxTrainRows: 20000, seed: 42, linear: { C: 1, alpha: 1, maxIterations: 1000 }, cvFolds: 5, cvMaxRows: 10000, cvValidationRows: 10000, linearMargin: 0 };
const features: FeatureSpec[] = [
  { name: "x", kind: "numeric" },
  { name: "g", kind: "categorical" },
];

/** 300 training and 400 test rows of a noisy binary target; the forest (chosen or not) is what is saved. */
function fitted(): { args: SaveArgs; forest: BaselineComparison["forest"] } {
  const rng = createRng(5);
  const rows: BaselineRow[] = Array.from({ length: 700 }, () => {
    const x = rng() * 4 - 2;
    const g = ["a", "b", "c"][Math.floor(rng() * 3)] as string;
    return { x, g, y: x + (g === "b" ? 1 : 0) + rng() > 0.8 ? "yes" : "no" };
  });
  const [train, test] = [rows.slice(0, 300), rows.slice(300)];
  const labels = ["no", "yes"];
  const comparison = compareBaselines({ features, target: "y", task: "binary", labels, validationSource: train, train, test, options });
  return { args: { features, target: "y", task: "binary", labels, labelTexts: {}, train, test, options, checkRows: 50 }, forest: comparison.forest };
}

describe("the saved baseline's check", () => {
  it("checks every test row up to savedCheckRows, else a seeded sample of that many", () => {
    expect(checkedRows(5, 10, 42)).toEqual([0, 1, 2, 3, 4]);
    const sample = checkedRows(1000, 50, 42);
    expect(sample).toHaveLength(50);
    expect(new Set(sample).size).toBe(50);
    expect(sample).toEqual([...sample].sort((a, b) => a - b));
    expect(sample.every((i) => i >= 0 && i < 1000)).toBe(true);
    expect(checkedRows(1000, 50, 42)).toEqual(sample);
    expect(checkedRows(1000, 50, 43)).not.toEqual(sample);
  });

  it("writes a faithful model and says how many test rows it was checked on", () => {
    const { args, forest } = fitted();
    const runDir = tempDir("tabtune-saved-check-");
    const saved = saveBaselineModel(runDir, args, { kind: "random_forest", result: forest });
    expect(saved).toEqual({ path: baselineModelPath(runDir), checkedRows: 50 });
    expect(readBaselineModel(baselineModelPath(runDir)).checkedOn).toEqual({ testRows: 400, checkedRows: 50, identical: true });
    const everyRow = saveBaselineModel(tempDir("tabtune-saved-check-all-"), { ...args, checkRows: undefined }, { kind: "random_forest", result: forest });
    expect(everyRow.path !== null && everyRow.checkedRows).toBe(400);
  });

  it("refuses a corrupted forest (one tree's class probabilities swapped) and writes nothing", () => {
    const { args, forest } = fitted();
    const fit = forest.forestFit;
    expect(fit).toBeDefined();
    if (!fit) return;
    const [first, ...rest] = fit.forest.trees;
    if (!first) throw new Error("no tree");
    // Leaf values come in (no, yes) pairs per node: swapping them flips that tree's vote on every row.
    const swapped = { ...first, value: first.value.map((_, k) => first.value[k % 2 === 0 ? k + 1 : k - 1] as number) };
    const corrupted = { ...forest, forestFit: { ...fit, forest: { ...fit.forest, trees: [swapped, ...rest] } } };
    const runDir = tempDir("tabtune-saved-corrupt-");
    const saved = saveBaselineModel(runDir, args, { kind: "random_forest", result: corrupted });
    expect(saved.path).toBeNull();
    expect("reason" in saved && saved.reason).toMatch(/^the saved forest('s class probabilities differ from evaluate's| does not predict what evaluate's did) on 50 sampled test rows$/);
    expect(existsSync(baselineModelPath(runDir))).toBe(false);
  });

  it("refuses when one checked row's label or probability differs from what evaluate scored", () => {
    const { args, forest } = fitted();
    const row = checkedRows(400, 50, 42)[17] as number;
    const labels = (forest.predictions as string[]).map((p, i) => (i === row ? (p === "yes" ? "no" : "yes") : p));
    const label = saveBaselineModel(tempDir("tabtune-saved-label-"), args, { kind: "random_forest", result: { ...forest, predictions: labels } });
    expect(label).toEqual({ path: null, reason: "the saved forest does not predict what evaluate's did on 50 sampled test rows" });
    const scores = (forest.positiveScores ?? []).map((s, i) => (i === row ? s + 1e-12 : s));
    const runDir = tempDir("tabtune-saved-score-");
    const score = saveBaselineModel(runDir, args, { kind: "random_forest", result: { ...forest, positiveScores: scores } });
    expect(score).toEqual({ path: null, reason: "the saved forest's class probabilities differ from evaluate's on 50 sampled test rows" });
    expect(existsSync(baselineModelPath(runDir))).toBe(false);
  });
});
