/** Imputation statistics: the chi-square tail, Little's MCAR test, the imputers, planted mechanisms. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chiSquareSurvival, gammaQ, logGamma } from "../src/stats/imputation/chi-square.js";
import { buildColumn, FrameColumnBuilder, sampleRows, type Frame } from "../src/stats/imputation/frame.js";
import { applyIterative, fitIterative } from "../src/stats/imputation/iterative.js";
import { applyKnn, fitKnn } from "../src/stats/imputation/knn.js";
import { indicatorMcarTest, littleMcarTest } from "../src/stats/imputation/little-mcar.js";
import { columnMechanisms } from "../src/stats/imputation/mechanism.js";
import { applySimple, fitSimple } from "../src/stats/imputation/simple.js";
import { createRng, randomInt, sampleIndices } from "../src/stats/random.js";
import { ROOT } from "./helpers/cli.js";
import { plantedFrame } from "./helpers/planted.js";

describe("chi-square tail", () => {
  it("matches scipy 1.17.1 chi2.sf", () => {
    // scipy.stats.chi2.sf(x, df), scipy 1.17.1.
    const cases: [number, number, number][] = [
      [3.841458820694124, 1, 0.04999999999999989],
      [18.307038053275146, 10, 0.05000000000000005],
      [35.1061288689702, 14, 0.0014177811385668601],
      [0.5, 3, 0.9188914116546758],
      [100, 50, 3.454931382984871e-5],
      [0.001, 2, 0.9995001249791693],
      [250, 200, 0.009379131668826098],
      [7, 7, 0.42887985755305486],
    ];
    for (const [x, df, p] of cases) expect(chiSquareSurvival(x, df) / p).toBeCloseTo(1, 10);
  });

  it("logGamma and gammaQ at closed forms; bad input throws", () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(gammaQ(1, 2)).toBeCloseTo(Math.exp(-2), 14);
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(() => chiSquareSurvival(-1, 3)).toThrow(RangeError);
    expect(() => chiSquareSurvival(1, 0)).toThrow(RangeError);
  });
});

describe("Little's MCAR test", () => {
  it("reproduces naniar::mcar_test(airquality)", () => {
    // naniar 1.1.0 tests/testthat/test-mcar-test.R: statistic 35.1061288689702, df 14,
    // p.value 0.00141778113856683, 4 missing patterns (EM from the norm package, whose
    // convergence tolerance explains the last digits).
    const [header, ...lines] = readFileSync(join(ROOT, "test/fixtures/airquality.csv"), "utf8").trim().split("\n");
    const columns = (header ?? "").split(",").map((_, j) => Float64Array.from(lines, (l) => (l.split(",")[j] === "" ? Number.NaN : Number(l.split(",")[j]))));
    const result = littleMcarTest(columns);
    expect(result).not.toBeNull();
    expect(result!.statistic).toBeCloseTo(35.1061288689702, 3);
    expect(result!.df).toBe(14);
    expect(result!.pValue).toBeCloseTo(0.00141778113856683, 6);
    expect(result!.patterns).toBe(4);
  });

  it("has nothing to test without missing values or without spread", () => {
    expect(littleMcarTest([Float64Array.of(1, 2, 3), Float64Array.of(2, 1, 3)])).toBeNull();
    expect(littleMcarTest([Float64Array.of(1, 1, Number.NaN)])).toBeNull();
  });

  it("the per-column statistic needs two rows in each group", () => {
    expect(indicatorMcarTest(Uint8Array.of(1, 0, 0), [Float64Array.of(1, 2, 3)])).toBeNull();
    const t = indicatorMcarTest(Uint8Array.of(1, 0, 0, 1, 0, 0, 1, 0), [Float64Array.of(9, 1, 2, 8, 1, 2, 9, 1)]);
    expect(t?.df).toBe(1);
    expect(t!.pValue).toBeLessThan(0.01);
  });
});

describe("imputers", () => {
  const frame: Frame = {
    rows: 6,
    columns: [
      buildColumn("x", "numeric", [1, 2, 3, 10, 11, null]),
      buildColumn("y", "numeric", [1, 2, 3, 10, null, 12]),
      buildColumn("c", "categorical", ["a", "a", "a", "b", "b", null]),
    ],
  };

  it("mean / median / mode fill from the observed values", () => {
    const mean = applySimple(frame, fitSimple(frame, "mean"));
    const median = applySimple(frame, fitSimple(frame, "median"));
    const x = (f: Frame, j: number, i: number) => { const c = f.columns[j]!; return c.type === "numeric" ? c.values[i] : c.dictionary[c.codes[i]!]; };
    expect(x(mean, 0, 5)).toBeCloseTo(27 / 5, 12);
    expect(x(median, 0, 5)).toBe(3);
    expect(x(mean, 2, 5)).toBe("a");
  });

  it("KNN takes the nearest rows that have the value", () => {
    const model = fitKnn(frame, { k: 2, referenceRows: 100, seed: 1 });
    const filled = applyKnn(model, frame);
    const x = filled.columns[0]!;
    const c = filled.columns[2]!;
    // Row 5 shares only y (12) with the others; row 4 has no y, so the donors are rows 3
    // (y 10: x 10, b) and 2 (y 3: x 3, a); the category vote ties and goes to the nearer.
    expect(x.type === "numeric" && x.values[5]).toBe(6.5);
    expect(c.type === "categorical" && c.dictionary[c.codes[5]!]).toBe("b");
  });

  it("iterative beats the mean on correlated columns, and applies to new rows", () => {
    const rng = createRng(5);
    const a = Float64Array.from({ length: 800 }, () => rng() * 4 - 2);
    const b = Float64Array.from(a, (v) => v + 0.3 * (rng() - 0.5));
    const planted: Frame = { rows: 800, columns: [{ name: "a", type: "numeric", values: a }, { name: "b", type: "numeric", values: b }] };
    const truth = planted.columns[0]!;
    const meanA = a.reduce((s, v) => s + v, 0) / a.length;
    const masked: Frame = { rows: planted.rows, columns: planted.columns.map((c, j) => (j === 0 && c.type === "numeric" ? { ...c, values: c.values.map((v, i) => (i % 5 === 0 ? Number.NaN : v)) } : c)) };
    const { model, filled } = fitIterative(masked, { rounds: 3, trees: 10, maxDepth: 10, minLeaf: 2, fitRows: 800, seed: 1 });
    const f = filled.columns[0]!;
    const t = truth.type === "numeric" ? truth.values : new Float64Array();
    let ssIter = 0;
    let ssMean = 0;
    let k = 0;
    for (let i = 0; i < planted.rows; i += 5) if (f.type === "numeric") (ssIter += (f.values[i]! - t[i]!) ** 2), (ssMean += (t[i]! - meanA) ** 2), k++;
    expect(Math.sqrt(ssIter / k)).toBeLessThan(0.3 * Math.sqrt(ssMean / k));
    const again = applyIterative(model, masked).columns[0]!;
    expect(again.type === "numeric" && again.values.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe("FrameColumnBuilder (imputation reads each split a cell at a time)", () => {
  /** Seeded cells of every kind a cleaned row holds: numbers, numeric strings, text, booleans, null, "", undefined. */
  function cells(n: number, seed: number): (string | number | boolean | null | undefined)[] {
    const rng = createRng(seed);
    const pick = [null, "", undefined, true, false, "x", " 3 ", "b", "a", "10", "9", 2.5, 0, -1, 1e21];
    return Array.from({ length: n }, () => (rng() < 0.5 ? pick[Math.floor(rng() * pick.length)] : rng() < 0.5 ? Math.round(rng() * 50) : `lvl_${Math.floor(rng() * 3000)}`));
  }
  const built = (name: string, type: "numeric" | "categorical", values: ReturnType<typeof cells>, levels?: string[], capacity?: number) => {
    const b = new FrameColumnBuilder(name, type, levels, capacity);
    for (const v of values) b.push(v);
    return { column: b.finish(), missing: b.missingCells };
  };

  it("builds buildColumn's column from the same cells (past its growth steps), with training levels first on later data", () => {
    for (const n of [0, 1, 1023, 1024, 5000]) {
      const train = cells(n, n + 1);
      const later = cells(Math.ceil(n / 3), n + 2);
      for (const type of ["numeric", "categorical"] as const) {
        const own = built("c", type, train);
        expect(own.column).toEqual(buildColumn("c", type, train));
        expect(own.missing).toBe(train.filter((v) => v === null || v === undefined || v === "").length);
        const levels = own.column.type === "categorical" ? own.column.dictionary : undefined;
        expect(built("c", type, later, levels).column).toEqual(buildColumn("c", type, later, levels));
        // Sized for the rows expected: exactly, too few (it grows) or too many (trimmed).
        for (const capacity of [n, n - 1, n + 5]) expect(built("c", type, train, undefined, capacity).column).toEqual(buildColumn("c", type, train));
      }
    }
  });
});

describe("planted mechanisms", () => {
  it.each([1, 2, 3])("labels MCAR, MAR (driven by x) and MNAR (high values missing), seed %i", (seed) => {
    const { frame } = plantedFrame(seed, 2000);
    const result = columnMechanisms(frame, [2, 3, 4], { trees: 50, maxDepth: 8, folds: 3, minMissing: 10, marAuc: 0.65, mcarAlpha: 0.05, seed: 42 });
    expect(result.map((r) => r.mechanism)).toEqual(["MCAR", "MAR", "MNAR (suspected)"]);
    expect(result[1]!.explainedBy[0]?.column).toBe("x");
  });
});

/** The partial Fisher–Yates draw over a full pool, as sampleIndices always made it: the reference for its sparse path. */
function fullPoolDraw(n: number, k: number, rng: () => number): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(Math.max(0, Math.floor(k)), n);
  for (let i = 0; i < take; i++) {
    const j = i + randomInt(rng, n - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, take).sort((a, b) => a - b);
}

describe("sampleIndices of few of many rows (its sparse pool)", () => {
  it("draws the full pool's indices from the same seed", () => {
    for (const [n, k, seed] of [[800000, 4000, 7], [100000, 3000, 1], [50, 50, 2], [50, 60, 3], [1000, 0, 4], [1, 1, 5], [20000, 1500, 6], [800000, 20000, 8]] as const)
      expect(sampleIndices(n, k, createRng(seed))).toEqual(fullPoolDraw(n, k, createRng(seed)));
    expect(sampleRows(800000, 4000, 9)).toEqual(fullPoolDraw(800000, 4000, createRng(9)));
  });
});
