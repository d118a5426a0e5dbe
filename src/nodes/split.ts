/** split: a new run directory, then a seeded (stratified) split of the cleaned rows or the given test CSV. */
import { mkdirSync } from "node:fs";
import { AtomicLineWriter, artifactRef, readJsonLines } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { cleanCsv } from "../prep/clean-csv.js";
import { openPrepSandbox } from "../prep/open.js";
import type { CleanRow } from "../rows.js";
import type { State, Update } from "../state.js";
import { getConfig } from "../runtime.js";
import { requireTrainRows, testMask } from "../stats/split.js";
import { requireTestCsvColumns } from "../table/alignment.js";
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
    const mask = testMask(labels, options.testRatio, options.seed, !regression);
    const train = new AtomicLineWriter(trainPath);
    const test = new AtomicLineWriter(testPath);
    let i = 0;
    for await (const row of readJsonLines<CleanRow>(cleanedPath)) await (mask[i++] ? test : train).write(JSON.stringify(row) + "\n");
    await train.commit();
    await test.commit();
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
    },
    log: [
      logEntry("split", options.testCsv ? `test CSV ${options.testCsv}` : `seeded ${regression ? "random" : "stratified"} split, test ratio ${options.testRatio}`, started, {
        numbers: { train: trainRows, test: testRows, seed: options.seed, testDropped },
        artifacts: [trainPath, testPath],
      }),
    ],
  };
}
