/** explore: stream the CSV into typed columns, profile it, choose target, task and labels. */
import { existsSync } from "node:fs";
import type { Config } from "../config.js";
import { TabtuneError } from "../errors.js";
import { answeredBy, exploreValues, promptLimits, type CallRecord } from "../llm/index.js";
import { detail, logEntry, stage } from "../log.js";
import type { RunOptions } from "../options.js";
import { getConfig, getDecider } from "../runtime.js";
import type { TableProfile, TargetChoice } from "../schemas.js";
import type { LogEntry, State, Update } from "../state.js";
import { columnValue, readTable, type Table } from "../table/columns.js";
import { alignTestTable, describeMissing, missingColumns, requireColumns, type TestAlignment } from "../table/alignment.js";
import { readTableSample, type CsvOptions } from "../table/csv.js";
import { profileTable } from "../table/profile.js";
import { findQualityIssues } from "../table/quality.js";
import { detectTarget } from "../table/target.js";
import { modelCallLog, requireOptions, runFolder } from "./common.js";
import { writeSplitMask } from "./split.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter } from "../events.js";

function countTarget(table: Table, column: string): Record<string, number> {
  const col = table.columns.find((c) => c.name === column);
  const counts: Record<string, number> = {};
  if (!col) return counts;
  for (let row = 0; row < table.rows; row++) {
    const value = columnValue(col, row);
    if (value === null) continue;
    const key = String(value);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Checks a model's target choice against the table: the column exists and could be a
 * target, and the labels cover its values (as detectTarget maps them). A message to
 * re-ask with, or null.
 */
export function checkTargetChoice(choice: TargetChoice, profile: TableProfile, cfg: Config["profile"]): string | null {
  const columns = profile.columns.map((c) => c.name);
  const column = profile.columns.find((c) => c.name === choice.column);
  if (!column) return `"${choice.column}" is not a column; the columns are: ${columns.join(", ")}`;
  if (column.kind === "identifier") return `"${choice.column}" is an identifier (unique per row) and cannot be the target`;
  let checked: TargetChoice;
  try {
    checked = detectTarget(profile, cfg, choice.column);
  } catch (error) {
    if (error instanceof TabtuneError) return `"${choice.column}" cannot be the target: ${error.message}`;
    throw error;
  }
  if ((checked.task === "regression") !== (choice.task === "regression"))
    return `"${choice.column}" looks like a ${checked.task} target, not ${choice.task}`;
  const missing = Object.keys(checked.labels).filter((value) => !(value in choice.labels));
  if (missing.length > 0) return `labels must map every value of "${choice.column}"; missing: ${missing.join(", ")}`;
  return null;
}

/** The target: --target as given (no model asked), else the decider's choice with detectTarget as the fallback. */
async function chooseTarget(profile: TableProfile, explicit: string | null, options: RunOptions, config: Config): Promise<{ target: TargetChoice; call: CallRecord | null }> {
  if (explicit) return { target: detectTarget(profile, config.profile, explicit), call: null };
  const { value, source } = await getDecider(options).chooseTarget({
    values: exploreValues(profile, null, promptLimits(config)),
    fallback: () => detectTarget(profile, config.profile),
    check: (choice) => checkTargetChoice(choice, profile, config.profile),
  });
  return { target: value, call: source };
}

/**
 * --test-csv against the training table, before anything is written: a test CSV without
 * the target (or with it renamed) is an error now; other problems are lines for the user.
 * Training columns it lacks are errors only once the plan keeps them (requireTestCsvColumns,
 * before the split), since a column the plan drops may be absent.
 */
async function alignTestCsv(train: Table, profile: TableProfile, target: TargetChoice, testCsv: string, csvOptions: CsvOptions): Promise<TestAlignment> {
  if (!existsSync(testCsv))
    throw new TabtuneError("test_csv_missing", `--test-csv ${testCsv} does not exist`, { suggestion: "check the path" });
  const test = await readTable(testCsv, csvOptions);
  requireColumns({
    code: "test_csv_no_target",
    file: testCsv,
    label: `--test-csv ${testCsv}`,
    header: test.columns.map((c) => c.name),
    required: [target.column],
    known: train.columns.map((c) => c.name),
    role: "that is the target (its rows cannot be evaluated without it)",
    otherwise: (_, renamed) => `${renamed ? "otherwise " : ""}pass a test CSV whose rows carry the target "${target.column}"`,
  });
  return alignTestTable(train, profile, test, target);
}

export async function explore(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const run = runFolder(state, runConfig);
  const config = getConfig();
  if (!existsSync(options.csv))
    throw new TabtuneError("csv_missing", `${options.csv} does not exist`, { suggestion: "check the --csv path" });
  const csvOptions: CsvOptions = { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows, decimalComma: config.csv.decimalComma };
  const reading = progressReporter(runConfig, "explore", "reading CSV", "rows");
  const table = await readTable(options.csv, csvOptions, reading.update);
  reading.finish(table.rows);
  const sample = await readTableSample(options.csv, csvOptions, config.profile.sampleRows);
  const columnsProfile = profileTable(table, config.profile, sample);
  // --subgroups names columns of this CSV; a typo is an error now, not an empty report section later.
  const unknownSubgroups = missingColumns(columnsProfile.columns.map((c) => c.name), options.subgroups);
  if (unknownSubgroups.length > 0)
    throw new TabtuneError("subgroup_column_missing", `--subgroups names ${describeMissing(unknownSubgroups)}, not a column of ${options.csv}`, {
      suggestion: "name columns of the training CSV in --subgroups (names are case-sensitive)",
    });
  const { target, call } = await chooseTarget(columnsProfile, options.target, options, config);
  const calls: LogEntry[] = call ? modelCallLog("explore", call) : [];
  const findings = findQualityIssues(table, columnsProfile, target, config.quality, { seed: options.seed });
  const profile: TableProfile = { ...columnsProfile, findings };
  const targetCounts = target.task === "regression" ? {} : countTarget(table, target.column);
  // The split is fixed now, before anything is fitted: select_features and split use this mask.
  const targetColumn = table.columns.find((c) => c.name === target.column);
  if (!targetColumn) throw new TabtuneError("target_missing", `the target "${target.column}" is not a column of ${options.csv}`, { suggestion: "name a column of the CSV with --target" });
  const splitMask = await writeSplitMask(run.runDir, targetColumn, target.task === "regression", options.testCsv ? null : options.testRatio, options.seed);

  let testCsvIssues: string[] = [];
  if (options.testCsv) {
    testCsvIssues = (await alignTestCsv(table, profile, target, options.testCsv, csvOptions)).issues;
  }

  stage("explore", `${profile.rows} rows × ${profile.columns.length} columns; target "${target.column}" (${target.task})`);
  for (const reason of target.reasons) detail(reason);
  for (const issue of testCsvIssues) detail(`test CSV: ${issue}`);
  for (const f of findings) detail(`${f.severity} ${f.check}: ${f.message}`);

  return {
    ...run,
    profile,
    target,
    targetCounts,
    splitMask,
    testCsvIssues,
    log: [
      ...calls,
      logEntry("explore", `target "${target.column}", task ${target.task}`, started, {
        ...(call && calls.length > 0 ? { by: answeredBy(call) } : {}),
        numbers: {
          rows: profile.rows,
          columns: profile.columns.length,
          classes: Object.keys(target.labels).length,
          findings: findings.length,
          highFindings: findings.filter((f) => f.severity === "high").length,
          maskTrain: splitMask.train,
          maskTest: splitMask.test,
          maskNoTarget: splitMask.noTarget,
        },
        artifacts: [options.csv, splitMask.file.path],
      }),
    ],
  };
}
