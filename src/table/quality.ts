/**
 * The validation checks of explore: what is wrong with the data, how many rows it touches,
 * how bad it is and what to do. Pure: reads the typed columns and the profile, never the
 * file. Severity of a row-counting finding is its share of rows against config
 * quality.mediumRate / highRate; target leakage (leakage.ts) is always high (the plan
 * drops the column).
 */
import type { Config } from "../config.js";
import type { ColumnProfile, QualityCheck, QualityFinding, TableProfile, TargetChoice } from "../schemas.js";
import type { CategoricalColumn, Column, NumericColumn, Table } from "./columns.js";
import { featureFamily, isIsoDate, nameTokens } from "./kinds.js";
import { targetLeakage } from "./leakage.js";

type QualityConfig = Config["quality"];
type Severity = QualityFinding["severity"];

const SEVERITY_ORDER: Record<Severity, number> = { high: 0, medium: 1, low: 2 };
const CHECK_ORDER: QualityCheck[] = [
  "target_leakage",
  "end_before_start",
  "negative_values",
  "future_dates",
  "near_duplicate_categories",
  "duplicate_rows",
  "constant_column",
];
/** Start/end word pairs: a column named with the first and one named with the second. */
const RANGE_WORDS: [string, string][] = [
  ["start", "end"],
  ["begin", "end"],
  ["started", "ended"],
  ["start", "finish"],
  ["from", "to"],
  ["min", "max"],
];
/** Dictionaries larger than this are not searched for near-duplicate spellings. */
const MAX_SPELLING_DICTIONARY = 50_000;

/** low / medium / high by the share of rows affected. */
export function severityOf(affected: number, rows: number, cfg: QualityConfig): Severity {
  const rate = rows === 0 ? 0 : affected / rows;
  return rate >= cfg.highRate ? "high" : rate >= cfg.mediumRate ? "medium" : "low";
}

const pct = (n: number, rows: number) => `${((100 * n) / Math.max(1, rows)).toFixed(1)}%`;
const quoteList = (names: string[], max = 5) =>
  names.length > max ? `${names.slice(0, max).map((n) => `"${n}"`).join(", ")} and ${names.length - max} more` : names.map((n) => `"${n}"`).join(", ");

/** Spelling key: lower case without whitespace, "_", "-" or ".". @example spellingKey(" iPhone  13 ") // "iphone13" */
export function spellingKey(value: string): string {
  return value.toLowerCase().replace(/[\s_.-]+/g, "");
}

/** Values of a categorical column spelled several ways (case, spaces, _ - .): groups and rows in the minority spellings. */
function nearDuplicateSpellings(column: CategoricalColumn, cfg: QualityConfig, rows: number): QualityFinding | null {
  if (column.dictionary.length < 2 || column.dictionary.length > MAX_SPELLING_DICTIONARY) return null;
  const counts = new Int32Array(column.dictionary.length);
  for (const code of column.codes) if (code >= 0) counts[code] = (counts[code] ?? 0) + 1;
  const groups = new Map<string, number[]>();
  column.dictionary.forEach((value, code) => {
    if ((counts[code] ?? 0) === 0) return;
    const key = spellingKey(value);
    if (key === "") return;
    const group = groups.get(key);
    if (group) group.push(code);
    else groups.set(key, [code]);
  });
  const collisions = [...groups.values()].filter((g) => g.length > 1);
  if (collisions.length === 0) return null;
  let affected = 0;
  const shown: string[] = [];
  for (const group of collisions) {
    group.sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || a - b);
    for (const code of group.slice(1)) affected += counts[code] ?? 0;
    if (shown.length < 3) shown.push(group.slice(0, 3).map((c) => `"${column.dictionary[c]}" (${counts[c]})`).join(" / "));
  }
  return {
    check: "near_duplicate_categories",
    columns: [column.name],
    severity: severityOf(affected, rows, cfg),
    affectedRows: affected,
    message: `"${column.name}": ${collisions.length} value${collisions.length === 1 ? " is" : "s are"} spelled more than one way (case, spaces): ${shown.join("; ")}${collisions.length > 3 ? "; …" : ""}`,
    suggestion: `map each variant to one spelling in cleaning (e.g. "${column.dictionary[collisions[0]?.[1] ?? 0]}" → "${column.dictionary[collisions[0]?.[0] ?? 0]}")`,
  };
}

/** Negative numbers in a column named like an age, count, price, amount, duration… */
function negativeValues(column: NumericColumn, cfg: QualityConfig, rows: number): QualityFinding | null {
  const words = new Set(nameTokens(column.name));
  const word = cfg.nonNegativeNames.find((w) => words.has(w.toLowerCase()));
  if (word === undefined) return null;
  let affected = 0;
  let min = Infinity;
  for (const v of column.values) {
    if (v < 0) {
      affected++;
      if (v < min) min = v;
    }
  }
  if (affected === 0) return null;
  return {
    check: "negative_values",
    columns: [column.name],
    severity: severityOf(affected, rows, cfg),
    affectedRows: affected,
    message: `"${column.name}" has ${affected} negative value${affected === 1 ? "" : "s"} (${pct(affected, rows)}; smallest ${min}), impossible for ${word}`,
    suggestion: "treat negative values as missing in cleaning, or fix them at the source",
  };
}

/** Milliseconds since the epoch per row of a numeric or ISO-date column (NaN when missing or unparsable). */
function timeline(column: Column, profile: ColumnProfile): Float64Array | null {
  if (column.type === "numeric") return featureFamily(profile.kind) === "numeric" ? column.values : null;
  if (profile.kind !== "datetime") return null;
  const times = column.dictionary.map((d) => (isIsoDate(d) ? Date.parse(d) : NaN));
  return Float64Array.from(column.codes, (code) => (code < 0 ? NaN : (times[code] ?? NaN)));
}

/** Dates after `now` in a datetime column. */
function futureDates(column: CategoricalColumn, cfg: QualityConfig, rows: number, now: number): QualityFinding | null {
  const future = column.dictionary.map((d) => Date.parse(d) > now);
  if (!future.includes(true)) return null;
  let affected = 0;
  let latest = "";
  for (const code of column.codes) {
    if (code >= 0 && future[code]) {
      affected++;
      const d = column.dictionary[code] ?? "";
      if (d > latest) latest = d;
    }
  }
  return {
    check: "future_dates",
    columns: [column.name],
    severity: severityOf(affected, rows, cfg),
    affectedRows: affected,
    message: `"${column.name}" has ${affected} date${affected === 1 ? "" : "s"} in the future (latest ${latest})`,
    suggestion: "check the date format (day and month swapped?) or treat those dates as missing",
  };
}

/** Column pairs like start/end, begin_date/end_date, *_min/*_max where the end comes before the start. */
function endBeforeStart(table: Table, profile: TableProfile, cfg: QualityConfig): QualityFinding[] {
  const byKey = new Map<string, number>();
  table.columns.forEach((c, i) => byKey.set(nameTokens(c.name).join("_"), i));
  const out: QualityFinding[] = [];
  table.columns.forEach((startColumn, i) => {
    const tokens = nameTokens(startColumn.name);
    for (const [from, to] of RANGE_WORDS) {
      const at = tokens.indexOf(from);
      if (at < 0) continue;
      const j = byKey.get(tokens.map((t, k) => (k === at ? to : t)).join("_"));
      const endColumn = j === undefined ? undefined : table.columns[j];
      const startProfile = profile.columns[i];
      const endProfile = j === undefined ? undefined : profile.columns[j];
      if (j === undefined || !endColumn || !startProfile || !endProfile) continue;
      const a = timeline(startColumn, startProfile);
      const b = timeline(endColumn, endProfile);
      if (!a || !b || (startColumn.type === "numeric") !== (endColumn.type === "numeric")) continue;
      let affected = 0;
      for (let r = 0; r < table.rows; r++) if ((b[r] ?? NaN) < (a[r] ?? NaN)) affected++;
      if (affected > 0)
        out.push({
          check: "end_before_start",
          columns: [startColumn.name, endColumn.name],
          severity: severityOf(affected, table.rows, cfg),
          affectedRows: affected,
          message: `"${endColumn.name}" is ${startColumn.type === "numeric" ? "smaller than" : "before"} "${startColumn.name}" in ${affected} row${affected === 1 ? "" : "s"} (${pct(affected, table.rows)})`,
          suggestion: "check those rows: swapped columns or a wrong date format; drop or fix them in cleaning",
        });
      break;
    }
  });
  return out;
}

/**
 * Every quality finding for the table, most severe first, at most cfg.maxFindings.
 * `target` enables the leakage checks; `now` (ms since the epoch) dates the future-date
 * check; `seed` draws the leakage sample of a table larger than cfg.leakageMaxRows.
 */
export function findQualityIssues(
  table: Table,
  profile: TableProfile,
  target: TargetChoice | null,
  cfg: QualityConfig,
  options: { seed: number; now?: number },
): QualityFinding[] {
  const rows = table.rows;
  const now = options.now ?? Date.now();
  const findings: QualityFinding[] = [];
  if (profile.duplicateRows > 0)
    findings.push({
      check: "duplicate_rows",
      columns: [],
      severity: severityOf(profile.duplicateRows, rows, cfg),
      affectedRows: profile.duplicateRows,
      message: `${profile.duplicateRows} row${profile.duplicateRows === 1 ? " repeats" : "s repeat"} an earlier row in every column (${pct(profile.duplicateRows, rows)})`,
      suggestion: "keep them if they are real repeated observations; otherwise drop duplicates before splitting (they leak between train and test)",
    });
  if (profile.constantColumns.length > 0)
    findings.push({
      check: "constant_column",
      columns: profile.constantColumns,
      severity: "low",
      affectedRows: 0,
      message: `${profile.constantColumns.length} constant column${profile.constantColumns.length === 1 ? "" : "s"} (one value or none): ${quoteList(profile.constantColumns)}`,
      suggestion: "drop them: they carry no signal",
    });
  table.columns.forEach((column, i) => {
    const p = profile.columns[i];
    if (!p || p.kind === "identifier") return;
    if (column.type === "categorical") {
      if (p.kind === "datetime") {
        const f = futureDates(column, cfg, rows, now);
        if (f) findings.push(f);
      } else {
        const f = nearDuplicateSpellings(column, cfg, rows);
        if (f) findings.push(f);
      }
    } else {
      const f = negativeValues(column, cfg, rows);
      if (f) findings.push(f);
    }
  });
  findings.push(...endBeforeStart(table, profile, cfg));
  if (target) findings.push(...targetLeakage(table, profile, target, cfg, options.seed));
  findings.sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || CHECK_ORDER.indexOf(a.check) - CHECK_ORDER.indexOf(b.check) || b.affectedRows - a.affectedRows,
  );
  return findings.slice(0, cfg.maxFindings);
}
