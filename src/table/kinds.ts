/**
 * How a column is treated downstream (ColumnKind), decided from its values and name.
 * Order of the rules: identifier by name, boolean, datetime, identifier by shape, text,
 * then numeric / integer / categorical.
 */
import type { ColumnKind } from "../schemas.js";
import type { Column } from "./columns.js";

/** Uniqueness says nothing about a column with fewer non-missing values than this. */
export const MIN_ROWS_FOR_SHAPE = 20;

/** Facts about a column's values the kind rules need. */
export interface ValueFacts {
  rows: number;
  nonMissing: number;
  distinct: number;
  /** Distinct values as text (all of them for categorical columns; at most a few for numeric). */
  distinctText: string[];
  min: number;
  max: number;
}

const TRUE_WORDS = new Set(["yes", "y", "true", "t", "1"]);
const FALSE_WORDS = new Set(["no", "n", "false", "f", "0"]);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Words of a column name: split on non-alphanumerics and camelCase, lower-cased. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t !== "");
}

/**
 * Names like id, uuid, guid, customer_id, PassengerId, "Record ID".
 * @example looksLikeIdName("PassengerId") // true
 */
export function looksLikeIdName(name: string): boolean {
  const tokens = nameTokens(name);
  const last = tokens[tokens.length - 1];
  if (tokens.length === 1) return last === "id" || last === "uuid" || last === "guid" || last === "key";
  return last === "id" || last === "uuid" || last === "guid";
}

/** Two values that read as a yes/no pair (yes/no, true/false, y/n, t/f, 0/1). */
export function isBooleanPair(values: string[]): boolean {
  if (values.length !== 2) return false;
  const [a = "", b = ""] = values.map((v) => v.toLowerCase());
  return (TRUE_WORDS.has(a) && FALSE_WORDS.has(b)) || (TRUE_WORDS.has(b) && FALSE_WORDS.has(a));
}

/** ISO-like dates: 2012-01-31, 2012-01-31 08:00, 2012-01-31T08:00:00Z; the date must exist. */
export function isIsoDate(text: string): boolean {
  return ISO_DATE.test(text) && !Number.isNaN(Date.parse(text.slice(0, 10)));
}

/** Mostly multi-word values of some length: free text rather than codes. */
function looksLikeProse(values: string[]): boolean {
  if (values.length === 0) return false;
  let words = 0;
  let chars = 0;
  for (const v of values) {
    if (/\s/.test(v)) words++;
    chars += v.length;
  }
  return words / values.length >= 0.5 && chars / values.length >= 10;
}

/**
 * What a column kind is for modelling, imputation and drift — the one mapping from kind to family:
 * numbers (numeric, integer), categories (categorical, boolean: yes/no pairs are two levels, even
 * when written 0/1), dates, free text and identifiers. Text and identifiers carry no signal as
 * values (the baseline leaves them out, imputation leaves them unknown); dates are expanded to
 * numbers by the baseline and left unknown by imputation.
 * @example featureFamily("integer") // "numeric"
 * @example featureFamily("boolean") // "categorical"
 */
export function featureFamily(kind: ColumnKind): FeatureFamily {
  switch (kind) {
    case "numeric":
    case "integer":
      return "numeric";
    case "categorical":
    case "boolean":
      return "categorical";
    case "datetime":
      return "datetime";
    case "text":
      return "text";
    case "identifier":
      return "identifier";
  }
}

/** A column kind's family (see featureFamily). */
export type FeatureFamily = "numeric" | "categorical" | "datetime" | "text" | "identifier";

/** The column kind from its values and name (rules in the module comment). */
export function columnKind(column: Column, facts: ValueFacts, textDistinctRatio: number): ColumnKind {
  const ratio = facts.nonMissing === 0 ? 0 : facts.distinct / facts.nonMissing;
  const enoughRows = facts.nonMissing >= MIN_ROWS_FOR_SHAPE;
  const uniquePerRow = enoughRows && facts.distinct === facts.nonMissing;

  if (column.type === "numeric") {
    if (column.allIntegers && looksLikeIdName(column.name) && ratio > 0.5) return "identifier";
    if (facts.distinct === 2 && isBooleanPair(facts.distinctText)) return "boolean";
    if (!column.allIntegers) return "numeric";
    const sequence = uniquePerRow && facts.nonMissing === facts.rows && facts.max - facts.min === facts.rows - 1;
    return sequence ? "identifier" : "integer";
  }

  if (looksLikeIdName(column.name) && ratio > 0.5) return "identifier";
  if (facts.distinct === 2 && isBooleanPair(facts.distinctText)) return "boolean";
  if (facts.distinct > 0 && facts.distinctText.every(isIsoDate)) return "datetime";
  if (uniquePerRow) return looksLikeProse(facts.distinctText) ? "text" : "identifier";
  if (enoughRows && ratio > textDistinctRatio) return "text";
  return "categorical";
}
