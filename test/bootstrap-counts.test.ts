/**
 * The count bootstrap (src/stats/multinomial.ts, classificationIntervals) against the row
 * bootstrap it replaces, and its binomial sampler against exact figures: ln(k!) and the
 * Binomial(40, 0.4) pmf from Python 3.11's math.lgamma / math.comb
 * (test/fixtures/reference/log-factorial.py → log-factorial.json).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compensatedSum } from "../src/stats/kernel.js";
import { bootstrapInterval, classificationIntervals, classificationMetrics, confusionIntervals, regressionIntervals } from "../src/stats/metrics.js";
import { binomialDraw, logFactorial, multinomialDraw } from "../src/stats/multinomial.js";
import { createRng } from "../src/stats/random.js";

const reference = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures/reference/log-factorial.json"), "utf8")) as {
  logFactorial: Record<string, number>;
  binomial: { n: number; p: number; pmf: number[] };
};

describe("logFactorial", () => {
  it("matches Python's math.lgamma(k + 1) on the table and on Stirling's side", () => {
    for (const [k, v] of Object.entries(reference.logFactorial)) expect(logFactorial(Number(k))).toBeCloseTo(v, Math.max(0, 13 - Math.ceil(Math.log10(Math.max(1, v)))));
  });
});

describe("binomialDraw", () => {
  const moments = (n: number, p: number, draws: number, seed: number) => {
    const rng = createRng(seed);
    const x = Float64Array.from({ length: draws }, () => binomialDraw(n, p, rng));
    const mean = compensatedSum(x) / draws;
    const variance = compensatedSum(x.map((v) => (v - mean) ** 2)) / (draws - 1);
    return { mean, variance, min: Math.min(...x), max: Math.max(...x) };
  };
  it("has the binomial's mean and variance by inversion (n·p < 10) and by BTRS, p on both sides of ½", () => {
    for (const [n, p] of [
      [50, 0.05],
      [1000, 0.3],
      [200_000, 0.9],
      [7, 0.5],
    ] as const) {
      const draws = 20_000;
      const m = moments(n, p, draws, 3);
      const sd = Math.sqrt(n * p * (1 - p));
      // The sample mean is within 4 standard errors; the variance within 6%.
      expect(Math.abs(m.mean - n * p)).toBeLessThan((4 * sd) / Math.sqrt(draws));
      expect(m.variance / (sd * sd)).toBeGreaterThan(0.94);
      expect(m.variance / (sd * sd)).toBeLessThan(1.06);
      expect(m.min).toBeGreaterThanOrEqual(0);
      expect(m.max).toBeLessThanOrEqual(n);
    }
  });
  it("follows the exact Binomial(40, 0.4) pmf (chi-square over the bulk, BTRS path)", () => {
    const { n, p, pmf } = reference.binomial;
    const draws = 40_000;
    const rng = createRng(11);
    const seen = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < draws; i++) seen[binomialDraw(n, p, rng)]! += 1;
    // Cells with an expected count ≥ 20 (x = 9 … 24), the tails pooled: 17 cells.
    let chi2 = 0;
    let tailSeen = draws;
    let tailP = 1;
    for (let x = 0; x <= n; x++) {
      const e = draws * pmf[x]!;
      if (e < 20) continue;
      chi2 += (seen[x]! - e) ** 2 / e;
      tailSeen -= seen[x]!;
      tailP -= pmf[x]!;
    }
    chi2 += (tailSeen - draws * tailP) ** 2 / (draws * tailP);
    expect(chi2).toBeLessThan(39.25); // χ²(16 df) at p = 0.001
  });
  it("is exact at the edges and rejects bad arguments", () => {
    const rng = createRng(1);
    expect([binomialDraw(0, 0.3, rng), binomialDraw(9, 0, rng), binomialDraw(9, 1, rng)]).toEqual([0, 0, 9]);
    expect(() => binomialDraw(2.5, 0.5, rng)).toThrow(RangeError);
    expect(() => binomialDraw(3, 1.5, rng)).toThrow(RangeError);
  });
});

describe("multinomialDraw", () => {
  it("puts every draw in a cell with a count, and keeps each cell's share", () => {
    const counts = [0, 300, 0, 100, 600];
    const out = new Float64Array(5);
    const sums = new Float64Array(5);
    const rng = createRng(5);
    for (let r = 0; r < 2000; r++) {
      multinomialDraw(counts, 1000, out, rng);
      expect(compensatedSum(out)).toBe(1000);
      out.forEach((v, i) => (sums[i]! += v));
    }
    expect([sums[0], sums[2]]).toEqual([0, 0]);
    // Mean share per cell within 0.5% of 300/1000, 100/1000, 600/1000.
    expect(Math.abs(sums[1]! / 2000 - 300)).toBeLessThan(1.5);
    expect(Math.abs(sums[3]! / 2000 - 100)).toBeLessThan(1);
    expect(Math.abs(sums[4]! / 2000 - 600)).toBeLessThan(1.5);
  });
});

/** 600 rows, 3 labels, 30 unmatched predictions: a seeded fixture. */
function fixture(): { yTrue: string[]; yPred: (string | null)[]; labels: string[] } {
  const labels = ["a", "b", "c"];
  const rng = createRng(42);
  const yTrue: string[] = [];
  const yPred: (string | null)[] = [];
  for (let i = 0; i < 600; i++) {
    const t = labels[i % 5 === 0 ? 2 : i % 3 === 0 ? 1 : 0] as string;
    yTrue.push(t);
    const u = rng();
    yPred.push(u < 0.05 ? null : u < 0.75 ? t : (labels[Math.floor(rng() * 3)] as string));
  }
  return { yTrue, yPred, labels };
}

describe("classificationIntervals (counts) against the row bootstrap it replaces", () => {
  it("gives the row bootstrap's percentile intervals within Monte-Carlo error", () => {
    const { yTrue, yPred, labels } = fixture();
    const opts = { resamples: 2000, seed: 9 };
    const counts = classificationIntervals(yTrue, yPred, labels, opts);
    // Yesterday's definition: n row indices with replacement per resample, the metric recomputed.
    const pick = (idx: number[]) => classificationMetrics(idx.map((i) => yTrue[i] as string), idx.map((i) => yPred[i] ?? null), labels);
    const rows = { accuracy: bootstrapInterval(yTrue.length, (idx) => pick(idx).accuracy, opts), macroF1: bootstrapInterval(yTrue.length, (idx) => pick(idx).macroF1, opts) };
    // Accuracy's standard error here is ≈ 0.019; a 2.5% / 97.5% quantile of 2000 resamples has a
    // Monte-Carlo sd of ≈ 0.0013, so two independent estimates differ by < 0.006 (4.5 sd).
    for (const metric of ["accuracy", "macroF1"] as const) {
      expect(Math.abs(counts[metric].low - rows[metric].low)).toBeLessThan(0.006);
      expect(Math.abs(counts[metric].high - rows[metric].high)).toBeLessThan(0.006);
    }
    const m = classificationMetrics(yTrue, yPred, labels);
    expect(counts.accuracy.low).toBeLessThan(m.accuracy);
    expect(counts.accuracy.high).toBeGreaterThan(m.accuracy);
    expect(classificationIntervals(yTrue, yPred, labels, opts)).toEqual(counts); // seeded
  });
  it("reads the confusion table with unmatched as the last column", () => {
    // 2 labels: rows true a (8 right, 1 wrong, 1 unmatched), true b (10 right).
    const k = 2;
    const counts = Float64Array.from([8, 1, 1, 0, 10, 0]);
    const ci = confusionIntervals(counts, k, { resamples: 500, seed: 1 });
    expect(ci.accuracy.low).toBeLessThan(0.9);
    expect(ci.accuracy.high).toBeLessThanOrEqual(1);
    expect(() => confusionIntervals(new Float64Array(4), 2, { resamples: 5, seed: 1 })).toThrow(RangeError);
  });
});

describe("regressionIntervals over the error array", () => {
  it("is the generic row bootstrap of RMSE and MAE, figure for figure (same stream)", () => {
    const rng = createRng(3);
    const t = Array.from({ length: 300 }, () => rng() * 100);
    const p = t.map((v) => v + (rng() - 0.5) * 20);
    const opts = { resamples: 300, seed: 17, level: 0.9 };
    const ci = regressionIntervals(t, p, opts);
    const e = t.map((v, i) => v - p[i]!);
    const rmse = bootstrapInterval(t.length, (idx) => Math.sqrt(compensatedSum(idx.map((i) => e[i]! ** 2)) / idx.length), opts);
    const mae = bootstrapInterval(t.length, (idx) => compensatedSum(idx.map((i) => Math.abs(e[i]!))) / idx.length, opts);
    expect(ci).toEqual({ rmse, mae });
  });
});
