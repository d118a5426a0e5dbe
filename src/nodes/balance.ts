/**
 * balance: resamples the training rows only (the test distribution is never touched) by
 * running scripts/balance_data.js in the sandbox (written by the coder model when one is
 * configured, else the heuristic template), then writes train_rows.jsonl, train.json and
 * test.json in one pass (prep/records.ts): a row imputation left as it was keeps execute's
 * record from all_data.json, the others go through the approved prep script's `render`.
 */
import { forEachJsonLine, writeFileAtomic } from "../artifacts.js";
import { writeAndRunBalance, type BalanceScript } from "../codegen/balance-coder.js";
import { TabtuneError } from "../errors.js";
import { callLogEntry } from "../llm/index.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { openPrepSandbox } from "../prep/open.js";
import { writeRecords, type KnownRecords } from "../prep/records.js";
import type { CleanRow } from "../rows.js";
import type { ArtifactRef, LogEntry, State, Update } from "../state.js";
import { getConfig, getDecider } from "../runtime.js";
import { readArtifactLines, requireOptions, requirePlan, requireProfile, requireRunDir, requireScript, requireState } from "./common.js";
import { labelOf, placedInTest, readSourceRows, readSplitMask } from "./split.js";

/** Rows per class, each row counted `copies(i)` times. */
function countBy(labels: readonly string[], copies: (i: number) => number): Record<string, number> {
  const counts: Record<string, number> = {};
  labels.forEach((label, i) => (counts[label] = (counts[label] ?? 0) + copies(i)));
  return counts;
}

/**
 * execute's records (all_data.json) and the part each cleaned row went to, where split's
 * placement can be told again: by the mask over source rows, or every cleaned row as
 * training (a test CSV). Null for a run that split the cleaned rows afresh (no source rows).
 */
async function knownRecords(state: State): Promise<KnownRecords | null> {
  const execution = state.execution;
  const split = state.splitResult;
  if (!execution?.allData || !split) return null;
  const allData = execution.allData;
  const known = (isTest: (i: number) => boolean): KnownRecords => ({ records: readArtifactLines(allData, "all_data.json", true), path: allData.path, isTest });
  if (split.source === "test_csv") return known(() => false);
  if ((split.mask !== "explore" && split.mask !== "recomputed") || !state.splitMask || !execution.sourceRows) return null;
  const mask = await readSplitMask(state.splitMask);
  const sources = await readSourceRows(execution.sourceRows, mask.length);
  return known(placedInTest(mask, sources));
}

export async function balance(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const runDir = requireRunDir(state);
  const imputed = requireState(state.imputation, "imputed rows", "balance");
  const task = plan.task === "regression" ? null : plan.task;
  const strategy = task === null ? "none" : state.balanceStrategy;

  // Only a balance script needs every training row in memory (and a pass before writing);
  // otherwise the labels are counted in the one pass that writes the files.
  const resample = task !== null && strategy !== "none";
  const rows: CleanRow[] = [];
  const labels: string[] = [];
  if (resample)
    await forEachJsonLine<CleanRow>(imputed.train.path, (row) => {
      labels.push(String(row[plan.target]));
      rows.push(row);
    });
  let script: BalanceScript | null = null;
  let scriptRef: ArtifactRef | null = null;
  let copies: Uint32Array | undefined;
  if (resample) {
    const config = getConfig();
    script = await writeAndRunBalance({
      rows,
      ctx: { target: plan.target, task, labels: plan.labels, strategy, seed: options.seed, counts: countBy(labels, () => 1), advice: plan.balancing.advice },
      plan,
      profile,
      decider: getDecider(options),
      config,
    });
    copies = new Uint32Array(labels.length);
    for (const i of script.indices) copies[i] = (copies[i] ?? 0) + 1;
    rows.length = 0;
    // The run keeps the script it was balanced with.
    scriptRef = writeFileAtomic(paths.balanceScript(runDir), script.code);
  }

  const rowsPath = paths.finalTrainRows(runDir);
  const scriptPath = await requireScript(state);
  const splitResult = requireState(state.splitResult, "the split", "balance");
  const written = await writeRecords({
    train: { split: splitResult.train.path, imputed: imputed.train.path, records: paths.trainJson(runDir), rows: rowsPath, ...(copies ? { copies } : { onLine: (line: string) => labels.push(labelOf(line, plan.target)) }) },
    test: { split: splitResult.test.path, imputed: imputed.test.path, records: paths.testJson(runDir) },
    known: await knownRecords(state),
    openSandbox: async () => {
      const opened = await openPrepSandbox(scriptPath, plan, profile);
      if (!opened.ok) throw new TabtuneError("prep_script_broken", `prepare_data.js no longer compiles: ${opened.error}`);
      return opened.sandbox;
    },
    batchRows: getConfig().sandbox.batchRows,
  });
  const before = countBy(labels, () => 1);
  const after = countBy(labels, (i) => (copies ? (copies[i] ?? 0) : 1));
  if (written.train.rows === null) throw new Error("balance wrote no train_rows.jsonl");
  const trainCount = written.train.records.rows ?? 0;
  const testCount = written.test.records.rows ?? 0;

  const by = script ? ` by balance_data.js (${script.writer}${script.failures.length > 0 ? ` after ${script.failures.length} failed tries` : ""})` : "";
  stage("balance", strategy === "none" ? `no resampling; ${trainCount} train / ${testCount} test records` : `${strategy}${by}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  const log: LogEntry[] = (script?.calls ?? []).filter((c) => c.provider !== "heuristic").map((c) => callLogEntry("balance", c));
  for (const failure of script?.failures ?? []) log.push(logEntry("balance", `balance script failed: ${failure}`, started, { by: script?.writer ?? "heuristic" }));
  log.push(
    logEntry("balance", strategy === "none" ? "no resampling" : `${strategy} training rows${by}`, started, {
      by: script?.writer ?? "heuristic",
      numbers: {
        trainRecords: trainCount,
        testRecords: testCount,
        recordsReused: written.reused,
        recordsRendered: written.rendered,
        ...(script ? { scriptAttempts: script.attempts } : {}),
        ...Object.fromEntries(Object.entries(after).map(([k, v]) => [`after:${k}`, v])),
      },
      artifacts: [...(scriptRef ? [scriptRef.path] : []), rowsPath, paths.trainJson(runDir), paths.testJson(runDir)],
    }),
  );
  return {
    balanceResult: {
      strategy,
      before,
      after,
      script: scriptRef,
      writer: script?.writer ?? null,
      trainRows: written.train.rows,
      trainJson: written.train.records,
      testJson: written.test.records,
    },
    log,
  };
}
