import { describe, expect, it } from "vitest";
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
