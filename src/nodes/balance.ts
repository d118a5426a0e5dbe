/**
 * balance: resamples the training rows only (the test distribution is never touched),
 * then renders train.json and test.json with the approved prep script's `render`.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AtomicLineWriter, JsonArrayWriter, artifactRef, readJsonLines } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import type { CleanRow, PrepSandbox } from "../sandbox/sandbox.js";
import type { State, Update } from "../state.js";
import { rowMultiplicity } from "../stats/balance.js";
import { getConfig } from "../runtime.js";
import { openPrepSandbox } from "./execute.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir } from "./common.js";

async function renderRows(sandbox: PrepSandbox, from: string, to: string): Promise<number> {
  const batchRows = getConfig().sandbox.batchRows;
  const out = new JsonArrayWriter(to);
  let batch: CleanRow[] = [];
  const flush = async () => {
    const result = await sandbox.render(batch);
    if (!result.ok) {
      await out.abort();
      throw new TabtuneError("render_failed", `render failed on ${from}: ${result.error}`, { suggestion: "revise the plan at review_prep" });
    }
    for (const record of result.rows) await out.push(record);
    batch = [];
  };
  for await (const row of readJsonLines<CleanRow>(from)) {
    batch.push(row);
    if (batch.length >= batchRows) await flush();
  }
  if (batch.length > 0) await flush();
  await out.commit();
  return out.count;
}

export async function balance(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const runDir = requireRunDir(state);
  const imputed = state.imputation;
  if (!imputed) throw new Error("balance needs the imputed rows");
  const strategy = plan.task === "regression" ? "none" : state.balanceStrategy;

  const labels: string[] = [];
  for await (const row of readJsonLines<CleanRow>(imputed.train.path)) labels.push(String(row[plan.target]));
  const copies = rowMultiplicity(labels, strategy, options.seed);
  const before: Record<string, number> = {};
  const after: Record<string, number> = {};
  labels.forEach((label, i) => {
    before[label] = (before[label] ?? 0) + 1;
    after[label] = (after[label] ?? 0) + (copies[i] ?? 0);
  });
  const rowsPath = paths.finalTrainRows(runDir);
  const out = new AtomicLineWriter(rowsPath);
  let i = 0;
  for await (const row of readJsonLines<CleanRow>(imputed.train.path)) {
    const line = JSON.stringify(row) + "\n";
    for (let c = 0; c < (copies[i] ?? 0); c++) await out.write(line);
    i += 1;
  }
  await out.commit();

  const opened = await openPrepSandbox(paths.prepScript(options.output), plan, requireProfile(state));
  if (!opened.ok) throw new TabtuneError("prep_script_broken", `prepare_data.js no longer compiles: ${opened.error}`);
  let trainCount: number;
  let testCount: number;
  try {
    trainCount = await renderRows(opened.sandbox, rowsPath, paths.trainJson(runDir));
    testCount = await renderRows(opened.sandbox, imputed.test.path, paths.testJson(runDir));
  } finally {
    opened.sandbox.dispose();
  }
  // data/ mirrors the latest run's split for convenience; every run keeps its own copy.
  mkdirSync(paths.dataDir(options.output), { recursive: true });
  copyFileSync(paths.trainJson(runDir), join(paths.dataDir(options.output), "train.json"));
  copyFileSync(paths.testJson(runDir), join(paths.dataDir(options.output), "test.json"));

  stage("balance", strategy === "none" ? `no resampling; ${trainCount} train / ${testCount} test records` : `${strategy}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  return {
    balanceResult: {
      strategy,
      before,
      after,
      trainRows: await artifactRef(rowsPath, trainCount),
      trainJson: await artifactRef(paths.trainJson(runDir), trainCount),
      testJson: await artifactRef(paths.testJson(runDir), testCount),
    },
    log: [
      logEntry("balance", strategy === "none" ? "no resampling" : `${strategy} training rows`, started, {
        numbers: { trainRecords: trainCount, testRecords: testCount, ...Object.fromEntries(Object.entries(after).map(([k, v]) => [`after:${k}`, v])) },
        artifacts: [rowsPath, paths.trainJson(runDir), paths.testJson(runDir)],
      }),
    ],
  };
}
