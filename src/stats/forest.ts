/**
 * A random forest of CART trees (Breiman 2001, as scikit-learn grows it): bootstrap rows
 * per tree, a fresh random subset of features at every split, Gini impurity for classes
 * and squared error for numbers, probabilities averaged over trees, and mean decrease in
 * impurity as feature importance.
 *
 * Written here because ml-random-forest 2.1 (ml-cart 2.1) draws its feature subset once
 * per tree instead of per split, evaluates every split point in O(n) (O(n²) per node;
 * ~2.4 s a tree on the 3.5k-row credit data), and its predictProbability seeds its sum
 * with the first tree's label. This one ranks each feature once per fit; a node scans each
 * candidate feature in rank order without a comparison sort (forest-order.ts: counting or
 * radix passes over the node's ranks; forest-split.ts: for classes, a per-rank class
 * histogram when the node's ranks are few). Speed: `npm run bench -- forest`.
 *
 * Training inputs are dense numeric columns without NaN (the caller imputes); categorical
 * columns arrive as integer codes and are split like ordered numbers. At prediction a NaN
 * (a value the training rows never had, such as an unseen category) follows, at every split
 * on its feature, the child that held more training rows — what scikit-learn's trees
 * (1.3+) do with a missing value when none was seen in training.
 */
import { rankColumn } from "./forest-order.js";
import { flattenForest, predictFlat } from "./forest-predict.js";
import { ClassRows } from "./forest-rows.js";
import { SplitSearch } from "./forest-split.js";
import { createRng, randomInt } from "./random.js";

/** What a forest learns: class codes 0..classes-1, or real numbers. */
export type ForestTarget =
  | { kind: "classification"; classes: number; y: Int32Array }
  | { kind: "regression"; y: Float64Array };

export interface ForestOptions {
  trees: number;
  /** Deepest level a node may sit at (the root is depth 0). */
  maxDepth: number;
  /**
   * Features tried per split: null → √p for classes, p/3 for numbers (Breiman's and R
   * randomForest's defaults, kept for the imputer's and the probes' many small forests;
   * the baseline asks for scikit-learn's regressor default, all p, with 1 — see
   * baselineMaxFeatures in baseline.ts); ≤ 1 → that fraction of p; > 1 → that many.
   */
  maxFeatures: number | null;
  seed: number;
  /** Fewest rows a leaf may hold (scikit-learn's min_samples_leaf); default 1. */
  minLeaf?: number;
  /** Called after each tree with the trees grown so far and the total (progress). */
  onTree?: (done: number, total: number) => void;
}

interface Tree {
  /** Split feature per node, -1 for a leaf. */
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Leaf value: `classes` probabilities per node (classification) or one mean per node. */
  value: number[];
  /** Per split node, 1 when its left child held at least as many training rows: where NaN goes at prediction. */
  nanLeft: number[];
}

export interface Forest {
  kind: ForestTarget["kind"];
  /** Number of classes (1 for regression: one value per leaf). */
  width: number;
  features: number;
  trees: Tree[];
  /** Mean decrease in impurity per feature, normalized per tree, averaged, summing to 1 (all 0 if no tree split). */
  importance: number[];
}

/** Number of features to try at each split. */
export function featuresPerSplit(maxFeatures: number | null, p: number, kind: ForestTarget["kind"]): number {
  let k: number;
  if (maxFeatures === null) k = kind === "classification" ? Math.sqrt(p) : p / 3;
  else if (maxFeatures <= 1) k = maxFeatures * p;
  else k = maxFeatures;
  return Math.min(p, Math.max(1, Math.floor(k)));
}

/**
 * Fits a forest on column-major data: columns[j][i] is feature j of row i.
 * @throws if there are no rows, no columns, or columns of unequal length.
 */
export function fitForest(columns: Float64Array[], target: ForestTarget, options: ForestOptions): Forest {
  const p = columns.length;
  const n = target.y.length;
  if (n === 0) throw new RangeError("cannot fit a forest on zero rows");
  if (p === 0) throw new RangeError("cannot fit a forest on zero features");
  for (const col of columns) if (col.length !== n) throw new RangeError("feature columns and target differ in length");

  // Dense ranks per feature: the sort keys of every node, and the split thresholds.
  const ranks: Int32Array[] = [];
  const uniques: Float64Array[] = [];
  for (const col of columns) {
    const { rank, uniq } = rankColumn(col);
    ranks.push(rank);
    uniques.push(uniq);
  }

  const width = target.kind === "classification" ? target.classes : 1;
  // The target as plain typed arrays: one of the two is used, and the hot loops below read
  // them without going through the union-typed target object.
  const yClass = target.kind === "classification" ? target.y : new Int32Array(0);
  const yValue = target.kind === "regression" ? target.y : new Float64Array(0);
  const classification = target.kind === "classification";
  const maxDepth = options.maxDepth;
  const mtry = featuresPerSplit(options.maxFeatures, p, target.kind);
  const minLeaf = Math.max(1, options.minLeaf ?? 1);
  const master = createRng(options.seed);
  const importance = new Array<number>(p).fill(0);
  const trees: Tree[] = [];

  // Scratch buffers shared by every node of every tree.
  const order = new Int32Array(p);
  const countsNode = new Float64Array(width);
  const treeImportance = new Float64Array(p);
  // Classes: the bootstrap as weighted entries; numbers: the n draws in draw order (their sums
  // are rounded in that order).
  const entries = classification ? new ClassRows(yClass, width) : null;
  const search = new SplitSearch(n, Math.max(...uniques.map((u) => u.length)), width, entries?.shift ?? 0, yValue, minLeaf);
  const samples = entries?.rows ?? new Int32Array(n);
  const items = entries?.items ?? new Int32Array(0);

  for (let t = 0; t < options.trees; t++) {
    const rng = createRng(Math.floor(master() * 4294967296));
    let entryCount = n;
    if (entries) entryCount = entries.draw(rng);
    else for (let i = 0; i < n; i++) samples[i] = randomInt(rng, n);
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [], nanLeft: [] };
    treeImportance.fill(0);

    /** Grows the node of entries [start, end) (draws, for numbers); returns its number. */
    const grow = (start: number, end: number, depth: number): number => {
      const u = end - start;
      const node = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.nanLeft.push(1);

      // Node value and the parent's score (Σcount²/m or (Σy)²/m; a split must beat it).
      /** Rows drawn into the node, copies counted. */
      let m = u;
      let parentScore: number;
      let pure = false;
      /** Σy over the node's rows (regression), summed in row order. */
      let total = 0;
      if (entries) {
        m = entries.weigh(start, end, countsNode);
        let sq = 0;
        for (let c = 0; c < width; c++) {
          const k = countsNode[c] as number;
          sq += k * k;
          tree.value.push(k / m);
          if (k === m) pure = true;
        }
        parentScore = sq / m;
      } else {
        let sum = 0;
        const first = yValue[samples[start] as number] as number;
        pure = true;
        for (let i = start; i < end; i++) {
          const v = yValue[samples[i] as number] as number;
          sum += v;
          if (v !== first) pure = false;
        }
        tree.value.push(sum / m);
        parentScore = (sum * sum) / m;
        total = sum;
      }
      if (pure || depth >= maxDepth || m < 2 * minLeaf) return node;

      search.reset();
      for (let j = 0; j < p; j++) order[j] = j;
      let tried = 0;
      for (let drawn = 0; drawn < p && tried < mtry; drawn++) {
        // Partial Fisher–Yates: the next feature not yet drawn at this node.
        const pick = drawn + randomInt(rng, p - drawn);
        const f = order[pick] as number;
        order[pick] = order[drawn] as number;
        order[drawn] = f;
        // countsNode still holds this node's class counts: children overwrite it only after this loop.
        const rank = ranks[f] as Int32Array;
        const scanned = entries
          ? search.tryClasses(f, rank, samples, items, start, u, m, countsNode)
          : search.tryNumbers(f, rank, samples, start, m, total);
        if (scanned) tried++; // a feature constant here does not count as tried
      }
      const { bestScore, bestFeature, bestLeftRank, bestRightRank } = search;
      const decrease = bestScore - parentScore;
      if (bestFeature < 0 || !(decrease > 1e-12 * Math.max(1, Math.abs(parentScore)))) return node;

      // Partition the node's rows: rank ≤ bestLeftRank goes left.
      const rank = ranks[bestFeature] as Int32Array;
      let lo = start;
      let leftRows: number;
      if (entries) {
        lo = entries.partition(rank, bestLeftRank, start, end);
        leftRows = entries.leftWeight;
      } else {
        let hi = end - 1;
        while (lo <= hi) {
          if ((rank[samples[lo] as number] as number) <= bestLeftRank) lo++;
          else {
            const tmp = samples[lo] as number;
            samples[lo] = samples[hi] as number;
            samples[hi] = tmp;
            hi--;
          }
        }
        leftRows = lo - start;
      }
      const uniq = uniques[bestFeature] as Float64Array;
      const a = uniq[bestLeftRank] as number;
      const b = uniq[bestRightRank] as number;
      let threshold = a + (b - a) / 2;
      if (threshold >= b) threshold = a;
      tree.feature[node] = bestFeature;
      tree.threshold[node] = threshold;
      tree.nanLeft[node] = leftRows >= m - leftRows ? 1 : 0;
      treeImportance[bestFeature] = (treeImportance[bestFeature] as number) + decrease;
      tree.left[node] = grow(start, lo, depth + 1);
      tree.right[node] = grow(lo, end, depth + 1);
      return node;
    };
    grow(0, entryCount, 0);
    trees.push(tree);

    let total = 0;
    for (const v of treeImportance) total += v;
    if (total > 0) for (let j = 0; j < p; j++) importance[j]! += (treeImportance[j] as number) / total;
    options.onTree?.(t + 1, options.trees);
  }

  const sum = importance.reduce((s, v) => s + v, 0);
  return {
    kind: target.kind,
    width,
    features: p,
    trees,
    importance: importance.map((v) => (sum > 0 ? v / sum : 0)),
  };
}

/**
 * Averages the trees' leaves for every row: rows × width values, row-major
 * (class probabilities for classification, one predicted number for regression), through the
 * forest's trees flattened into typed arrays once (forest-predict.ts).
 * @throws if the columns do not match the forest's features.
 */
export function predictForest(forest: Forest, columns: Float64Array[]): Float64Array {
  return predictFlat(flattenForest(forest), columns);
}
