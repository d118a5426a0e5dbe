/**
 * The baseline against an established implementation: on the bundled example, tabtune's
 * random forest is within 3 accuracy points of scikit-learn's on the very same split. The
 * forest is read from results.json's baselineChoice.candidates (the baseline itself is the
 * stronger of the forest and the linear model in cross-validation, so it may be the other).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";

/**
 * sklearn 1.2.1 (Debian bookworm python3-sklearn) RandomForestClassifier(n_estimators=100,
 * random_state=42) on the split `tabtune --csv examples/credit_data.csv --yes` makes with
 * seed 42: fit on run_<ts>/data/train_rows.jsonl (3563 rows), scored on imputed_test.jsonl
 * (891 rows), features encoded as src/stats/baseline.ts encodes them. Script:
 * test/fixtures/rf-reference.py. Result: accuracy 0.8081, macro-F1 0.7375 (random_state
 * 0–3 give 0.7969–0.8036). tabtune's forest measured 0.7901 on the same split (2026-12-04;
 * 0.7969 was recorded by an earlier stop; the main branch already gave 0.7901 when this one began).
 */
const SKLEARN_RF_ACCURACY = 0.8081;

describe("baseline vs scikit-learn on examples/credit_data.csv", () => {
  it("is within 3 accuracy points of sklearn's RandomForestClassifier on the same split", () => {
    const output = join(tempDir(), "credit");
    const result = runCli(["--csv", join(ROOT, "examples/credit_data.csv"), "--output", output, "--yes"]);
    expect(result.code).toBe(0);
    const runDir = join(output, runDirs(output)[0] ?? "");
    const results = JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as {
      trainRows: number;
      testRows: number;
      baseline: { model: string; accuracy: number };
      baselineChoice: { model: string; folds: number; candidates: { kind: string; model: string; chosen: boolean; test: { accuracy: number } }[] };
    };
    expect([results.trainRows, results.testRows]).toEqual([3563, 891]); // the split the reference was computed on
    const forest = results.baselineChoice.candidates.find((c) => c.kind === "random_forest");
    expect(forest?.model).toBe("random forest (100 trees)");
    expect(Math.abs((forest?.test.accuracy ?? 0) - SKLEARN_RF_ACCURACY)).toBeLessThanOrEqual(0.03);
    // `baseline` is the chosen candidate, figure for figure.
    const chosen = results.baselineChoice.candidates.filter((c) => c.chosen);
    expect(chosen.map((c) => c.model)).toEqual([results.baseline.model]);
    expect(chosen[0]?.test.accuracy).toBe(results.baseline.accuracy);
    // The report shows both candidates, which one is the baseline, and why.
    const report = readFileSync(join(runDir, "report.md"), "utf8");
    expect(report).toContain(`metric      baseline: ${results.baseline.model}`);
    expect(report).toMatch(/\| model \| CV accuracy \| CV macro-F1 \| test accuracy \| test macro-F1 \| test ROC-AUC \| baseline \|/);
    for (const c of results.baselineChoice.candidates) expect(report).toMatch(new RegExp(`\\| ${c.model.replace(/[()=]/g, "\\$&")} \\| [0-9.]+ \\| [0-9.]+ \\| ${c.test.accuracy.toFixed(4)} \\[`));
    expect(report.toLowerCase()).toContain(`${results.baselineChoice.model} chosen: accuracy in ${results.baselineChoice.folds}-fold cross-validation on`.toLowerCase());
  });
});
