/**
 * A report a reviewer can sign (issue 18): the built CLI with --yes --approver --subgroups on
 * the credit example, then the report names the approver and versions, has the calibration,
 * subgroup, drift and importance sections, at least 8 plots, no machine path, and a
 * MODEL_CARD.md; and the Brier score, a PSI and a subgroup accuracy are rebuilt from the
 * run's files with code independent of src/stats.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, runDirs, tempDir } from "./helpers/cli.js";

const CREDIT = join(ROOT, "examples/credit_data.csv");
type Row = Record<string, string | number | null>;
const jsonl = (path: string): Row[] => readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Row);

interface Results {
  testRows: number;
  assessment: {
    calibration: { brier: number; positiveLabel: string };
    subgroups: { column: string; rows: { group: string; n: number; small: boolean; metrics: { name: string; value: number }[] }[] | null }[];
    drift: { feature: string; psi: number; flagged: boolean }[];
    featureImportance: { name: string; importance: number }[];
  };
}

describe("tabtune --yes --approver --subgroups on the credit example", () => {
  let tmp = "";
  let runDir = "";
  let html = "";
  let md = "";
  beforeAll(() => {
    tmp = tempDir();
    const output = join(tmp, "credit");
    const r = runCli(["--csv", CREDIT, "--output", output, "--yes", "--approver", "A Name", "--subgroups", "Marital", "--intended-use", "screening credit applications"]);
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    runDir = join(output, runDirs(output)[0] ?? "");
    html = readFileSync(join(runDir, "report.html"), "utf8");
    md = readFileSync(join(runDir, "report.md"), "utf8");
  }, 180_000);

  it("names the approver on every review answer, and the versions", () => {
    const log = JSON.parse(readFileSync(join(runDir, "log.json"), "utf8")) as { log: { step: string; by: string; decision: string }[] };
    const answers = log.log.filter((e) => e.by === "user");
    expect(answers.length).toBeGreaterThanOrEqual(3);
    for (const a of answers) expect(a.decision).toMatch(/ — approver: A Name$/);
    expect(md).toMatch(/Review answers approved by: A Name\./);
    expect(md).toMatch(/\| review_plan \| user \| A Name \|/);
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    for (const line of [`| tabtune | ${version} |`, `| Node.js | ${process.version} |`, "| @langchain/langgraph | ", "| base model | ", "| LlamaFactory | ", "| seed | 42 |"]) expect(md).toContain(line);
    expect(md).toMatch(/\| config sha256 \| [0-9a-f]{64} \|/);
    expect(md).toMatch(/Intended use: screening credit applications/);
  });

  it("has the sections a model-risk reviewer asks for, at least 8 plots and a print stylesheet", () => {
    for (const title of ["Plan versus applied", "Feature importance", "Calibration and thresholds", "Performance by subgroup", "Train/test drift", "Distributions before and after treatment"]) expect(md).toContain(`## ${title}`);
    expect(md).toMatch(/\| imputation \| Income \| median \| (mean|knn|iterative) \|/); // the plan's hint against the scored choice (which the scoring picks: mean since the bounded imputation budget)
    expect(md).toMatch(/\| model \| class \| precision \| recall \| F1 \| support \(test rows\) \|/);
    expect(md).toMatch(/\| threshold \| TP \| FP \| FN \| TN \|/);
    expect((html.match(/<svg[\s>]/g) ?? []).length).toBeGreaterThanOrEqual(8);
    for (const caption of ["Calibration of the baseline", "Precision-recall curve", "Feature importance of the baseline", "Test performance by Marital", "Train/test drift per feature", "Distribution per feature"]) expect(html).toContain(caption);
    expect(html).toMatch(/@media print\{/);
  });

  it("contains no absolute path of this machine in the report or the model card", () => {
    const card = readFileSync(join(runDir, "MODEL_CARD.md"), "utf8");
    for (const text of [html, md, card]) {
      expect(text).not.toContain(tmp);
      expect(text).not.toContain(ROOT);
      expect(text).not.toMatch(/(?<![\w.:/])\/(?:tmp|work|home|root|Users|var)\//);
    }
    for (const heading of ["## Intended use", "## Data", "## Features", "## Metrics (test rows)", "## Subgroup results", "## Limitations", "## Versions"]) expect(card).toContain(heading);
    expect(card).toMatch(/Income: \d+ training and \d+ test values imputed/);
    expect(card).toMatch(/untested/);
  });

  it("rebuilds the Brier score, a PSI and a subgroup accuracy from the run's files", () => {
    const results = JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as Results;
    const a = results.assessment;
    // Brier: the baseline's score per test row against its truth.
    const preds = jsonl(join(runDir, "evaluation/baseline_predictions.jsonl"));
    expect(preds).toHaveLength(results.testRows);
    const brier = preds.reduce((s, p) => s + (Number(p.score) - (p.truth === a.calibration.positiveLabel ? 1 : 0)) ** 2, 0) / preds.length;
    expect(a.calibration.brier).toBeCloseTo(brier, 12);
    expect(md).toContain(`Brier score ${brier.toFixed(4)}`);
    // PSI of a categorical feature, from the rows split wrote.
    const train = jsonl(join(runDir, "data/split_train.jsonl"));
    const test = jsonl(join(runDir, "data/split_test.jsonl"));
    const share = (rows: Row[], v: string) => rows.filter((r) => (r.Home === null || r.Home === "" ? "missing" : String(r.Home)) === v).length / rows.length;
    const levels = [...new Set([...train, ...test].map((r) => (r.Home === null || r.Home === "" ? "missing" : String(r.Home))))];
    const psi = levels.reduce((s, v) => {
      const e = Math.max(share(train, v), 1e-4);
      const t = Math.max(share(test, v), 1e-4);
      return s + (t - e) * Math.log(t / e);
    }, 0);
    expect(a.drift.find((d) => d.feature === "Home")?.psi).toBeCloseTo(psi, 12);
    expect(md).toContain(`| Home | categorical | ${psi.toFixed(4)} |`);
    // Accuracy of the "married" test rows, from the imputed test rows and the baseline's predictions.
    const imputed = jsonl(join(runDir, "data/imputed_test.jsonl"));
    const married = imputed.map((r, i) => ({ r, p: preds[i] })).filter((x) => x.r.Marital === "married");
    const accuracy = married.filter((x) => x.p?.truth === x.p?.predicted).length / married.length;
    const group = a.subgroups.find((s) => s.column === "Marital")?.rows?.find((g) => g.group === "married");
    expect(group?.n).toBe(married.length);
    expect(group?.metrics[0]?.value).toBeCloseTo(accuracy, 12);
    expect(md).toContain(`| married | ${married.length} | ${accuracy.toFixed(3)} |`);
    expect(a.featureImportance.reduce((s, f) => s + f.importance, 0)).toBeCloseTo(1, 9);
  });
});

describe("--subgroups naming no column", () => {
  it("is a one-line error with did-you-mean before anything is analysed", () => {
    const output = join(tempDir(), "bad-subgroup");
    const r = runCli(["--csv", join(ROOT, "test/fixtures/penguins.csv"), "--output", output, "--yes", "--subgroups", "island"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toEqual([
      'error: --subgroups names "island" (did you mean "Island"?), not a column of ' + join(ROOT, "test/fixtures/penguins.csv") + " — name columns of the training CSV in --subgroups (names are case-sensitive)",
    ]);
  });
});
