/**
 * balance: resamples the training rows only (the test distribution is never touched) by
 * running scripts/balance_data.js in the sandbox (written by the coder model when one is
 * configured, else the heuristic template), then renders train.json and test.json with
 * the approved prep script's `render`.
 */
import { AtomicLineWriter, artifactRef, readJsonLines, writeFileAtomic } from "../artifacts.js";
import { writeAndRunBalance, type BalanceScript } from "../codegen/balance-coder.js";
import { TabtuneError } from "../errors.js";
import { callLogEntry } from "../llm/index.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { openPrepSandbox } from "../prep/open.js";
import { renderRows } from "../prep/render.js";
import type { CleanRow } from "../rows.js";
import type { ArtifactRef, LogEntry, State, Update } from "../state.js";
import { getConfig, getDecider } from "../runtime.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir, requireScript, requireState } from "./common.js";

/** Rows per class, each row counted `copies(i)` times. */
function countBy(labels: readonly string[], copies: (i: number) => number): Record<string, number> {
  const counts: Record<string, number> = {};
  labels.forEach((label, i) => (counts[label] = (counts[label] ?? 0) + copies(i)));
  return counts;
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

  // Only a balance script needs every training row in memory; otherwise the rows stream.
  const resample = task !== null && strategy !== "none";
  const rows: CleanRow[] = [];
  const labels: string[] = [];
  for await (const row of readJsonLines<CleanRow>(imputed.train.path)) {
    labels.push(String(row[plan.target]));
    if (resample) rows.push(row);
  }
  const before = countBy(labels, () => 1);
  let script: BalanceScript | null = null;
  let scriptRef: ArtifactRef | null = null;
  const copies = new Uint32Array(labels.length).fill(1);
  if (resample) {
    const config = getConfig();
    script = await writeAndRunBalance({
      rows,
      ctx: { target: plan.target, task, labels: plan.labels, strategy, seed: options.seed, counts: before, advice: plan.balancing.advice },
      plan,
      profile,
      decider: getDecider(options),
      config,
    });
    copies.fill(0);
    for (const i of script.indices) copies[i] = (copies[i] ?? 0) + 1;
    // The run keeps the script it was balanced with.
    const runScript = paths.balanceScript(runDir);
    writeFileAtomic(runScript, script.code);
    scriptRef = await artifactRef(runScript, null);
  }
  const after = countBy(labels, (i) => copies[i] ?? 0);

  const rowsPath = paths.finalTrainRows(runDir);
  const out = new AtomicLineWriter(rowsPath);
  let i = 0;
  for await (const row of readJsonLines<CleanRow>(imputed.train.path)) {
    const line = JSON.stringify(row) + "\n";
    for (let c = 0; c < (copies[i] ?? 0); c++) await out.write(line);
    i += 1;
  }
  await out.commit();

  const opened = await openPrepSandbox(await requireScript(state), plan, profile);
  if (!opened.ok) throw new TabtuneError("prep_script_broken", `prepare_data.js no longer compiles: ${opened.error}`);
  let trainCount: number;
  let testCount: number;
  try {
    trainCount = await renderRows(opened.sandbox, rowsPath, paths.trainJson(runDir));
    testCount = await renderRows(opened.sandbox, imputed.test.path, paths.testJson(runDir));
  } finally {
    opened.sandbox.dispose();
  }

  const written = script ? ` by balance_data.js (${script.writer}${script.failures.length > 0 ? ` after ${script.failures.length} failed tries` : ""})` : "";
  stage("balance", strategy === "none" ? `no resampling; ${trainCount} train / ${testCount} test records` : `${strategy}${written}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  const log: LogEntry[] = (script?.calls ?? []).filter((c) => c.provider !== "heuristic").map((c) => callLogEntry("balance", c));
  for (const failure of script?.failures ?? []) log.push(logEntry("balance", `balance script failed: ${failure}`, started, { by: script?.writer ?? "heuristic" }));
  log.push(
    logEntry("balance", strategy === "none" ? "no resampling" : `${strategy} training rows${written}`, started, {
      by: script?.writer ?? "heuristic",
      numbers: {
        trainRecords: trainCount,
        testRecords: testCount,
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
      trainRows: await artifactRef(rowsPath, trainCount),
      trainJson: await artifactRef(paths.trainJson(runDir), trainCount),
      testJson: await artifactRef(paths.testJson(runDir), testCount),
    },
    log,
  };
}
