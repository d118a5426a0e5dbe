/**
 * split: the cleaned rows go where the mask fixed at explore put their source rows (or to
 * training, with a test CSV cleaned as the test part). writeSplitMask makes that mask.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { AtomicLineWriter, readLineBatches, writeFileAtomic } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { cleanCsv } from "../prep/clean-csv.js";
import { openPrepSandbox } from "../prep/open.js";
import { cellString, type CleanRow } from "../rows.js";
import type { ArtifactRef, SplitMask, SplitResult, State, Update } from "../state.js";
import { getConfig } from "../runtime.js";
import { MASK_NONE, MASK_TEST, MASK_TRAIN, maskText, parseMask, requireTrainRows, sourceMask, targetLabels, testMask } from "../stats/split.js";
import { requireTestCsvColumns } from "../table/alignment.js";
import { readTable, type Column } from "../table/columns.js";
import { readArtifactLines, requireArtifact, requireOptions, requirePlan, requireProfile, requireRef, requireRunDir, requireScript } from "./common.js";

/** Rows per label, in first-seen order. */
function classCounts(labels: readonly string[], keep: (i: number) => boolean = () => true): Record<string, number> {
  const counts: Record<string, number> = {};
  labels.forEach((label, i) => {
    if (keep(i)) counts[label] = (counts[label] ?? 0) + 1;
  });
  return counts;
}

/** The mask over source rows made from the raw target column (not yet written), with its summary. */
function makeSplitMask(target: Column, regression: boolean, ratio: number | null, seed: number): { mask: Uint8Array; summary: Omit<SplitMask, "file"> } {
  const mask = sourceMask(targetLabels(target, regression), ratio, seed, !regression);
  const counts = [0, 0, 0];
  for (const m of mask) counts[m] = (counts[m] ?? 0) + 1;
  const summary = { target: target.name, seed, testRatio: ratio, stratified: !regression, train: counts[MASK_TRAIN] ?? 0, test: counts[MASK_TEST] ?? 0, noTarget: counts[MASK_NONE] ?? 0 };
  return { mask, summary };
}

/** Writes data/split_mask.txt; the ref comes from the write. */
function saveSplitMask(runDir: string, made: { mask: Uint8Array; summary: Omit<SplitMask, "file"> }): SplitMask {
  const { target, ...rest } = made.summary;
  return { file: writeFileAtomic(paths.splitMask(runDir), maskText(made.mask), made.mask.length), target, ...rest };
}

/**
 * Makes and writes the run's split mask (data/split_mask.txt) from the raw target column
 * over the source rows; `ratio` null (--test-csv): every row with a target is training.
 */
export async function writeSplitMask(runDir: string, target: Column, regression: boolean, ratio: number | null, seed: number): Promise<SplitMask> {
  return saveSplitMask(runDir, makeSplitMask(target, regression, ratio, seed));
}

/** The run's mask as explore wrote it, hash-checked. */
export async function readSplitMask(saved: SplitMask): Promise<Uint8Array> {
  const path = await requireArtifact(saved.file, "the split mask");
  return parseMask(readFileSync(path, "utf8"), path);
}

/** Source row per cleaned row (execute's data/cleaned_rows.txt), checked against the mask's rows. */
export async function readSourceRows(ref: NonNullable<State["execution"]>["sourceRows"], maskRows: number): Promise<Int32Array> {
  const path = await requireArtifact(ref, "the cleaned rows' source rows");
  const text = readFileSync(path, "utf8");
  const lines = text === "" ? [] : text.trimEnd().split("\n");
  const rows = Int32Array.from(lines, Number);
  for (const [i, r] of rows.entries())
    if (!(r >= 0 && r < maskRows && String(r) === lines[i]))
      throw new TabtuneError("split_source_rows_invalid", `${path} line ${i + 1}: "${lines[i]}" is not a source row below ${maskRows}`, {
        suggestion: "re-enter the run at review_prep (--start-from review_prep) so execute writes it again",
      });
  return rows;
}

/**
 * The mask split uses: explore's when the seed and ratio are still the ones it was made
 * with, else a new one from the CSV (feature selection, if it ran, saw the old one's
 * training rows: said in the log), written only by `save` once the split is sure to
 * succeed. Null for a run without source rows (from before masks).
 */
async function currentMask(
  state: State,
  runDir: string,
): Promise<{ mask: Uint8Array; how: "explore" | "recomputed"; sources: Int32Array; save: () => SplitMask | undefined } | null> {
  const options = requireOptions(state);
  const saved = state.splitMask;
  if (!saved || !state.execution?.sourceRows) return null;
  const plan = requirePlan(state);
  if (saved.target === plan.target && saved.stratified === (plan.task !== "regression") && saved.seed === options.seed && saved.testRatio === options.testRatio) {
    const mask = await readSplitMask(saved);
    return { mask, how: "explore", sources: await readSourceRows(state.execution.sourceRows, mask.length), save: () => undefined };
  }
  const config = getConfig();
  const table = await readTable(options.csv, { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows, decimalComma: config.csv.decimalComma });
  const column = table.columns.find((c) => c.name === plan.target);
  if (!column || table.rows !== saved.file.rows)
    throw new TabtuneError("csv_changed", `${options.csv} changed since explore (${table.rows} rows${column ? "" : `, no column "${plan.target}"`}; explore read ${saved.file.rows ?? "?"})`, {
      suggestion: "start a new run on the CSV as it is now",
    });
  const made = makeSplitMask(column, plan.task === "regression", options.testRatio, options.seed);
  return { mask: made.mask, how: "recomputed", sources: await readSourceRows(state.execution.sourceRows, made.mask.length), save: () => saveSplitMask(runDir, made) };
}

/** The log's words on which mask split the rows, and what that means for feature selection. */
function maskNote(state: State, used: SplitResult["mask"]): string {
  const saved = state.splitMask;
  const selected = state.selectedFeatures !== null;
  if (used === "explore") return `rows placed by explore's mask (data/split_mask.txt)${selected ? ", the one feature selection saw" : ""}`;
  if (used === "recomputed")
    return `target, seed or ratio changed since explore's mask (target "${saved?.target}", seed ${saved?.seed}, ratio ${saved?.testRatio ?? "none"}): a new mask was made${selected ? `; feature selection was made on explore's mask, so its training rows differ from this split's` : ""}`;
  return `the cleaned rows split afresh (this run has no source-row file from explore's mask)`;
}

/** Whether cleaned row i goes to the test part: its source row's side of the mask (a row kept without a raw target goes to training). */
export function placedInTest(mask: Uint8Array, sources: Int32Array): (i: number) => boolean {
  return (i) => mask[sources[i] ?? 0] === MASK_TEST;
}

/** The label split counts and stratifies by, as the cleaned row holds it (String of the parsed cell, read without parsing the row). */
export function labelOf(line: string, target: string): string {
  return cellString(line, target);
}

/** The train and test files, written, with their refs (from the writers) and class counts. */
interface Parts {
  train: ArtifactRef;
  test: ArtifactRef;
  trainClassCounts: Record<string, number>;
  testClassCounts: Record<string, number>;
  testDropped: number;
  mask?: SplitResult["mask"];
  maskUpdate?: SplitMask;
  noTargetKept?: number;
}

/** --test-csv: the cleaned table is the training part (its lines copied as written); the test CSV is cleaned into the test part. */
async function splitWithTestCsv(state: State, cleaned: ArtifactRef, trainPath: string, testPath: string): Promise<Parts> {
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const testCsv = options.testCsv ?? "";
  const regression = plan.task === "regression";
  // Refused before a row is written: a test CSV lacking a kept feature (rule shared with apply).
  await requireTestCsvColumns(testCsv, plan, requireProfile(state).columns.map((c) => c.name));
  const train = new AtomicLineWriter(trainPath);
  const trainLabels: string[] = [];
  try {
    for await (const lines of readArtifactLines(cleaned, "the cleaned table")) {
      if (!regression) for (const line of lines) trainLabels.push(labelOf(line, plan.target));
      await train.write(`${lines.join("\n")}\n`, lines.length);
    }
  } catch (error) {
    await train.abort();
    throw error;
  }
  const trainRef = await train.commit();
  const opened = await openPrepSandbox(await requireScript(state), plan, requireProfile(state));
  if (!opened.ok) throw new TabtuneError("prep_script_broken", `prepare_data.js no longer compiles: ${opened.error}`);
  const testLabels: string[] = [];
  const onCleaned = (rows: readonly (CleanRow | null)[]) => {
    for (const row of rows) if (row !== null) testLabels.push(String(row[plan.target]));
  };
  try {
    const run = await cleanCsv({ csv: testCsv, sandbox: opened.sandbox, cleanedPath: testPath, renderedPath: null, sampleSize: 0, ...(regression ? {} : { onCleaned }) });
    if (!run.ok || run.cleaned === null)
      throw new TabtuneError("test_csv_clean_failed", `${testCsv}${run.error?.line ? ` line ${run.error.line}` : ""}: ${run.error?.message ?? "?"}`, {
        suggestion: "fix that row of the test CSV or revise the plan",
      });
    return { train: trainRef, test: run.cleaned, trainClassCounts: classCounts(trainLabels), testClassCounts: classCounts(testLabels), testDropped: run.dropped };
  } finally {
    opened.sandbox.dispose();
  }
}

/**
 * A ratio split: each cleaned row takes its source row's side of the mask (a row kept
 * without a raw target goes to training), read once, its line copied as written. A run
 * without source rows splits the cleaned rows afresh, which needs every label first.
 * Nothing appears (no part, no new mask) unless the training rows suffice.
 */
async function splitByRatio(state: State, runDir: string, cleaned: ArtifactRef, trainPath: string, testPath: string): Promise<Parts> {
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const regression = plan.task === "regression";
  const fixed = await currentMask(state, runDir);
  const labels: string[] = [];
  let fresh: Uint8Array | null = null;
  if (!fixed) {
    for await (const lines of readArtifactLines(cleaned, "the cleaned table")) for (const line of lines) labels.push(labelOf(line, plan.target));
    requireTrainRows(labels, options.testRatio, regression, getConfig().split); // too few training rows: refused before writing
    fresh = testMask(labels, options.testRatio, options.seed, !regression);
  }
  const isTest = fixed ? placedInTest(fixed.mask, fixed.sources) : (i: number) => fresh?.[i] === 1;
  const train = new AtomicLineWriter(trainPath);
  const test = new AtomicLineWriter(testPath);
  try {
    let i = 0;
    // Read once, hash-checked as it is read (the check throws before a part is committed).
    for await (const lines of fixed ? readArtifactLines(cleaned, "the cleaned table") : readLineBatches(cleaned.path)) {
      const toTrain: string[] = [];
      const toTest: string[] = [];
      for (const line of lines) {
        if (fixed) labels.push(labelOf(line, plan.target));
        (isTest(i++) ? toTest : toTrain).push(line);
      }
      if (toTrain.length > 0) await train.write(`${toTrain.join("\n")}\n`, toTrain.length);
      if (toTest.length > 0) await test.write(`${toTest.join("\n")}\n`, toTest.length);
    }
    if (fixed) {
      requireTrainRows(labels, options.testRatio, regression, getConfig().split); // too few training rows: refused before a file appears
      if (fixed.sources.length !== labels.length)
        throw new TabtuneError("split_source_rows_invalid", `the cleaned table has ${labels.length} rows but its source-row file lists ${fixed.sources.length}`, {
          suggestion: "re-enter the run at review_prep (--start-from review_prep) so execute writes both again",
        });
    }
  } catch (error) {
    await train.abort();
    await test.abort();
    throw error;
  }
  const maskUpdate = fixed?.save();
  const parts: Parts = {
    train: await train.commit(),
    test: await test.commit(),
    trainClassCounts: regression ? {} : classCounts(labels, (k) => !isTest(k)),
    testClassCounts: regression ? {} : classCounts(labels, isTest),
    testDropped: 0,
    mask: fixed ? fixed.how : "cleaned",
    ...(maskUpdate ? { maskUpdate } : {}),
  };
  if (fixed) {
    let noTargetKept = 0;
    for (const r of fixed.sources) if (fixed.mask[r] === MASK_NONE) noTargetKept += 1;
    parts.noTargetKept = noTargetKept;
  }
  return parts;
}

export async function split(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const cleaned = requireRef(state.execution?.cleaned, "the cleaned table");
  const runDir = requireRunDir(state);
  mkdirSync(paths.runData(runDir), { recursive: true });
  const regression = plan.task === "regression";
  const trainPath = paths.splitTrain(runDir);
  const testPath = paths.splitTest(runDir);
  const parts = options.testCsv ? await splitWithTestCsv(state, cleaned, trainPath, testPath) : await splitByRatio(state, runDir, cleaned, trainPath, testPath);
  const { train: trainRef, test: testRef, trainClassCounts, testClassCounts, testDropped, mask: maskUsed, maskUpdate, noTargetKept = 0 } = parts;
  const trainRows = trainRef.rows ?? 0;
  const testRows = testRef.rows ?? 0;
  if (trainRows === 0 || testRows === 0)
    throw new TabtuneError("split_empty", `the split left ${trainRows} training and ${testRows} test rows`, {
      suggestion: "use a test ratio between 0.05 and 0.5, or a larger CSV",
    });
  stage("split", `${trainRows} train / ${testRows} test`);
  return {
    splitResult: {
      source: options.testCsv ? "test_csv" : "ratio",
      testRatio: options.testCsv ? null : options.testRatio,
      train: trainRef,
      test: testRef,
      trainClassCounts,
      testClassCounts,
      testDropped,
      ...(maskUsed ? { mask: maskUsed } : {}),
    },
    ...(maskUpdate ? { splitMask: maskUpdate } : {}),
    log: [
      logEntry("split", options.testCsv ? `test CSV ${options.testCsv}` : `seeded ${regression ? "random" : "stratified"} split, test ratio ${options.testRatio}; ${maskNote(state, maskUsed)}`, started, {
        numbers: { train: trainRows, test: testRows, seed: options.seed, testDropped, ...(maskUsed === "cleaned" ? {} : { noTargetKept }) },
        artifacts: [trainPath, testPath, ...(maskUpdate ? [maskUpdate.file.path] : [])],
      }),
    ],
  };
}
