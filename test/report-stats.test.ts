/**
 * The report's new statistics against reference values. Every reference below was computed
 * once with /usr/bin/python3 (Debian 12): scikit-learn 1.2.1, scipy 1.10.1, numpy 1.24.2, on
 * the small inputs written here, and pasted in.
 */
import { describe, expect, it } from "vitest";
import { averagePrecision, brierScore, calibrationBins, precisionRecallPoints, thresholdTable } from "../src/stats/calibration.js";
import { categoricalDrift, ksStatistic, numericDrift, numericEdges, psiFromShares } from "../src/stats/drift.js";
import { classificationSubgroups, groupLabels, regressionSubgroups } from "../src/stats/subgroups.js";

const Y = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1].map((v) => v === 1);
const P = [0.92, 0.15, 0.66, 0.8, 0.35, 0.05, 0.5, 0.5, 0.71, 0.2, 0.45, 0.3, 0.61, 0.88, 0.55, 0.1, 0.97, 0.4, 0.25, 0.5];

describe("calibration and precision-recall (binary scores)", () => {
  it("Brier score equals sklearn 1.2.1 brier_score_loss on the 20 rows", () => {
    expect(brierScore(Y, P)).toBeCloseTo(0.144925, 12);
  });

  it("reliability bins equal sklearn 1.2.1 calibration_curve(n_bins=5, strategy='uniform')", () => {
    const bins = calibrationBins(Y, P, 5);
    expect(bins.map((b) => b.fractionPositive)).toEqual([0.25, 0, 0.6, 0.75, 1].map((x) => expect.closeTo(x, 12)));
    expect(bins.map((b) => b.meanPredicted)).toEqual([0.125, 0.32499999999999996, 0.5, 0.695, 0.9233333333333333].map((x) => expect.closeTo(x, 12)));
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(20);
  });

  it("average precision equals sklearn 1.2.1 average_precision_score; the curve matches precision_recall_curve", () => {
    expect(averagePrecision(Y, P)).toBeCloseTo(0.9099598930481283, 12);
    const points = precisionRecallPoints(Y, P);
    // sklearn's (threshold, precision, recall) at three thresholds, ties at 0.5 moving together.
    const at = (t: number) => points.find((p) => p.threshold === t);
    expect(at(0.5)).toEqual({ threshold: 0.5, precision: expect.closeTo(0.8181818181818182, 12), recall: expect.closeTo(0.9, 12) });
    expect(at(0.61)).toEqual({ threshold: 0.61, precision: expect.closeTo(0.8571428571428571, 12), recall: expect.closeTo(0.6, 12) });
    expect(at(0.05)).toEqual({ threshold: 0.05, precision: 0.5, recall: 1 });
    expect(points).toHaveLength(18); // 18 distinct scores
  });

  it("threshold table counts rows at score ≥ t (sklearn's precision 0.8181… recall 0.9 at 0.5)", () => {
    const [row] = thresholdTable(Y, P, [0.5]);
    expect(row).toMatchObject({ tp: 9, fp: 2, fn: 1, tn: 8 });
    expect(row?.precision).toBeCloseTo(0.8181818181818182, 12);
    expect(row?.specificity).toBeCloseTo(0.8, 12);
    expect(thresholdTable([false], [0.9], [0.95])[0]).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });

  it("states its edge cases: no positives, different lengths, non-finite scores", () => {
    expect(precisionRecallPoints([false, false], [0.1, 0.2])).toEqual([]);
    expect(averagePrecision([false], [0.3])).toBeNaN();
    expect(() => brierScore([true], [0.1, 0.2])).toThrow(RangeError);
    expect(() => brierScore([true], [Number.NaN])).toThrow(/not a finite/);
    expect(() => brierScore([], [])).toThrow(/no rows/);
  });
});

describe("train/test drift", () => {
  const train = [3.1, 4.5, 2.2, 8.9, 5.5, 6.1, 7.3, 1.2, 9.8, 4.4, 5.0, 6.6, 3.3, 2.8, 7.7, 8.1, 5.9, 4.0, 6.9, 2.5];
  const test = [5.2, 6.8, 9.1, 9.9, 7.4, 8.8, 6.0, 4.9, 10.5, 7.1, 8.3, null];

  it("numeric PSI on 4 training-quantile bins plus a missing bin equals numpy 1.24.2 (np.quantile, np.searchsorted side='left', floor 1e-4)", () => {
    expect(numericEdges(train, 4)).toEqual([3.25, 5.25, 7.0].map((x) => expect.closeTo(x, 12)));
    const d = numericDrift(train, test, 4);
    expect(d.psi).toBeCloseTo(2.8650195030702124, 10);
    expect(d.bins.map((b) => b.test)).toEqual([0, 1 / 6, 1 / 6, 0.5833333333333334, 0.08333333333333333].map((x) => expect.closeTo(x, 12)));
    expect(d.bins.at(-1)?.bin).toBe("missing");
  });

  it("KS statistic equals scipy 1.10.1 ks_2samp(...).statistic (missing left out)", () => {
    expect(ksStatistic(train, test.filter((v): v is number => v !== null))).toBeCloseTo(0.45, 12);
    expect(numericDrift(train, test, 4).ks).toBeCloseTo(0.45, 12);
  });

  it("categorical PSI over the union of levels equals numpy 1.24.2 with the same floor", () => {
    const a = [...Array(10).fill("a"), ...Array(6).fill("b"), ...Array(4).fill("c")];
    const b = [...Array(3).fill("a"), ...Array(5).fill("b"), "c", "d"];
    expect(categoricalDrift(a, b).psi).toBeCloseTo(0.9637297199327064, 10);
    expect(categoricalDrift(["a", "b"], ["b", "a"]).psi).toBe(0);
  });

  it("identical samples have PSI 0 and KS 0; an empty side throws", () => {
    expect(psiFromShares([0.2, 0.8], [0.2, 0.8])).toBe(0);
    expect(numericDrift([1, 2, 3, 4], [1, 2, 3, 4], 2)).toMatchObject({ psi: 0, ks: 0 });
    expect(() => numericDrift([], [1])).toThrow(RangeError);
  });
});

describe("performance by subgroup", () => {
  const truth = ["x", "y", "x", "x", "y", "y", "x", "y", "x", "y"];
  const pred = ["x", "y", "y", "x", "y", "x", "x", "y", "x", "x"];
  const groups = ["m", "m", "f", "f", "m", "f", "m", "m", "f", "f"];
  const boot = { resamples: 200, seed: 7, level: 0.95 };

  it("accuracy and macro-F1 per group equal sklearn 1.2.1 accuracy_score / f1_score(average='macro')", () => {
    const rows = classificationSubgroups(groups, truth, pred, ["x", "y"], boot, 6);
    const f = rows.find((r) => r.group === "f");
    const m = rows.find((r) => r.group === "m");
    expect(f?.n).toBe(5);
    expect(f?.metrics[0]?.value).toBeCloseTo(0.4, 12);
    expect(f?.metrics[1]?.value).toBeCloseTo(0.28571428571428575, 12);
    expect(m?.metrics.map((x) => x.value)).toEqual([1, 1]);
    expect(rows.every((r) => r.small)).toBe(true); // 5 < 6
    const ci = f?.metrics[0]?.ci;
    expect(ci && ci.low <= 0.4 && 0.4 <= ci.high).toBe(true);
  });

  it("regression groups report RMSE and MAE; large numeric columns become quartile ranges", () => {
    const rows = regressionSubgroups(["a", "a", "b"], [1, 2, 3], [1, 4, 3], boot, 1);
    expect(rows[0]).toMatchObject({ group: "a", n: 2, small: false });
    expect(rows[0]?.metrics[0]?.value).toBeCloseTo(Math.sqrt(2), 12);
    const labels = groupLabels([...Array.from({ length: 20 }, (_, i) => i), null]);
    expect(new Set(labels).size).toBe(5);
    expect(labels[0]).toBe("Q1 ≤ 4.75");
    expect(labels.at(-1)).toBe("(missing)");
    expect(groupLabels(["a", "", 3])).toEqual(["a", "(missing)", "3"]);
  });
});
