/** explore: stream the CSV into typed columns, profile it, choose target, task and labels. */
import { existsSync } from "node:fs";
import { TabtuneError } from "../errors.js";
import { detail, logEntry, stage } from "../log.js";
import { getConfig } from "../runtime.js";
import type { TableProfile, TargetChoice } from "../schemas.js";
import type { State, Update } from "../state.js";
import { columnValue, readTable, type Table } from "../table/columns.js";
import { alignTestTable, type TestAlignment } from "../table/alignment.js";
import { readTableSample, type CsvOptions } from "../table/csv.js";
import { profileTable } from "../table/profile.js";
import { findQualityIssues } from "../table/quality.js";
import { detectTarget } from "../table/target.js";
import { requireOptions } from "./common.js";

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

/** Problems of --test-csv against the training table, reported before anything else runs. */
async function alignTestCsv(train: Table, profile: TableProfile, target: TargetChoice, testCsv: string, csvOptions: CsvOptions): Promise<TestAlignment> {
  if (!existsSync(testCsv))
    throw new TabtuneError("test_csv_missing", `--test-csv ${testCsv} does not exist`, { suggestion: "check the path" });
  return alignTestTable(train, profile, await readTable(testCsv, csvOptions), target);
}

export async function explore(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const config = getConfig();
  if (!existsSync(options.csv))
    throw new TabtuneError("csv_missing", `${options.csv} does not exist`, { suggestion: "check the --csv path" });
  const csvOptions: CsvOptions = { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows, decimalComma: config.csv.decimalComma };
  const table = await readTable(options.csv, csvOptions);
  const sample = await readTableSample(options.csv, csvOptions, config.profile.sampleRows);
  const columnsProfile = profileTable(table, config.profile, sample);
  const target = detectTarget(columnsProfile, config.profile, options.target ?? undefined);
  const findings = findQualityIssues(table, columnsProfile, target, config.quality, { seed: options.seed });
  const profile: TableProfile = { ...columnsProfile, findings };
  const targetCounts = target.task === "regression" ? {} : countTarget(table, target.column);

  let testCsvIssues: string[] = [];
  if (options.testCsv) {
    const alignment = await alignTestCsv(table, profile, target, options.testCsv, csvOptions);
    testCsvIssues = alignment.issues;
    if (alignment.missing.includes(target.column))
      throw new TabtuneError("test_csv_no_target", `--test-csv ${options.testCsv} has no column "${target.column}"`, {
        suggestion: "the test CSV needs the target column to be evaluated",
      });
  }

  stage("explore", `${profile.rows} rows × ${profile.columns.length} columns; target "${target.column}" (${target.task})`);
  for (const reason of target.reasons) detail(reason);
  for (const issue of testCsvIssues) detail(`test CSV: ${issue}`);
  for (const f of findings) detail(`${f.severity} ${f.check}: ${f.message}`);

  return {
    profile,
    target,
    targetCounts,
    testCsvIssues,
    log: [
      logEntry("explore", `target "${target.column}", task ${target.task}`, started, {
        numbers: {
          rows: profile.rows,
          columns: profile.columns.length,
          classes: Object.keys(target.labels).length,
          findings: findings.length,
          highFindings: findings.filter((f) => f.severity === "high").length,
        },
        artifacts: [options.csv],
      }),
    ],
  };
}
