/**
 * The best split of one forest node on one candidate feature (src/stats/forest.ts): the
 * threshold between two neighbouring ranks that maximizes Σcount²/n over both children
 * (Gini) or (Σy)²/n (squared error), scanned by rank from the lowest, the first of equal
 * scores kept, children of fewer than minLeaf rows skipped.
 *
 * Numbers are scanned in the node's sorted order (forest-order.ts), their running sums
 * rounded exactly as the forest always summed them. Classes need no order within a rank:
 * Σcount² of each side is kept as an exact integer, so a score depends only on which ranks
 * are on the left. They are scanned as weighted entries (forest-rows.ts), over a per-rank
 * class histogram when the node's span of ranks is narrow (no sorting at all), else over the
 * entries sorted by rank.
 */
import { NodeOrder, SPAN_PER_ROW } from "./forest-order.js";

/** The best split found so far at a node (reset per node). */
export class SplitSearch {
  bestScore = -Infinity;
  bestFeature = -1;
  /** Rows of rank ≤ bestLeftRank go left; bestRightRank is the next rank the node holds. */
  bestLeftRank = 0;
  bestRightRank = 0;
  private readonly order: NodeOrder;
  private readonly mask: number;
  private readonly countsLeft: Float64Array;
  /** Per rank of the node's span, its rows per class (span × width). */
  private readonly histogram: Int32Array;

  /**
   * For n rows, features of at most maxRanks distinct values, `width` classes whose items
   * keep the class in their low `shift` bits (0 for numbers), targets yValue (numbers).
   */
  constructor(
    n: number,
    maxRanks: number,
    private readonly width: number,
    private readonly shift: number,
    private readonly yValue: Float64Array,
    private readonly minLeaf: number,
  ) {
    this.order = new NodeOrder(n, maxRanks);
    this.mask = (1 << shift) - 1;
    this.countsLeft = new Float64Array(width);
    this.histogram = new Int32Array(shift > 0 ? Math.min(maxRanks * width, SPAN_PER_ROW * n) : 0);
  }

  reset(): void {
    this.bestScore = -Infinity;
    this.bestFeature = -1;
    this.bestLeftRank = 0;
    this.bestRightRank = 0;
  }

  private keep(score: number, f: number, here: number, next: number): void {
    this.bestScore = score;
    this.bestFeature = f;
    this.bestLeftRank = here;
    this.bestRightRank = next;
  }

  /**
   * Classes: scans feature f (ranks `rank`) on the node's weighted entries rows[start,
   * start+u) (forest-rows.ts: items pack weight << shift | class) of Σ weight m, whose class
   * counts are countsNode. @returns false when f is constant on the node (not scanned).
   */
  tryClasses(f: number, rank: Int32Array, rows: Int32Array, items: Int32Array, start: number, u: number, m: number, countsNode: Float64Array): boolean {
    const order = this.order;
    if (!order.gather(rank, rows, items, start, u)) return false;
    const { width, minLeaf, countsLeft, shift, mask } = this;
    countsLeft.fill(0);
    let sqLeft = 0;
    let sqRight = 0;
    for (let c = 0; c < width; c++) sqRight += (countsNode[c] as number) ** 2;
    const span = order.span;
    if (span * width <= SPAN_PER_ROW * u) {
      // Per rank, its rows per class; then whole ranks move left, lowest first.
      const low = order.low;
      const histogram = this.histogram;
      const nodeRank = order.nodeRank;
      const nodeItem = order.nodeItem;
      histogram.fill(0, 0, span * width);
      for (let i = 0; i < u; i++) {
        const item = nodeItem[i] as number;
        histogram[((nodeRank[i] as number) - low) * width + (item & mask)]! += item >>> shift;
      }
      let nl = 0;
      let previous = -1;
      for (let b = 0; b < span; b++) {
        const base = b * width;
        let k = 0;
        for (let c = 0; c < width; c++) k += histogram[base + c] as number;
        if (k === 0) continue;
        if (previous >= 0) {
          const nr = m - nl;
          if (nl >= minLeaf && nr >= minLeaf) {
            const score = sqLeft / nl + sqRight / nr;
            if (score > this.bestScore) this.keep(score, f, previous + low, b + low);
          }
        }
        for (let c = 0; c < width; c++) {
          const kc = histogram[base + c] as number;
          if (kc === 0) continue;
          const left = countsLeft[c] as number;
          const right = (countsNode[c] as number) - left;
          sqLeft += (2 * left + kc) * kc;
          sqRight -= (2 * right - kc) * kc;
          countsLeft[c] = left + kc;
        }
        nl += k;
        previous = b;
      }
      return true;
    }
    order.sort(u);
    const sortedRank = order.sortedRank;
    const sortedItem = order.sortedItem;
    let nl = 0;
    for (let i = 0; i < u - 1; i++) {
      const item = sortedItem[i] as number;
      const c = item & mask;
      const w = item >>> shift;
      const left = countsLeft[c] as number;
      const right = (countsNode[c] as number) - left;
      sqLeft += (2 * left + w) * w;
      sqRight -= (2 * right - w) * w;
      countsLeft[c] = left + w;
      nl += w;
      const nr = m - nl;
      if (nl < minLeaf || nr < minLeaf) continue;
      const here = sortedRank[i] as number;
      const next = sortedRank[i + 1] as number;
      if (here === next) continue;
      const score = sqLeft / nl + sqRight / nr;
      if (score > this.bestScore) this.keep(score, f, here, next);
    }
    return true;
  }

  /**
   * Numbers: scans feature f on the node samples[start, start+m), whose targets sum to
   * `total` (in node order). @returns false when f is constant on the node (not scanned).
   */
  tryNumbers(f: number, rank: Int32Array, samples: Int32Array, start: number, m: number, total: number): boolean {
    const order = this.order;
    if (!order.gather(rank, samples, null, start, m)) return false;
    order.sort(m);
    const { yValue, minLeaf } = this;
    const sortedRank = order.sortedRank;
    const sortedRow = order.sortedItem;
    let sumLeft = 0;
    for (let i = 0; i < m - 1; i++) {
      sumLeft += yValue[sortedRow[i] as number] as number;
      const nl = i + 1;
      const nr = m - nl;
      if (nl < minLeaf || nr < minLeaf) continue;
      const here = sortedRank[i] as number;
      const next = sortedRank[i + 1] as number;
      if (here === next) continue;
      const sumRight = total - sumLeft;
      const score = (sumLeft * sumLeft) / nl + (sumRight * sumRight) / nr;
      if (score > this.bestScore) this.keep(score, f, here, next);
    }
    return true;
  }
}
