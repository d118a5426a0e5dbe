import { describe, expect, it } from "vitest";
import { imputationHints } from "../src/planning/heuristic-plan.js";
import { ColumnKind, type ColumnProfile, type TableProfile } from "../src/schemas.js";
import { chooseBaselineFeatures } from "../src/stats/baseline-features.js";
import { featureFamily } from "../src/table/kinds.js";

describe("featureFamily: the one column-kind → family mapping", () => {
  it("maps every kind of the schema", () => {
    const families = Object.fromEntries(ColumnKind.options.map((k) => [k, featureFamily(k)]));
    expect(families).toEqual({
      numeric: "numeric",
      integer: "numeric",
      boolean: "categorical",
      categorical: "categorical",
      datetime: "datetime",
      text: "text",
      identifier: "identifier",
    });
  });

  it("the baseline and the plan's imputation hints agree with it", () => {
    const column = (name: string, kind: ColumnKind, index: number): ColumnProfile => ({
      name,
      index,
      kind,
      missing: 2,
      missingRate: 0.2,
      distinct: 3,
      topValues: [],
      numeric: null,
    });
    const columns = [column("age", "integer", 0), column("smoker", "boolean", 1), column("visit", "datetime", 2), column("note", "text", 3), column("id", "identifier", 4)];
    const baseline = chooseBaselineFeatures(columns.map((c) => c.name), columns, 10, 0.5);
    expect(baseline.features).toEqual([
      { name: "age", kind: "numeric" },
      { name: "smoker", kind: "categorical" },
      { name: "visit", kind: "datetime" },
    ]);
    expect(baseline.excluded.map((e) => e.name)).toEqual(["note", "id"]);

    const profile: TableProfile = { file: "t.csv", sha256: "", rows: 10, columns, duplicateRows: 0, constantColumns: [], findings: [], sample: [] };
    // Text and dates are never imputed (imputation leaves them unknown), so the plan does not promise a mode for them.
    expect(imputationHints(profile, ["age", "smoker", "visit", "note"])).toEqual([
      "age: 2 missing (20.0%) → median of the training rows",
      "smoker: 2 missing (20.0%) → mode of the training rows",
      "visit: 2 missing (20.0%) → unknown (dates stay missing: only numbers and categories are imputed)",
      "note: 2 missing (20.0%) → unknown (text stays missing: only numbers and categories are imputed)",
    ]);
  });
});
