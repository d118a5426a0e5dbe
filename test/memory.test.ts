import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { collectGarbage, thenCollect } from "../src/memory.js";

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
});
