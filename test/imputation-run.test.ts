/**
 * The imputation library without the node (stats/imputation/run.ts): it writes the imputed
 * rows, policies.json, the KNN reference and report.md, and each ref it answers is what the
 * file holds (hash, bytes and rows counted while writing, not read back); the cells it says
 * it filled are the cells that were missing.
 */
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { artifactRef, readJsonLines } from "../src/artifacts.js";
import { setQuiet } from "../src/log.js";
import type { Config } from "../src/config.js";
import { getConfig } from "../src/runtime.js";
import type { State } from "../src/state.js";
import type { ImputePolicy } from "../src/stats/imputation/policies.js";
import { imputeSplit } from "../src/stats/imputation/run.js";
import { imputeState, type Row } from "./helpers/impute-state.js";
import { plantedRows } from "./helpers/planted.js";

beforeAll(() => setQuiet(true));

/** The library's output paths under `dir` and a call of imputeSplit on the split in `state` (numeric planted features, binary y, seed 5). */
function librarySetup(state: State, dir: string, names: string[], overrides: Record<string, ImputePolicy>, config: Config) {
  const out = {
    train: join(dir, "out/train.jsonl"),
    test: join(dir, "out/test.jsonl"),
    policies: join(dir, "out/policies.json"),
    knnReference: join(dir, "out/knn.jsonl"),
    report: join(dir, "out/report.md"),
  };
  const features = names.filter((n) => n !== "y");
  const run = () =>
    imputeSplit({
      train: state.splitResult!.train,
      test: state.splitResult!.test,
      out,
      features,
      kinds: new Map(features.map((f) => [f, "numeric" as const])),
      target: { name: "y", task: "binary", labels: ["no", "yes"] },
      overrides,
      seed: 5,
      config,
      llm: null,
    });
  return { out, run };
}

describe("imputeSplit", () => {
  it("answers the refs of the files it wrote and counts the cells it filled", async () => {
    const { names, rows } = plantedRows(3, 600);
    const train = rows.slice(0, 480);
    const test = rows.slice(480);
    const { state, dir } = await imputeState({ names, train, test, target: "y", overrides: { mcar: "knn" } });
    const config = getConfig();
    const { out, run } = librarySetup(state, dir, names, { mcar: "knn" }, { ...config, imputation: { ...config.imputation, maskFractions: [0.2], iterative: { ...config.imputation.iterative, trees: 4, rounds: 2 } } });
    const result = await run();

    expect(result.train).toEqual(await artifactRef(out.train, train.length));
    expect(result.test).toEqual(await artifactRef(out.test, test.length));
    expect(result.policies).toEqual(await artifactRef(out.policies, null));
    expect(result.report).toEqual(await artifactRef(out.report, null));
    const policies = JSON.parse(readFileSync(out.policies, "utf8"));
    expect(policies.fittedOn.rows).toBe(train.length);
    expect(policies.engines.knn.reference).toEqual({ path: out.knnReference, sha256: (await artifactRef(out.knnReference, null)).sha256, rows: train.length });
    expect(result.calls).toEqual([]);
    // Scoring's lighter iterative engine is said in the report beside the fitted one's size.
    const scoringIterative = config.imputation.scoringIterative;
    expect(readFileSync(out.report, "utf8")).toContain(`${scoringIterative.rounds} rounds of ${scoringIterative.trees}-tree forests (imputation.scoringIterative); the fitted imputer has 2 rounds of 4`);

    const written: Row[] = [];
    for await (const row of readJsonLines<Row>(out.train)) written.push(row);
    for (const c of result.columns) {
      const missing = train.filter((r) => r[c.column] === null).length;
      expect(c.missingTrain).toBe(missing);
      expect(c.filledTrain).toBe(missing);
      expect(written.every((r) => typeof r[c.column] === "number")).toBe(true);
    }
    expect(result.columns.find((c) => c.column === "mcar")).toMatchObject({ policy: "knn", chosenBy: "user" });
  });

  it("refuses a split file changed or removed since split wrote it, naming it, and writes nothing", async () => {
    const { names, rows } = plantedRows(4, 200);
    const { state, dir } = await imputeState({ names, train: rows.slice(0, 160), test: rows.slice(160), target: "y", overrides: {} });
    const { out, run } = librarySetup(state, dir, names, {}, getConfig());
    appendFileSync(state.splitResult!.test.path, JSON.stringify(rows[0]) + "\n");
    await expect(run()).rejects.toThrow(/test\.jsonl \(the test split\) changed since this run wrote it/);
    rmSync(state.splitResult!.train.path);
    await expect(run()).rejects.toThrow(/train\.jsonl \(the training split\) is gone/);
    expect([out.train, out.test, out.policies, out.report].filter((p) => existsSync(p))).toEqual([]);
  });
});
