/**
 * `tabtune predict` as a user runs it: the built CLI as a child process on a finished
 * penguins run that was given its test table (--test-csv), so the rows evaluate scored are
 * exactly the rows of a CSV predict can be handed.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { predictBaseline, readBaselineModel } from "../src/predictor/baseline-model.js";
import { ROOT, runCli, runCliAsync, runDirs, tempDir } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
let dir = "";
let runDir = "";
let testCsv = "";
let header = "";
let testLines: string[] = [];

/** The penguins rows, every 4th one held out as the test table. */
beforeAll(() => {
  dir = tempDir("tabtune-predict-");
  const [first, ...rows] = readFileSync(PENGUINS, "utf8").trim().split("\n");
  header = first ?? "";
  testLines = rows.filter((_, i) => i % 4 === 0);
  const trainCsv = join(dir, "train.csv");
  testCsv = join(dir, "test.csv");
  writeFileSync(trainCsv, [header, ...rows.filter((_, i) => i % 4 !== 0)].join("\n") + "\n");
  writeFileSync(testCsv, [header, ...testLines].join("\n") + "\n");
  const output = join(dir, "out");
  const run = runCli(["--csv", trainCsv, "--test-csv", testCsv, "--output", output, "--yes"]);
  expect(run.code, run.stderr).toBe(0);
  runDir = join(output, runDirs(output).at(-1) ?? "");
});

type Row = Record<string, string>;
const readCsv = (path: string): Row[] => Papa.parse<Row>(readFileSync(path, "utf8"), { header: true, skipEmptyLines: true }).data;

describe("tabtune predict", () => {
  it("predicts every row of the run's test table with the saved baseline, exactly as evaluate did", () => {
    const out = join(dir, "test.predictions.csv");
    const run = runCli(["predict", "--run", runDir, "--csv", testCsv]);
    expect(run.code, run.stderr).toBe(0);
    const rows = readCsv(out);
    expect(rows).toHaveLength(testLines.length);
    expect(rows.map((r) => r.row)).toEqual(testLines.map((_, i) => String(i + 1)));
    // The model column names the saved baseline: the model evaluate chose (results.json's baselineChoice).
    const choice = (JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as { baselineChoice: { chosen: string; savedModel: string } }).baselineChoice;
    expect(choice.savedModel).toBe(choice.chosen);
    expect(new Set(rows.map((r) => r.model))).toEqual(new Set([`baseline ${choice.chosen}`]));
    expect(rows.every((r) => r.status === "ok" && ["Adelie", "Chinstrap", "Gentoo"].includes(r.prediction ?? ""))).toBe(true);
    // The class probabilities sum to 1 and the prediction is the likeliest class.
    for (const r of rows) {
      const p = { Adelie: Number(r.p_Adelie), Chinstrap: Number(r.p_Chinstrap), Gentoo: Number(r.p_Gentoo) };
      expect(p.Adelie + p.Chinstrap + p.Gentoo).toBeCloseTo(1, 9);
      expect(Math.max(p.Adelie, p.Chinstrap, p.Gentoo)).toBe(p[r.prediction as keyof typeof p]);
    }
    // Row for row what evaluate's baseline said on these rows, and so the same accuracy.
    const evaluated = readFileSync(join(runDir, "evaluation/baseline_predictions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { predicted: string; truth: string });
    expect(rows.map((r) => r.prediction)).toEqual(evaluated.map((e) => e.predicted));
    expect(rows.map((r) => r.given_Species)).toEqual(evaluated.map((e) => e.truth));
    const results = JSON.parse(readFileSync(join(runDir, "evaluation/results.json"), "utf8")) as { baseline: { accuracy: number }; testRows: number };
    expect(results.testRows).toBe(testLines.length);
    const right = evaluated.filter((e) => e.predicted === e.truth).length;
    expect(run.stdout).toContain(`baseline   accuracy ${results.baseline.accuracy.toFixed(4)} (${right}/${testLines.length}) against the given Species`);
    expect(run.stdout).toMatch(choice.chosen === "linear" ? /model +baseline linear \(logistic regression \(L2, C = 1, multinomial\) on / : /model +baseline random_forest \(random forest \(100 trees/);
  });

  it("loads the saved model without retraining: its predictions on evaluate's test rows are evaluate's, value for value", () => {
    const model = readBaselineModel(join(runDir, "baseline/model.json"));
    const test = readFileSync(join(runDir, "data/imputed_test.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string | number | null>);
    const evaluated = readFileSync(join(runDir, "evaluation/baseline_predictions.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { predicted: string });
    const again = predictBaseline(model, test);
    expect((again.predictions as string[]).map((raw) => model.labelTexts[raw] ?? raw)).toEqual(evaluated.map((e) => e.predicted));
    const lineage = readFileSync(join(runDir, "lineage.json"), "utf8");
    expect(lineage).toMatch(/baseline\/model\.json/);
  });

  it("new rows without the target, with extra columns: one prediction each, the extra columns listed as ignored", () => {
    const csv = join(dir, "new.csv");
    const cols = header.split(",");
    const species = cols.indexOf("Species");
    const rows = testLines.slice(0, 5).map((line) => [...line.split(",").filter((_, j) => j !== species), "note"].join(","));
    writeFileSync(csv, [[...cols.filter((_, j) => j !== species), "Comment"].join(","), ...rows].join("\n") + "\n");
    const out = join(dir, "new-out.csv");
    const run = runCli(["predict", "--run", runDir, "--csv", csv, "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/ignored +1 column the script does not read: Comment/);
    const predicted = readCsv(out);
    expect(predicted).toHaveLength(5);
    expect(Object.keys(predicted[0] ?? {})).not.toContain("given_Species");
    // The target column does not change the prediction: same rows as in the test table, same answers.
    const withTarget = readCsv(join(dir, "test.predictions.csv")).slice(0, 5);
    expect(predicted.map((r) => r.prediction)).toEqual(withTarget.map((r) => r.prediction));
    expect(predicted.map((r) => r.p_Gentoo)).toEqual(withTarget.map((r) => r.p_Gentoo));

    // An existing --out is never replaced without --force; nothing else is written.
    const again = runCli(["predict", "--run", runDir, "--csv", csv, "--out", out]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim().split("\n")).toHaveLength(1);
    expect(again.stderr).toMatch(/new-out\.csv already exists.*--force/);
  });

  it("a CSV missing a feature exits 1 naming it with did-you-mean, and writes nothing", () => {
    const csv = join(dir, "renamed.csv");
    writeFileSync(csv, [header.replace("Body Mass (g)", "body_mass_g"), ...testLines.slice(0, 3)].join("\n") + "\n");
    const out = join(dir, "renamed-out.csv");
    const run = runCli(["predict", "--run", runDir, "--csv", csv, "--out", out]);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/renamed\.csv lacks the column "Body Mass \(g\)" \(did you mean "body_mass_g"\?\)/);
    expect(existsSync(out)).toBe(false);
  });

  it("--predict-endpoint asks a served model with bounded concurrency; unmatched generations are marked, never guessed", async () => {
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (c: Buffer) => (raw += c.toString()));
      req.on("end", () => {
        calls++;
        inFlight++;
        most = Math.max(most, inFlight);
        const body = JSON.parse(raw) as { messages: { content: string }[] };
        const prompt = body.messages[0]?.content ?? "";
        // Gentoo live on Biscoe; elsewhere the model hedges (no label named).
        const content = prompt.includes("Biscoe") ? "The answer is Gentoo." : "I cannot tell.";
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ choices: [{ message: { role: "assistant", content } }] }));
        }, 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const out = join(dir, "endpoint.csv");
    try {
      const run = await runCliAsync(["predict", "--run", runDir, "--csv", testCsv, "--out", out, "--predict-endpoint", url, "--predict-model", "served", "--predict-concurrency", "3"]);
      expect(run.code, run.stderr).toBe(0);
      expect(calls).toBe(testLines.length);
      expect(most).toBeLessThanOrEqual(3);
      const rows = readCsv(out);
      expect(rows).toHaveLength(testLines.length);
      const biscoe = testLines.map((l) => l.split(",")[1] === "Biscoe");
      rows.forEach((r, i) => {
        expect(r.model).toBe("endpoint served");
        expect(r.status).toBe(biscoe[i] ? "ok" : "unmatched");
        expect(r.prediction).toBe(biscoe[i] ? "Gentoo" : "");
        expect(r.baseline_prediction).toMatch(/^(Adelie|Chinstrap|Gentoo)$/);
      });
      const unmatched = biscoe.filter((b) => !b).length;
      expect(run.stdout).toContain(`unmatched  ${unmatched} generations named no label`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
