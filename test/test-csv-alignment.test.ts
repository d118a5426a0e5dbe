/**
 * Made-up test data (issue 12, point 7): a --test-csv lacking a kept feature (or with it
 * renamed) and a test ratio leaving too few training rows stop the run before the split
 * writes, with one line naming the file, the column or class, and what to do. The column
 * rule is the one `tabtune apply` uses. The CLI runs as a child process, as a user runs it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TabtuneError } from "../src/errors.js";
import { closestName, missingColumns, requireColumns } from "../src/table/alignment.js";
import { largestSafeRatio, requireTrainRows, testMask, testRowsOf, trainShortfalls } from "../src/stats/split.js";
import { ROOT, runCli, runDirs, tempDir, type CliResult } from "./helpers/cli.js";

const PENGUINS = join(ROOT, "test/fixtures/penguins.csv");
const BODY_MASS = "Body Mass (g)";

/** Every file named `name` under `dir`, at any depth. */
function filesNamed(dir: string, name: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...filesNamed(path, name));
    else if (entry === name) found.push(path);
  }
  return found;
}

/** The TabtuneError `run` throws (the test fails when it throws nothing or something else). */
function thrown(run: () => void): TabtuneError {
  try {
    run();
  } catch (error) {
    if (error instanceof TabtuneError) return error;
    throw error;
  }
  throw new Error("expected a TabtuneError, none was thrown");
}

/** The one `error:` line of a failed run; no stack trace. */
function errorLine(result: CliResult): string {
  expect(result.code).toBe(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  const lines = result.stderr.split("\n").filter((l) => l.startsWith("error:"));
  expect(lines).toHaveLength(1);
  return lines[0] ?? "";
}

/** Every 5th penguin as a test CSV, with `edit` applied to the header cells (null: drop the column). */
function penguinTestCsv(dir: string, name: string, edit: (column: string) => string | null): string {
  const [header = "", ...rows] = readFileSync(PENGUINS, "utf8").trim().split("\n");
  // The fixture has no quoted cells, so a split on "," is its parse.
  const names = header.split(",");
  const keep = names.map((n) => edit(n) !== null);
  const line = (cells: string[]) => cells.filter((_, i) => keep[i]).join(",");
  const text = [line(names.map((n) => edit(n) ?? n)), ...rows.filter((_, i) => i % 5 === 0).map((r) => line(r.split(",")))].join("\n") + "\n";
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("the column rule shared by --test-csv and apply", () => {
  it("suggests the header column a required one was renamed to, never a training column that is what it says", () => {
    expect(closestName("Body Mass (g)", ["Island", "body_mass_g"])).toBe("body_mass_g");
    expect(closestName("Body Mass (g)", ["BodyMass", "Island"])).toBe("BodyMass");
    expect(closestName("Income", ["Debt", "income_usd"])).toBe("income_usd");
    expect(closestName("Seniority", ["Senority"])).toBe("Senority");
    expect(closestName("Age", ["Job", "Price"])).toBe(null);
    expect(missingColumns(["age", "Status", "Home"], ["Age", "Status"], ["Age", "Status", "Home"])).toEqual([{ column: "Age", didYouMean: "age" }]);
    // "home" is a training column of its own: not offered for the missing "Home2".
    expect(missingColumns(["home"], ["Home2"], ["Home2", "home"])).toEqual([{ column: "Home2", didYouMean: null }]);
  });

  it("throws one TabtuneError naming the file, each column with its did-you-mean, and a rename", () => {
    const e = thrown(() =>
      requireColumns({ code: "x", file: "t.csv", header: ["age", "Status"], required: ["Age", "Debt", "Status"], role: "the plan keeps", otherwise: (_, renamed) => (renamed ? "or drop them" : "add them") }),
    );
    expect(e.message).toBe('t.csv lacks the columns "Age" (did you mean "age"?), "Debt" the plan keeps');
    expect(e.suggestion).toBe('rename "age" to "Age" in the header of t.csv; or drop them');
  });
});

describe("training rows a ratio split leaves", () => {
  const labels = [...Array<string>(152).fill("Adelie"), ...Array<string>(68).fill("Chinstrap"), ...Array<string>(124).fill("Gentoo")];

  it("counts exactly what testMask takes from each class", () => {
    for (const ratio of [0.05, 0.2, 0.5, 0.93, 0.94, 0.999]) {
      const mask = testMask(labels, ratio, 7, true);
      for (const [label, n] of [["Adelie", 152], ["Chinstrap", 68], ["Gentoo", 124]] as const) {
        const test = labels.reduce((sum, l, i) => sum + (l === label ? (mask[i] ?? 0) : 0), 0);
        expect(test, `${label} at ${ratio}`).toBe(testRowsOf(n, ratio, true));
      }
    }
    // Hand-checked: round(68 · 0.93) = 63 leaves 5 Chinstrap rows; round(68 · 0.94) = 64 leaves 4.
    expect(trainShortfalls(labels, 0.93, true, 5)).toEqual([]);
    expect(trainShortfalls(labels, 0.94, true, 5)).toEqual([{ label: "Chinstrap", rows: 68, train: 4 }]);
    expect(largestSafeRatio(labels, true, 5)).toBe(0.93);
    // A class of 3 keeps one test row, so 2 training rows whatever the ratio.
    expect(largestSafeRatio([...labels, "x", "x", "x"], true, 5)).toBe(null);
    // Regression: one group; 0.65 tests round(6.5) = 7 of 10 rows.
    expect(largestSafeRatio(Array<string>(10).fill("1.5"), false, 4)).toBe(0.64);
  });

  it("refuses a ratio that leaves a class (or a regression table) too few rows, naming it and a ratio that works", () => {
    const minimums = { minTrainRowsPerClass: 5, minTrainRows: 20 };
    expect(() => requireTrainRows(labels, 0.2, false, minimums)).not.toThrow();
    expect(() => requireTrainRows(labels, 0.999, false, minimums)).toThrow(
      'test ratio 0.999 leaves class "Chinstrap" 1 training row of its 68 (and 2 more classes), fewer than split.minTrainRowsPerClass (5)',
    );
    expect(() => requireTrainRows(Array<string>(30).fill("0"), 0.5, true, minimums)).toThrow(/leaves the table 15 training rows of its 30, fewer than split.minTrainRows \(20\)/);
    const tooSmall = thrown(() => requireTrainRows([...labels, "x", "x", "x"], 0.2, false, minimums));
    expect(tooSmall.message).toMatch(/class "x" 2 training rows of its 3/);
    expect(tooSmall.suggestion).toMatch(/^no ratio leaves 5 training rows: collect more rows of class "x"/);
  });
});

describe("tabtune --yes refuses made-up test data before the split writes", () => {
  const dir = tempDir("tabtune-testcsv-");
  let missing: string;
  let renamed: string;

  beforeAll(() => {
    missing = penguinTestCsv(dir, "test_missing.csv", (c) => (c === BODY_MASS ? null : c));
    renamed = penguinTestCsv(dir, "test_renamed.csv", (c) => (c === BODY_MASS ? "body_mass_g" : c));
  });

  it("a test CSV without a kept feature: one line naming the file, the column and what to do; no train.json", () => {
    const output = join(dir, "out-missing");
    const line = errorLine(runCli(["--csv", PENGUINS, "--test-csv", missing, "--output", output, "--yes"]));
    expect(line).toContain(`--test-csv ${missing} lacks the column "${BODY_MASS}" that the plan keeps`);
    expect(line).toContain(`drop it at review_plan ("drop features: ${BODY_MASS}")`);
    expect(filesNamed(output, "train.json")).toEqual([]);
    expect(filesNamed(output, "results.json")).toEqual([]);
  });

  it("a renamed kept feature: the same error with the did-you-mean and the rename to make", () => {
    const output = join(dir, "out-renamed");
    const line = errorLine(runCli(["--csv", PENGUINS, "--test-csv", renamed, "--output", output, "--yes"]));
    expect(line).toContain(`lacks the column "${BODY_MASS}" (did you mean "body_mass_g"?)`);
    expect(line).toContain(`rename "body_mass_g" to "${BODY_MASS}" in the header of ${renamed}`);
    expect(filesNamed(output, "train.json")).toEqual([]);
  });

  it("a renamed target stops at explore, before any step writes", () => {
    const output = join(dir, "out-target");
    const test = penguinTestCsv(dir, "test_species.csv", (c) => (c === "Species" ? "species" : c));
    const line = errorLine(runCli(["--csv", PENGUINS, "--target", "Species", "--test-csv", test, "--output", output, "--yes"]));
    expect(line).toContain(`--test-csv ${test} lacks the column "Species" (did you mean "species"?) that is the target`);
    expect(line).toContain(`rename "species" to "Species" in the header of ${test}`);
    expect(filesNamed(output, "prepare_data.js")).toEqual([]);
    expect(filesNamed(output, "cleaned.jsonl")).toEqual([]);
  });

  it("--test-ratio 0.999 names the class, its rows and the ratio to use; no train.json", () => {
    const output = join(dir, "out-ratio");
    const line = errorLine(runCli(["--csv", PENGUINS, "--test-ratio", "0.999", "--output", output, "--yes"]));
    expect(line).toContain('test ratio 0.999 leaves class "Chinstrap" 1 training row of its 68 (and 2 more classes), fewer than split.minTrainRowsPerClass (5)');
    expect(line).toContain("--test-ratio 0.93");
    expect(filesNamed(output, "train.json")).toEqual([]);
  });

  it("a feature the plan drops may be absent; apply refuses the renamed file with the same did-you-mean", () => {
    const output = join(dir, "out-dropped");
    const answers = join(dir, "answers.txt");
    writeFileSync(answers, `drop features: ${BODY_MASS}\n`);
    const result = runCli(["--csv", PENGUINS, "--test-csv", missing, "--output", output, "--answers", answers, "--yes"]);
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(0);
    const [run] = runDirs(output);
    const runDir = join(output, run ?? "");
    const test = JSON.parse(readFileSync(join(runDir, "data/test.json"), "utf8")) as { input: string }[];
    expect(test.length).toBe(69); // every 5th of 344 rows
    expect(test.every((r) => !r.input.includes("Body Mass"))).toBe(true);

    const script = filesNamed(runDir, "prepare_data.js")[0] ?? "";
    const outDir = join(dir, "applied");
    mkdirSync(outDir, { recursive: true });
    // This run's script does not read Body Mass, so apply needs a feature it does read renamed.
    const islandRenamed = penguinTestCsv(dir, "apply_renamed.csv", (c) => (c === "Island" ? "island" : c));
    const line = errorLine(runCli(["apply", "--script", script, "--csv", islandRenamed, "--out", join(outDir, "new.json")]));
    expect(line).toContain(`${islandRenamed} lacks the column "Island" (did you mean "island"?) the script reads`);
    expect(line).toContain(`rename "island" to "Island" in the header of ${islandRenamed}`);
    expect(existsSync(join(outDir, "new.json"))).toBe(false);
  });
});
