/**
 * Leak-free selection (issue 15): the split is fixed at explore as a seeded mask over the
 * source rows; select_features sees only its training rows (ranked on their fit part, k
 * chosen on their validation fold); split places each cleaned row by its source row.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "@langchain/langgraph";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { readJsonLines } from "../src/artifacts.js";
import { setQuiet } from "../src/log.js";
import { split } from "../src/nodes/split.js";
import { paths } from "../src/paths.js";
import { getConfig } from "../src/runtime.js";
import type { State } from "../src/state.js";
import { createRng } from "../src/stats/random.js";
import { chooseK, kGrid } from "../src/stats/selection-k.js";
import { rankFeatures, type RankColumn } from "../src/stats/selection.js";
import { MASK_NONE, MASK_TEST, MASK_TRAIN, parseMask, rowsOn, sourceMask, testMask } from "../src/stats/split.js";
import { tempDir } from "./helpers/cli.js";
import { graphSetup } from "./helpers/graph.js";

beforeAll(() => setQuiet(true));

/** A standard normal draw (Box–Muller) from a seeded uniform. */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

describe("sourceMask", () => {
  it("leaves rows without a target out and is testMask over the rows with one", () => {
    const labels = ["a", null, "a", "b", "b", null, "a", "b", "a", "b"];
    const mask = sourceMask(labels, 0.5, 3, true);
    expect([mask[1], mask[5]]).toEqual([MASK_NONE, MASK_NONE]);
    const present = labels.flatMap((l, i) => (l === null ? [] : [i]));
    const inner = testMask(present.map((i) => labels[i] ?? ""), 0.5, 3, true);
    expect(present.map((i) => mask[i])).toEqual(Array.from(inner, (m) => (m ? MASK_TEST : MASK_TRAIN)));
    // Stratified: two of the four "a" rows and two of the four "b" rows are test rows.
    expect(present.filter((i) => labels[i] === "a" && mask[i] === MASK_TEST)).toHaveLength(2);
    expect(present.filter((i) => labels[i] === "b" && mask[i] === MASK_TEST)).toHaveLength(2);
    // --test-csv (ratio null): every row with a target trains.
    expect(Array.from(sourceMask(labels, null, 3, true)).filter((m) => m === MASK_TEST)).toHaveLength(0);
  });
});

describe("rankFeatures on given rows", () => {
  it("equals the ranking of a table holding only those rows", () => {
    const rng = createRng(5);
    const n = 400;
    const y = Array.from({ length: n }, () => (rng() < 0.5 ? "p" : "q"));
    const columns: RankColumn[] = Array.from({ length: 8 }, (_, j) => ({
      name: `x${j}`,
      kind: j === 7 ? ("categorical" as const) : ("numeric" as const),
      values: y.map((label) => (j === 7 ? (rng() < 0.3 ? label : "z") : rng() < 0.05 ? null : normal(rng) + (j < 2 && label === "p" ? 1 : 0))),
    }));
    const rows = Int32Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0);
    const options = { task: "binary" as const, keep: 4, minVariance: 1e-8, miBins: 10, forestTrees: 20, forestMaxRows: 3000, seed: 9 };
    const onRows = rankFeatures({ ...options, columns, target: y, rows });
    const subset = rankFeatures({
      ...options,
      columns: columns.map((c) => ("type" in c ? c : { ...c, values: Array.from(rows, (r) => c.values[r] ?? null) })),
      target: Array.from(rows, (r) => y[r] ?? null),
    });
    expect(onRows).toEqual(subset);
  });
});

describe("chooseK", () => {
  it("tries the grid up to the bound and keeps the smallest k near the best", () => {
    expect(kGrid(63, null)).toEqual([5, 10, 20, 30, 50, 63]);
    expect(kGrid(63, 30)).toEqual([5, 10, 20, 30]);
    expect(kGrid(4, null)).toEqual([4]);
    expect(kGrid(0, null)).toEqual([]);
    // Regression: y depends on the first two columns; ten noise columns follow.
    const rng = createRng(11);
    const n = 600;
    const x = Array.from({ length: 12 }, () => Array.from({ length: n }, () => normal(rng)));
    const y = Array.from({ length: n }, (_, i) => 3 * (x[0]?.[i] ?? 0) - 2 * (x[1]?.[i] ?? 0) + 0.1 * normal(rng));
    const columns = x.map((values, j) => ({ name: `x${j}`, kind: "numeric" as const, values }));
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const choice = chooseK({
      columns,
      target: y,
      task: "regression",
      fitRows: all.filter((i) => i % 4 !== 0),
      validationRows: all.filter((i) => i % 4 === 0),
      grid: [2, 5, 12],
      tolerance: 0.02,
      trees: 30,
      maxDepth: 16,
      maxFeatures: 1,
      maxRows: 3000,
      seed: 1,
    });
    expect(choice.metric).toBe("R²");
    expect(choice.scores.map((s) => s.k)).toEqual([2, 5, 12]);
    expect(choice.best).toBeGreaterThan(0.8);
    expect(choice.k).toBe(2);
    expect([choice.fitRows, choice.validationRows]).toEqual([450, 150]);
  });
});

describe("a run on a wide table (3 informative columns, 60 noise, one leaking on test rows only)", () => {
  const n = 500;
  const seed = getConfig().seed;
  const ratio = 0.2;
  const rng = createRng(2024);
  const informative = Array.from({ length: 3 }, () => Array.from({ length: n }, () => normal(rng)));
  const noise = Array.from({ length: 60 }, () => Array.from({ length: n }, () => normal(rng)));
  // The target is missing on every 25th row: explore's mask leaves those rows out, clean drops them.
  const y = Array.from({ length: n }, (_, i) => (i % 25 === 7 ? null : (informative[0]?.[i] ?? 0) + (informative[1]?.[i] ?? 0) + (informative[2]?.[i] ?? 0) > 0 ? "yes" : "no"));
  const mask = sourceMask(y, ratio, seed, true);
  // "leak" is the target itself on the test rows and a coin flip on the training rows.
  const leak = y.map((label, i) => (mask[i] === MASK_TEST ? (label === "yes" ? 1 : 0) : rng() < 0.5 ? 1 : 0));
  const header = ["inf_a", "inf_b", "inf_c", ...noise.map((_, j) => `noise_${j}`), "leak", "outcome"];
  const lines = Array.from({ length: n }, (_, i) =>
    [...informative.map((c) => (c[i] ?? 0).toFixed(6)), ...noise.map((c) => (c[i] ?? 0).toFixed(6)), leak[i], y[i] ?? ""].join(","),
  );
  const csv = join(tempDir(), "wide.csv");
  writeFileSync(csv, [header.join(","), ...lines].join("\n") + "\n");

  let state: State;
  let runDir: string;
  beforeAll(async () => {
    const { app, config, options, output } = graphSetup(csv, ["--target", "outcome", "--test-ratio", String(ratio), "--yes"]);
    await app.invoke({ runId: "t1", options }, config);
    // Every review approved until the run ends (the graph pauses at each one; --yes is the CLI's).
    for (let reviews = 0; (await app.getState(config)).next.length > 0; reviews++) {
      if (reviews > 12) throw new Error("the run kept pausing after 12 approvals");
      await app.invoke(new Command({ resume: "approve" }), config);
    }
    state = (await app.getState(config)).values as State;
    runDir = join(output, "t1");
  }, 120_000);

  it("explore wrote the seeded mask of the raw target over the source rows", () => {
    expect(state.splitMask).toMatchObject({ target: "outcome", seed, testRatio: ratio, stratified: true, noTarget: 20 });
    const written = parseMask(readFileSync(paths.splitMask(runDir), "utf8"), "split_mask.txt");
    expect(Array.from(written)).toEqual(Array.from(mask));
  });

  it("select_features ranked exactly the fit part of the mask's training rows (no test row)", async () => {
    const train = rowsOn(mask, MASK_TRAIN);
    const fold = testMask(Array.from(train, (r) => y[r] ?? ""), getConfig().featureSelection.validationRatio, seed, true);
    const fit = train.filter((_, i) => fold[i] === 0);
    const entry = state.log.find((e) => e.step === "select_features");
    expect(entry?.numbers).toMatchObject({ fitRows: fit.length, validationRows: train.length - fit.length });
    // The same ranking, computed directly on a table of those rows only.
    const fs = getConfig().featureSelection;
    const columns = [...informative, ...noise].map((values, j) => ({ name: header[j] ?? "", kind: "numeric" as const, values: Array.from(fit, (r) => Number((values[r] ?? 0).toFixed(6))) }));
    columns.push({ name: "leak", kind: "numeric", values: Array.from(fit, (r) => leak[r] ?? 0) });
    const direct = rankFeatures({ columns, target: Array.from(fit, (r) => y[r] ?? null), task: "binary", keep: "auto", minVariance: fs.minVariance, miBins: fs.miBins, forestTrees: fs.forestTrees, forestMaxRows: fs.forestMaxRows, forestMaxColumns: fs.forestMaxColumns, seed });
    const written = Papa.parse<Record<string, string>>(readFileSync(paths.rankings(runDir), "utf8"), { header: true, skipEmptyLines: true }).data;
    expect(written.map((r) => r.column)).toEqual(direct.map((r) => r.column));
    for (const [i, r] of direct.entries()) {
      expect(Number(written[i]?.average_rank)).toBe(r.averageRank);
      expect(Number(written[i]?.abs_correlation)).toBe(r.absCorrelation);
      expect(Number(written[i]?.forest_importance)).toBe(r.forestImportance);
    }
  });

  it("keeps a small k, the three informative columns, and not the column that leaks on test rows", () => {
    const selected = state.selectedFeatures ?? [];
    expect(selected).toEqual(expect.arrayContaining(["inf_a", "inf_b", "inf_c"]));
    expect(selected).not.toContain("leak");
    expect(selected.length).toBeLessThanOrEqual(10);
    const entry = state.log.find((e) => e.step === "select_features");
    expect(entry?.decision).toMatch(new RegExp(`k=${selected.length} chosen on \\d+ validation rows \\(accuracy: k=5: 0\\.\\d+, k=10: `));
    const written = Papa.parse<Record<string, string>>(readFileSync(paths.rankings(runDir), "utf8"), { header: true, skipEmptyLines: true }).data;
    expect(written.filter((r) => r.validation_score !== "").length).toBe(kGrid(63 + 1, null).length);
    expect(written.find((r) => r.column === "inf_a")?.reason).toMatch(new RegExp(`in the top ${selected.length}: the smallest k`));
  });

  it("split put exactly the mask's test rows in the test part, by source row, with the missing-target rows dropped", async () => {
    expect(state.execution?.dropped).toBe(20);
    expect(state.splitResult?.mask).toBe("explore");
    // Each row is told apart by its inf_a value (distinct in this table).
    const source = new Map(informative[0]?.map((v, i) => [Number(v.toFixed(6)), i]));
    const sourcesOf = async (path: string) => {
      const out: number[] = [];
      for await (const row of readJsonLines<Record<string, unknown>>(path)) out.push(source.get(Number(row.inf_a)) ?? -1);
      return out.sort((a, b) => a - b);
    };
    expect(await sourcesOf(paths.splitTest(runDir))).toEqual(Array.from(rowsOn(mask, MASK_TEST)));
    expect(await sourcesOf(paths.splitTrain(runDir))).toEqual(Array.from(rowsOn(mask, MASK_TRAIN)));
    const cleanedRows = readFileSync(paths.cleanedSourceRows(runDir), "utf8").trim().split("\n").map(Number);
    expect(cleanedRows).toEqual(y.flatMap((label, i) => (label === null ? [] : [i])));
  });

  it("split with another seed makes a new mask and says feature selection used explore's", async () => {
    const options = state.options;
    if (!options) throw new Error("no options in state");
    // split's update holds plain values (never an Overwrite), read as State's fields.
    const update = (await split({ ...state, options: { ...options, seed: seed + 1 } })) as Pick<State, "splitResult" | "splitMask" | "log">;
    expect(update.splitResult?.mask).toBe("recomputed");
    expect(update.splitMask).toMatchObject({ seed: seed + 1, testRatio: ratio });
    const entry = update.log?.find((e) => e.step === "split");
    expect(entry?.decision).toMatch(/seed or ratio changed since explore's mask \(target "outcome", seed 42, ratio 0.2\): a new mask was made; feature selection was made on explore's mask/);
    const fresh = sourceMask(y, ratio, seed + 1, true);
    expect(update.splitResult?.test.rows).toBe(rowsOn(fresh, MASK_TEST).length);
  });
});
