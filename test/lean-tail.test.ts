/**
 * The evaluate/report tail's typed statistics (issue 16): the ROC curve results.json keeps,
 * the snapshot and the column collector fed row by row instead of rows kept as objects.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { downsamplePr, downsampleRoc, rocPoints, type RocPoint } from "../src/report/roc.js";
import { precisionRecallPoints, type PrPoint } from "../src/stats/calibration.js";
import { ColumnCollector, readColumns } from "../src/report/row-columns.js";
import { rowsSnapshot, SnapshotCollector } from "../src/report/snapshot.js";
import type { CleanRow } from "../src/rows.js";
import { binaryAuc } from "../src/stats/kernel.js";
import { createRng } from "../src/stats/random.js";
import { tempDir } from "./helpers/cli.js";

/** The curve's tpr at `fpr`, read off the polyline through `points` (sorted by fpr; the highest at a vertical step). */
function tprAt(points: RocPoint[], fpr: number): number {
  let best = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    if (fpr < a.fpr || fpr > b.fpr) continue;
    best = Math.max(best, b.fpr === a.fpr ? b.tpr : a.tpr + ((b.tpr - a.tpr) * (fpr - a.fpr)) / (b.fpr - a.fpr));
  }
  return best;
}

describe("downsampleRoc", () => {
  const rng = createRng(4);
  const n = 20_000;
  const positive = Array.from({ length: n }, () => rng() < 0.3);
  const scores = positive.map((p) => (p ? 0.6 : 0.4) + (rng() - 0.5) * 0.8);
  const full = rocPoints(positive, scores);

  it("keeps at most 200 points from (0,0) to (1,1), in the curve's order, within 2/200 of the full curve", () => {
    expect(full.length).toBeGreaterThan(10_000);
    const kept = downsampleRoc(full);
    expect(kept.length).toBeLessThanOrEqual(200);
    expect(kept[0]).toEqual({ fpr: 0, tpr: 0 });
    expect(kept[kept.length - 1]).toEqual({ fpr: 1, tpr: 1 });
    for (let i = 1; i < kept.length; i++) {
      expect(kept[i]!.fpr).toBeGreaterThanOrEqual(kept[i - 1]!.fpr);
      expect(kept[i]!.tpr).toBeGreaterThanOrEqual(kept[i - 1]!.tpr);
    }
    // Every kept point is a point of the full curve.
    const all = new Set(full.map((p) => `${p.fpr},${p.tpr}`));
    expect(kept.every((p) => all.has(`${p.fpr},${p.tpr}`))).toBe(true);
    for (let f = 0; f <= 1; f += 0.01) expect(Math.abs(tprAt(kept, f) - tprAt(full, f))).toBeLessThan(2 / 200);
    // The area under the thinned polyline stays within 0.005 of the AUC of every score.
    let area = 0;
    for (let i = 1; i < kept.length; i++) area += ((kept[i]!.fpr - kept[i - 1]!.fpr) * (kept[i]!.tpr + kept[i - 1]!.tpr)) / 2;
    const auc = binaryAuc(
      scores.filter((_, i) => positive[i]),
      scores.filter((_, i) => !positive[i]),
    );
    expect(Math.abs(area - auc)).toBeLessThan(0.005);
  });

  it("returns a short curve as it is and refuses a bound under 2", () => {
    const short = rocPoints([true, false, true], [0.9, 0.2, 0.4]);
    expect(downsampleRoc(short)).toBe(short);
    expect(downsampleRoc(full, 2)).toEqual([full[0], full[full.length - 1]]);
    expect(() => downsampleRoc(full, 1)).toThrow(RangeError);
  });
});

/** The curve's precision at `recall`, read off the step-before line through `points` (recall rising): the precision of the first point at or past it. */
function precisionAt(points: PrPoint[], recall: number): number {
  return (points.find((p) => p.recall >= recall) ?? points[points.length - 1]!).precision;
}

describe("downsamplePr", () => {
  const rng = createRng(5);
  const n = 20_000;
  const positive = Array.from({ length: n }, () => rng() < 0.25);
  const scores = positive.map((p) => (p ? 0.6 : 0.4) + (rng() - 0.5) * 0.8);
  const full = precisionRecallPoints(positive, scores);

  it("keeps at most 200 points of the full curve, first and last included, in order, close to it where the curve is smooth", () => {
    expect(full.length).toBeGreaterThan(10_000);
    const kept = downsamplePr(full);
    expect(kept.length).toBeLessThanOrEqual(200);
    expect(kept.length).toBeGreaterThan(150);
    expect(kept[0]).toEqual(full[0]);
    expect(kept[kept.length - 1]).toEqual(full[full.length - 1]);
    const index = new Map(full.map((p, i) => [p, i]));
    for (let i = 1; i < kept.length; i++) expect(index.get(kept[i]!)!).toBeGreaterThan(index.get(kept[i - 1]!)!);
    // Past the first 5% of recall (where each row moves precision a lot) the thinned line reads within 0.02 of the full one.
    for (let r = 0.05; r <= 1; r += 0.01) expect(Math.abs(precisionAt(kept, r) - precisionAt(full, r))).toBeLessThan(0.02);
  });

  it("returns a short curve as it is and refuses a bound under 2", () => {
    const short = precisionRecallPoints([true, false, true], [0.9, 0.2, 0.4]);
    expect(downsamplePr(short)).toBe(short);
    expect(downsamplePr(full, 2)).toEqual([full[0], full[full.length - 1]]);
    expect(() => downsamplePr(full, 1)).toThrow(RangeError);
  });
});

/** Rows with a number column, a column that turns to text after 700 numbers, a category and missing cells. */
function rows(): CleanRow[] {
  const rng = createRng(8);
  return Array.from({ length: 1500 }, (_, i) => ({
    x: i % 11 === 0 ? null : Math.round(rng() * 1e4) / 100,
    mixed: i === 700 ? "n/a" : i % 13 === 0 ? "" : Math.floor(rng() * 5),
    city: ["Oslo", "Lima", "Pune"][Math.floor(rng() * 3)]!,
  }));
}

describe("SnapshotCollector", () => {
  it("gives the numeric summary, and counts a column as text from its first non-number on, as counting every value", async () => {
    const data = rows();
    const path = join(tempDir(), "rows.jsonl");
    writeFileSync(path, data.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const collector = new SnapshotCollector();
    for (const r of data) collector.add(r);
    const snap = collector.finish();
    expect(await rowsSnapshot(path)).toEqual(snap);
    expect(snap.rows).toBe(1500);

    const xs = data.map((r) => r.x).filter((v): v is number => typeof v === "number").sort((a, b) => a - b);
    const x = snap.columns.get("x")!;
    expect(x.missingRate).toBeCloseTo(data.filter((r) => r.x === null).length / 1500, 15);
    expect(x.numeric?.min).toBe(xs[0]);
    expect(x.numeric?.max).toBe(xs[xs.length - 1]);
    expect(x.numeric?.mean).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 10);
    const mid = Math.floor(xs.length / 2);
    expect(x.numeric?.median).toBe(xs.length % 2 ? xs[mid] : (xs[mid - 1]! + xs[mid]!) / 2);

    // mixed: every present value counted as its text, shares of the present values.
    const present = data.map((r) => r.mixed).filter((v) => v !== "");
    const counts = new Map<string, number>();
    for (const v of present) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([value, k]) => ({ value, share: k / present.length }));
    expect(snap.columns.get("mixed")).toEqual({ missingRate: (1500 - present.length) / 1500, numeric: null, top });
    expect(snap.columns.get("city")?.top.map((t) => t.value).sort()).toEqual(["Lima", "Oslo", "Pune"]);
  });
});

describe("ColumnCollector and readColumns", () => {
  it("collect numbers as a Float64Array (NaN where missing or not a number) and categories as counts, the same from a file", async () => {
    const data = rows();
    const spec = { numeric: ["x", "mixed"], categorical: ["city", "mixed"] };
    const collector = new ColumnCollector(spec);
    for (const r of data) collector.add(r);
    const columns = collector.finish();
    const path = join(tempDir(), "rows.jsonl");
    writeFileSync(path, data.map((r) => JSON.stringify(r)).join("\n") + "\n");
    expect(await readColumns(path, spec)).toEqual(columns);
    expect(columns.rows).toBe(1500);
    const x = columns.numeric.get("x")!;
    expect(x).toBeInstanceOf(Float64Array);
    expect(Array.from(x, (v) => (Number.isNaN(v) ? null : v))).toEqual(data.map((r) => r.x));
    expect(Number.isNaN(columns.numeric.get("mixed")![700]!)).toBe(true); // "n/a"
    expect(Number.isNaN(columns.numeric.get("mixed")![13]!)).toBe(true); // ""
    const mixedCounts = columns.categorical.get("mixed")!;
    expect(mixedCounts.get("missing")).toBe(data.filter((r) => r.mixed === "").length);
    expect([...columns.categorical.get("city")!.values()].reduce((a, b) => a + b, 0)).toBe(1500);
  });
});
