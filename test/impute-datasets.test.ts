/** The impute node on shared tables with missing values: every column gets a mechanism, a policy and masked errors. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { setQuiet } from "../src/log.js";
import { impute } from "../src/nodes/impute.js";
import { ROOT } from "./helpers/cli.js";
import { imputeState, readSimpleCsv, reportColumns, splitRows } from "./helpers/impute-state.js";

beforeAll(() => setQuiet(true));

describe.each([
  // vega-datasets penguins: Sex has 11 gaps, 2 rows miss every measurement.
  { file: "test/fixtures/penguins.csv", target: "Species", gaps: ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)", "Sex"] },
  // modeldata credit_data: Income 381 gaps, a few in Home, Marital, Job, Assets, Debt.
  { file: "examples/credit_data.csv", target: "Status", gaps: ["Home", "Marital", "Job", "Income", "Assets", "Debt"] },
])("$file", ({ file, target, gaps }) => {
  it("reports every column's mechanism, policy and masked-cell error", async () => {
    const { names, rows } = readSimpleCsv(join(ROOT, file));
    const { train, test } = splitRows(rows, target);
    const { state } = await imputeState({ names, train, test, target });
    await impute(state);
    const report = readFileSync(join(state.runDir!, "imputation/report.md"), "utf8");
    const table = reportColumns(report);
    expect([...table.keys()].sort()).toEqual([...gaps].sort());
    for (const [, cells] of table) {
      expect(cells[1]).toMatch(/^(MCAR|MAR|MNAR \(suspected\)|undetermined)$/);
      expect(cells[3]).toMatch(/^(mean|median|mode|knn|iterative|unknown) /);
    }
    for (const column of gaps) expect(report).toMatch(new RegExp(`\\| ${column.replace(/[()]/g, "\\$&")} \\((RMSE|1 − acc)\\) \\| .*\\d\\.\\d{3}`));
    const policies = JSON.parse(readFileSync(join(state.runDir!, "imputation/policies.json"), "utf8")) as { fittedOn: { sha256: string }; columns: unknown[] };
    expect(policies.fittedOn.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(policies.columns).toHaveLength(gaps.length);
  });
});
