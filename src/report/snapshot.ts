/**
 * Quality snapshots: the raw table's column profile (from explore) beside the same summary
 * of the final training rows (train_rows.jsonl, after cleaning, imputation and balancing),
 * so a reader sees what the treatment changed.
 */
import { forEachJsonLine } from "../artifacts.js";
import type { CleanRow } from "../rows.js";
import type { TableProfile } from "../schemas.js";
import { mean, medianSorted } from "../stats/kernel.js";
import { sortNumbers } from "../stats/sort.js";
import { NumberColumn } from "./row-columns.js";

/** One column's missing rate and distribution, in one shape for both tables. */
export interface ColumnSnapshot {
  missingRate: number;
  /** Numbers: mean, median, min, max; null for columns with no finite number. */
  numeric: { mean: number; median: number; min: number; max: number } | null;
  /** Up to three most frequent values with their share of the non-missing cells. */
  top: { value: string; share: number }[];
}

export interface SnapshotRow {
  column: string;
  raw: ColumnSnapshot | null;
  /** Null when the column is not in the final training rows (dropped by the plan). */
  final: ColumnSnapshot | null;
}

/** The raw table's snapshot of each column, from explore's profile. */
export function rawSnapshot(profile: TableProfile): Map<string, ColumnSnapshot> {
  return new Map(
    profile.columns.map((c) => {
      const present = Math.max(1, profile.rows - c.missing);
      return [
        c.name,
        {
          missingRate: c.missingRate,
          numeric: c.numeric ? { mean: c.numeric.mean, median: c.numeric.median, min: c.numeric.min, max: c.numeric.max } : null,
          top: c.numeric ? [] : c.topValues.slice(0, 3).map((t) => ({ value: t.value, share: t.count / present })),
        },
      ];
    }),
  );
}

/** One column's running tally: numbers typed while every present value is a number, value counts only once one is not. */
interface ColumnTally {
  missing: number;
  numbers: NumberColumn;
  /** Null while the column is numeric; then every present value's text, counted in first-seen order. */
  counts: Map<string, number> | null;
}

/**
 * The snapshot summary of rows fed one at a time (from a file or from rows in memory); a
 * column is numeric when every present value is a finite number. Numbers are kept in a
 * Float64Array and never counted as strings; a column's value counts start at its first
 * non-number (the numbers before it counted then, in their order, so the counts are those of
 * counting every value as text).
 */
export class SnapshotCollector {
  private rows = 0;
  private readonly columns = new Map<string, ColumnTally>();
  add(row: CleanRow): void {
    this.rows += 1;
    for (const name in row) {
      const value = row[name];
      let tally = this.columns.get(name);
      if (!tally) this.columns.set(name, (tally = { missing: 0, numbers: new NumberColumn(), counts: null }));
      if (value === null || value === undefined || value === "") {
        tally.missing += 1;
        continue;
      }
      if (tally.counts === null) {
        if (typeof value === "number" && Number.isFinite(value)) {
          tally.numbers.push(value);
          continue;
        }
        tally.counts = new Map();
        for (const v of tally.numbers.values()) bump(tally.counts, String(v));
      }
      bump(tally.counts, String(value));
    }
  }
  finish(): { rows: number; columns: Map<string, ColumnSnapshot> } {
    const rows = this.rows;
    const columns = new Map<string, ColumnSnapshot>();
    for (const [name, tally] of this.columns) {
      const missingRate = rows === 0 ? 0 : tally.missing / rows;
      if (tally.counts === null) {
        const values = sortNumbers(tally.numbers.values().slice()); // finite numbers only: the built-in sort's order, by counting or radix
        // The mean compensated, as the raw side's (the profile's) mean.
        columns.set(name, {
          missingRate,
          numeric: values.length > 0 ? { mean: mean(values), median: medianSorted(values), min: values[0]!, max: values[values.length - 1]! } : null,
          top: [],
        });
        continue;
      }
      let present = 0;
      for (const n of tally.counts.values()) present += n;
      columns.set(name, { missingRate, numeric: null, top: [...tally.counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([value, n]) => ({ value, share: n / Math.max(1, present) })) });
    }
    return { rows, columns };
  }
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** `SnapshotCollector` over a JSON-lines rows file, streaming. Empty input gives an empty map. */
export async function rowsSnapshot(path: string): Promise<{ rows: number; columns: Map<string, ColumnSnapshot> }> {
  const collector = new SnapshotCollector();
  await forEachJsonLine<CleanRow>(path, (row) => collector.add(row));
  return collector.finish();
}

/** Raw and final side by side, in the raw table's column order. */
export function snapshotRows(raw: Map<string, ColumnSnapshot>, final: Map<string, ColumnSnapshot>): SnapshotRow[] {
  return [...raw.keys()].map((column) => ({ column, raw: raw.get(column) ?? null, final: final.get(column) ?? null }));
}

/** "mean 43.9, median 44.5 [32.1, 59.6]" or "Adelie 44%, Gentoo 36%, Chinstrap 20%". */
export function describeSnapshot(s: ColumnSnapshot | null): string {
  if (!s) return "dropped";
  const r = (x: number) => (Math.abs(x) >= 100 || Number.isInteger(x) ? x.toFixed(0) : x.toPrecision(3));
  if (s.numeric) return `mean ${r(s.numeric.mean)}, median ${r(s.numeric.median)} [${r(s.numeric.min)}, ${r(s.numeric.max)}]`;
  return s.top.map((t) => `${t.value} ${Math.round(t.share * 100)}%`).join(", ") || "—";
}
