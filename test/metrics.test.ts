import { describe, expect, it } from "vitest";
import { TabtuneError } from "../src/errors.js";
import { matchLabel } from "../src/stats/label-match.js";
import { compensatedSum, quantileSorted } from "../src/stats/kernel.js";
import { bootstrapInterval, classificationIntervals, classificationMetrics, regressionIntervals, regressionMetrics, rocAuc } from "../src/stats/metrics.js";
import { createRng, sampleIndices, shuffleInPlace } from "../src/stats/random.js";

// Reference values: scikit-learn 1.2.1, numpy 1.24.2 (Debian bookworm python3-sklearn),
// computed by hand-run scripts on exactly these vectors. A null prediction was passed to
// sklearn as the string "__none__" (a class outside `labels`), with labels=["bird","cat","dog"].
const yTrue = ["cat", "dog", "bird", "cat", "dog", "bird", "cat", "cat", "dog", "bird", "cat", "dog"];
const yPred = ["cat", "cat", "bird", null, "dog", "dog", "cat", "bird", "dog", "bird", "cat", null];
const labels = ["bird", "cat", "dog"];

describe("classificationMetrics", () => {
  const m = classificationMetrics(yTrue, yPred, labels);

  it("matches sklearn accuracy, macro-F1 and per-class scores, counting unmatched as wrong", () => {
    expect(m.n).toBe(12);
    expect(m.unmatched).toBe(2);
    expect(m.accuracy).toBeCloseTo(0.5833333333333334, 12); // accuracy_score
    expect(m.macroF1).toBeCloseTo(0.6349206349206349, 12); // f1_score(average="macro", labels=labels)
    expect(m.perClass.map((c) => c.precision)).toEqual([0.6666666666666666, 0.75, 0.6666666666666666].map((v) => expect.closeTo(v, 12)));
    expect(m.perClass.map((c) => c.recall)).toEqual([0.6666666666666666, 0.6, 0.5].map((v) => expect.closeTo(v, 12)));
    expect(m.perClass.map((c) => c.f1)).toEqual([0.6666666666666666, 0.6666666666666665, 0.5714285714285715].map((v) => expect.closeTo(v, 12)));
    expect(m.perClass.map((c) => c.support)).toEqual([3, 5, 4]);
  });

  it("has sklearn's confusion matrix (rows true, columns predicted; unmatched in no column)", () => {
    expect(m.confusion).toEqual({ labels, matrix: [[2, 0, 1], [1, 3, 0], [0, 1, 2]] }); // confusion_matrix(labels=labels)
  });

  it("leaves labels with neither support nor predictions out of macro-F1, like sklearn's labels=None", () => {
    // f1_score(["a","b","a","a","b"], ["a","a","a","b","b"], average="macro") = 0.5833333333333333
    const r = classificationMetrics(["a", "b", "a", "a", "b"], ["a", "a", "a", "b", "b"], ["a", "b", "c"]);
    expect(r.macroF1).toBeCloseTo(0.5833333333333333, 12);
    expect(r.perClass[2]).toEqual({ label: "c", precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it("reports a true label outside the mapping instead of skipping it", () => {
    expect(() => classificationMetrics(["a", "z"], ["a", "a"], ["a", "b"])).toThrow(TabtuneError);
    expect(() => classificationMetrics(["a", "z"], ["a", "a"], ["a", "b"])).toThrow(/row 1 .*"z"/);
    expect(() => classificationMetrics(["a"], [], ["a"])).toThrow(TabtuneError);
    expect(() => classificationMetrics([], [], ["a"])).toThrow(/no rows/);
  });
});

describe("regressionMetrics", () => {
  it("matches sklearn RMSE, MAE and R²", () => {
    const r = regressionMetrics([3.0, -0.5, 2.0, 7.0, 4.2, 1.1], [2.5, 0.0, 2.0, 8.0, 3.9, 1.5]);
    expect(r.rmse).toBeCloseTo(0.5400617248673217, 12); // mean_squared_error(squared=False)
    expect(r.mae).toBeCloseTo(0.45, 12); // mean_absolute_error
    expect(r.r2).toBeCloseTo(0.9486200822078684, 12); // r2_score
    expect(r.n).toBe(6);
  });

  it("follows sklearn's force_finite R² for a constant truth and rejects NaN", () => {
    expect(regressionMetrics([2, 2, 2], [2, 2, 2]).r2).toBe(1); // r2_score → 1.0
    expect(regressionMetrics([2, 2, 2], [1, 2, 3]).r2).toBe(0); // r2_score → 0.0
    expect(() => regressionMetrics([1, Number.NaN], [1, 2])).toThrow(TabtuneError);
  });

  it("sums with compensation", () => {
    expect(compensatedSum([1e100, 1, -1e100])).toBe(1);
    expect(compensatedSum(new Array(10).fill(0.1))).toBe(1);
  });
});

describe("rocAuc", () => {
  it("matches sklearn roc_auc_score with tied scores", () => {
    const y = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0].map((v) => v === 1);
    expect(rocAuc(y, [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.35, 0.7])).toBeCloseTo(0.68, 12);
  });
  it("is NaN when a class is absent, and 1 / 0.5 at the extremes", () => {
    expect(rocAuc([true, true], [0.2, 0.3])).toBeNaN();
    expect(rocAuc([false, true, true], [0.1, 0.5, 0.9])).toBe(1);
    expect(rocAuc([false, true, false, true], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });
});

describe("bootstrapInterval", () => {
  it("uses numpy's linear percentiles", () => {
    // np.percentile([0.3,0.1,0.9,0.5,0.7,0.2,0.8], [2.5, 97.5]) = [0.115, 0.885]
    const sorted = [0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9];
    expect(quantileSorted(sorted, 0.025)).toBeCloseTo(0.115, 12);
    expect(quantileSorted(sorted, 0.975)).toBeCloseTo(0.885, 12);
  });

  it("is seeded, brackets the estimate, and narrows with more rows", () => {
    const rng = createRng(9);
    const correct = Array.from({ length: 400 }, () => (rng() < 0.8 ? 1 : 0));
    const accuracy = (ix: number[]) => ix.reduce((s, i) => s + (correct[i] as number), 0) / ix.length;
    const a = bootstrapInterval(400, accuracy, { resamples: 500, seed: 1 });
    expect(bootstrapInterval(400, accuracy, { resamples: 500, seed: 1 })).toEqual(a);
    const point = accuracy(correct.map((_, i) => i));
    expect(a.low).toBeLessThan(point);
    expect(a.high).toBeGreaterThan(point);
    // Normal approximation: half-width ≈ 1.96·√(p(1−p)/n) ≈ 0.039 for p≈0.8, n=400.
    expect((a.high - a.low) / 2).toBeGreaterThan(0.03);
    expect((a.high - a.low) / 2).toBeLessThan(0.05);
    const narrow = bootstrapInterval(100, (ix) => accuracy(ix), { resamples: 500, seed: 1, level: 0.5 });
    expect(narrow.high - narrow.low).toBeLessThan(a.high - a.low);
  });

  it("leaves out NaN resamples and rejects bad arguments", () => {
    expect(bootstrapInterval(3, () => Number.NaN, { resamples: 5, seed: 1 })).toEqual({ low: Number.NaN, high: Number.NaN });
    expect(() => bootstrapInterval(0, () => 1, { resamples: 5, seed: 1 })).toThrow(RangeError);
  });
});

describe("matchLabel", () => {
  it("never matches Responder inside Non-responder", () => {
    expect(matchLabel("Non-responder", ["Responder"])).toBeNull();
    expect(matchLabel("The patient is a non-responder.", ["Responder", "Non-responder"])).toBe("Non-responder");
    expect(matchLabel("RESPONDER", ["Non-responder", "Responder"])).toBe("Responder");
  });
  it("matches on word boundaries, case-insensitively, longest label first", () => {
    expect(matchLabel("Answer: 10", ["1", "10"])).toBe("10");
    expect(matchLabel("Answer: 10", ["1"])).toBeNull();
    expect(matchLabel("very good", ["good", "very good"])).toBe("very good");
    expect(matchLabel("goodness", ["good"])).toBeNull();
    expect(matchLabel("  Yes.", ["No", "Yes"])).toBe("Yes");
    expect(matchLabel("C++ it is", ["C", "C++"])).toBe("C++");
    expect(matchLabel("", ["a"])).toBeNull();
    expect(matchLabel("anything", [""])).toBeNull();
  });
});

describe("random", () => {
  it("is a fixed mulberry32 stream per seed", () => {
    const rng = createRng(42);
    expect([rng(), rng()]).toEqual([0.6011037519201636, 0.44829055899754167]);
    expect(shuffleInPlace([1, 2, 3, 4, 5], createRng(7))).toEqual(shuffleInPlace([1, 2, 3, 4, 5], createRng(7)));
    expect([...shuffleInPlace([1, 2, 3, 4, 5], createRng(7))].sort()).toEqual([1, 2, 3, 4, 5]);
    const s = sampleIndices(100, 10, createRng(1));
    expect(new Set(s).size).toBe(10);
    expect(s).toEqual([...s].sort((a, b) => a - b));
  });
});

describe("classificationIntervals and regressionIntervals", () => {
  const opts = { resamples: 400, seed: 7 };
  it("bracket the observed figures and repeat for the same seed (the row-bootstrap comparison is in bootstrap-counts.test.ts)", () => {
    const ci = classificationIntervals(yTrue, yPred, labels, opts);
    const m = classificationMetrics(yTrue, yPred, labels);
    expect(ci.accuracy.low).toBeLessThanOrEqual(m.accuracy);
    expect(ci.accuracy.high).toBeGreaterThanOrEqual(m.accuracy);
    expect(ci.macroF1.low).toBeLessThanOrEqual(m.macroF1);
    expect(ci.macroF1.high).toBeGreaterThanOrEqual(m.macroF1);
    expect(classificationIntervals(yTrue, yPred, labels, opts)).toEqual(ci);
  });
  it("rejects a true label outside the mapping, like classificationMetrics", () => {
    expect(() => classificationIntervals(["x"], ["a"], ["a"], opts)).toThrow(TabtuneError);
  });
  it("brackets RMSE and MAE", () => {
    const t = [1, 2, 3, 4, 5, 6, 7, 8];
    const p = [1.5, 2, 2.5, 4, 6, 6, 7.5, 8];
    const ci = regressionIntervals(t, p, opts);
    const m = regressionMetrics(t, p);
    expect(ci.rmse.low).toBeLessThanOrEqual(m.rmse);
    expect(ci.rmse.high).toBeGreaterThanOrEqual(m.rmse);
    expect(ci.mae.low).toBeLessThanOrEqual(m.mae);
    expect(ci.mae.high).toBeGreaterThanOrEqual(m.mae);
  });
});
