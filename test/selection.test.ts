import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createRng } from "../src/stats/random.js";
import { pearson } from "../src/stats/kernel.js";
import { averageRanks, correlationRatio, cramersV, mutualInformation, normalizedVariance, quantileBins, rankFeatures } from "../src/stats/selection.js";

const defaults = { keep: 30, minVariance: 1e-8, miBins: 10, forestTrees: 30, forestMaxRows: 3000, seed: 42 };

describe("selection scores against reference tools", () => {
  // scikit-learn 1.2.1 / scipy 1.10.1 / numpy 1.24.2 (Debian bookworm), on exactly these vectors.
  const x = [0, 0, 1, 1, 2, 2, 2, 0, 1, 2, 0, 1];
  const y = [0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1];
  const xs = [1.0, 2.5, 3.1, 4.8, 5.0, 6.2, 7.7, 8.1];
  const ys = [2.1, 2.9, 3.3, 5.5, 4.9, 7.0, 8.1, 7.9];

  it("mutual information equals sklearn mutual_info_score", () => {
    expect(mutualInformation(x, y)).toBeCloseTo(0.3182570841474066, 12);
  });
  it("Cramér's V equals scipy.stats.contingency.association(method='cramer', correction=False)", () => {
    expect(cramersV(x, y)).toBeCloseTo(0.7071067811865476, 12);
  });
  it("Pearson r equals numpy.corrcoef", () => {
    expect(pearson(xs, ys)).toBeCloseTo(0.9859085917998315, 12);
  });
  it("correlation ratio equals √(SS_between/SS_total) computed with numpy", () => {
    expect(correlationRatio([0, 0, 1, 1, 1, 2, 2, 2], ys)).toBeCloseTo(0.9510550150969886, 12);
  });
  it("helpers state their edge cases", () => {
    expect(normalizedVariance([5, 5, 5])).toBe(0);
    expect(normalizedVariance([0, 2])).toBe(0.5);
    expect(normalizedVariance([-1, 1])).toBe(1);
    expect(normalizedVariance([1, 1 + 1e-6])).toBeLessThan(1e-8);
    expect(Array.from(quantileBins([5, 1, 3, 3], 2))).toEqual([1, 0, 0, 0]);
    expect(averageRanks([3, 1, 3])).toEqual([1.5, 3, 1.5]);
    expect(pearson([1, 1], [1, 2])).toBeNaN();
  });
});

describe("rankFeatures on digits (sklearn 1.2.1 bundled data: 64 pixels, 3 constant)", () => {
  const lines = readFileSync(new URL("./fixtures/digits.csv", import.meta.url), "utf8").trim().split("\n");
  const header = (lines[0] ?? "").split(",");
  const rows = lines.slice(1).map((l) => l.split(",").map(Number));
  const args = {
    ...defaults,
    columns: header.slice(0, -1).map((name, j) => ({ name, kind: "numeric" as const, values: rows.map((r) => r[j] ?? null) })),
    target: rows.map((r) => String(r[64])),
    task: "multiclass" as const,
  };
  const rankings = rankFeatures(args);

  it("drops the constant pixels with a reason and keeps 30", () => {
    const constant = rankings.filter((r) => r.reason.startsWith("constant"));
    expect(constant.map((r) => r.column).sort()).toEqual(["pixel_0_0", "pixel_4_0", "pixel_4_7"]);
    expect(constant.every((r) => !r.kept && r.variance === 0)).toBe(true); // pixel_0_0 etc. are all 0
    expect(rankings.filter((r) => r.kept)).toHaveLength(30);
    expect(rankings).toHaveLength(64);
    for (let i = 1; i < rankings.length; i++) expect(rankings[i]!.averageRank).toBeGreaterThanOrEqual(rankings[i - 1]!.averageRank);
  });

  it("agrees with sklearn's forest on what matters", () => {
    // Top 30 of RandomForestClassifier(n_estimators=200, random_state=42).fit(X, y).feature_importances_,
    // sklearn 1.2.1 on the whole table.
    const sklearnTop30 = ["pixel_2_5", "pixel_3_2", "pixel_4_4", "pixel_5_3", "pixel_5_2", "pixel_3_4", "pixel_1_5", "pixel_4_1", "pixel_2_4", "pixel_7_5",
      "pixel_3_6", "pixel_1_2", "pixel_4_2", "pixel_2_3", "pixel_3_3", "pixel_4_6", "pixel_6_5", "pixel_6_6", "pixel_7_2", "pixel_3_5",
      "pixel_7_4", "pixel_2_2", "pixel_6_3", "pixel_5_4", "pixel_5_6", "pixel_0_5", "pixel_0_2", "pixel_4_5", "pixel_5_5", "pixel_6_2"];
    const kept = new Set(rankings.filter((r) => r.kept).map((r) => r.column));
    expect(sklearnTop30.filter((c) => kept.has(c)).length).toBeGreaterThanOrEqual(24);
  });

  it("is deterministic", () => {
    expect(rankFeatures(args)).toEqual(rankings);
  });
});

describe("rankFeatures on mixed columns", () => {
  const rng = createRng(5);
  const n = 800;
  const group = Array.from({ length: n }, () => ["north", "south", "east", "west"][Math.floor(rng() * 4)] as string);
  const signal = Array.from({ length: n }, () => rng() * 10);
  const noise = Array.from({ length: n }, () => rng());
  const noiseCat = Array.from({ length: n }, () => (rng() < 0.5 ? "x" : "y"));
  const columns = [
    { name: "noise", kind: "numeric" as const, values: noise },
    { name: "group", kind: "categorical" as const, values: group },
    { name: "signal", kind: "numeric" as const, values: signal.map((v, i) => (i % 10 === 0 ? null : v)) },
    { name: "noise_cat", kind: "categorical" as const, values: noiseCat },
    { name: "flat", kind: "numeric" as const, values: Array.from({ length: n }, (_, i) => 1 + (i === 0 ? 1e-6 : 0)) },
    { name: "same", kind: "categorical" as const, values: Array.from({ length: n }, () => "k") },
  ];

  it("ranks informative numeric and categorical columns first for regression", () => {
    const offset: Record<string, number> = { north: 0, south: 8, east: 16, west: 24 };
    const target = group.map((g, i) => (i === 3 ? null : (offset[g] as number) + 2 * (signal[i] as number) + (rng() - 0.5)));
    const r = rankFeatures({ ...defaults, keep: 2, columns, target, task: "regression" });
    expect(r.slice(0, 2).map((x) => x.column).sort()).toEqual(["group", "signal"]);
    expect(r.filter((x) => x.kept).map((x) => x.column).sort()).toEqual(["group", "signal"]);
    const byName = Object.fromEntries(r.map((x) => [x.column, x]));
    expect(byName.flat?.reason).toMatch(/near-zero variance/);
    expect(byName.same?.reason).toBe("constant: one distinct value");
    expect(byName.group?.variance).toBeNull();
    expect(byName.group?.absCorrelation).toBeGreaterThan(0.5);
    expect(byName.group?.mutualInformation).toBeGreaterThan(byName.noise_cat?.mutualInformation ?? 1);
  });

  it("scores a categorical column against a binary target", () => {
    const target = group.map((g) => (g === "north" || g === "east" ? "yes" : "no"));
    const r = rankFeatures({ ...defaults, keep: 1, columns, target, task: "binary" });
    expect(r[0]?.column).toBe("group");
    expect(r[0]?.absCorrelation).toBeCloseTo(1, 10); // Cramér's V of a deterministic relation
  });
});

describe("rankFeatures on a wide table (typed columns, forest on the best columns only)", () => {
  // 300 rows × 600 numeric columns; every 60th drives a binary target.
  const rng = createRng(9);
  const rows = 300;
  const planted = new Set<string>();
  const logit = new Float64Array(rows);
  const columns = Array.from({ length: 600 }, (_, j) => {
    const values = Float64Array.from({ length: rows }, () => rng() * 2 - 1);
    if (j % 60 === 0) {
      planted.add(`g_${j}`);
      values.forEach((v, i) => (logit[i] = (logit[i] ?? 0) + 3 * v));
    }
    return { name: `g_${j}`, index: j, type: "numeric" as const, values, allIntegers: false };
  });
  const target = { name: "y", index: 600, type: "categorical" as const, codes: Int32Array.from(logit, (z) => (rng() < 1 / (1 + Math.exp(-z)) ? 1 : 0)), dictionary: ["no", "yes"] };
  const rankings = rankFeatures({ ...defaults, keep: 20, columns, target, task: "binary", forestMaxColumns: 100 });

  it("recovers the 10 planted columns in the top 20", () => {
    const top = rankings.slice(0, 20).map((r) => r.column);
    expect(top.filter((c) => planted.has(c)).length).toBe(10);
  });

  it("gives the forest only forestMaxColumns columns and says so", () => {
    expect(rankings.filter((r) => r.forestImportance > 0).length).toBeLessThanOrEqual(100);
    expect(rankings.filter((r) => r.reason.includes("not in the forest"))).toHaveLength(500);
    expect(rankings[0]?.reason).toMatch(/^1 of 600 by average rank; in the top 20; forest ranked the 100 best/);
  });

  it("scores typed columns exactly like the same cells given as values", () => {
    const plain = columns.slice(0, 40).map((c) => ({ name: c.name, kind: "numeric" as const, values: Array.from(c.values) }));
    const labels = Array.from(target.codes, (c) => target.dictionary[c] ?? null);
    const a = rankFeatures({ ...defaults, columns: columns.slice(0, 40), target, task: "binary" });
    const b = rankFeatures({ ...defaults, columns: plain, target: labels, task: "binary" });
    expect(a).toEqual(b);
  });
});
