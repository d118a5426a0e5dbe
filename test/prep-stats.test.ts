import { describe, expect, it } from "vitest";
import { rowMultiplicity } from "../src/stats/balance.js";
import { fitMedian, fitMode } from "../src/stats/impute.js";
import { testMask } from "../src/stats/split.js";

describe("testMask", () => {
  const labels = [...Array(80).fill("a"), ...Array(20).fill("b")] as string[];

  it("takes round(n·ratio) of each class when stratified", () => {
    const mask = testMask(labels, 0.3, 7, true);
    const test = (label: string) => labels.filter((l, i) => l === label && mask[i]).length;
    expect(test("a")).toBe(24);
    expect(test("b")).toBe(6);
  });

  it("is deterministic for a seed and differs across seeds", () => {
    expect(Array.from(testMask(labels, 0.2, 1, true))).toEqual(Array.from(testMask(labels, 0.2, 1, true)));
    expect(Array.from(testMask(labels, 0.2, 1, true))).not.toEqual(Array.from(testMask(labels, 0.2, 2, true)));
  });

  it("keeps a rare class on both sides", () => {
    const rare = ["x", "x", ...Array(50).fill("y")] as string[];
    const mask = testMask(rare, 0.1, 3, true);
    expect(rare.filter((l, i) => l === "x" && mask[i]).length).toBe(1);
  });

  it("ignores labels when not stratified", () => {
    const mask = testMask(labels, 0.25, 3, false);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(25);
  });
});

describe("rowMultiplicity", () => {
  const labels = ["a", "a", "a", "a", "b"];

  it("oversamples every class up to the largest", () => {
    const copies = rowMultiplicity(labels, "oversample", 1);
    expect(copies[4]).toBe(4);
    expect(Array.from(copies.slice(0, 4))).toEqual([1, 1, 1, 1]);
  });

  it("undersamples every class down to the smallest", () => {
    const copies = rowMultiplicity(labels, "undersample", 1);
    expect(copies.slice(0, 4).reduce((a, b) => a + b, 0)).toBe(1);
    expect(copies[4]).toBe(1);
  });

  it("leaves rows alone with none", () => {
    expect(Array.from(rowMultiplicity(labels, "none", 1))).toEqual([1, 1, 1, 1, 1]);
  });
});

describe("imputers", () => {
  it("median of observed values", () => {
    expect(fitMedian([3, null, 1, 2])).toBe(2);
    expect(fitMedian([null, null])).toBeNull();
  });
  it("mode with a deterministic tie-break", () => {
    expect(fitMode(["b", "a", null, "b", "a"])).toBe("a");
    expect(fitMode(["z", "z", "a"])).toBe("z");
    expect(fitMode([null])).toBeNull();
  });
});
