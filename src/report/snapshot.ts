/**
 * Quality snapshots: the raw table's column profile (from explore) beside the same summary
 * of the final training rows (train_rows.jsonl, after cleaning, imputation and balancing),
 * so a reader sees what the treatment changed.
 */
import { readJsonLines } from "../artifacts.js";
import type { CleanRow } from "../rows.js";
import type { TableProfile } from "../schemas.js";

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

function median(sorted: number[]): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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

/**
 * The same summary over JSON-lines rows, streaming; a column is numeric when every present
 * value is a finite number. Empty input gives an empty map.
 */
export async function rowsSnapshot(path: string): Promise<{ rows: number; columns: Map<string, ColumnSnapshot> }> {
  const numbers = new Map<string, number[]>();
  const counts = new Map<string, Map<string, number>>();
  const missing = new Map<string, number>();
  const nonNumeric = new Set<string>();
  let rows = 0;
  for await (const row of readJsonLines<CleanRow>(path)) {
    rows += 1;
    for (const [name, value] of Object.entries(row)) {
      if (value === null || value === "") {
        missing.set(name, (missing.get(name) ?? 0) + 1);
        continue;
      }
      if (typeof value === "number" && Number.isFinite(value)) (numbers.get(name) ?? numbers.set(name, []).get(name)!).push(value);
      else nonNumeric.add(name);
      const c = counts.get(name) ?? counts.set(name, new Map()).get(name)!;
      const key = String(value);
      c.set(key, (c.get(key) ?? 0) + 1);
    }
  }
  const columns = new Map<string, ColumnSnapshot>();
  for (const name of new Set([...counts.keys(), ...missing.keys()])) {
    const values = nonNumeric.has(name) ? [] : (numbers.get(name) ?? []).sort((a, b) => a - b);
    const c = counts.get(name) ?? new Map<string, number>();
    const present = [...c.values()].reduce((a, b) => a + b, 0);
    columns.set(name, {
      missingRate: rows === 0 ? 0 : (missing.get(name) ?? 0) / rows,
      numeric: values.length > 0 ? { mean: values.reduce((a, b) => a + b, 0) / values.length, median: median(values), min: values[0]!, max: values[values.length - 1]! } : null,
      top: values.length > 0 ? [] : [...c].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([value, n]) => ({ value, share: n / Math.max(1, present) })),
    });
  }
  return { rows, columns };
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
