/**
 * The order in which a forest node scans one candidate feature (src/stats/forest.ts): the
 * node's rows by the feature's rank, rows of equal rank in the order they sit in the node
 * (stable). That order fixes everything a node learns, down to the rounding of a regression
 * node's running sums, so every path here gives exactly that order:
 * - a counting sort over the ranks the node holds (its lowest to its highest) when that span
 *   is at most SPAN_PER_ROW times the node's rows — categories, and deep nodes, whose rows
 *   an ancestor's split on the feature already narrowed;
 * - insertion sort on nodes of at most SMALL_NODE rows;
 * - else an LSD radix sort of rank − lowest in a few stable counting passes of equal digit
 *   width (about log2 m bits, at most MAX_DIGIT_BITS), O(m) a pass instead of a comparison
 *   sort's O(m log m).
 * A feature constant on the node is reported as such by `gather`, before any sorting.
 */

/** A node span of ranks up to this many times its rows is counting-sorted in one pass. */
export const SPAN_PER_ROW = 4;
/** Nodes of at most this many rows are ordered by insertion sort. */
const SMALL_NODE = 24;
/** The widest radix digit: 2^11 buckets, 8 KB of counts. */
const MAX_DIGIT_BITS = 11;

/** Integer columns spanning at most this many values a row (or TABLE_SPAN_MIN) are ranked by a lookup table. */
const TABLE_SPAN_PER_ROW = 4;
const TABLE_SPAN_MIN = 4096;

/**
 * A feature's distinct values, ascending (`uniq`: the thresholds lie between them), and each
 * row's position among them (`rank`). -0 and 0 are one value, kept as -0 when the column has
 * a -0 (where an ascending sort puts it); every NaN sorts last as a value of its own and
 * ranks as the last value. Integer columns of a narrow span (codes, counts) are ranked
 * through a table over that span, others by a sort and a binary search: the same result.
 */
export function rankColumn(col: Float64Array): { rank: Int32Array; uniq: Float64Array } {
  const n = col.length;
  let low = Infinity;
  let high = -Infinity;
  let integral = true;
  for (let i = 0; i < n; i++) {
    const v = col[i] as number;
    if (!Number.isInteger(v)) {
      integral = false;
      break;
    }
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (integral && n > 0 && high - low < Math.max(TABLE_SPAN_PER_ROW * n, TABLE_SPAN_MIN)) return rankByTable(col, low, high - low + 1);
  const sorted = Float64Array.from(col).sort();
  let k = 0;
  for (let i = 0; i < n; i++) if (k === 0 || sorted[k - 1] !== sorted[i]) sorted[k++] = sorted[i] as number;
  const uniq = sorted.slice(0, k);
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[i] = rankOf(uniq, col[i] as number);
  return { rank, uniq };
}

/** rankColumn for integers from `low` over `span` values: which are present, then their positions. */
function rankByTable(col: Float64Array, low: number, span: number): { rank: Int32Array; uniq: Float64Array } {
  const n = col.length;
  const table = new Int32Array(span);
  let negativeZero = false;
  for (let i = 0; i < n; i++) {
    const v = col[i] as number;
    table[(v - low) | 0] = 1;
    if (v === 0 && 1 / v < 0) negativeZero = true;
  }
  let k = 0;
  for (let o = 0; o < span; o++) k += table[o] as number;
  const uniq = new Float64Array(k);
  k = 0;
  for (let o = 0; o < span; o++) {
    if (table[o] === 0) continue;
    uniq[k] = o + low === 0 && negativeZero ? -0 : o + low;
    table[o] = k++;
  }
  const rank = new Int32Array(n);
  for (let i = 0; i < n; i++) rank[i] = table[((col[i] as number) - low) | 0] as number;
  return { rank, uniq };
}

/**
 * The position of x among the distinct sorted values (every NaN sorts last and ranks as the
 * last value, -0 as 0).
 */
function rankOf(uniq: Float64Array, x: number): number {
  if (Number.isNaN(x)) return uniq.length - 1;
  let lo = 0;
  let hi = uniq.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((uniq[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Scratch buffers for ordering nodes of up to `n` rows whose ranks lie below `maxRanks`,
 * reused by every node of every tree of one fit. `gather` reads a node's ranks (and an item
 * per row: the row itself, or what the caller keeps beside it), `sort` then leaves them in scan order in
 * sortedRank[0, m) and sortedItem[0, m).
 */
export class NodeOrder {
  readonly sortedRank: Int32Array;
  readonly sortedItem: Int32Array;
  /** The node's ranks and items in node order (after `gather`). */
  readonly nodeRank: Int32Array;
  readonly nodeItem: Int32Array;
  /** The lowest rank of the node and the span from it to the highest (after `gather`). */
  low = 0;
  span = 0;
  private readonly spareRank: Int32Array;
  private readonly spareItem: Int32Array;
  private readonly counts: Int32Array;

  constructor(n: number, maxRanks: number) {
    this.sortedRank = new Int32Array(n);
    this.sortedItem = new Int32Array(n);
    this.nodeRank = new Int32Array(n);
    this.nodeItem = new Int32Array(n);
    this.spareRank = new Int32Array(n);
    this.spareItem = new Int32Array(n);
    this.counts = new Int32Array(Math.max(Math.min(maxRanks, SPAN_PER_ROW * n), 1 << MAX_DIGIT_BITS) + 1);
  }

  /**
   * Reads the ranks of the node's rows rows[start, start+m) (m ≥ 1), with items[start + i]
   * (items given) or the row itself as each one's item.
   * @returns false when every row of the node has the same rank (nothing to sort).
   */
  gather(rank: Int32Array, rows: Int32Array, items: Int32Array | null, start: number, m: number): boolean {
    const nodeRank = this.nodeRank;
    const nodeItem = this.nodeItem;
    let low = rank[rows[start] as number] as number;
    let high = low;
    for (let i = 0; i < m; i++) {
      const row = rows[start + i] as number;
      const r = rank[row] as number;
      nodeRank[i] = r;
      nodeItem[i] = items === null ? row : (items[start + i] as number);
      if (r < low) low = r;
      else if (r > high) high = r;
    }
    this.low = low;
    this.span = high - low + 1;
    return low !== high;
  }

  /** Orders the m gathered rows: by rank, equal ranks in node order. */
  sort(m: number): void {
    const { low, span } = this;
    if (span <= SPAN_PER_ROW * m) this.countingSort(m, low, span);
    else if (m <= SMALL_NODE) this.insertionSort(m);
    else this.radixSort(m, low, span);
  }

  /** One stable counting pass over the node's span of ranks. */
  private countingSort(m: number, low: number, span: number): void {
    const { nodeRank, nodeItem, sortedRank, sortedItem, counts } = this;
    counts.fill(0, 0, span + 1);
    for (let i = 0; i < m; i++) counts[(nodeRank[i] as number) - low + 1]! += 1;
    for (let r = 0; r < span; r++) counts[r + 1]! += counts[r] as number;
    for (let i = 0; i < m; i++) {
      const r = nodeRank[i] as number;
      const at = counts[r - low] as number;
      counts[r - low] = at + 1;
      sortedRank[at] = r;
      sortedItem[at] = nodeItem[i] as number;
    }
  }

  /** By (rank, position): stable. */
  private insertionSort(m: number): void {
    const { nodeRank, nodeItem, sortedRank, sortedItem } = this;
    for (let i = 0; i < m; i++) {
      const r = nodeRank[i] as number;
      let at = i;
      while (at > 0 && (sortedRank[at - 1] as number) > r) {
        sortedRank[at] = sortedRank[at - 1] as number;
        sortedItem[at] = sortedItem[at - 1] as number;
        at--;
      }
      sortedRank[at] = r;
      sortedItem[at] = nodeItem[i] as number;
    }
  }

  /**
   * LSD radix sort of rank − low: equal-width digits, the lowest first, each a stable
   * counting pass, the last one writing sortedRank/sortedItem.
   */
  private radixSort(m: number, low: number, span: number): void {
    const bits = 32 - Math.clz32(span - 1);
    const target = Math.min(MAX_DIGIT_BITS, Math.max(4, 32 - Math.clz32(m)));
    const passes = Math.ceil(bits / target);
    const digit = Math.ceil(bits / passes);
    const buckets = 1 << digit;
    const mask = buckets - 1;
    const counts = this.counts;
    // Passes alternate between the spare and the sorted buffers, ending on the sorted ones.
    let fromRank = this.nodeRank;
    let fromItem = this.nodeItem;
    for (let p = 0, shift = 0; p < passes; p++, shift += digit) {
      const last = (passes - 1 - p) % 2 === 0;
      const toRank = last ? this.sortedRank : this.spareRank;
      const toItem = last ? this.sortedItem : this.spareItem;
      counts.fill(0, 0, buckets + 1);
      for (let i = 0; i < m; i++) counts[((((fromRank[i] as number) - low) >>> shift) & mask) + 1]! += 1;
      for (let d = 0; d < buckets; d++) counts[d + 1]! += counts[d] as number;
      for (let i = 0; i < m; i++) {
        const r = fromRank[i] as number;
        const d = ((r - low) >>> shift) & mask;
        const at = counts[d] as number;
        counts[d] = at + 1;
        toRank[at] = r;
        toItem[at] = fromItem[i] as number;
      }
      fromRank = toRank;
      fromItem = toItem;
    }
  }
}
