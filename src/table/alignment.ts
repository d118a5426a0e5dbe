/**
 * --test-csv against the training file, checked at explore before anything else runs:
 * missing, extra and reordered columns, numeric columns whose test cells are not numbers,
 * and categories (and class labels) the training rows never showed. Only a missing target
 * is fatal (the caller throws); everything else is a line for the user.
 */
import type { TableProfile, TargetChoice } from "../schemas.js";
import type { Column, Table } from "./columns.js";

export interface TestAlignment {
  /** One line per problem, for the stage output, the plan review and state.testCsvIssues. */
  issues: string[];
  /** Training columns the test CSV lacks. */
  missing: string[];
}

const MAX_EXAMPLES = 3;

const listNames = (names: string[], max = 10) =>
  names.length > max ? `${names.slice(0, max).join(", ")}, … (${names.length - max} more)` : names.join(", ");

/** Non-missing cells of a column as text, with how many rows hold each. */
function textCounts(column: Column): Map<string, number> {
  const counts = new Map<string, number>();
  if (column.type === "numeric") {
    for (const v of column.values) if (!Number.isNaN(v)) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    return counts;
  }
  const perCode = new Int32Array(column.dictionary.length);
  for (const code of column.codes) if (code >= 0) perCode[code] = (perCode[code] ?? 0) + 1;
  column.dictionary.forEach((value, code) => {
    if ((perCode[code] ?? 0) > 0) counts.set(value, perCode[code] ?? 0);
  });
  return counts;
}

/** Test values outside `known`: "N rows: "a", "b", …" or null when there are none. */
function unseen(test: Column, known: ReadonlySet<string>): { rows: number; text: string } | null {
  let rows = 0;
  const examples: string[] = [];
  let distinct = 0;
  for (const [value, count] of textCounts(test)) {
    if (known.has(value)) continue;
    rows += count;
    distinct++;
    if (examples.length < MAX_EXAMPLES) examples.push(`"${value}"`);
  }
  if (rows === 0) return null;
  return { rows, text: `${distinct} value${distinct === 1 ? "" : "s"} in ${rows} row${rows === 1 ? "" : "s"}: ${examples.join(", ")}${distinct > MAX_EXAMPLES ? ", …" : ""}` };
}

/**
 * Compares the test table with the training table and its profile.
 * @example alignTestTable(train, profile, test, target).issues // ["missing in test CSV: age", …]
 */
export function alignTestTable(train: Table, profile: TableProfile, test: Table, target: TargetChoice): TestAlignment {
  const trainNames = train.columns.map((c) => c.name);
  const testNames = test.columns.map((c) => c.name);
  const testSet = new Set(testNames);
  const trainSet = new Set(trainNames);
  const issues: string[] = [];
  const missing = trainNames.filter((c) => !testSet.has(c));
  const extra = testNames.filter((c) => !trainSet.has(c));
  if (missing.length > 0) issues.push(`missing in test CSV: ${listNames(missing)}`);
  if (extra.length > 0) issues.push(`extra in test CSV (ignored): ${listNames(extra)}`);
  const common = trainNames.filter((c) => testSet.has(c));
  const testOrder = testNames.filter((c) => trainSet.has(c));
  if (common.join("\u0000") !== testOrder.join("\u0000")) issues.push("columns are in a different order (matched by name)");

  const testByName = new Map(test.columns.map((c) => [c.name, c]));
  train.columns.forEach((trainColumn, i) => {
    const testColumn = testByName.get(trainColumn.name);
    const p = profile.columns[i];
    if (!testColumn || !p) return;
    const isTarget = trainColumn.name === target.column;
    if (isTarget && target.task !== "regression") {
      const other = unseen(testColumn, new Set(Object.keys(target.labels)));
      if (other) issues.push(`target "${trainColumn.name}" has labels not seen in training, ${other.text} (evaluation will reject them)`);
      return;
    }
    if (trainColumn.type === "numeric" && testColumn.type === "categorical" && (p.kind === "numeric" || p.kind === "integer" || isTarget)) {
      // The column went to text in the test file; its cells that are still numbers are fine.
      let rows = 0;
      const examples: string[] = [];
      for (const [value, count] of textCounts(testColumn)) {
        if (Number.isFinite(Number(value))) continue;
        rows += count;
        if (examples.length < MAX_EXAMPLES) examples.push(`"${value}"`);
      }
      if (rows > 0)
        issues.push(`"${trainColumn.name}" is ${p.kind} in training but ${rows} test row${rows === 1 ? " holds" : "s hold"} text: ${examples.join(", ")} (read as missing)`);
      return;
    }
    if (p.kind === "categorical" || p.kind === "boolean") {
      const other = unseen(testColumn, new Set(textCounts(trainColumn).keys()));
      if (other) issues.push(`"${trainColumn.name}" has categories not seen in training, ${other.text}`);
    }
  });
  return { issues, missing };
}
