/** `target: <column>` at review_plan: parsed, checked against the table, and run end to end through the CLI. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { TabtuneError } from "../src/errors.js";
import { parseFeedback } from "../src/feedback/parse.js";
import { reviewTarget } from "../src/planning/plan-edits.js";
import { readTable } from "../src/table/columns.js";
import { readTableSample } from "../src/table/csv.js";
import { profileTable } from "../src/table/profile.js";
import { runCli, tempDir } from "./helpers/cli.js";

const config = loadConfig();
const MTCARS = "test/fixtures/targets/datasets_mtcars.csv";

describe("target: <column>", () => {
  it("parses at review_plan only, with the other answers of the same line kept", () => {
    expect(parseFeedback("target: am; drop features: qsec", "review_plan")).toEqual({
      ok: true,
      actions: [{ kind: "target", column: "am" }, { kind: "drop_features", columns: ["qsec"] }],
    });
    expect(parseFeedback('set target to: "Body Mass (g)"', "review_plan")).toMatchObject({ ok: true, actions: [{ kind: "target", column: "Body Mass (g)" }] });
    const elsewhere = parseFeedback("target: am", "review_prep");
    expect(elsewhere.ok).toBe(false);
    if (!elsewhere.ok) expect(elsewhere.error).toContain("accepted at review_plan");
  });

  it("an unknown column is rejected in one line naming the closest column", async () => {
    const profile = profileTable(await readTable(MTCARS, config.csv), config.profile, await readTableSample(MTCARS, config.csv, 5));
    let error: unknown = null;
    try {
      reviewTarget("qsecs", profile, config.profile, "mpg");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TabtuneError);
    if (error instanceof TabtuneError) {
      expect(error.message).toBe(`target: "qsecs" is not a column of ${MTCARS}`);
      expect(error.suggestion).toContain('did you mean "qsec"?');
    }
    const am = reviewTarget("am", profile, config.profile, "mpg");
    expect(am).toMatchObject({ column: "am", task: "binary", labels: { "0": "0", "1": "1" } });
    expect(am.reasons[0]).toBe('"am" chosen at review_plan (instead of "mpg")');
  });

  it("end to end: the next review shows the new target, task, labels and a plan without it as a feature", () => {
    const output = join(tempDir(), "mtcars");
    const answers = join(tempDir(), "answers.txt");
    writeFileSync(answers, "target: am; drop features: qsec\n");
    const result = runCli(["--csv", MTCARS, "--output", output, "--answers", answers]);
    expect(result.stderr).not.toMatch(/error:/);
    expect(result.code).toBe(2); // paused at the second review_plan: no more answers
    const reviews = result.stdout.split("── Review the data preparation plan");
    expect(reviews).toHaveLength(3);
    const [, first = "", second = ""] = reviews;
    expect(first).toMatch(/target:\s+mpg \(regression\)/);
    expect(first).toContain("target candidates");
    expect(first).toMatch(/1\. "mpg" \(regression, score [\d.]+\)/);
    expect(second).toMatch(/target:\s+am \(binary\)/);
    expect(second).toMatch(/labels:\s+0, 1/);
    expect(second).toMatch(/features \(\d+\):.*\bmpg\b/);
    expect(second).not.toMatch(/features \(\d+\):.*\bam\b/);
    expect(second).toMatch(/dropped:.*qsec/);
  });
});
