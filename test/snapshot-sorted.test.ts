/**
 * SnapshotCollector's numeric summary sorts with sortNumbers (counting or radix sort past 4,096
 * values): the same mean, median, min and max bit for bit as summarizing a comparison-sorted
 * copy (Float64Array.prototype.sort), the compensated mean summing in the same order.
 */
import { describe, expect, it } from "vitest";
import { SnapshotCollector } from "../src/report/snapshot.js";
import { mean, medianSorted } from "../src/stats/kernel.js";
import { createRng } from "../src/stats/random.js";

/** The summary as computed before: a comparison sort, then mean (compensated, in sorted order), median, ends. */
function naiveSummary(values: number[]) {
  const sorted = Float64Array.from(values).sort();
  return { mean: mean(sorted), median: medianSorted(sorted), min: sorted[0], max: sorted[sorted.length - 1] };
}

describe("SnapshotCollector on large numeric columns", () => {
  it("summarizes counted (few distinct) and radix-sorted (many distinct) columns exactly as a comparison sort", () => {
    const r = createRng(5);
    const n = 30_000;
    const rows = Array.from({ length: n }, () => ({
      few: r() < 0.05 ? null : Math.round(r() * 50) / 4 - 3, // ties, negatives, zeros of both signs
      many: r() < 0.05 ? null : (r() - 0.4) * 1e6 * r(),
      zero: r() < 0.5 ? -0 : 0,
    }));
    const collector = new SnapshotCollector();
    for (const row of rows) collector.add(row);
    const snap = collector.finish();
    for (const name of ["few", "many", "zero"] as const) {
      const values = rows.map((row) => row[name]).filter((v): v is number => v !== null);
      const got = snap.columns.get(name)?.numeric;
      const want = naiveSummary(values);
      expect(got).toBeDefined();
      for (const key of ["mean", "median", "min", "max"] as const) expect(Object.is(got?.[key], want[key]), `${name}.${key}`).toBe(true);
    }
    expect(Object.is(snap.columns.get("zero")?.numeric?.min, -0)).toBe(true);
  });
});
