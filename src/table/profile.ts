/**
 * The profile of a table kept in state (TableProfile): per column its kind, missing
 * count, distinct count, most frequent values and numeric summary; duplicate rows and
 * constant columns for the whole table. Pure: reads the typed columns, never the file.
 */
import type { Config } from "../config.js";
import { mix32 } from "../stats/hash.js";
import { mean, quantileSorted, sampleVariance } from "../stats/kernel.js";
import { sortNumbers } from "../stats/sort.js";
import type { ColumnProfile, NumericSummary, TableProfile } from "../schemas.js";
import type { Column, NumericColumn, Table } from "./columns.js";
import type { RawRow } from "./csv.js";
import { columnKind, type ValueFacts } from "./kinds.js";

type ValueCount = { value: string; count: number };

/** Natural order: numbers numerically, then text with embedded numbers compared as numbers. */
export function compareNatural(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a !== "" && b !== "" && Number.isFinite(x) && Number.isFinite(y)) return x - y || (a < b ? -1 : a > b ? 1 : 0);
  return a.localeCompare(b, "en", { numeric: true });
}

/** Keeps the `k` largest counts; ties go to the naturally smaller value. */
function topCounts(entries: Iterable<ValueCount>, k: number): ValueCount[] {
  const top: ValueCount[] = [];
  const before = (p: ValueCount, q: ValueCount) => p.count > q.count || (p.count === q.count && compareNatural(p.value, q.value) < 0);
  for (const e of entries) {
    if (top.length === k && !before(e, top[k - 1] ?? e)) continue;
    let i = top.length;
    while (i > 0 && before(e, top[i - 1] ?? e)) i--;
    top.splice(i, 0, e);
    if (top.length > k) top.pop();
  }
  return top;
}

/** Non-missing values of a numeric column, sorted ascending, in `scratch` (reused column after column). */
function sortedValues(column: NumericColumn, scratch: Float64Array): Float64Array {
  const out = scratch.length >= column.values.length ? scratch : new Float64Array(column.values.length);
  let n = 0;
  const values = column.values;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? NaN;
    if (v === v) out[n++] = v; // not NaN
  }
  return sortNumbers(out.subarray(0, n));
}

interface SortedFacts {
  distinct: number;
  /** The first (smallest) three distinct values, as text. */
  firstValues: string[];
  /** The `k` most frequent values (ties: the smaller value). */
  top: ValueCount[];
}

/** One pass over runs of equal values of a sorted array; only kept values become text. */
function sortedFacts(sorted: Float64Array, k: number): SortedFacts {
  const firstValues: string[] = [];
  const top: { value: number; count: number }[] = [];
  let distinct = 0;
  let i = 0;
  while (i < sorted.length) {
    const v = sorted[i] ?? NaN;
    let j = i + 1;
    while (j < sorted.length && sorted[j] === v) j++;
    const count = j - i;
    if (distinct++ < 3) firstValues.push(String(v));
    // Values arrive in ascending order, so an equal count never displaces an earlier value.
    if (top.length < k || count > (top[top.length - 1]?.count ?? 0)) {
      let at = top.length;
      while (at > 0 && count > (top[at - 1]?.count ?? 0)) at--;
      top.splice(at, 0, { value: v, count });
      if (top.length > k) top.pop();
    }
    i = j;
  }
  return { distinct, firstValues, top: top.map((t) => ({ value: String(t.value), count: t.count })) };
}

/**
 * min, max, mean, median, sample standard deviation (n − 1; 0 for one value), quartiles
 * (linear interpolation, numpy's default) and the count outside Tukey's fences
 * [q1 − 1.5 IQR, q3 + 1.5 IQR]. Null for an empty input.
 * @example numericSummary([1, 2, 3, 4, 100]) // { min: 1, max: 100, median: 3, q1: 2, q3: 4, outliers: 1, … }
 */
export function numericSummary(sorted: ArrayLike<number>): NumericSummary | null {
  const n = sorted.length;
  if (n === 0) return null;
  const q1 = quantileSorted(sorted, 0.25);
  const q3 = quantileSorted(sorted, 0.75);
  const low = q1 - 1.5 * (q3 - q1);
  const high = q3 + 1.5 * (q3 - q1);
  let outliers = 0;
  for (let i = 0; i < n; i++) {
    const x = sorted[i] ?? NaN;
    if (x < low || x > high) outliers++;
  }
  return {
    min: sorted[0] ?? NaN,
    max: sorted[n - 1] ?? NaN,
    mean: mean(sorted),
    // The linear quantile at 0.5 (pandas describe's 50%), as simple-statistics' quantileSorted.
    median: quantileSorted(sorted, 0.5),
    std: n > 1 ? Math.sqrt(sampleVariance(sorted)) : 0,
    q1,
    q3,
    outliers,
  };
}

function profileColumn(column: Column, rows: number, cfg: Config["profile"], scratch: Float64Array): ColumnProfile {
  let facts: ValueFacts;
  let top: ValueCount[];
  let numeric: NumericSummary | null = null;
  if (column.type === "numeric") {
    const sorted = sortedValues(column, scratch);
    const { distinct, firstValues, top: topNumbers } = sortedFacts(sorted, Math.max(cfg.topValues, cfg.maxClassCardinality));
    facts = { rows, nonMissing: sorted.length, distinct, distinctText: firstValues, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN };
    top = topNumbers;
    numeric = numericSummary(sorted);
  } else {
    const counts = new Int32Array(column.dictionary.length);
    let nonMissing = 0;
    const codes = column.codes;
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i] ?? -1;
      if (code < 0) continue;
      counts[code] = (counts[code] ?? 0) + 1;
      nonMissing++;
    }
    const present = column.dictionary.filter((_, i) => (counts[i] ?? 0) > 0);
    facts = { rows, nonMissing, distinct: present.length, distinctText: present, min: NaN, max: NaN };
    const entries = column.dictionary.map((value, i) => ({ value, count: counts[i] ?? 0 })).filter((e) => e.count > 0);
    top = topCounts(entries, Math.max(cfg.topValues, cfg.maxClassCardinality));
  }
  const missing = rows - facts.nonMissing;
  // Every value of a column that may be a class label, so labels are known from the profile.
  const keep = facts.distinct <= cfg.maxClassCardinality ? facts.distinct : cfg.topValues;
  return {
    name: column.name,
    index: column.index,
    kind: columnKind(column, facts, cfg.textDistinctRatio),
    missing,
    missingRate: rows === 0 ? 0 : missing / rows,
    distinct: facts.distinct,
    topValues: top.slice(0, keep),
    numeric,
  };
}

/** A numeric column as its raw 64-bit words (a view, no copy); a categorical one as its codes. */
function cellWords(column: Column): { words: Uint32Array; stride: 1 | 2 } {
  if (column.type === "numeric") return { words: new Uint32Array(column.values.buffer, column.values.byteOffset, column.values.length * 2), stride: 2 };
  return { words: new Uint32Array(column.codes.buffer, column.codes.byteOffset, column.codes.length), stride: 1 };
}

/**
 * Rows equal to an earlier row in every column (pandas `duplicated().sum()`). Rows are
 * hashed column by column into an open-addressing table and confirmed cell by cell, so the
 * count is exact. Missing cells equal each other. Extra memory: 3 words per row plus the
 * slots, never a copy of the table.
 */
export function countDuplicateRows(table: Table): number {
  const columns = table.columns.map(cellWords);
  const hashes = new Uint32Array(table.rows).fill(0x9e3779b9);
  for (const { words, stride } of columns) {
    if (stride === 2) for (let r = 0; r < table.rows; r++) hashes[r] = mix32(((hashes[r] ?? 0) ^ (words[2 * r] ?? 0)) + Math.imul(words[2 * r + 1] ?? 0, 0x27d4eb2f));
    else for (let r = 0; r < table.rows; r++) hashes[r] = mix32((hashes[r] ?? 0) ^ (words[r] ?? 0));
  }
  let size = 1;
  while (size < 2 * table.rows) size *= 2;
  const mask = size - 1;
  const slots = new Int32Array(size); // row + 1; 0 = empty
  const sameRow = (r: number, s: number) =>
    columns.every(({ words, stride }) => words[stride * r] === words[stride * s] && (stride === 1 || words[2 * r + 1] === words[2 * s + 1]));
  let duplicates = 0;
  for (let r = 0; r < table.rows; r++) {
    const h = hashes[r] ?? 0;
    let slot = h & mask;
    for (;;) {
      const stored = (slots[slot] ?? 0) - 1;
      if (stored < 0) {
        slots[slot] = r + 1;
        break;
      }
      if (hashes[stored] === h && sameRow(r, stored)) {
        duplicates++;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return duplicates;
}

/**
 * Profiles every column of `table`. `sample` (the first rows, from readTableSample) is
 * kept as is, cut to cfg.sampleRows. A column with at most one distinct value (or none:
 * all missing) is constant.
 */
export function profileTable(table: Table, cfg: Config["profile"], sample: RawRow[]): TableProfile {
  // One buffer for every numeric column's sorted values, not one per column.
  const scratch = new Float64Array(table.columns.some((c) => c.type === "numeric") ? table.rows : 0);
  const columns = table.columns.map((c) => profileColumn(c, table.rows, cfg, scratch));
  return {
    file: table.path,
    sha256: table.sha256,
    rows: table.rows,
    columns,
    duplicateRows: countDuplicateRows(table),
    constantColumns: columns.filter((c) => c.distinct <= 1).map((c) => c.name),
    // Filled by findQualityIssues (quality.ts) once the target is known.
    findings: [],
    sample: sample.slice(0, cfg.sampleRows),
  };
}
