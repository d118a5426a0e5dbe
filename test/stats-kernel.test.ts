import { readFileSync } from "node:fs";
import { mean as ssMean, quantileSorted as ssQuantileSorted, sampleVariance as ssSampleVariance, sum as ssSum, variance as ssVariance } from "simple-statistics";
import { describe, expect, it } from "vitest";
import { binaryAuc, compensatedSum, compensatedSumOf, mean, medianSorted, pearson, quantileSorted, sampleVariance, variance } from "../src/stats/kernel.js";
import { rocAuc } from "../src/stats/metrics.js";

/** numpy 1.24.2 / scikit-learn 1.2.1 figures from test/fixtures/reference/stats-kernel.py. */
const ref = JSON.parse(readFileSync(new URL("fixtures/reference/stats-kernel.json", import.meta.url), "utf8")) as {
  x: number[];
  y: number[];
  labels: number[];
  quantiles: Record<string, number>;
  median: number;
  medianOdd: number;
  mean: number;
  variance: number;
  sampleVariance: number;
  pearson: number;
  auc: number;
};

describe("stats kernel against numpy and scikit-learn", () => {
  const sorted = Float64Array.from(ref.x).sort();

  it("quantiles (numpy's linear method), mean and variances", () => {
    for (const [q, value] of Object.entries(ref.quantiles)) expect(quantileSorted(sorted, Number(q))).toBeCloseTo(value, 10);
    // numpy.median: the mean of the two middle values, to the bit.
    expect(medianSorted(sorted)).toBe(ref.median);
    expect(medianSorted(Float64Array.from(ref.x.slice(0, 199)).sort())).toBe(ref.medianOdd);
    expect(mean(sorted)).toBeCloseTo(ref.mean, 10);
    expect(variance(sorted)).toBeCloseTo(ref.variance, 9);
    expect(sampleVariance(sorted)).toBeCloseTo(ref.sampleVariance, 9);
  });

  it("Pearson's r as numpy.corrcoef, AUC as roc_auc_score (ties count half)", () => {
    expect(pearson(Float64Array.from(ref.x), ref.y)).toBeCloseTo(ref.pearson, 12);
    const pos = Float64Array.from(ref.x.filter((_, i) => ref.labels[i] === 1));
    const neg = Float64Array.from(ref.x.filter((_, i) => ref.labels[i] === 0));
    expect(binaryAuc(pos, neg)).toBeCloseTo(ref.auc, 12);
    // metrics.rocAuc (labels + scores, validated) is binaryAuc on the two sides.
    expect(rocAuc(ref.labels.map((l) => l === 1), ref.x)).toBeCloseTo(ref.auc, 12);
  });
});

describe("stats kernel against simple-statistics and a pairwise count: the very same doubles", () => {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const values = Array.from({ length: 5001 }, () => (random() - 0.3) * 10 ** Math.floor(random() * 8));
  const typed = Float64Array.from(values);

  it("sum, mean, variance, sampleVariance and quantileSorted on a typed array", () => {
    expect(compensatedSum(typed)).toBe(ssSum(values));
    expect(compensatedSumOf(typed.length, (i) => typed[i] as number)).toBe(ssSum(values));
    expect(mean(typed)).toBe(ssMean(values));
    expect(variance(typed)).toBe(ssVariance(values));
    expect(sampleVariance(typed)).toBe(ssSampleVariance(values));
    const sorted = Float64Array.from(values).sort();
    const sortedArray = Array.from(sorted);
    for (const q of [0, 0.01, 0.25, 0.5, 0.75, 0.999, 1]) expect(quantileSorted(sorted, q)).toBe(ssQuantileSorted(sortedArray, q));
  });

  it("binaryAuc counts every positive–negative pair, ties half", () => {
    const rounded = values.map((v) => Math.round(v / 1000));
    const labels = rounded.map(() => random() < 0.4);
    const pos = rounded.filter((_, i) => labels[i]);
    const neg = rounded.filter((_, i) => !labels[i]);
    let wins = 0;
    for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
    expect(binaryAuc(Float64Array.from(pos), Float64Array.from(neg))).toBe(wins / (pos.length * neg.length));
    expect(rocAuc(labels, rounded)).toBe(wins / (pos.length * neg.length));
  });

  it("states its edge cases: empty input, too few points, a constant side, p out of range", () => {
    expect(compensatedSum([])).toBe(0);
    expect(compensatedSum([1e100, 1, -1e100])).toBe(1);
    expect(mean([])).toBeNaN();
    expect(variance([])).toBeNaN();
    expect(sampleVariance([3])).toBeNaN();
    expect(quantileSorted([], 0.5)).toBeNaN();
    expect(medianSorted([])).toBeNaN();
    expect(() => quantileSorted([1, 2], 1.5)).toThrow(RangeError);
    expect(pearson([1, 1], [1, 2])).toBeNaN();
    expect(binaryAuc([], [1])).toBe(0.5);
    expect(binaryAuc([3, 4], [1, 2])).toBe(1);
  });
});
