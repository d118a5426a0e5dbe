/**
 * A classification tree's bootstrap sample as weighted rows (src/stats/forest.ts): each row
 * drawn once or more is held once, ascending, with how often it was drawn. Everything a
 * classification node learns depends only on which rows it holds and how often (class
 * counts, exact integer Σcount² per side, splits between distinct ranks — never between
 * copies of one row), not on their order, so this grows the same trees as the n draws one by
 * one, over about 63% as many entries, and the ascending order (kept by a stable partition)
 * makes the nodes' reads of per-row arrays run forward through memory.
 *
 * Each entry's item packs weight and class: weight << shift | class.
 */
import { randomInt } from "./random.js";

export class ClassRows {
  /** Entries of the tree: row numbers, ascending within every node. */
  readonly rows: Int32Array;
  /** weight << shift | class, per entry. */
  readonly items: Int32Array;
  /** Bits of the class in an item (the class is item & mask, the weight item >>> shift). */
  readonly shift: number;
  readonly mask: number;
  /** Σ weight of the left part after `partition`. */
  leftWeight = 0;
  private readonly drawn: Int32Array;
  private readonly spareRows: Int32Array;
  private readonly spareItems: Int32Array;

  constructor(
    private readonly y: Int32Array,
    width: number,
  ) {
    const n = y.length;
    this.rows = new Int32Array(n);
    this.items = new Int32Array(n);
    this.drawn = new Int32Array(n);
    this.spareRows = new Int32Array(n);
    this.spareItems = new Int32Array(n);
    this.shift = Math.max(1, 32 - Math.clz32(width - 1));
    this.mask = (1 << this.shift) - 1;
  }

  /**
   * Draws n rows with replacement (randomInt(rng, n), n times: the draws of an unweighted
   * bootstrap) and keeps them as entries. @returns the number of entries.
   * @throws if a row is drawn too often for its weight to fit beside the class bits.
   */
  draw(rng: () => number): number {
    const { y, drawn, rows, items, shift } = this;
    const n = y.length;
    for (let i = 0; i < n; i++) drawn[randomInt(rng, n)]! += 1;
    const most = 2 ** (31 - shift);
    let u = 0;
    for (let row = 0; row < n; row++) {
      const w = drawn[row] as number;
      if (w === 0) continue;
      if (w >= most) throw new RangeError(`a row drawn ${w} times does not fit a weighted sample of ${2 ** shift} class codes`);
      drawn[row] = 0;
      rows[u] = row;
      items[u] = (w << shift) | (y[row] as number);
      u++;
    }
    return u;
  }

  /** Class counts (weighted) of entries [start, end) into counts. @returns their Σ weight. */
  weigh(start: number, end: number, counts: Float64Array): number {
    const { items, shift, mask } = this;
    counts.fill(0);
    let m = 0;
    for (let i = start; i < end; i++) {
      const item = items[i] as number;
      const w = item >>> shift;
      counts[item & mask]! += w;
      m += w;
    }
    return m;
  }

  /**
   * Stable partition of entries [start, end): rank[row] ≤ leftRank first.
   * @returns where the right part starts; leftWeight holds the left part's Σ weight.
   */
  partition(rank: Int32Array, leftRank: number, start: number, end: number): number {
    const { rows, items, spareRows, spareItems, shift } = this;
    let lo = start;
    let right = 0;
    let weight = 0;
    for (let i = start; i < end; i++) {
      const row = rows[i] as number;
      const item = items[i] as number;
      if ((rank[row] as number) <= leftRank) {
        rows[lo] = row;
        items[lo] = item;
        lo++;
        weight += item >>> shift;
      } else {
        spareRows[right] = row;
        spareItems[right] = item;
        right++;
      }
    }
    rows.set(spareRows.subarray(0, right), lo);
    items.set(spareItems.subarray(0, right), lo);
    this.leftWeight = weight;
    return lo;
  }
}
