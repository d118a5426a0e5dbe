/**
 * A second CSV against the training file. `alignTestTable` (explore, --test-csv): missing,
 * extra and reordered columns, numeric columns whose test cells are not numbers, and
 * categories (and class labels) the training rows never showed, as lines for the user.
 * `missingColumns` / `requireColumns` are the one rule for a CSV that must carry named
 * columns, shared by --test-csv (its target at explore, the plan's kept features before
 * the split writes) and `tabtune apply`: each absent column is an error, with the header
 * column it was most likely renamed to.
 */
import { TabtuneError } from "../errors.js";
import { editDistance } from "../finetune/keys.js";
import type { Plan, TableProfile, TargetChoice } from "../schemas.js";
import type { Column, Table } from "./columns.js";
import { readCsvHeader } from "./csv.js";
import { featureFamily } from "./kinds.js";

/** A required column the header lacks, with the header column it was most likely renamed to. */
export interface MissingColumn {
  column: string;
  didYouMean: string | null;
}

/** Case, spaces and punctuation do not tell column names apart for a suggestion: "Body Mass (g)" ~ "body_mass_g". */
const normalizeName = (name: string) => name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");

/**
 * The candidate `name` was most likely renamed to, or null: equal once normalized first,
 * then the nearest by edit distance within a third of the longer name (at least 1), or a
 * name containing the other (both at least 3 characters).
 * @example closestName("Income", ["income_usd", "Debt"]) // "income_usd"
 */
export function closestName(name: string, candidates: readonly string[]): string | null {
  const wanted = normalizeName(name);
  let best: string | null = null;
  let bestScore = Infinity;
  for (const candidate of candidates) {
    const other = normalizeName(candidate);
    if (other.length === 0 || wanted.length === 0) continue;
    const distance = editDistance(wanted, other);
    const contains = Math.min(wanted.length, other.length) >= 3 && (other.includes(wanted) || wanted.includes(other));
    const within = distance <= Math.max(1, Math.floor(Math.max(wanted.length, other.length) / 3));
    if (!within && !contains) continue;
    if (distance < bestScore) {
      best = candidate;
      bestScore = distance;
    }
  }
  return best;
}

/**
 * Each of `required` that `header` lacks (exact, case-sensitive names, as the prep script
 * reads them), with a did-you-mean among the header's names that are neither required nor
 * in `known` (the training file's other columns, which are what they say).
 * @example missingColumns(["age", "Status"], ["Age", "Status"]) // [{ column: "Age", didYouMean: "age" }]
 */
export function missingColumns(header: readonly string[], required: readonly string[], known: readonly string[] = []): MissingColumn[] {
  const present = new Set(header);
  const taken = new Set([...required, ...known]);
  const candidates = header.filter((name) => !taken.has(name));
  return [...new Set(required)].filter((column) => !present.has(column)).map((column) => ({ column, didYouMean: closestName(column, candidates) }));
}

/** `"Age" (did you mean "age"?), "Debt"`: the missing columns for a message. */
export function describeMissing(missing: readonly MissingColumn[]): string {
  return missing.map((m) => `"${m.column}"${m.didYouMean === null ? "" : ` (did you mean "${m.didYouMean}"?)`}`).join(", ");
}

/** `rename "age" to "Age" in f.csv's header`, or null when no column has a suggestion. */
export function renameAdvice(missing: readonly MissingColumn[], file: string): string | null {
  const renames = missing.filter((m) => m.didYouMean !== null).map((m) => `"${m.didYouMean}" to "${m.column}"`);
  return renames.length > 0 ? `rename ${renames.join(", ")} in the header of ${file}` : null;
}

export interface RequiredColumns {
  /** The TabtuneError code. */
  code: string;
  /** The CSV, as the user named it (also in the message). */
  file: string;
  /** How the message names the file, e.g. "--test-csv t.csv"; the path itself by default. */
  label?: string;
  header: readonly string[];
  required: readonly string[];
  /** The training file's other columns: never offered as a did-you-mean. */
  known?: readonly string[];
  /** Why the columns are needed, ending the message: `the script reads`. */
  role: string;
  /** What to do besides renaming, given the missing columns; `renamed`: a rename was suggested before it. */
  otherwise: (missing: readonly MissingColumn[], renamed: boolean) => string;
}

/**
 * Throws one TabtuneError naming the file, every missing column with its did-you-mean,
 * and what to do, when the header lacks any required column.
 * @example requireColumns({ code: "x", file: "t.csv", header: ["age"], required: ["Age"], role: "the plan keeps", otherwise: () => "…" })
 * // throws: t.csv lacks the column "Age" (did you mean "age"?) the plan keeps; suggestion: rename "age" to "Age" in the header of t.csv; …
 */
export function requireColumns(spec: RequiredColumns): void {
  const missing = missingColumns(spec.header, spec.required, spec.known);
  if (missing.length === 0) return;
  const rename = renameAdvice(missing, spec.file);
  const otherwise = spec.otherwise(missing, rename !== null);
  throw new TabtuneError(spec.code, `${spec.label ?? spec.file} lacks the column${missing.length > 1 ? "s" : ""} ${describeMissing(missing)} ${spec.role}`, {
    suggestion: rename ? `${rename}; ${otherwise}` : otherwise,
  });
}

/**
 * The kept-feature rule for --test-csv: every feature the plan keeps and the target must
 * be in the test CSV's header, since a missing one would be imputed (or fail) in 100% of
 * the test rows. A column the plan dropped may be absent. `known`: the training header.
 */
export async function requireTestCsvColumns(testCsv: string, plan: Pick<Plan, "features" | "target">, known: readonly string[] = []): Promise<void> {
  const header = await readCsvHeader(testCsv);
  requireColumns({
    code: "test_csv_columns_missing",
    file: testCsv,
    label: `--test-csv ${testCsv}`,
    header,
    required: [...plan.features, plan.target],
    known,
    role: "that the plan keeps (its test values would be made up)",
    otherwise: (missing, renamed) => {
      const features = missing.filter((m) => m.column !== plan.target).map((m) => m.column);
      if (features.length === 0) return `the test rows need the target "${plan.target}" to be evaluated${renamed ? "" : ": add it to the test CSV"}`;
      const them = features.length > 1 ? "them" : "it";
      return `${renamed ? "or" : `add ${them} to the test CSV, or`} drop ${them} at review_plan ("drop features: ${features.join(", ")}"), then run again`;
    },
  });
}

export interface TestAlignment {
  /** One line per problem, for the stage output, the plan review and state.testCsvIssues. */
  issues: string[];
  /** Training columns the test CSV lacks. */
  missing: string[];
}

const MAX_EXAMPLES = 3;

const listNames = (names: string[], max = 10) =>
  names.length > max ? `${names.slice(0, max).join(", ")}, … (${names.length - max} more)` : names.join(", ");

/** Like listNames, each with its did-you-mean: `age (did you mean "Age"?), debt`. */
const listMissing = (missing: MissingColumn[], max = 10) => {
  const named = missing.slice(0, max).map((m) => (m.didYouMean === null ? m.column : `${m.column} (did you mean "${m.didYouMean}"?)`));
  return missing.length > max ? `${named.join(", ")}, … (${missing.length - max} more)` : named.join(", ");
};

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
  if (missing.length > 0) issues.push(`missing in test CSV: ${listMissing(missingColumns(testNames, missing, trainNames))}`);
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
    if (trainColumn.type === "numeric" && testColumn.type === "categorical" && (featureFamily(p.kind) === "numeric" || isTarget)) {
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
    if (featureFamily(p.kind) === "categorical") {
      const other = unseen(testColumn, new Set(textCounts(trainColumn).keys()));
      if (other) issues.push(`"${trainColumn.name}" has categories not seen in training, ${other.text}`);
    }
  });
  return { issues, missing };
}
