/**
 * Association between a categorical column and the others (association.ts), and the rule it
 * serves (budget.ts weakMcarReason): MCAR columns that nothing predicts are scored on the
 * simple policies alone, while a planted dependence still lets KNN and iterative be scored.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { setQuiet } from "../src/log.js";
import { impute } from "../src/nodes/impute.js";
import { correlationRatio, cramersV } from "../src/stats/imputation/association.js";
import { maxAssociation, weakMcarReason } from "../src/stats/imputation/budget.js";
import { buildColumn, type Frame } from "../src/stats/imputation/frame.js";
import { createRng } from "../src/stats/random.js";
import { imputeState, type Row } from "./helpers/impute-state.js";

beforeAll(() => setQuiet(true));

// The fixture of test/fixtures/reference/impute-association.py (null = missing).
const a = ["x", "y", "z", "x", "y", "z", "x", "x", "y", null, "z", "z", "x", "y", "y", "x", "z", "x", "y", "z", "x", "x", "z", "y"];
const b = ["p", "q", "q", "p", "r", "r", "p", "s", "q", "p", null, "r", "p", "q", "s", "p", "r", "s", "q", "r", "p", "q", "r", "s"];
const v = [1.0, 2.5, 3.1, 0.7, 2.2, null, 1.4, 0.9, 2.8, 1.1, 3.3, 3.9, 1.2, 2.0, 2.6, 0.8, 3.5, 1.6, 2.4, 2.9, 1.0, 1.3, 3.0, 2.1];
const codes = (cells: (string | null)[]) => {
  const c = buildColumn("c", "categorical", cells);
  return c.type === "categorical" ? c.codes : new Int32Array();
};
const values = Float64Array.from(v, (x) => (x === null ? Number.NaN : x));

describe("Cramér's V and the correlation ratio", () => {
  // Reference: pandas 1.5 crosstab / groupby with numpy 1.24 (test/fixtures/reference/
  // impute-association.py): χ² from the crosstab's expected counts, Bergsma's correction; η² = SS_between / SS_total and
  // ε² = 1 − (SS_within / (n − k)) / (SS_total / (n − 1)), rows with a missing side dropped.
  it("match pandas on a small table with missing cells", () => {
    const ab = cramersV(codes(a), codes(b))!;
    expect(ab.raw).toBeCloseTo(0.730115595689328, 12);
    expect(ab.corrected).toBeCloseTo(0.656724104710344, 12);
    const av = correlationRatio(codes(a), values)!;
    expect(av.raw).toBeCloseTo(0.951271901150365, 12);
    expect(av.corrected).toBeCloseTo(0.945996629244101, 12);
    const bv = correlationRatio(codes(b), values)!;
    expect(bv.raw).toBeCloseTo(0.841414762650614, 12);
    expect(bv.corrected).toBeCloseTo(0.811978203693991, 12);
  });

  it("are symmetric in Cramér's V, 1 for a copy, and null with one level or no spread", () => {
    expect(cramersV(codes(b), codes(a))!.corrected).toBeCloseTo(cramersV(codes(a), codes(b))!.corrected, 12);
    expect(cramersV(codes(a), codes(a))!.raw).toBe(1);
    expect(cramersV(codes(a), codes(a))!.corrected).toBeCloseTo(1, 12);
    expect(cramersV(codes(a), Int32Array.from(a, () => 0))).toBeNull();
    expect(correlationRatio(codes(a), Float64Array.from(a, () => 2))).toBeNull();
    expect(correlationRatio(Int32Array.from(a, () => 0), values)).toBeNull();
  });

  it("corrected, stay near 0 between independent many-level columns where the raw values do not", () => {
    const rng = createRng(3);
    const city = Int32Array.from({ length: 4000 }, () => Math.floor(rng() * 300));
    const seg = Int32Array.from({ length: 4000 }, () => Math.floor(rng() * 12));
    const x = Float64Array.from({ length: 4000 }, () => rng());
    const v2 = cramersV(city, seg)!;
    expect(v2.raw).toBeGreaterThan(0.25); // chance alone: E[V²] ≈ 299·11 / (4000·11)
    expect(v2.corrected).toBeLessThan(0.1);
    const eta = correlationRatio(city, x)!;
    expect(eta.raw).toBeGreaterThan(0.25);
    expect(eta.corrected).toBeLessThan(0.15);
  });
});

/** 3000 rows: region, channel and a number x; `planted` makes channel follow region and x follow channel. */
function table(planted: boolean): Frame {
  const rng = createRng(11);
  const regions = ["north", "south", "east", "west"];
  const channels = ["email", "ads", "referral", "organic"];
  const cells = Array.from({ length: 3000 }, () => {
    const r = Math.floor(rng() * 4);
    const c = planted && rng() < 0.7 ? r : Math.floor(rng() * 4);
    const x = planted ? c + rng() : rng();
    const gap = <T,>(t: T): T | null => (rng() < 0.1 ? null : t);
    return { region: gap(regions[r]!), channel: gap(channels[c]!), x: gap(x) };
  });
  return {
    rows: cells.length,
    columns: [buildColumn("region", "categorical", cells.map((c) => c.region)), buildColumn("channel", "categorical", cells.map((c) => c.channel)), buildColumn("x", "numeric", cells.map((c) => c.x))],
  };
}

describe("weakMcarReason with categorical columns", () => {
  const weak = { correlation: 0.1, association: 0.15 };

  it("independent columns: categorical and numeric alike are scored on the simple policies, and the reason names the measure", () => {
    const frame = table(false);
    const channel = weakMcarReason(frame, 1, "MCAR", weak);
    expect(channel).toMatch(/bias-corrected (Cramér's V|η), with (region|x)\) < 0\.15 \(imputation\.weakAssociation\)/);
    // x has no numeric neighbour: only its η with the categories counts.
    expect(weakMcarReason(frame, 2, "MCAR", weak)).toMatch(/largest association with a categorical column is 0\.\d{3} \(bias-corrected η/);
    expect(weakMcarReason(frame, 1, "MAR", weak)).toBeNull();
    expect(weakMcarReason(frame, 1, "MCAR", { ...weak, association: 0 })).toBeNull();
  });

  it("a planted dependence keeps KNN and iterative: channel follows region, x follows channel", () => {
    const frame = table(true);
    expect(maxAssociation(frame, 0)).toMatchObject({ measure: "Cramér's V", with: "channel" });
    expect(maxAssociation(frame, 0)!.value).toBeGreaterThan(0.5);
    expect(maxAssociation(frame, 2)).toMatchObject({ measure: "η", with: "channel" });
    for (const j of [0, 1, 2]) expect(weakMcarReason(frame, j, "MCAR", weak)).toBeNull();
  });
});

describe("in the node", () => {
  /** Rows of table(planted) through the node: per column its reason (policies.json) and KNN's masked error (null: not scored). */
  async function scoredCandidates(planted: boolean): Promise<Map<string, { reason: string; knn: number | null }>> {
    const frame = table(planted);
    const [region, channel, x] = frame.columns;
    const cell = (c: Frame["columns"][number], i: number) => (c.type === "numeric" ? (Number.isNaN(c.values[i]!) ? null : c.values[i]!) : c.codes[i]! < 0 ? null : c.dictionary[c.codes[i]!]!);
    const rows: Row[] = Array.from({ length: 1200 }, (_, i) => ({ region: cell(region!, i), channel: cell(channel!, i), x: cell(x!, i), y: i % 3 === 0 ? "yes" : "no" }));
    const { state, dir } = await imputeState({ names: ["region", "channel", "x", "y"], train: rows.slice(0, 1000), test: rows.slice(1000), target: "y" });
    const update = await impute(state);
    const doc = JSON.parse(readFileSync(join(dir, "run/imputation/policies.json"), "utf8")) as { columns: { column: string; reason: string }[] };
    const report = readFileSync(join(dir, "run/imputation/report.md"), "utf8");
    rmSync(dir, { recursive: true, force: true });
    expect(report).toContain("correlation ratio η of a pair with a categorical column below 0.15");
    const columns = update.imputation && "columns" in update.imputation ? update.imputation.columns : [];
    return new Map(doc.columns.map((c) => [c.column, { reason: c.reason, knn: columns.find((s) => s.column === c.column)?.maskedError.knn ?? null }]));
  }

  it("skips KNN and iterative for independent MCAR categories and scores them for planted ones", async () => {
    const independent = await scoredCandidates(false);
    // (region reads as MNAR (suspected) on this seed: only MCAR columns are restricted.)
    for (const name of ["channel", "x"]) {
      expect(independent.get(name)?.reason).toMatch(/simple policies: MCAR and its largest association .*imputation\.weakAssociation/);
      expect(independent.get(name)?.knn).toBeNull();
    }
    const planted = await scoredCandidates(true);
    for (const name of ["region", "channel", "x"]) {
      expect(planted.get(name)?.reason).not.toMatch(/weakAssociation/);
      expect(planted.get(name)?.knn).toEqual(expect.any(Number));
    }
  });
});
