/**
 * The flattened, four-rows-at-a-time prediction (src/stats/forest-predict.ts) gives the same
 * numbers, bit for bit, as walking each tree's JS arrays one row at a time (the forest's
 * prediction before issue 16, kept here as the reference): on fitted forests of every target
 * kind, with NaN cells, values beyond the training range and row counts that are not a multiple
 * of four, and on a hand-numbered tree whose nodes are not in preorder.
 */
import { describe, expect, it } from "vitest";
import { fitForest, predictForest, type Forest, type ForestTarget } from "../src/stats/forest.js";
import { flattenForest } from "../src/stats/forest-predict.js";
import { createRng } from "../src/stats/random.js";

/** The walk predictForest made before the trees were flattened (commit d9e3b70). */
function referencePredict(forest: Forest, columns: Float64Array[]): Float64Array {
  const n = columns[0]?.length ?? 0;
  const w = forest.width;
  const out = new Float64Array(n * w);
  for (const tree of forest.trees) {
    for (let i = 0; i < n; i++) {
      let node = 0;
      let f = tree.feature[0] as number;
      while (f >= 0) {
        const x = (columns[f] as Float64Array)[i] as number;
        const goLeft = Number.isNaN(x) ? tree.nanLeft[node] === 1 : x <= (tree.threshold[node] as number);
        node = (goLeft ? tree.left[node] : tree.right[node]) as number;
        f = tree.feature[node] as number;
      }
      for (let c = 0; c < w; c++) out[i * w + c]! += tree.value[node * w + c] as number;
    }
  }
  const k = forest.trees.length || 1;
  for (let i = 0; i < out.length; i++) out[i]! /= k;
  return out;
}

/** p columns of n rows: continuous, rounded (ties), codes; a share of NaN when `nanShare` > 0. */
function columns(n: number, p: number, seed: number, nanShare = 0): Float64Array[] {
  const rng = createRng(seed);
  return Array.from({ length: p }, (_, j) =>
    Float64Array.from({ length: n }, () => {
      if (rng() < nanShare) return Number.NaN;
      const z = rng() * 4 - 2;
      return j % 3 === 0 ? z : j % 3 === 1 ? Math.round(z * 5) / 5 : Math.floor(rng() * 7);
    }),
  );
}

function expectSame(got: Float64Array, want: Float64Array): void {
  expect(got.length).toBe(want.length);
  const differ: number[] = [];
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) differ.push(i);
  expect(differ).toEqual([]);
}

describe("flattened forest prediction", () => {
  const train = columns(1500, 6, 1);
  const latent = Float64Array.from({ length: 1500 }, (_, i) => (train[0]![i] as number) + (train[2]![i] as number) / 3);
  const targets: [string, ForestTarget][] = [
    ["binary", { kind: "classification", classes: 2, y: Int32Array.from(latent, (v) => (v > 0.5 ? 1 : 0)) }],
    ["three classes", { kind: "classification", classes: 3, y: Int32Array.from(latent, (v) => (v < -0.5 ? 0 : v < 1 ? 1 : 2)) }],
    ["regression", { kind: "regression", y: Float64Array.from(latent, (v, i) => v * v + (train[1]![i] as number)) }],
  ];
  for (const [name, target] of targets) {
    it(`${name}: same numbers as the row-at-a-time walk, NaN and out-of-range cells included`, () => {
      const forest = fitForest(train, target, { trees: 12, maxDepth: 20, maxFeatures: null, seed: 7 });
      for (const [rows, nanShare] of [[1003, 0], [1001, 0.05], [3, 0.3], [0, 0]] as const) {
        const test = columns(rows, 6, 100 + rows, nanShare);
        if (rows > 0) test[0]![0] = 1e12;
        expectSame(predictForest(forest, test), referencePredict(forest, test));
      }
    });
  }

  it("renumbers a tree whose nodes are not in preorder (a saved file may number them any way)", () => {
    // Root 0 splits feature 0 at 0.5: left is node 2 (a split on feature 1 at 1: leaves 3, 1), right is leaf 4; NaN goes right at the root.
    const forest: Forest = {
      kind: "regression",
      width: 1,
      features: 2,
      importance: [0.5, 0.5],
      trees: [
        { feature: [0, -1, 1, -1, -1], threshold: [0.5, 0, 1, 0, 0], left: [2, -1, 3, -1, -1], right: [4, -1, 1, -1, -1], value: [0, 10, 0, 20, 30], nanLeft: [0, 1, 1, 1, 1] },
      ],
    };
    const test = [Float64Array.from([0, 0, 1, Number.NaN, 0, 0.5]), Float64Array.from([0, 2, 0, 0, Number.NaN, 1])];
    expectSame(predictForest(forest, test), Float64Array.from([20, 10, 30, 30, 20, 20]));
    expectSame(predictForest(forest, test), referencePredict(forest, test));
    const flat = flattenForest(forest);
    expect(Array.from(flat.feature)).toEqual([0, 1, -1, -1, -1]);
    expect(Array.from(flat.right.subarray(0, 2))).toEqual([4, 3]);
  });

  it("flattens a forest once and checks the column count", () => {
    const forest = fitForest(train, targets[0]![1], { trees: 2, maxDepth: 4, maxFeatures: null, seed: 1 });
    expect(flattenForest(forest)).toBe(flattenForest(forest));
    expect(() => predictForest(forest, train.slice(0, 5))).toThrow(/expects 6 feature columns, got 5/);
  });
});
