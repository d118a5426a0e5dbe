/**
 * Rows cross the isolate boundary as arrays with shared key lists (harness.ts). These
 * tests hold the protocol to the object semantics: key order, differing keys within a
 * batch, odd key names, and a host that rejects a malformed answer instead of trusting it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { RawRow } from "../src/rows.js";
import { checkCleanBatch, checkRenderBatch } from "../src/sandbox/validate.js";
import { sandboxOpener } from "./helpers/sandbox.js";

const { openOk, disposeAll } = sandboxOpener();
afterEach(disposeAll);

describe("rows as arrays", () => {
  it("keeps every row's own keys, in order, when rows of one batch differ", async () => {
    const sandbox = await openOk(`
      function clean(row) { const out = {}; for (const k of Object.keys(row).reverse()) out[k] = row[k]; return out; }
      function render(row) { return { instruction: "i", input: Object.keys(row).join("|"), output: String(Object.keys(row).length) }; }`);
    const rows: RawRow[] = [{ a: "1", b: null }, { b: "2", a: "3" }, { c: "x" }, {}, { a: "4", b: "5" }];
    const outcome = await sandbox.prep(rows);
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.cleaned.map((row) => Object.keys(row ?? {}))).toEqual([["b", "a"], ["a", "b"], ["c"], [], ["b", "a"]]);
    expect(outcome.cleaned).toEqual([{ b: null, a: "1" }, { a: "3", b: "2" }, { c: "x" }, {}, { b: "5", a: "4" }]);
    expect(outcome.rendered.map((r) => r.input)).toEqual(["b|a", "a|b", "c", "", "b|a"]);
  });

  it("carries odd column names (quotes, newlines, constructor, __proto__ on the way in) as plain keys", async () => {
    const sandbox = await openOk(`
      function clean(row) { return { names: Object.keys(row).join(","), proto: Object.getPrototypeOf(row) === Object.prototype, odd: row['say "hi"\\n'] }; }
      function render(row) { return { instruction: "", input: row.names, output: "" }; }`);
    const row: Record<string, string | null> = JSON.parse('{"say \\"hi\\"\\n":"yes","constructor":"c","__proto__":"p"}');
    const outcome = await sandbox.clean([row]);
    expect(outcome).toEqual({ ok: true, rows: [{ names: 'say "hi"\n,constructor,__proto__', proto: true, odd: "yes" }] });
  });
});

describe("cells under a header", () => {
  it("clean and render the same as row objects, and name a failing row by its values", async () => {
    const sandbox = await openOk(`
      function clean(row) { if (row.x === "boom") throw new Error("bad x"); return row.x === null ? null : { x: row.x, y: row['a "b"'] }; }
      function render(row) { return { instruction: "i", input: row.x + "/" + row.y, output: "o" }; }`);
    const header = ["x", 'a "b"'];
    const cells = [["1", "p"], [null, "q"], ["3", null]];
    const rows: RawRow[] = cells.map(([x, y]) => ({ x: x ?? null, 'a "b"': y ?? null }));
    expect(await sandbox.prepCells(header, cells)).toEqual(await sandbox.prep(rows));
    expect(await sandbox.cleanCells(header, cells)).toEqual(await sandbox.clean(rows));
    expect(await sandbox.prepCells(header, [["1", "p"], ["boom", "z"]])).toMatchObject({
      ok: false,
      op: "clean",
      rowIndex: 1,
      row: { x: "boom", 'a "b"': "z" },
      error: expect.stringMatching(/bad x/),
    });
  });
});

describe("host checks of a clean answer", () => {
  it("builds rows from key lists and values", () => {
    expect(checkCleanBatch([["a", "b"]], [[0, 1, "x"], null, [0, true, null]])).toEqual({ ok: true, rows: [{ a: 1, b: "x" }, null, { a: true, b: null }] });
  });

  it("rejects a bad shape index, a wrong value count, a repeated or reserved key, and values JSON scalars are not", () => {
    const bad = (shapes: unknown[], rows: unknown[]) => {
      const checked = checkCleanBatch(shapes, rows);
      return checked.ok ? "accepted" : checked.error;
    };
    expect(bad([["a"]], [[1, "x"]])).toMatch(/wrong shape/);
    expect(bad([["a"]], [[0, "x", "y"]])).toMatch(/wrong shape/);
    expect(bad([["a"]], [["0", "x"]])).toMatch(/wrong shape/);
    expect(bad([["a", "a"]], [])).toMatch(/"a" twice/);
    expect(bad([["__proto__"]], [])).toMatch(/"__proto__", which is not allowed/);
    expect(bad([["__tabtune_unsupported__"]], [])).toMatch(/reserves/);
    expect(bad([[1]], [])).toMatch(/not a string/);
    expect(bad([["a"]], [[0, { nested: 1 }]])).toMatch(/an object for "a"/);
    expect(bad([["a"]], [[0, [1]]])).toMatch(/an array for "a"/);
    expect(bad([["a"]], [[0, { __tabtune_unsupported__: "NaN" }]])).toMatch(/NaN for "a"/);
  });

  it("rejects a render answer that is not three strings", () => {
    expect(checkRenderBatch([["i", "in", "out"]])).toEqual({ ok: true, rows: [{ instruction: "i", input: "in", output: "out" }] });
    for (const value of [["i", "in"], ["i", "in", 3], { instruction: "i", input: "in", output: "o" }, null])
      expect(checkRenderBatch([value]).ok).toBe(false);
  });
});
