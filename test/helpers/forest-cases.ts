/**
 * Seeded forests whose learned trees are pinned (test/fixtures/reference/forest-sameness.json,
 * written by test/fixtures/reference/forest-sameness.ts from the forest as it was before the
 * presorted/radix fitting of issue 16; read by test/forest-sameness.test.ts): classes and
 * numbers, ties, few-distinct and constant columns, -0 beside 0, bootstrap duplicates,
 * minLeaf > 1, every maxFeatures form, nodes small and large enough for each ordering path,
 * and prediction rows with NaN and values the training rows never had.
 */
import { createHash } from "node:crypto";
import { fitForest, predictForest, type Forest, type ForestOptions, type ForestTarget } from "../../src/stats/forest.js";
import { createRng } from "../../src/stats/random.js";

export interface ForestCase {
  name: string;
  train: Float64Array[];
  target: ForestTarget;
  options: Omit<ForestOptions, "onTree">;
  /** Prediction rows (column-major), NaN and out-of-range values among them. */
  test: Float64Array[];
}

/** What is pinned per case: the trees' digest and size, the importances and the predictions. */
export interface ForestOutcome {
  name: string;
  nodes: number;
  treesSha256: string;
  importance: number[];
  predictions: number[];
}

/** Columns of every kind the forest meets, `n` rows, from `seed`. */
function columns(n: number, seed: number): { cols: Float64Array[]; latent: Float64Array } {
  const rng = createRng(seed);
  const latent = Float64Array.from({ length: n }, () => rng() * 2 - 1);
  const cont = Float64Array.from(latent, (z) => z * 3 + (rng() - 0.5)); // nearly all distinct
  const rounded = Float64Array.from(cont, (v) => Math.round(v * 10) / 10); // ties, ~60 values
  const code = Float64Array.from(latent, (z) => Math.min(3, Math.floor((z + 1) * 2 + (rng() - 0.5)))); // 4 codes, informative
  const noise = Float64Array.from({ length: n }, () => rng() * 1000); // distinct, uninformative
  const city = Float64Array.from({ length: n }, () => Math.floor(rng() * 300)); // many codes
  const zero = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : 1) * (rng() < 0.5 ? 1 : -1));
  const constant = new Float64Array(n).fill(7);
  return { cols: [cont, rounded, code, noise, city, zero, constant], latent };
}

/** Class labels from the latent value, a tenth flipped. */
function classes(latent: Float64Array, k: number, seed: number): Int32Array {
  const rng = createRng(seed);
  return Int32Array.from(latent, (z) => (rng() < 0.1 ? Math.floor(rng() * k) : Math.min(k - 1, Math.floor(((z + 1) / 2) * k))));
}

/** A number from the latent value plus noise (ties among targets too: rounded to 0.01). */
function numbers(latent: Float64Array, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from(latent, (z) => Math.round((z * z * 5 + z + rng()) * 100) / 100);
}

/** Prediction rows: fresh rows, then NaN in each column in turn, then values beyond the training range. */
function testRows(p: number, seed: number): Float64Array[] {
  const fresh = columns(60, seed).cols;
  return fresh.map((col, j) =>
    Float64Array.from({ length: col.length + 2 * p }, (_, i) => {
      if (i < col.length) return col[i] as number;
      const k = i - col.length;
      if (k < p) return k === j ? NaN : (col[k] as number);
      return k - p === j ? 1e9 * (j % 2 === 0 ? 1 : -1) : (col[k - p] as number);
    }),
  );
}

export function forestCases(): ForestCase[] {
  const small = columns(300, 1);
  const large = columns(4000, 2);
  const p = small.cols.length;
  const smallTest = testRows(p, 3);
  const cases: ForestCase[] = [];
  const classify = (name: string, data: typeof small, k: number, options: ForestCase["options"]) =>
    cases.push({ name, train: data.cols, target: { kind: "classification", classes: k, y: classes(data.latent, k, 11) }, options, test: smallTest });
  const regress = (name: string, data: typeof small, options: ForestCase["options"]) =>
    cases.push({ name, train: data.cols, target: { kind: "regression", y: numbers(data.latent, 12) }, options, test: smallTest });

  classify("classes-3 sqrt", small, 3, { trees: 8, maxDepth: 20, maxFeatures: null, seed: 5 });
  classify("classes-3 all minLeaf 3", small, 3, { trees: 6, maxDepth: 20, maxFeatures: 1, seed: 6, minLeaf: 3 });
  classify("classes-2 fraction depth 4", small, 2, { trees: 6, maxDepth: 4, maxFeatures: 0.5, seed: 7 });
  classify("classes-5 count 2 minLeaf 2", small, 5, { trees: 6, maxDepth: 12, maxFeatures: 2, seed: 8, minLeaf: 2 });
  regress("numbers p/3", small, { trees: 8, maxDepth: 20, maxFeatures: null, seed: 9 });
  regress("numbers all minLeaf 5", small, { trees: 6, maxDepth: 20, maxFeatures: 1, seed: 10, minLeaf: 5 });
  regress("numbers count 3 depth 6", small, { trees: 6, maxDepth: 6, maxFeatures: 3, seed: 11 });
  classify("large classes-2 sqrt", large, 2, { trees: 3, maxDepth: 20, maxFeatures: null, seed: 12 });
  classify("large classes-3 all minLeaf 2", large, 3, { trees: 2, maxDepth: 20, maxFeatures: 1, seed: 13, minLeaf: 2 });
  regress("large numbers all", large, { trees: 2, maxDepth: 20, maxFeatures: 1, seed: 14 });
  regress("large numbers p/3 minLeaf 3", large, { trees: 3, maxDepth: 20, maxFeatures: null, seed: 15, minLeaf: 3 });
  return cases;
}

/** The sha256 of the trees' JSON (every split, threshold, child, leaf value and NaN direction). */
export function treesDigest(forest: Forest): string {
  return createHash("sha256").update(JSON.stringify(forest.trees)).digest("hex");
}

/** Fits one case and reads off what is pinned. */
export function forestOutcome(c: ForestCase): ForestOutcome {
  const forest = fitForest(c.train, c.target, c.options);
  return {
    name: c.name,
    nodes: forest.trees.reduce((s, t) => s + t.feature.length, 0),
    treesSha256: treesDigest(forest),
    importance: forest.importance,
    predictions: Array.from(predictForest(forest, c.test)),
  };
}
