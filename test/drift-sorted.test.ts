/**
 * Drift on sorted columns (sortedColumn, numericEdgesSorted, binCountsSorted, ksStatisticSorted)
 * against the straightforward formulas it replaced: edges from a comparison sort of the finite
 * values, each value's bin by a binary search over the edges, the KS walk over two freshly sorted
 * copies. Same doubles bit for bit (psi, ks, every share and label), on seeded random columns with
 * ties, missing values, infinities and both zeros, small (built-in sort) and large (counting and
 * radix sort).
 */
import { describe, expect, it } from "vitest";
import { quantileSorted } from "../src/stats/kernel.js";
import { binCountsSorted, ksStatistic, numericDriftValues, numericEdges, numericEdgesSorted, psiFromShares, sortedColumn } from "../src/stats/drift.js";
import { createRng } from "../src/stats/random.js";

/** The reference: numericEdges as it was, Float64Array filter + comparison sort. */
function naiveEdges(train: Float64Array, bins: number): number[] {
  const sorted = Float64Array.from(train).filter(Number.isFinite).sort();
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = quantileSorted(sorted, k / bins);
    if (edges.length === 0 || q > edges[edges.length - 1]!) edges.push(q);
  }
  return edges;
}

/** np.searchsorted(edges, v, "left"): the number of edges below v. */
function naiveBin(edges: number[], v: number): number {
  return edges.filter((e) => e < v).length;
}

/** How many of the sorted values are ≤ v (binary search for the upper bound). */
function atMost(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The reference KS from its definition: max over every observed value v of |F_a(v) − F_b(v)|, NaN left out (no merge walk). */
function naiveKs(a: Float64Array, b: Float64Array): number {
  const x = a.filter((v) => !Number.isNaN(v)).sort();
  const y = b.filter((v) => !Number.isNaN(v)).sort();
  if (x.length === 0 || y.length === 0) return Number.NaN;
  let d = 0;
  for (const v of [...x, ...y]) d = Math.max(d, Math.abs(atMost(x, v) / x.length - atMost(y, v) / y.length));
  return d;
}

/** The reference drift: shares per bin counted value by value, PSI over them, KS as above. */
function naiveDrift(a: Float64Array, b: Float64Array, bins: number) {
  const edges = naiveEdges(a, bins);
  const k = edges.length + 1;
  const shares = (values: Float64Array) => {
    const c = new Array<number>(k + 1).fill(0);
    for (const v of values) c[Number.isNaN(v) ? k : naiveBin(edges, v)]! += 1;
    return c.map((x) => x / values.length);
  };
  const e = shares(a);
  const t = shares(b);
  const useBins = e[k]! > 0 || t[k]! > 0 ? k + 1 : k;
  return { psi: psiFromShares(e.slice(0, useBins), t.slice(0, useBins)), ks: naiveKs(a, b), train: e.slice(0, useBins), test: t.slice(0, useBins) };
}

/** A seeded column: `distinct` values (rounded, so ties), a share missing, a few infinities and zeros of both signs. */
function column(seed: number, n: number, distinct: number, shift = 0): Float64Array {
  const r = createRng(seed);
  return Float64Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.05) return Number.NaN;
    if (u < 0.06) return r() < 0.5 ? -0 : 0;
    if (u < 0.062) return r() < 0.5 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    return Math.round((r() * 2 - 1 + shift) * distinct) / 7;
  });
}

const sameBits = (x: number, y: number) => Object.is(x, y);

describe("drift on sorted columns", () => {
  const cases = [
    { n: 50, m: 20, distinct: 6, bins: 4 },
    { n: 3000, m: 800, distinct: 40, bins: 10 },
    { n: 20_000, m: 5_000, distinct: 300, bins: 10 }, // counted (few distinct values)
    { n: 60_000, m: 15_000, distinct: 1e9, bins: 10 }, // radix-sorted (many distinct values)
    { n: 10_000, m: 2_500, distinct: 2, bins: 10 }, // three values: duplicate edges dropped
  ];
  for (const [i, c] of cases.entries()) {
    it(`gives the same psi, ks, shares and edges as the value-by-value formulas (${c.n} × ${c.m}, ${c.distinct} distinct, ${c.bins} bins)`, () => {
      const a = column(11 + i, c.n, c.distinct);
      const b = column(101 + i, c.m, c.distinct, 0.3);
      const want = naiveDrift(a, b, c.bins);
      const got = numericDriftValues(a, b, c.bins);
      expect(sameBits(got.psi, want.psi)).toBe(true);
      expect(sameBits(got.ks ?? Number.NaN, want.ks)).toBe(true);
      expect(got.bins.map((x) => x.train)).toEqual(want.train);
      expect(got.bins.map((x) => x.test)).toEqual(want.test);
      expect(got.bins.at(-1)?.bin).toBe("missing");
      expect(numericEdges(a, c.bins)).toEqual(naiveEdges(a, c.bins));
      expect(numericEdgesSorted(sortedColumn(a).sorted, c.bins)).toEqual(naiveEdges(a, c.bins));
      expect(sameBits(ksStatistic(a, b), want.ks)).toBe(true);
      expect(want.psi).toBeGreaterThan(0.01); // the sides differ: the comparison is not of zeros
    });
  }

  it("sortedColumn keeps infinities and both zeros in the built-in sort's order, and counts missing rows", () => {
    const values = Float64Array.of(3, Number.NaN, 0, -0, Number.POSITIVE_INFINITY, -2, Number.NEGATIVE_INFINITY, Number.NaN);
    const { sorted, rows } = sortedColumn(values);
    expect(rows).toBe(8);
    expect([...sorted].map((v) => (Object.is(v, -0) ? "-0" : String(v)))).toEqual(["-Infinity", "-2", "-0", "0", "3", "Infinity"]);
  });

  it("bins count values equal to an edge in the bin below it (searchsorted 'left')", () => {
    expect(binCountsSorted(Float64Array.of(1, 2, 2, 3), [2])).toEqual([3, 1]);
    expect(binCountsSorted(Float64Array.of(-0, 0, 1), [0])).toEqual([2, 1]);
    expect(binCountsSorted(new Float64Array(0), [1, 2])).toEqual([0, 0, 0]);
  });

  it("states its edge cases: only infinities give no edges (one bin), only missing values give NaN KS", () => {
    expect(numericEdgesSorted(Float64Array.of(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY), 4)).toEqual([]);
    const d = numericDriftValues(Float64Array.of(Number.NaN, Number.NaN), Float64Array.of(1, Number.NaN), 4);
    expect(d.ks).toBeNaN();
    expect(d.bins.map((x) => x.bin)).toEqual(["all values", "missing"]);
    expect(ksStatistic([1, Number.NaN], [1])).toBe(0);
  });
});
