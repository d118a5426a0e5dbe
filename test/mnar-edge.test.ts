/**
 * MNAR self-masking: every value above a threshold goes missing, unrelated to every other
 * column. The probe and Little's test cannot see it; the censoring edge of the observed
 * values (src/stats/imputation/mechanism.ts, censoringEdge) can. Seeded generated tables.
 */
import { describe, expect, it } from "vitest";
import { censoringEdge, columnMechanisms } from "../src/stats/imputation/mechanism.js";
import type { Frame } from "../src/stats/imputation/frame.js";
import { createRng } from "../src/stats/random.js";

const settings = { trees: 50, maxDepth: 8, folds: 3, minMissing: 10, marAuc: 0.65, mcarAlpha: 0.05, seed: 42, edgeDensity: 0.5, tailDensity: 0.2 };

function normals(seed: number): () => number {
  const rng = createRng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** x, w: complete normals; selfMasked: normal, every value above its 70th percentile missing; mcar: normal, 30% missing at random. */
function selfMaskingFrame(seed: number, n: number): Frame {
  const g = normals(seed);
  const rng = createRng(seed + 1000);
  const x = Float64Array.from({ length: n }, g);
  const w = Float64Array.from({ length: n }, g);
  const selfMasked = Float64Array.from({ length: n }, g);
  const mcar = Float64Array.from({ length: n }, g);
  const cut = Float64Array.from(selfMasked).sort()[Math.floor(0.7 * n)]!;
  for (let i = 0; i < n; i++) {
    if (selfMasked[i]! > cut) selfMasked[i] = Number.NaN;
    if (rng() < 0.3) mcar[i] = Number.NaN;
  }
  return {
    rows: n,
    columns: [
      { name: "x", type: "numeric", values: x },
      { name: "w", type: "numeric", values: w },
      { name: "selfMasked", type: "numeric", values: selfMasked },
      { name: "mcar", type: "numeric", values: mcar },
    ],
  };
}

describe("self-masking above the 70th percentile", () => {
  it.each([1, 2, 3])("is MNAR (suspected) with the edge as evidence, while the MCAR control stays MCAR (seed %i)", (seed) => {
    const frame = selfMaskingFrame(seed, 1500);
    const [masked, control] = columnMechanisms(frame, [2, 3], settings);
    expect(masked?.mechanism).toBe("MNAR (suspected)");
    expect(masked?.reason).toMatch(/observed values stop at a sharp upper edge at -?\d/);
    expect(masked?.reason).toMatch(/every value above a threshold goes missing/);
    expect(masked?.probeAuc ?? 1).toBeLessThan(0.65); // the other columns cannot see it
    expect(control?.mechanism).toBe("MCAR");
  });
});

describe("censoringEdge", () => {
  it("finds the upper edge of a column cut at its 70th percentile, and a lower cut", () => {
    const g = normals(7);
    const values = Float64Array.from({ length: 2000 }, g);
    const sorted = Float64Array.from(values).sort();
    const high = sorted[1400]!;
    const low = sorted[600]!;
    const upper = censoringEdge(values.map((v) => (v > high ? Number.NaN : v)));
    expect(upper?.side).toBe("upper");
    expect(upper?.edge).toBeCloseTo(high, 10);
    expect(upper?.edgeDensity).toBeGreaterThan(0.6);
    expect(censoringEdge(values.map((v) => (v < low ? Number.NaN : v)))?.side).toBe("lower");
  });

  it("raises no alarm on natural shapes with values missing at random (40 seeds each)", () => {
    let alarms = 0;
    for (let seed = 0; seed < 40; seed++) {
      const g = normals(seed);
      const rng = createRng(seed + 99);
      const mcar = (f: () => number): Float64Array => Float64Array.from({ length: 600 }, () => (rng() < 0.3 ? Number.NaN : f()));
      if (censoringEdge(mcar(g))) alarms++; // normal: both tails thin out
      if (censoringEdge(mcar(() => -Math.log(1 - rng())))) alarms++; // exponential: a natural zero bound
      if (censoringEdge(mcar(() => 10 * rng()))) alarms++; // uniform: both ends hard, a range rather than a cut
      if (censoringEdge(mcar(() => Math.min(1, g())))) alarms++; // capped at 1 and stored as 1: a cap, not missing values
      if (censoringEdge(mcar(() => 1 + Math.exp(0.6 * g())))) alarms++; // shifted log-normal (min ≈ 1.2, no zero bound): piles up low, thins out above
    }
    expect(alarms).toBe(0);
  });

  it("says nothing with too few observed or distinct values", () => {
    expect(censoringEdge(Float64Array.from({ length: 40 }, (_, i) => i))).toBeNull();
    expect(censoringEdge(Float64Array.from({ length: 500 }, (_, i) => i % 10))).toBeNull();
  });
});
