/** explore: stream the CSV into typed columns, profile it, choose target, task and labels. */
import { existsSync } from "node:fs";
import { TabtuneError } from "../errors.js";
import { detail, logEntry, stage } from "../log.js";
import { getConfig } from "../runtime.js";
import type { State, Update } from "../state.js";
import { columnValue, readTable, type Table } from "../table/columns.js";
import { readCsvHeader, readTableSample } from "../table/csv.js";
import { profileTable } from "../table/profile.js";
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

/** Header problems of --test-csv against the training file, reported before anything runs. */
async function alignTestHeader(trainHeader: string[], testCsv: string): Promise<{ issues: string[]; missing: string[] }> {
  if (!existsSync(testCsv))
    throw new TabtuneError("test_csv_missing", `--test-csv ${testCsv} does not exist`, { suggestion: "check the path" });
  const testHeader = await readCsvHeader(testCsv);
  const issues: string[] = [];
  const missing = trainHeader.filter((c) => !testHeader.includes(c));
  const extra = testHeader.filter((c) => !trainHeader.includes(c));
  if (missing.length > 0) issues.push(`missing in test CSV: ${missing.join(", ")}`);
  if (extra.length > 0) issues.push(`extra in test CSV (ignored): ${extra.join(", ")}`);
  const common = trainHeader.filter((c) => testHeader.includes(c));
  const testOrder = testHeader.filter((c) => trainHeader.includes(c));
  if (common.join("\u0000") !== testOrder.join("\u0000")) issues.push("columns are in a different order (matched by name)");
  return { issues, missing };
}

export async function explore(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const config = getConfig();
  if (!existsSync(options.csv))
    throw new TabtuneError("csv_missing", `${options.csv} does not exist`, { suggestion: "check the --csv path" });
  const csvOptions = { missingTokens: config.csv.missingTokens, batchRows: config.csv.batchRows };
  const table = await readTable(options.csv, csvOptions);
  const sample = await readTableSample(options.csv, csvOptions, config.profile.sampleRows);
  const profile = profileTable(table, config.profile, sample);
  const target = detectTarget(profile, config.profile, options.target ?? undefined);
  const targetCounts = target.task === "regression" ? {} : countTarget(table, target.column);

  let testCsvIssues: string[] = [];
  if (options.testCsv) {
    const alignment = await alignTestHeader(profile.columns.map((c) => c.name), options.testCsv);
    testCsvIssues = alignment.issues;
    if (alignment.missing.includes(target.column))
      throw new TabtuneError("test_csv_no_target", `--test-csv ${options.testCsv} has no column "${target.column}"`, {
        suggestion: "the test CSV needs the target column to be evaluated",
      });
  }

  stage("explore", `${profile.rows} rows × ${profile.columns.length} columns; target "${target.column}" (${target.task})`);
  for (const reason of target.reasons) detail(reason);
  for (const issue of testCsvIssues) detail(`test CSV: ${issue}`);

  return {
    profile,
    target,
    targetCounts,
    testCsvIssues,
    log: [
      logEntry("explore", `target "${target.column}", task ${target.task}`, started, {
        numbers: { rows: profile.rows, columns: profile.columns.length, classes: Object.keys(target.labels).length },
        artifacts: [options.csv],
      }),
    ],
  };
}
