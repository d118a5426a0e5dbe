/**
 * Performance by subgroup: the test rows split by the value of one column, each group
 * scored with the same metrics and bootstrap intervals as the whole test set
 * (metrics.ts). Numbers with many distinct values are grouped into training-free
 * quartile ranges of the test values. Pure functions.
 */
import { quantileSorted } from "./kernel.js";
import { classificationIntervals, classificationMetrics, regressionIntervals, regressionMetrics, type Interval } from "./metrics.js";

export type GroupValue = string | number | boolean | null | undefined;

/** Distinct numbers above which a numeric column is grouped into quartile ranges. */
export const MAX_NUMERIC_GROUPS = 10;

/**
 * The group of each row: the value as text ("(missing)" for null/empty), or for a numeric
 * column with more than MAX_NUMERIC_GROUPS distinct values its quartile range
 * "Q1 ≤ 35", "Q2 (35, 42]", … (edges at the quartiles of these values, linear method).
 * @example groupLabels(["a", null, "b"]) // ["a", "(missing)", "b"]
 */
export function groupLabels(values: GroupValue[]): string[] {
  const missing = (v: GroupValue) => v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v));
  const numbers = values.filter((v) => !missing(v)).map((v) => (typeof v === "number" ? v : Number(v)));
  const allNumeric = numbers.length > 0 && numbers.every(Number.isFinite);
  if (!allNumeric || new Set(numbers).size <= MAX_NUMERIC_GROUPS) return values.map((v) => (missing(v) ? "(missing)" : String(v)));
  const sorted = Float64Array.from(numbers).sort();
  const edges = [0.25, 0.5, 0.75].map((q) => quantileSorted(sorted, q));
  const r = (x: number) => String(Number(x.toPrecision(4)));
  return values.map((v) => {
    if (missing(v)) return "(missing)";
    const x = Number(v);
    const q = edges.filter((e) => x > e).length;
    return q === 0 ? `Q1 ≤ ${r(edges[0]!)}` : q === 3 ? `Q4 > ${r(edges[2]!)}` : `Q${q + 1} (${r(edges[q - 1]!)}, ${r(edges[q]!)}]`;
  });
}

export interface SubgroupRow {
  group: string;
  n: number;
  /** True when n is below the configured minimum: its numbers are shown but not to be relied on. */
  small: boolean;
  /** Classification: accuracy and macro-F1 with intervals; regression: RMSE and MAE. */
  metrics: { name: string; value: number; ci: Interval }[];
}

interface Boot {
  resamples: number;
  seed: number;
  level: number;
}

/**
 * Classification metrics per group, largest group first (ties by name).
 * @throws TabtuneError as classificationMetrics (a true label outside `labels`).
 */
export function classificationSubgroups(groups: string[], yTrue: string[], yPred: (string | null)[], labels: string[], boot: Boot, minRows: number): SubgroupRow[] {
  return byGroup(groups).map(([group, idx]) => {
    const t = idx.map((i) => yTrue[i] as string);
    const p = idx.map((i) => yPred[i] ?? null);
    const m = classificationMetrics(t, p, labels);
    const ci = classificationIntervals(t, p, labels, boot);
    return { group, n: idx.length, small: idx.length < minRows, metrics: [{ name: "accuracy", value: m.accuracy, ci: ci.accuracy }, { name: "macro-F1", value: m.macroF1, ci: ci.macroF1 }] };
  });
}

/** RMSE and MAE per group, largest group first. @throws TabtuneError as regressionMetrics. */
export function regressionSubgroups(groups: string[], yTrue: number[], yPred: number[], boot: Boot, minRows: number): SubgroupRow[] {
  return byGroup(groups).map(([group, idx]) => {
    const t = idx.map((i) => yTrue[i] as number);
    const p = idx.map((i) => yPred[i] as number);
    const m = regressionMetrics(t, p);
    const ci = regressionIntervals(t, p, boot);
    return { group, n: idx.length, small: idx.length < minRows, metrics: [{ name: "RMSE", value: m.rmse, ci: ci.rmse }, { name: "MAE", value: m.mae, ci: ci.mae }] };
  });
}

function byGroup(groups: string[]): [string, number[]][] {
  const m = new Map<string, number[]>();
  groups.forEach((g, i) => (m.get(g) ?? m.set(g, []).get(g)!).push(i));
  return [...m].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
