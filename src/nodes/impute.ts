/** impute: fit per-column fills on the training rows only, apply the same fills to both sides. */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AtomicLineWriter, artifactRef, readJsonLines, writeFileAtomic } from "../artifacts.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import type { CleanRow } from "../sandbox/sandbox.js";
import type { ImputedColumn, State, Update } from "../state.js";
import { fitMedian, fitMode, type FittedImputer } from "../stats/impute.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir } from "./common.js";

async function applyFills(from: string, to: string, fills: FittedImputer[], filled: Map<string, number>): Promise<number> {
  const out = new AtomicLineWriter(to);
  for await (const row of readJsonLines<CleanRow>(from)) {
    for (const fill of fills) {
      if (row[fill.column] === null || row[fill.column] === undefined) {
        row[fill.column] = fill.value;
        filled.set(fill.column, (filled.get(fill.column) ?? 0) + 1);
      }
    }
    await out.write(JSON.stringify(row) + "\n");
  }
  await out.commit();
  return out.lines;
}

export async function impute(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const runDir = requireRunDir(state);
  const split = state.splitResult;
  if (!split) throw new Error("impute needs the split");

  const numeric = new Set(profile.columns.filter((c) => c.kind === "numeric" || c.kind === "integer").map((c) => c.name));
  const trainValues = new Map<string, (string | number | null)[]>(plan.features.map((f) => [f, []]));
  for await (const row of readJsonLines<CleanRow>(split.train.path))
    for (const feature of plan.features) {
      const v = row[feature];
      trainValues.get(feature)?.push(v === undefined || v === null ? null : typeof v === "boolean" ? String(v) : v);
    }

  // Every feature gets a fill fitted on training rows, so a value missing only in the test rows is covered too.
  const fills: FittedImputer[] = [];
  for (const [column, values] of trainValues) {
    if (numeric.has(column)) {
      const value = fitMedian(values.map((v) => (typeof v === "number" ? v : null)));
      if (value !== null) fills.push({ column, policy: "median", value });
    } else {
      const value = fitMode(values.map((v) => (v === null ? null : String(v))));
      if (value !== null) fills.push({ column, policy: "mode", value });
    }
  }

  const filledTrain = new Map<string, number>();
  const filledTest = new Map<string, number>();
  const trainRows = await applyFills(split.train.path, paths.imputedTrain(runDir), fills, filledTrain);
  const testRows = await applyFills(split.test.path, paths.imputedTest(runDir), fills, filledTest);
  const columns: ImputedColumn[] = fills
    .map((f) => ({ column: f.column, policy: f.policy, value: f.value, filledTrain: filledTrain.get(f.column) ?? 0, filledTest: filledTest.get(f.column) ?? 0 }))
    .filter((c) => c.filledTrain + c.filledTest > 0);

  const policiesPath = paths.policies(runDir);
  writeFileAtomic(policiesPath, JSON.stringify({ fittedOn: split.train.path, fittedRows: trainRows, policies: fills }, null, 2) + "\n");
  const report = [
    "# Imputation",
    "",
    `Fitted on ${trainRows} training rows only; the same values fill the ${testRows} test rows.`,
    "",
    "| column | policy | value | filled (train) | filled (test) |",
    "|---|---|---|---|---|",
    ...columns.map((c) => `| ${c.column} | ${c.policy} | ${c.value} | ${c.filledTrain} | ${c.filledTest} |`),
    "",
  ].join("\n");
  writeFileAtomic(paths.imputationReport(runDir), report);
  // The dataset-level imputation/ folder mirrors the latest run (each run keeps its own).
  mkdirSync(paths.imputationDir(options.output), { recursive: true });
  copyFileSync(policiesPath, join(paths.imputationDir(options.output), "policies.json"));
  copyFileSync(paths.imputationReport(runDir), join(paths.imputationDir(options.output), "report.md"));

  stage("impute", columns.length === 0 ? "no missing feature values" : columns.map((c) => `${c.column}: ${c.policy} ${c.value} (${c.filledTrain}+${c.filledTest})`).join("; "));
  return {
    imputation: {
      columns,
      policies: await artifactRef(policiesPath, null),
      train: await artifactRef(paths.imputedTrain(runDir), trainRows),
      test: await artifactRef(paths.imputedTest(runDir), testRows),
    },
    log: [
      logEntry("impute", columns.length === 0 ? "nothing to fill" : `filled ${columns.map((c) => c.column).join(", ")}`, started, {
        numbers: Object.fromEntries(columns.flatMap((c) => [[`${c.column}:train`, c.filledTrain], [`${c.column}:test`, c.filledTest]])),
        artifacts: [policiesPath, paths.imputedTrain(runDir), paths.imputedTest(runDir)],
      }),
    ],
  };
}
