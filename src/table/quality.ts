/**
 * The validation checks of explore: what is wrong with the data, how many rows it touches,
 * how bad it is and what to do. Pure: reads the typed columns and the profile, never the
 * file. Severity of a row-counting finding is its share of rows against config
 * quality.mediumRate / highRate; target leakage is always high (the plan drops the column).
 */
import type { Config } from "../config.js";
import type { ColumnProfile, QualityCheck, QualityFinding, TableProfile, TargetChoice } from "../schemas.js";
import { createRng, sampleIndices } from "../stats/random.js";
import type { CategoricalColumn, Column, NumericColumn, Table } from "./columns.js";
import { isIsoDate, nameTokens } from "./kinds.js";

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
  if (column.type === "numeric") return profile.kind === "numeric" || profile.kind === "integer" ? column.values : null;
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

/** The target on the sampled rows where it is present: class codes, or numbers for regression. */
interface TargetView {
  rows: Int32Array;
  classes: Int32Array | null;
  classCount: number;
  numbers: Float64Array | null;
}

function targetView(column: Column, target: TargetChoice, sample: Int32Array): TargetView {
  if (column.type === "numeric") {
    const keep: number[] = [];
    for (const r of sample) if (!Number.isNaN(column.values[r] as number)) keep.push(r);
    const rows = Int32Array.from(keep);
    const numbers = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) numbers[i] = column.values[rows[i] as number] as number;
    if (target.task === "regression") return { rows, classes: null, classCount: 0, numbers };
    const ids = new Map<number, number>();
    const classes = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const v = numbers[i] as number;
      let id = ids.get(v);
      if (id === undefined) ids.set(v, (id = ids.size));
      classes[i] = id;
    }
    return { rows, classes, classCount: ids.size, numbers: null };
  }
  const keep: number[] = [];
  for (const r of sample) if ((column.codes[r] as number) >= 0) keep.push(r);
  const rows = Int32Array.from(keep);
  const classes = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) classes[i] = column.codes[rows[i] as number] as number;
  return { rows, classes, classCount: column.dictionary.length, numbers: null };
}

/** Dense group ids of the feature on `rows` (-1 = missing) and how many groups. */
function groupIds(column: Column, rows: Int32Array): { ids: Int32Array; groups: number } {
  const ids = new Int32Array(rows.length);
  if (column.type === "categorical") {
    for (let i = 0; i < rows.length; i++) ids[i] = column.codes[rows[i] as number] as number;
    return { ids, groups: column.dictionary.length };
  }
  const seen = new Map<number, number>();
  for (let i = 0; i < rows.length; i++) {
    const v = column.values[rows[i] as number] as number;
    if (Number.isNaN(v)) {
      ids[i] = -1;
      continue;
    }
    let id = seen.get(v);
    if (id === undefined) seen.set(v, (id = seen.size));
    ids[i] = id;
  }
  return { ids, groups: seen.size };
}

/**
 * How well the feature's value alone names the class, beyond always guessing the majority
 * (Goodman–Kruskal λ, with values seen once counted as misses so unique-per-row columns
 * never qualify): 1 when each repeated value maps to a single class. `ids` are group ids
 * 0..groups-1 (-1 = missing, left out), `classes` codes 0..classCount-1.
 * @example lookupLambda(Int32Array.of(0, 0, 1, 1), 2, Int32Array.of(1, 1, 0, 0), 2).lambda // 1
 */
export function lookupLambda(ids: Int32Array, groups: number, classes: Int32Array, classCount: number): { lambda: number; rows: number } {
  const counts = new Int32Array(groups * classCount);
  const overall = new Int32Array(classCount);
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    const g = ids[i] as number;
    if (g < 0) continue;
    const c = classes[i] as number;
    counts[g * classCount + c]! += 1;
    overall[c]! += 1;
    n++;
  }
  if (n === 0) return { lambda: 0, rows: 0 };
  let hits = 0;
  for (let g = 0; g < groups; g++) {
    let total = 0;
    let best = 0;
    for (let c = 0; c < classCount; c++) {
      const k = counts[g * classCount + c] as number;
      total += k;
      if (k > best) best = k;
    }
    if (total >= 2) hits += best;
  }
  let base = 0;
  for (const k of overall) if (k > base) base = k;
  return { lambda: base >= n ? 0 : Math.max(0, (hits - base) / (n - base)), rows: n };
}

/**
 * Mann–Whitney AUC: the chance a positive's value exceeds a negative's (ties count half).
 * 0.5 when either side is empty. @example binaryAuc([3, 4], [1, 2]) // 1
 */
export function binaryAuc(positives: Float64Array | number[], negatives: Float64Array | number[]): number {
  // Sorted in place when given typed arrays (callers pass scratch buffers).
  const pos = (positives instanceof Float64Array ? positives : Float64Array.from(positives)).sort();
  const neg = (negatives instanceof Float64Array ? negatives : Float64Array.from(negatives)).sort();
  if (pos.length === 0 || neg.length === 0) return 0.5;
  // One sweep over runs of equal positive values: O(n) after the sorts, ties included.
  let below = 0; // negatives < the run's value
  let wins = 0;
  for (let i = 0; i < pos.length; ) {
    const v = pos[i] as number;
    let j = i + 1;
    while (j < pos.length && pos[j] === v) j++;
    while (below < neg.length && (neg[below] as number) < v) below++;
    let equal = 0;
    while (below + equal < neg.length && neg[below + equal] === v) equal++;
    wins += (j - i) * (below + equal / 2);
    i = j;
  }
  return wins / (pos.length * neg.length);
}

function pearsonOf(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = (x[i] as number) - mx;
    const b = (y[i] as number) - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/**
 * Whether the feature holds the target's value in (nearly) every sampled row: numbers equal
 * to numbers, category text equal to category text (columns of different types never match).
 */
function identicalToTarget(feature: Column, target: Column, rows: Int32Array): boolean {
  let compared = 0;
  if (feature.type === "numeric" && target.type === "numeric") {
    for (const r of rows) {
      const v = feature.values[r] as number;
      if (Number.isNaN(v)) continue;
      if (v !== target.values[r]) return false;
      compared++;
    }
  } else if (feature.type === "categorical" && target.type === "categorical") {
    const targetCode = new Map(target.dictionary.map((d, i) => [d, i]));
    const same = Int32Array.from(feature.dictionary, (d) => targetCode.get(d) ?? -2);
    for (const r of rows) {
      const code = feature.codes[r] as number;
      if (code < 0) continue;
      if (same[code] !== target.codes[r]) return false;
      compared++;
    }
  } else return false;
  return compared >= Math.max(2, 0.9 * rows.length);
}

/** Features that give the target away: identical to it, each value one class, or |r| / |2·AUC − 1| ≈ 1. */
function targetLeakage(table: Table, profile: TableProfile, target: TargetChoice, cfg: QualityConfig, seed: number): QualityFinding[] {
  const targetColumn = table.columns.find((c) => c.name === target.column);
  if (!targetColumn) return [];
  const sample =
    table.rows > cfg.leakageMaxRows ? Int32Array.from(sampleIndices(table.rows, cfg.leakageMaxRows, createRng(seed))) : Int32Array.from({ length: table.rows }, (_, i) => i);
  const view = targetView(targetColumn, target, sample);
  if (view.rows.length < 10) return [];
  const out: QualityFinding[] = [];
  const leak = (column: Column, how: string): QualityFinding => ({
    check: "target_leakage",
    columns: [column.name],
    severity: "high",
    affectedRows: table.rows,
    message: `"${column.name}" leaks the target "${target.column}": ${how}`,
    suggestion: `drop "${column.name}" unless it is really known before "${target.column}" is`,
  });
  table.columns.forEach((column, i) => {
    const p = profile.columns[i];
    if (column.name === target.column || !p || p.kind === "identifier" || p.distinct <= 1) return;
    if (identicalToTarget(column, targetColumn, view.rows)) {
      out.push(leak(column, "it holds the same value as the target in every row"));
      return;
    }
    if (view.classes) {
      // Values seen once count as misses, so mostly-unique columns never reach the threshold.
      if (p.distinct <= view.rows.length / 2) {
        const { ids, groups } = groupIds(column, view.rows);
        const { lambda, rows } = lookupLambda(ids, groups, view.classes, view.classCount);
        if (rows >= 10 && lambda >= cfg.leakageCoverage) {
          out.push(leak(column, `its value alone names the class in ${(100 * lambda).toFixed(1)}% of the rows a majority guess gets wrong`));
          return;
        }
      }
      if (column.type === "numeric" && view.classCount === 2) {
        const classes = view.classes;
        const pos = new Float64Array(view.rows.length);
        const neg = new Float64Array(view.rows.length);
        let np = 0;
        let nn = 0;
        for (let k = 0; k < view.rows.length; k++) {
          const v = column.values[view.rows[k] as number] as number;
          if (Number.isNaN(v)) continue;
          if (classes[k] === 1) pos[np++] = v;
          else neg[nn++] = v;
        }
        if (np + nn < 10) return;
        const auc = binaryAuc(pos.subarray(0, np), neg.subarray(0, nn));
        if (Math.abs(2 * auc - 1) >= cfg.leakageCorrelation)
          out.push(leak(column, `a single threshold on it separates the two classes (AUC ${Math.max(auc, 1 - auc).toFixed(3)})`));
      }
      return;
    }
    if (column.type === "numeric" && view.numbers) {
      const xs: number[] = [];
      const ys: number[] = [];
      view.rows.forEach((r, k) => {
        const v = column.values[r] as number;
        if (Number.isNaN(v)) return;
        xs.push(v);
        ys.push(view.numbers?.[k] ?? 0);
      });
      if (xs.length < 10) return;
      const r = pearsonOf(Float64Array.from(xs), Float64Array.from(ys));
      if (Math.abs(r) >= cfg.leakageCorrelation) out.push(leak(column, `its correlation with the target is ${r.toFixed(3)}`));
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
