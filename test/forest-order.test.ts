/**
 * forest-order.ts orders a node's rows exactly as a stable sort by rank would, on every
 * path (counting sort over a narrow span, insertion sort on small nodes, radix passes on
 * wide spans), and reports a constant feature without sorting; rankColumn ranks integer
 * columns through its table exactly as a sort would.
 */
import { describe, expect, it } from "vitest";
import { NodeOrder, rankColumn } from "../src/stats/forest-order.js";
import { createRng } from "../src/stats/random.js";

/** The reference: rows of the node by (rank, position in the node). */
function stableOrder(rank: Int32Array, samples: Int32Array, start: number, m: number): { ranks: number[]; rows: number[] } {
  const at = Array.from({ length: m }, (_, i) => i);
  at.sort((a, b) => (rank[samples[start + a]!]! - rank[samples[start + b]!]!) || a - b);
  return { ranks: at.map((i) => rank[samples[start + i]!]!), rows: at.map((i) => samples[start + i]!) };
}

describe("NodeOrder", () => {
  const n = 5000;
  const rng = createRng(21);
  // Bootstrap-like samples: rows repeat.
  const samples = Int32Array.from({ length: n }, () => Math.floor(rng() * n));

  for (const distinct of [3, 40, 700, 5000, 200_000]) {
    for (const m of [2, 17, 24, 25, 90, 600, 5000]) {
      it(`${distinct} distinct ranks, ${m} rows`, () => {
        const rank = Int32Array.from({ length: n }, () => Math.floor(rng() * distinct));
        const order = new NodeOrder(n, distinct);
        const start = Math.floor(rng() * (n - m + 1));
        const want = stableOrder(rank, samples, start, m);
        const varies = order.gather(rank, samples, null, start, m);
        expect(varies).toBe(want.ranks[0] !== want.ranks[m - 1]);
        if (!varies) return;
        order.sort(m);
        expect(Array.from(order.sortedRank.subarray(0, m))).toEqual(want.ranks);
        expect(Array.from(order.sortedItem.subarray(0, m))).toEqual(want.rows);
      });
    }
  }

  it("carries the caller's item beside each row when items are given", () => {
    const rank = Int32Array.from({ length: n }, () => Math.floor(rng() * 9000));
    const items = Int32Array.from({ length: n }, () => Math.floor(rng() * 1000));
    const order = new NodeOrder(n, 9000);
    const want = stableOrder(rank, samples, 100, 400);
    const at = Array.from({ length: 400 }, (_, i) => 100 + i).sort((a, b) => rank[samples[a]!]! - rank[samples[b]!]! || a - b);
    expect(order.gather(rank, samples, items, 100, 400)).toBe(true);
    order.sort(400);
    expect(Array.from(order.sortedRank.subarray(0, 400))).toEqual(want.ranks);
    expect(Array.from(order.sortedItem.subarray(0, 400))).toEqual(at.map((i) => items[i]));
  });

  it("reports a feature constant on the node", () => {
    const rank = new Int32Array(n).fill(4);
    expect(new NodeOrder(n, 5).gather(rank, samples, null, 0, 300)).toBe(false);
  });
});

describe("rankColumn", () => {
  /** The reference: distinct values by an ascending sort (-0 first, NaN last, each its own), ranks by position. */
  function naive(col: Float64Array): { rank: number[]; uniq: number[] } {
    const sorted = Array.from(col).sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b || (Object.is(a, -0) ? -1 : Object.is(b, -0) ? 1 : 0)));
    const uniq: number[] = [];
    for (const v of sorted) if (uniq.length === 0 || uniq[uniq.length - 1] !== v) uniq.push(v);
    const rank = Array.from(col, (v) => (Number.isNaN(v) ? uniq.length - 1 : uniq.findIndex((u) => u === v)));
    return { rank, uniq };
  }
  const rng = createRng(5);
  const columns: Record<string, Float64Array> = {
    "codes 0..6": Float64Array.from({ length: 300 }, () => Math.floor(rng() * 7)),
    "negative integers with -0 and 0": Float64Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? -0 : i % 11 === 0 ? 0 : Math.floor(rng() * 40) - 20)),
    "only -0": Float64Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? -0 : 3)),
    "wide integers (sorted path)": Float64Array.from({ length: 200 }, () => Math.floor(rng() * 1e7)),
    "fractions": Float64Array.from({ length: 200 }, () => Math.round(rng() * 100) / 8),
    "NaN among integers": Float64Array.from({ length: 100 }, (_, i) => (i % 9 === 0 ? NaN : i % 5)),
  };
  for (const [name, col] of Object.entries(columns)) {
    it(name, () => {
      const got = rankColumn(col);
      const want = naive(col);
      expect(Array.from(got.rank)).toEqual(want.rank);
      expect(Array.from(got.uniq).map((v) => (Object.is(v, -0) ? "-0" : v))).toEqual(want.uniq.map((v) => (Object.is(v, -0) ? "-0" : v)));
    });
  }
});
