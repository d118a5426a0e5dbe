/** Simple imputers fitted on training values only: median for numbers, mode for categories. */
import { median } from "simple-statistics";

export type FittedImputer = { column: string; policy: "median"; value: number } | { column: string; policy: "mode"; value: string };

/**
 * Median of the observed (finite) values; null when there are none.
 * @example fitMedian([3, null, 1, 2]) // 2
 */
export function fitMedian(values: (number | null)[]): number | null {
  const observed = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return observed.length === 0 ? null : median(observed);
}

/**
 * Most frequent observed value; ties go to the value that sorts first, so the result is deterministic.
 * @example fitMode(["b", "a", null, "b", "a"]) // "a"
 */
export function fitMode(values: (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [value, count] of [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (count > bestCount) (best = value), (bestCount = count);
  }
  return best;
}
