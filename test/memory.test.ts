import { getHeapStatistics } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { collectGarbage, collectIfExternalAbove, thenCollect } from "../src/memory.js";

describe("collectGarbage between row-sized steps", () => {
  it("frees what nothing references, and leaves no gc global to contexts made later (the sandbox's)", async () => {
    let dropped: object | null = { rows: new Float64Array(1 << 20) };
    const ref = new WeakRef(dropped);
    dropped = null;
    // A WeakRef target is kept until the current job ends: collect in a later one.
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
    expect(runInNewContext("typeof gc")).toBe("undefined");
  });

  it("thenCollect answers the step's result and rethrows its error", async () => {
    const step = thenCollect(async (x: number) => x * 2);
    await expect(step(21)).resolves.toBe(42);
    const failing = thenCollect(async () => {
      throw new Error("step failed");
    });
    await expect(failing()).rejects.toThrow("step failed");
  });

  it("collectIfExternalAbove collects only past its bound, and then frees the external memory nothing references", async () => {
    collectGarbage();
    const before = getHeapStatistics().external_memory;
    let garbage: Buffer[] | null = Array.from({ length: 4 }, () => Buffer.alloc(32 << 20, 1));
    expect(getHeapStatistics().external_memory).toBeGreaterThanOrEqual(before + (128 << 20));
    garbage = null;
    expect(garbage).toBeNull();
    expect(collectIfExternalAbove(before + (512 << 20))).toBe(false);
    expect(getHeapStatistics().external_memory).toBeGreaterThanOrEqual(before + (128 << 20));
    expect(collectIfExternalAbove(before + (64 << 20))).toBe(true);
    // V8 releases array buffers' memory in a later collection (their sweep finishes after the first): a loop calling it after each batch gets there.
    for (let tries = 0; tries < 20 && collectIfExternalAbove(before + (64 << 20)); tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(getHeapStatistics().external_memory).toBeLessThan(before + (16 << 20));
  });
});
