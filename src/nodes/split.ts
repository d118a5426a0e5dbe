/**
 * split: the cleaned rows go where the mask fixed at explore put their source rows (or to
 * training, with a test CSV cleaned as the test part). writeSplitMask makes that mask.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { AtomicLineWriter, artifactRef, readJsonLines, writeFileAtomic } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { cleanCsv } from "../prep/clean-csv.js";
import { openPrepSandbox } from "../prep/open.js";
import type { CleanRow } from "../rows.js";
import type { SplitMask, SplitResult, State, Update } from "../state.js";
import { getConfig } from "../runtime.js";
import { MASK_NONE, MASK_TEST, MASK_TRAIN, maskText, parseMask, requireTrainRows, sourceMask, targetLabels, testMask } from "../stats/split.js";
import { requireTestCsvColumns } from "../table/alignment.js";
import { readTable, type Column } from "../table/columns.js";
import { requireArtifact, requireOptions, requirePlan, requireProfile, requireRunDir, requireScript } from "./common.js";

function classCounts(rows: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const label of rows) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

async function countLabels(path: string, target: string, regression: boolean): Promise<Record<string, number>> {
  if (regression) return {};
  const labels: string[] = [];
  for await (const row of readJsonLines<CleanRow>(path)) labels.push(String(row[target]));
  return classCounts(labels);
}

/**
 * Makes and writes the run's split mask (data/split_mask.txt) from the raw target column
 * over the source rows; `ratio` null (--test-csv): every row with a target is training.
 */
export async function writeSplitMask(runDir: string, target: Column, regression: boolean, ratio: number | null, seed: number): Promise<SplitMask> {
  const mask = sourceMask(targetLabels(target, regression), ratio, seed, !regression);
  const counts = [0, 0, 0];
  for (const m of mask) counts[m] = (counts[m] ?? 0) + 1;
  writeFileAtomic(paths.splitMask(runDir), maskText(mask));
  return {
    file: await artifactRef(paths.splitMask(runDir), mask.length),
    target: target.name,
    seed,
    testRatio: ratio,
    stratified: !regression,
    train: counts[MASK_TRAIN] ?? 0,
    test: counts[MASK_TEST] ?? 0,
    noTarget: counts[MASK_NONE] ?? 0,
  };
}

/** The run's mask as explore wrote it, hash-checked. */
export async function readSplitMask(saved: SplitMask): Promise<Uint8Array> {
  const path = await requireArtifact(saved.file, "the split mask");
  return parseMask(readFileSync(path, "utf8"), path);
}

/** Source row per cleaned row (execute's data/cleaned_rows.txt), checked against the mask's rows. */
async function readSourceRows(ref: NonNullable<State["execution"]>["sourceRows"], maskRows: number): Promise<Int32Array> {
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
 * training rows: said in the log). Null for a run without source rows (from before masks).
 */
async function currentMask(state: State, runDir: string): Promise<{ mask: Uint8Array; made: SplitMask; how: "explore" | "recomputed"; sources: Int32Array } | null> {
  const options = requireOptions(state);
  const saved = state.splitMask;
  if (!saved || !state.execution?.sourceRows) return null;
  const plan = requirePlan(state);
  if (saved.target === plan.target && saved.stratified === (plan.task !== "regression") && saved.seed === options.seed && saved.testRatio === options.testRatio) {
    const mask = await readSplitMask(saved);
    return { mask, made: saved, how: "explore", sources: await readSourceRows(state.execution.sourceRows, mask.length) };
  }
  const config = getConfig();
  const table = await readTable(options.csv, { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows, decimalComma: config.csv.decimalComma });
  const column = table.columns.find((c) => c.name === plan.target);
  if (!column || table.rows !== saved.file.rows)
    throw new TabtuneError("csv_changed", `${options.csv} changed since explore (${table.rows} rows${column ? "" : `, no column "${plan.target}"`}; explore read ${saved.file.rows ?? "?"})`, {
      suggestion: "start a new run on the CSV as it is now",
    });
  const made = await writeSplitMask(runDir, column, plan.task === "regression", options.testRatio, options.seed);
  const mask = await readSplitMask(made);
  return { mask, made, how: "recomputed", sources: await readSourceRows(state.execution.sourceRows, mask.length) };
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

export async function split(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const cleanedPath = await requireArtifact(state.execution?.cleaned, "the cleaned table");
  const runDir = requireRunDir(state);
  mkdirSync(paths.runData(runDir), { recursive: true });
  const regression = plan.task === "regression";
  const trainPath = paths.splitTrain(runDir);
  const testPath = paths.splitTest(runDir);
  let testDropped = 0;
  let maskUsed: SplitResult["mask"];
  let maskUpdate: SplitMask | undefined;
  let noTargetKept = 0;

  if (options.testCsv) {
    // Refused before a row is written: a test CSV lacking a kept feature (rule shared with apply).
    await requireTestCsvColumns(options.testCsv, plan, requireProfile(state).columns.map((c) => c.name));
    const train = new AtomicLineWriter(trainPath);
    for await (const row of readJsonLines<CleanRow>(cleanedPath)) await train.write(JSON.stringify(row) + "\n");
    await train.commit();
    const opened = await openPrepSandbox(await requireScript(state), plan, requireProfile(state));
    if (!opened.ok) throw new TabtuneError("prep_script_broken", `prepare_data.js no longer compiles: ${opened.error}`);
    try {
      const run = await cleanCsv({ csv: options.testCsv, sandbox: opened.sandbox, cleanedPath: testPath, renderedPath: null, sampleSize: 0 });
      if (!run.ok)
        throw new TabtuneError("test_csv_clean_failed", `${options.testCsv}${run.error?.line ? ` line ${run.error.line}` : ""}: ${run.error?.message ?? "?"}`, {
          suggestion: "fix that row of the test CSV or revise the plan",
        });
      testDropped = run.dropped;
    } finally {
      opened.sandbox.dispose();
    }
  } else {
    const labels: string[] = [];
    for await (const row of readJsonLines<CleanRow>(cleanedPath)) labels.push(String(row[plan.target]));
    requireTrainRows(labels, options.testRatio, regression, getConfig().split); // too few training rows: refused before writing
    const fixed = await currentMask(state, runDir);
    if (fixed && fixed.sources.length !== labels.length)
      throw new TabtuneError("split_source_rows_invalid", `the cleaned table has ${labels.length} rows but its source-row file lists ${fixed.sources.length}`, {
        suggestion: "re-enter the run at review_prep (--start-from review_prep) so execute writes both again",
      });
    // Each cleaned row takes its source row's side; a row kept without a raw target goes to training.
    const fresh = fixed ? null : testMask(labels, options.testRatio, options.seed, !regression);
    const isTest = (i: number) => (fixed ? fixed.mask[fixed.sources[i] ?? 0] === MASK_TEST : fresh?.[i] === 1);
    const train = new AtomicLineWriter(trainPath);
    const test = new AtomicLineWriter(testPath);
    let i = 0;
    for await (const row of readJsonLines<CleanRow>(cleanedPath)) await (isTest(i++) ? test : train).write(JSON.stringify(row) + "\n");
    await train.commit();
    await test.commit();
    if (fixed) {
      maskUsed = fixed.how;
      if (fixed.how === "recomputed") maskUpdate = fixed.made;
      noTargetKept = Array.from(fixed.sources).filter((r) => fixed.mask[r] === MASK_NONE).length;
    } else maskUsed = "cleaned";
  }

  const trainRef = await artifactRef(trainPath, null);
  const testRef = await artifactRef(testPath, null);
  const trainClassCounts = await countLabels(trainPath, plan.target, regression);
  const testClassCounts = await countLabels(testPath, plan.target, regression);
  let trainRows = 0;
  let testRows = 0;
  for await (const _ of readJsonLines(trainPath)) trainRows += 1;
  for await (const _ of readJsonLines(testPath)) testRows += 1;
  trainRef.rows = trainRows;
  testRef.rows = testRows;
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
