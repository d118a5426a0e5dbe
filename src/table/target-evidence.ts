/**
 * Evidence about a table's columns that target detection (target.ts) reads beside name cues
 * and position: which column the rows are sorted by, which names are coordinates, which
 * columns are derived from others. Each is stated as the reason a data scientist would give.
 */
import type { ColumnProfile, TableProfile } from "../schemas.js";

/** Fewest sample values, and fewest distinct among them, for "the rows are sorted by it". */
const MIN_SORTED_VALUES = 10;
const MIN_SORTED_LEVELS = 3;
/** Single-letter names that are coordinates when they appear together. */
const COORDINATES = ["x", "y", "z"];
/** Shortest name (letters and digits) another column's name must contain whole to be read as derived from it. */
const MIN_DERIVED_STEM = 3;

/**
 * Whether the table's rows come sorted by this numeric column: its first sample values
 * (at least MIN_SORTED_VALUES, at least MIN_SORTED_LEVELS distinct) never decrease. Tables are
 * ordered by a design variable, a time or a group (cars by speed, attenu by event), seldom by
 * the measured outcome, so the column takes no place bonus.
 * @example sortedBy(profile, speed) // true for R's cars: 4, 4, 7, 7, 8, 9, 10, …
 */
export function sortedBy(profile: TableProfile, column: ColumnProfile): boolean {
  if (column.kind !== "numeric" && column.kind !== "integer") return false;
  const values = profile.sample
    .map((row) => row[column.name])
    .filter((v): v is string => v !== null && v !== undefined && v.trim() !== "")
    .map(Number);
  if (values.length < MIN_SORTED_VALUES || values.some((v) => Number.isNaN(v))) return false;
  if (new Set(values).size < MIN_SORTED_LEVELS) return false;
  return values.every((v, i) => i === 0 || v >= (values[i - 1] ?? v));
}

/**
 * The other coordinate names beside `name` when it is a single-letter coordinate (x, y, z)
 * and another one is a column too: diamonds' y is a width in mm beside x and z, not "the y".
 * @example coordinatePartners("y", ["carat", "x", "y", "z"]) // ["x", "z"]
 */
export function coordinatePartners(name: string, names: readonly string[]): string[] {
  const own = name.trim().toLowerCase();
  if (!COORDINATES.includes(own)) return [];
  return names.filter((n) => n.trim().toLowerCase() !== own && COORDINATES.includes(n.trim().toLowerCase()));
}

/**
 * The column `name` is built from, when its name is another column's name with more added
 * (ddpi from dpi, INCOMESQ from INCOME, COUTAX_FEMALEUNEMP from COUTAX, estperf from perf):
 * a transform, a growth rate, a square, an estimate or an interaction a data scientist made
 * from another column. Names compare on letters and digits only, case-folded; the stem must
 * be at least MIN_DERIVED_STEM long.
 * @example derivedFrom("ddpi", ["sr", "dpi", "ddpi"]) // "dpi"
 */
export function derivedFrom(name: string, others: readonly string[]): string | null {
  const flat = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  const own = flat(name);
  for (const other of others) {
    const stem = flat(other);
    if (stem.length >= MIN_DERIVED_STEM && stem.length < own.length && own.includes(stem)) return other;
  }
  return null;
}
