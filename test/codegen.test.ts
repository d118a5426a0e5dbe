/**
 * The heuristic template, the syntax check codegen runs before saving a script, the ctx
 * it gets, and verify's rows-in-vs-out check.
 */
import { describe, expect, it } from "vitest";
import { sandboxContext } from "../src/codegen/sidecar.js";
import { prepCodeFromPlan } from "../src/codegen/template.js";
import { rowAccountingCheck } from "../src/prep/checks.js";
import { PrepSandbox } from "../src/sandbox/sandbox.js";
import type { ColumnProfile, Plan } from "../src/schemas.js";

const LIMITS = { memoryLimitMb: 64, batchTimeoutMs: 2000 };

function column(name: string, kind: ColumnProfile["kind"]): ColumnProfile {
  const numeric = kind === "numeric" ? { min: 1, max: 9, mean: 5, median: 5, std: 2, q1: 3, q3: 7, outliers: 0 } : null;
  return { name, index: 0, kind, missing: 1, missingRate: 0.1, distinct: 3, topValues: [{ value: "a", count: 2 }], numeric };
}

function plan(overrides: Partial<Plan> = {}): Plan {
  return {
    instruction: "Is it good?",
    target: "y",
    task: "binary",
    labels: { "0": "no", "1": "yes" },
    features: ["size", "colour"],
    dropped: [],
    rowFormat: "sentences",
    cleaning: [],
    balancing: { strategy: "none", advice: "" },
    imputation: [],
    ...overrides,
  };
}

const PROFILE = { columns: [column("size", "numeric"), column("colour", "categorical"), column("y", "categorical")] };

async function run(p: Plan, rows: Record<string, string | null>[]) {
  const opened = await PrepSandbox.open(prepCodeFromPlan(p, PROFILE, { planVersion: 2, attempt: 3 }), sandboxContext(p, PROFILE), LIMITS);
  if (!opened.ok) throw new Error(opened.error);
  try {
    return await opened.sandbox.prep(rows);
  } finally {
    opened.sandbox.dispose();
  }
}

describe("prepCodeFromPlan", () => {
  it("names the plan version and attempt, and compiles", async () => {
    const code = prepCodeFromPlan(plan(), PROFILE, { planVersion: 2, attempt: 3 });
    expect(code).toMatch(/^\/\/ scripts\/prepare_data\.js — written by tabtune \(heuristic provider\)\n\/\/ plan version 2, attempt 3\n/);
    expect(await PrepSandbox.checkSyntax(code, LIMITS)).toBeNull();
  });

  it("writes sentences or a list, reads numbers, drops rows without a target, refuses unknown labels", async () => {
    const rows = [
      { size: "3.50", colour: "red", y: "1" },
      { size: "n/a", colour: null, y: "0" },
      { size: "1", colour: "blue", y: null },
    ];
    expect(await run(plan(), rows)).toEqual({
      ok: true,
      cleaned: [{ size: 3.5, colour: "red", y: "1" }, { size: null, colour: null, y: "0" }, null],
      rendered: [
        { instruction: "Is it good?", input: "The size is 3.5. The colour is red.", output: "yes" },
        { instruction: "Is it good?", input: "The size is unknown. The colour is unknown.", output: "no" },
      ],
    });
    const list = await run(plan({ rowFormat: "list" }), rows.slice(0, 1));
    expect(list.ok && list.rendered[0]?.input).toBe("size: 3.5\ncolour: red");
    expect(await run(plan(), [{ size: "1", colour: "red", y: "2" }])).toMatchObject({
      ok: false,
      op: "clean",
      rowIndex: 0,
      error: 'clean: Error: target value "2" is not in the label mapping ["0","1"]',
    });
  });

  it("writes regression targets as numbers and refuses a target that is not one", async () => {
    const regression = plan({ task: "regression", labels: {} });
    expect(await run(regression, [{ size: "2", colour: "red", y: "4.25" }])).toMatchObject({ ok: true, rendered: [{ output: "4.25" }] });
    expect(await run(regression, [{ size: "2", colour: "red", y: "lots" }])).toMatchObject({ ok: false, error: expect.stringMatching(/target "y" is not a number: "lots"/) });
  });
});

describe("codegen's syntax check", () => {
  it("reports a syntax error without running anything", async () => {
    expect(await PrepSandbox.checkSyntax("function clean(row) { return {; }", LIMITS)).toMatch(/^the script does not compile: SyntaxError: /);
    expect(await PrepSandbox.checkSyntax("while (true) {}", LIMITS)).toBeNull();
  });
});

describe("sandboxContext", () => {
  it("holds the plan, the label mapping and each column's statistics", () => {
    const ctx = sandboxContext(plan(), PROFILE);
    expect(ctx.labels).toEqual({ "0": "no", "1": "yes" });
    expect(ctx.plan.features).toEqual(["size", "colour"]);
    expect(ctx.columns.size).toEqual({ kind: "numeric", missingRate: 0.1, distinct: 3, min: 1, max: 9, mean: 5, median: 5, std: 2, topValues: ["a"] });
    expect(ctx.columns.colour?.median).toBeNull();
  });
});

describe("rowAccountingCheck", () => {
  it("passes when every row is a record or a counted drop, and says why rows were dropped", () => {
    expect(rowAccountingCheck({ rowsIn: 10, rowsOut: 8, dropped: 2, dropReasons: { "target missing": 2 } }, 8)).toEqual({
      name: "rows in vs out",
      ok: true,
      detail: "10 rows in → 8 records, 2 dropped (target missing 2)",
    });
    expect(rowAccountingCheck({ rowsIn: 10, rowsOut: 8, dropped: 2 }, 7)).toMatchObject({ ok: false, detail: expect.stringMatching(/execute counted 8 out/) });
  });
});
