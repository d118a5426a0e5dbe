/** The impute node on a table with planted mechanisms: labels, overrides, and no leak from the test rows. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readJsonLines } from "../src/artifacts.js";
import { setQuiet } from "../src/log.js";
import { impute } from "../src/nodes/impute.js";
import { reapplyImputation } from "../src/stats/imputation/reapply.js";
import { imputeState, reportColumns, type Row } from "./helpers/impute-state.js";
import { plantedRows } from "./helpers/planted.js";

beforeAll(() => setQuiet(true));

async function rowsOf(path: string): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of readJsonLines<Row>(path)) rows.push(row);
  return rows;
}

describe("impute node, planted mechanisms", () => {
  const { names, rows } = plantedRows(1, 2000);
  const train = rows.slice(0, 1600);
  const test = rows.slice(1600);

  it("labels each column in report.md and fills every gap of both splits", async () => {
    const { state } = await imputeState({ names, train, test, target: "y" });
    const update = await impute(state);
    const report = readFileSync(join(state.runDir!, "imputation/report.md"), "utf8");
    const table = reportColumns(report);
    expect(table.get("mcar")?.[1]).toBe("MCAR");
    expect(table.get("mar")?.[1]).toBe("MAR");
    expect(table.get("mar")?.[2]).toMatch(/predicted by x/);
    expect(table.get("mnar")?.[1]).toBe("MNAR (suspected)");
    expect(report).toMatch(/Little's MCAR test/);
    expect(report).toMatch(/\| mnar \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/); // the sensitivity band row
    const columns = update.imputation && "columns" in update.imputation ? update.imputation.columns : [];
    expect(columns.map((c) => c.column).sort()).toEqual(["mar", "mcar", "mnar"]);
    for (const c of columns) {
      expect(Object.keys(c.maskedError).sort()).toEqual(["iterative", "knn", "mean", "median"]);
      expect(c.filledTrain).toBe(train.filter((r) => r[c.column] === null).length);
    }
    expect(columns.find((c) => c.column === "mnar")?.sensitivity?.values).toHaveLength(3);
    for (const row of [...(await rowsOf(join(state.runDir!, "data/imputed_train.jsonl"))), ...(await rowsOf(join(state.runDir!, "data/imputed_test.jsonl")))])
      for (const name of ["mcar", "mar", "mnar"]) expect(typeof row[name]).toBe("number");
  });

  it("a review override wins over the score and is recorded as the user's", async () => {
    const { state } = await imputeState({ names, train, test, target: "y", overrides: { mcar: "mean", mar: "unknown" } });
    const update = await impute(state);
    const columns = update.imputation && "columns" in update.imputation ? update.imputation.columns : [];
    const mcar = columns.find((c) => c.column === "mcar");
    expect(mcar?.policy).toBe("mean");
    expect(mcar?.chosenBy).toBe("user");
    const observed = train.map((r) => r.mcar).filter((v): v is number => typeof v === "number");
    expect(Number(mcar?.value)).toBeCloseTo(observed.reduce((s, v) => s + v, 0) / observed.length, 4);
    const mar = columns.find((c) => c.column === "mar");
    expect(mar?.policy).toBe("unknown");
    expect(mar?.filledTrain).toBe(0);
    const imputed = await rowsOf(join(state.runDir!, "data/imputed_test.jsonl"));
    expect(imputed.filter((r) => r.mar === null).length).toBe(test.filter((r) => r.mar === null).length);
  });

  it("is leak-free: changing the test rows changes no fitted value and no imputed training row", async () => {
    const a = await imputeState({ names, train, test, target: "y", overrides: { mcar: "median", mar: "iterative", mnar: "knn" } });
    await impute(a.state);
    // Same training rows; test rows with extreme values and other gaps.
    const wild = test.map((r, i) => ({ ...r, x: i % 2 === 0 ? 1e6 : -1e6, mcar: i % 3 === 0 ? null : -1e6, mar: null }));
    const b = await imputeState({ names, train, test: wild, target: "y", overrides: { mcar: "median", mar: "iterative", mnar: "knn" } });
    await impute(b.state);
    const policies = (dir: string) => {
      const json = JSON.parse(readFileSync(join(dir, "run/imputation/policies.json"), "utf8")) as { engines: unknown; columns: { column: string; policy: string; value: unknown }[] };
      return { engines: JSON.stringify(json.engines, (k, v: unknown) => (k === "path" ? undefined : v)), columns: json.columns };
    };
    expect(policies(b.dir).engines).toBe(policies(a.dir).engines);
    expect(policies(b.dir).columns).toEqual(policies(a.dir).columns);
    expect(readFileSync(join(b.dir, "run/data/imputed_train.jsonl"), "utf8")).toBe(readFileSync(join(a.dir, "run/data/imputed_train.jsonl"), "utf8"));
    // The median fill of the test rows is the training median, whatever the test values.
    const sorted = train.map((r) => r.mcar).filter((v): v is number => typeof v === "number").sort((p, q) => p - q);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    const testOut = await rowsOf(join(b.dir, "run/data/imputed_test.jsonl"));
    testOut.forEach((r, i) => {
      if (wild[i]!.mcar === null) expect(r.mcar).toBeCloseTo(median, 9);
    });
  });

  it("policies.json re-applies the same fitted median, iterative and KNN imputers to new rows", async () => {
    const { state, dir } = await imputeState({ names, train, test, target: "y", overrides: { mcar: "median", mar: "iterative", mnar: "knn" } });
    await impute(state);
    const out = join(dir, "reapplied_test.jsonl");
    const kinds = new Map(names.map((n) => [n, "numeric"]));
    const result = await reapplyImputation(join(dir, "run/imputation/policies.json"), join(dir, "test.jsonl"), out, kinds);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(dir, "run/data/imputed_test.jsonl"), "utf8"));
    expect([...result.filled.keys()].sort()).toEqual(["mar", "mcar", "mnar"]);
  });
});
