/**
 * The baseline's features as a data scientist would prepare them, learned on training rows only:
 * - which plan columns the forest sees: identifiers and near-unique strings (names, titles,
 *   free text: distinct / non-missing above profile.textDistinctRatio) are left out with a
 *   reason — as integer codes they are row labels the forest would split on by accident;
 * - numbers keep their value (missing → the training median);
 * - categories become integer codes in sorted order of their training values (missing is a
 *   category of its own). A value never seen in training is NaN, the one "unseen" code: the
 *   forest sends it, at every split on that column, to the child that held more training rows
 *   (see forest.ts), never to whichever side an arbitrary code happens to fall;
 * - dates become five numbers: days since 1970-01-01, year, month, day of week (Monday = 0)
 *   and day of year (missing or unreadable → each part's training median).
 */
import type { ColumnKind } from "../schemas.js";
import { featureFamily, MIN_ROWS_FOR_SHAPE } from "../table/kinds.js";
import { medianSorted } from "./kernel.js";

export interface FeatureSpec {
  name: string;
  kind: "numeric" | "categorical" | "datetime";
}
export type Cell = string | number | boolean | null | undefined;

/** A plan column the baseline leaves out, and why (logged and written to results.json). */
export interface ExcludedFeature {
  name: string;
  reason: string;
}

const MISSING_CATEGORY = "\u0000missing";
/** Names of the numbers a date column becomes, suffixed to the column's name. */
export const DATE_PARTS = ["days", "year", "month", "weekday", "yearday"] as const;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?)?/;
const DAY_MS = 86_400_000;

/**
 * The plan's features the baseline uses, with the kind each is encoded as, and those it
 * leaves out. `columns` are the profile's; `rows` the profiled row count.
 * @example chooseBaselineFeatures(["name", "age"], [{ name: "name", kind: "text", distinct: 90, missing: 0 }, { name: "age", kind: "integer", distinct: 40, missing: 0 }], 100, 0.5)
 * // { features: [{ name: "age", kind: "numeric" }], excluded: [{ name: "name", reason: "free text or names: 90 distinct of 100 values (90% > 50%)…" }] }
 */
export function chooseBaselineFeatures(
  planFeatures: string[],
  columns: { name: string; kind: ColumnKind; distinct: number; missing: number }[],
  rows: number,
  textDistinctRatio: number,
): { features: FeatureSpec[]; excluded: ExcludedFeature[] } {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const features: FeatureSpec[] = [];
  const excluded: ExcludedFeature[] = [];
  for (const name of planFeatures) {
    const column = byName.get(name);
    if (!column) {
      features.push({ name, kind: "categorical" });
      continue;
    }
    const nonMissing = Math.max(0, rows - column.missing);
    const ratio = nonMissing === 0 ? 0 : column.distinct / nonMissing;
    const share = `${column.distinct} distinct of ${nonMissing} values (${Math.round(ratio * 100)}%`;
    const family = featureFamily(column.kind);
    if (family === "numeric" || family === "datetime") features.push({ name, kind: family });
    else if (family === "identifier") excluded.push({ name, reason: `identifier (${share}): a row label, not a signal the forest can learn from codes` });
    else if (family === "text" || (nonMissing >= MIN_ROWS_FOR_SHAPE && ratio > textDistinctRatio))
      excluded.push({ name, reason: `free text or names: ${share} > ${Math.round(textDistinctRatio * 100)}%, profile.textDistinctRatio): as codes it is near-unique per row; the records may still carry it as text` });
    else features.push({ name, kind: "categorical" });
  }
  return { features, excluded };
}

/** A cell as a number: finite numbers, booleans as 0/1, numeric strings; anything else NaN. */
export function cellToNumber(value: Cell): number {
  if (typeof value === "number") return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value.trim());
    return Number.isFinite(parsed) ? parsed : Number.NaN;
  }
  return Number.NaN;
}

/**
 * Learns from training values how to turn one numeric or categorical column into numbers.
 * @example fitColumnEncoder("numeric", [1, null, 3])(null) // 2 (the training median)
 * @example fitColumnEncoder("categorical", ["b", "a"])("b") // 1; unseen "c" → NaN (the unseen code)
 */
export function fitColumnEncoder(kind: "numeric" | "categorical", trainValues: Cell[]): (value: Cell) => number {
  if (kind === "numeric") {
    const fill = medianOfNumbers(trainValues);
    return (value) => {
      const v = cellToNumber(value);
      return Number.isNaN(v) ? fill : v;
    };
  }
  const key = (value: Cell): string => (value === null || value === undefined ? MISSING_CATEGORY : String(value));
  const levels = [...new Set(trainValues.map(key))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const codes = new Map(levels.map((level, i) => [level, i]));
  return (value) => codes.get(key(value)) ?? Number.NaN;
}

/**
 * A date cell as [days since 1970-01-01 (UTC, time of day as a fraction), year, month 1–12,
 * weekday 0–6 (Monday = 0, as pandas), day of year 1–366]; null when it is not an ISO date
 * (YYYY-MM-DD, optionally with a time; a zone offset is ignored).
 * @example dateParts("2012-01-02") // [15341, 2012, 1, 0, 2]
 */
export function dateParts(value: Cell): number[] | null {
  if (typeof value !== "string") return null;
  const m = DATE.exec(value.trim());
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const midnight = Date.UTC(year, month - 1, day);
  const check = new Date(midnight);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  const seconds = Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0);
  const days = midnight / DAY_MS + seconds / 86_400;
  const weekday = (check.getUTCDay() + 6) % 7;
  const yearday = (midnight - Date.UTC(year, 0, 1)) / DAY_MS + 1;
  return [days, year, month, weekday, yearday];
}

/**
 * Learns from training values how to turn one feature into forest columns (one, or five for
 * a date) and returns the encoder of a list of cells.
 */
export function fitFeatureEncoder(spec: FeatureSpec, trainValues: Cell[]): { width: number; encode: (values: Cell[]) => Float64Array[] } {
  if (spec.kind !== "datetime") {
    const encoder = fitColumnEncoder(spec.kind, trainValues);
    return { width: 1, encode: (values) => [Float64Array.from(values, encoder)] };
  }
  const parsed = trainValues.map(dateParts).filter((p): p is number[] => p !== null);
  const fills = DATE_PARTS.map((_, k) => (parsed.length === 0 ? 0 : medianOf(parsed.map((p) => p[k] as number))));
  return {
    width: DATE_PARTS.length,
    encode: (values) => {
      const parts = values.map(dateParts);
      return fills.map((fill, k) => Float64Array.from(parts, (p) => (p ? (p[k] as number) : fill)));
    },
  };
}

/** Median of the cells that are numbers (cellToNumber), 0 when none is: one typed array, no list per step. */
function medianOfNumbers(values: Cell[]): number {
  const numbers = new Float64Array(values.length);
  let count = 0;
  for (const value of values) {
    const v = cellToNumber(value);
    if (!Number.isNaN(v)) numbers[count++] = v;
  }
  return count === 0 ? 0 : medianSorted(numbers.subarray(0, count).sort());
}

/** Median of a non-empty list (numpy.median: mean of the two middle values when even). */
function medianOf(values: number[]): number {
  return medianSorted(Float64Array.from(values).sort());
}
