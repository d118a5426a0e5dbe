/**
 * Rows that flow once (issues 13, 16): execute, split and balance take each file's ref from
 * its writer (the ref artifactRef reads back), split copies the cleaned lines as written,
 * and balance reuses execute's record for every row imputation left as it was, rendering
 * only the others: train.json and test.json are byte for byte the full re-render.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import { beforeAll, describe, expect, it } from "vitest";
import { artifactRef, readJsonLines } from "../src/artifacts.js";
import { setQuiet } from "../src/log.js";
import { balance } from "../src/nodes/balance.js";
import { split } from "../src/nodes/split.js";
import { paths } from "../src/paths.js";
import { openPrepSandbox } from "../src/prep/open.js";
import { renderRows } from "../src/prep/render.js";
import type { ArtifactRef, State } from "../src/state.js";
import { tempDir } from "./helpers/cli.js";
import { graphSetup } from "./helpers/graph.js";

beforeAll(() => setQuiet(true));

const PENGUINS = join(import.meta.dirname, "fixtures", "penguins.csv");

/** Non-blank lines of a JSON-lines file, as written. */
const linesOf = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l !== "");

/** The ref artifactRef reads back, rows counted by reading the file. */
async function readBack(ref: ArtifactRef | null | undefined, array = false): Promise<ArtifactRef> {
  if (!ref) throw new Error("no ref");
  const rows = array ? (JSON.parse(readFileSync(ref.path, "utf8")) as unknown[]).length : linesOf(ref.path).length;
  return artifactRef(ref.path, rows);
}

async function labelCounts(path: string, target: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for await (const row of readJsonLines<Record<string, unknown>>(path)) counts[String(row[target])] = (counts[String(row[target])] ?? 0) + 1;
  return counts;
}

/** Runs the graph on `csv`, approving every review, and answers the final state. */
async function finishedRun(csv: string, extra: string[]): Promise<State> {
  const { app, config, options } = graphSetup(csv, [...extra, "--yes"]);
  await app.invoke({ runId: "t1", options }, config);
  for (let reviews = 0; (await app.getState(config)).next.length > 0; reviews++) {
    if (reviews > 12) throw new Error("the run kept pausing after 12 approvals");
    await app.invoke(new Command({ resume: "approve" }), config);
  }
  return (await app.getState(config)).values as State;
}

/** train.json and test.json as the full re-render of train_rows.jsonl and imputed_test.jsonl makes them. */
async function fullRender(state: State): Promise<{ train: string; test: string }> {
  const dir = tempDir();
  const opened = await openPrepSandbox(state.script?.path ?? "", state.prepPlan as NonNullable<State["prepPlan"]>, state.profile as NonNullable<State["profile"]>);
  if (!opened.ok) throw new Error(opened.error);
  try {
    await renderRows(opened.sandbox, state.balanceResult?.trainRows.path ?? "", join(dir, "train.json"));
    await renderRows(opened.sandbox, state.imputation?.test.path ?? "", join(dir, "test.json"));
  } finally {
    opened.sandbox.dispose();
  }
  return { train: readFileSync(join(dir, "train.json"), "utf8"), test: readFileSync(join(dir, "test.json"), "utf8") };
}

describe("a penguins run (missing cells imputed, three classes)", () => {
  let state: State;
  beforeAll(async () => {
    state = await finishedRun(PENGUINS, ["--target", "Species"]);
  }, 180_000);

  it("execute's refs are the files' own: cleaned table, records, source rows", async () => {
    const e = state.execution;
    expect(e?.cleaned).toEqual(await readBack(e?.cleaned));
    expect(e?.allData).toEqual(await readBack(e?.allData, true));
    expect(e?.sourceRows).toEqual(await readBack(e?.sourceRows));
    expect(e?.cleaned?.rows).toBe(e?.rowsOut);
  });

  it("split's parts are the cleaned lines as written, with refs and class counts of the files", async () => {
    const s = state.splitResult;
    expect(s?.train).toEqual(await readBack(s?.train));
    expect(s?.test).toEqual(await readBack(s?.test));
    expect(s?.trainClassCounts).toEqual(await labelCounts(s?.train.path ?? "", "Species"));
    expect(s?.testClassCounts).toEqual(await labelCounts(s?.test.path ?? "", "Species"));
    const parts = [...linesOf(s?.train.path ?? ""), ...linesOf(s?.test.path ?? "")].sort();
    expect(parts).toEqual(linesOf(state.execution?.cleaned?.path ?? "").sort());
    expect(state.splitMask?.file).toEqual(await artifactRef(state.splitMask?.file.path ?? "", state.splitMask?.file.rows ?? null));
  });

  it("imputation changed some rows, and balance's files are the full re-render, byte for byte, with the files' refs", async () => {
    const changed = linesOf(state.splitResult?.train.path ?? "").filter((l, i) => l !== linesOf(state.imputation?.train.path ?? "")[i]).length;
    expect(changed).toBeGreaterThan(0);
    const b = state.balanceResult;
    const full = await fullRender(state);
    expect(readFileSync(b?.trainJson.path ?? "", "utf8")).toBe(full.train);
    expect(readFileSync(b?.testJson.path ?? "", "utf8")).toBe(full.test);
    expect(b?.trainJson).toEqual(await readBack(b?.trainJson, true));
    expect(b?.testJson).toEqual(await readBack(b?.testJson, true));
    expect(b?.trainRows).toEqual(await readBack(b?.trainRows));
  });

  it("balance said how many records it took from execute and how many it rendered", () => {
    const entry = [...state.log].reverse().find((e) => e.step === "balance");
    const numbers = entry?.numbers ?? {};
    expect(numbers.recordsReused).toBeGreaterThan(0);
    expect(numbers.recordsRendered).toBeGreaterThan(0);
    expect(Number(numbers.recordsReused) + Number(numbers.recordsRendered)).toBe(Number(numbers.trainRecords) + Number(numbers.testRecords));
  });

  for (const strategy of ["oversample", "undersample"] as const)
    it(`balance that resamples (${strategy}): each row's record written as many times as the row, the full re-render byte for byte`, async () => {
      const update = (await balance({ ...state, balanceStrategy: strategy })) as Pick<State, "balanceResult">;
      const b = update.balanceResult;
      expect(b?.strategy).toBe(strategy);
      expect(b?.after).not.toEqual(b?.before);
      const full = await fullRender({ ...state, balanceResult: b ?? null });
      expect(readFileSync(b?.trainJson.path ?? "", "utf8")).toBe(full.train);
      expect(readFileSync(b?.testJson.path ?? "", "utf8")).toBe(full.test);
      expect(b?.trainJson).toEqual(await readBack(b?.trainJson, true));
      expect(b?.trainRows).toEqual(await readBack(b?.trainRows));
      expect(b?.trainRows.rows).toBe(Object.values(b?.after ?? {}).reduce((a, n) => a + n, 0));
    });

  it("a cleaned table or all_data.json changed since execute: split and balance refuse it after one read, committing nothing", async () => {
    const runDir = state.runDir ?? "";
    const outputs = [paths.splitTrain(runDir), paths.splitTest(runDir), paths.trainJson(runDir), paths.testJson(runDir), paths.finalTrainRows(runDir)];
    const before = outputs.map((p) => readFileSync(p, "utf8"));
    for (const [file, step] of [
      [state.execution?.cleaned?.path ?? "", () => split(state)],
      [state.execution?.allData?.path ?? "", () => balance(state)],
    ] as const) {
      const original = readFileSync(file, "utf8");
      // A blank line more: every record still reads, only the hash tells.
      writeFileSync(file, original + "\n");
      try {
        await expect(step()).rejects.toMatchObject({ code: "artifact_changed", message: expect.stringContaining(file) });
      } finally {
        writeFileSync(file, original);
      }
    }
    expect(outputs.map((p) => readFileSync(p, "utf8"))).toEqual(before);
  });

  it("split with a new seed: the new mask's ref is the file's", async () => {
    const options = state.options;
    if (!options) throw new Error("no options");
    const update = (await split({ ...state, options: { ...options, seed: options.seed + 1 } })) as Pick<State, "splitResult" | "splitMask">;
    expect(update.splitResult?.mask).toBe("recomputed");
    expect(update.splitMask?.file).toEqual(await artifactRef(paths.splitMask(state.runDir ?? ""), update.splitMask?.file.rows ?? null));
    expect(update.splitResult?.train).toEqual(await readBack(update.splitResult?.train));
  });

  it("split refused for too few training rows leaves the earlier mask and parts as they were", async () => {
    const options = state.options;
    if (!options) throw new Error("no options");
    const runDir = state.runDir ?? "";
    const before = [paths.splitMask(runDir), paths.splitTrain(runDir), paths.splitTest(runDir)].map((p) => readFileSync(p, "utf8"));
    await expect(split({ ...state, options: { ...options, seed: options.seed + 2, testRatio: 0.999 } })).rejects.toMatchObject({ code: "split_too_few_train_rows" });
    expect([paths.splitMask(runDir), paths.splitTrain(runDir), paths.splitTest(runDir)].map((p) => readFileSync(p, "utf8"))).toEqual(before);
  });

  it("a run without source rows splits the cleaned rows afresh, with the files' refs", async () => {
    const execution = state.execution;
    if (!execution) throw new Error("no execution");
    const update = (await split({ ...state, execution: { ...execution, sourceRows: null } })) as Pick<State, "splitResult">;
    expect(update.splitResult?.mask).toBe("cleaned");
    expect(update.splitResult?.test).toEqual(await readBack(update.splitResult?.test));
    expect(update.splitResult?.testClassCounts).toEqual(await labelCounts(update.splitResult?.test.path ?? "", "Species"));
  });

  it("a test CSV: training is the cleaned table as written; the test part's ref and classes are its file's", async () => {
    const options = state.options;
    if (!options) throw new Error("no options");
    const testCsv = join(tempDir(), "test.csv");
    writeFileSync(testCsv, readFileSync(PENGUINS, "utf8").split("\n").filter((_, i) => i % 7 === 0).join("\n") + "\n");
    const update = (await split({ ...state, options: { ...options, testCsv } })) as Pick<State, "splitResult">;
    const s = update.splitResult;
    expect(readFileSync(s?.train.path ?? "", "utf8")).toBe(readFileSync(state.execution?.cleaned?.path ?? "", "utf8"));
    expect(s?.train).toEqual(await readBack(s?.train));
    expect(s?.test).toEqual(await readBack(s?.test));
    expect(s?.trainClassCounts).toEqual(await labelCounts(s?.train.path ?? "", "Species"));
    expect(s?.testClassCounts).toEqual(await labelCounts(s?.test.path ?? "", "Species"));
  });
});
