/**
 * The sandbox against real isolated-vm: correct scripts, broken scripts, and scripts
 * that try to escape, loop, exhaust memory, or smuggle objects back to the host.
 */
import { types } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { PrepSandbox, type SandboxLimits } from "../src/sandbox/sandbox.js";

const LIMITS: SandboxLimits = { memoryLimitMb: 64, batchTimeoutMs: 2000 };

const GOOD_SCRIPT = `
function clean(row, ctx) {
  if (row.age === null || row.age === "") return null;
  const age = Number(row.age);
  return { age: age, city: row.city.trim(), adult: age >= ctx.adultAge };
}
function render(row, ctx) {
  return {
    instruction: ctx.instruction,
    input: "Age: " + row.age + ", city: " + row.city,
    output: ctx.labels[String(row.adult)],
  };
}
`;

const GOOD_CTX = { adultAge: 18, instruction: "Is this person an adult?", labels: { true: "adult", false: "minor" } };

/** Sandboxes opened by a test, disposed after it. */
const opened: PrepSandbox[] = [];

/** Opens a script that must load; fails the test otherwise. */
async function openOk(code: string, ctx: unknown = GOOD_CTX, limits: SandboxLimits = LIMITS): Promise<PrepSandbox> {
  const outcome = await PrepSandbox.open(code, ctx, limits);
  if (!outcome.ok) throw new Error(`expected the script to load: ${outcome.error}`);
  opened.push(outcome.sandbox);
  return outcome.sandbox;
}

/** A script whose render is a pass-through, for tests about clean. */
function cleanOnly(cleanBody: string): string {
  return `function clean(row, ctx) { ${cleanBody} }\nfunction render(row) { return { instruction: "", input: "", output: "" }; }`;
}

afterEach(() => {
  for (const sandbox of opened.splice(0)) sandbox.dispose();
});

describe("PrepSandbox with a correct script", () => {
  it("cleans, drops and renders rows", async () => {
    const sandbox = await openOk(GOOD_SCRIPT);
    const cleaned = await sandbox.clean([
      { age: "34", city: " Oslo " },
      { age: null, city: "Rome" },
      { age: "12", city: "Lima" },
    ]);
    expect(cleaned).toEqual({
      ok: true,
      rows: [{ age: 34, city: "Oslo", adult: true }, null, { age: 12, city: "Lima", adult: false }],
    });
    const rendered = await sandbox.render([{ age: 34, city: "Oslo", adult: true }]);
    expect(rendered).toEqual({
      ok: true,
      rows: [{ instruction: "Is this person an adult?", input: "Age: 34, city: Oslo", output: "adult" }],
    });
  });

  it("accepts const/arrow definitions and a console call", async () => {
    const sandbox = await openOk(`
      const clean = (row) => { console.log("cleaning", row); return { a: row.a }; };
      const render = (row) => ({ instruction: "i", input: String(row.a), output: "o" });
    `);
    expect(await sandbox.clean([{ a: "x" }])).toEqual({ ok: true, rows: [{ a: "x" }] });
  });

  it("handles an empty batch", async () => {
    const sandbox = await openOk(GOOD_SCRIPT);
    expect(await sandbox.clean([])).toEqual({ ok: true, rows: [] });
  });
});

describe("PrepSandbox.open with a broken script", () => {
  it("reports a syntax error", async () => {
    const outcome = await PrepSandbox.open("function clean(row) { return {;", {}, LIMITS);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error).toMatch(/does not compile: SyntaxError/);
  });

  it("reports a missing render", async () => {
    const outcome = await PrepSandbox.open("function clean(row) { return row; }", {}, LIMITS);
    expect(outcome).toEqual({ ok: false, error: expect.stringMatching(/missing: render$/) });
  });

  it("reports a script that throws or loops while loading", async () => {
    const throws = await PrepSandbox.open(`${GOOD_SCRIPT}\nundefinedThing();`, {}, LIMITS);
    expect(throws).toEqual({ ok: false, error: expect.stringMatching(/failed while loading: ReferenceError/) });
    const loops = await PrepSandbox.open(`${GOOD_SCRIPT}\nwhile (true) {}`, {}, { ...LIMITS, batchTimeoutMs: 200 });
    expect(loops).toEqual({ ok: false, error: expect.stringMatching(/timed out after 200 ms while loading/) });
  });
});

describe("PrepSandbox failures in a batch", () => {
  it("stops at the first row that throws, with its index and values", async () => {
    const sandbox = await openOk(cleanOnly(`if (row.x === "bad") throw new TypeError("cannot parse " + row.x); return { x: row.x };`));
    const outcome = await sandbox.clean([{ x: "a" }, { x: "bad" }, { x: "bad" }]);
    expect(outcome).toEqual({ ok: false, error: "clean: TypeError: cannot parse bad", rowIndex: 1, row: { x: "bad" } });
  });

  it("times out an endless loop and stays usable", async () => {
    const sandbox = await openOk(cleanOnly(`while (row.loop === "yes") {} return { ok: true };`), {}, { ...LIMITS, batchTimeoutMs: 300 });
    const outcome = await sandbox.clean([{ loop: "no" }, { loop: "yes" }]);
    expect(outcome).toEqual({ ok: false, rowIndex: null, row: null, error: expect.stringMatching(/timed out after 300 ms in batch/) });
    expect(await sandbox.clean([{ loop: "no" }])).toEqual({ ok: true, rows: [{ ok: true }] });
  });

  it("reports an allocation bomb as a memory failure and stays closed", async () => {
    const limits = { memoryLimitMb: 32, batchTimeoutMs: 10_000 };
    const sandbox = await openOk(cleanOnly(`const a = []; while (true) a.push(new Array(1e6).fill(1.5));`), {}, limits);
    const outcome = await sandbox.clean([{ x: "1" }]);
    expect(outcome).toEqual({ ok: false, rowIndex: null, row: null, error: expect.stringMatching(/exceeded the 32 MB memory limit/) });
    const later = await sandbox.render([{ x: "1" }]);
    expect(later).toEqual({ ok: false, rowIndex: null, row: null, error: expect.stringMatching(/closed because it exceeded/) });
    sandbox.dispose();
    // The host is fine and can open another sandbox.
    const fresh = await openOk(GOOD_SCRIPT);
    expect((await fresh.clean([{ age: "20", city: "Kyiv" }])).ok).toBe(true);
  });

  it("rejects a result larger than the per-row limit", async () => {
    const sandbox = await openOk(cleanOnly(`return { big: "x".repeat(5 * 1024 * 1024) };`));
    const outcome = await sandbox.clean([{ x: "1" }]);
    expect(outcome).toMatchObject({ ok: false, rowIndex: 0, error: expect.stringMatching(/RangeError: clean returned \d+ characters/) });
  });

  it("fails as a value after dispose, and dispose is idempotent", async () => {
    const sandbox = await openOk(GOOD_SCRIPT);
    sandbox.dispose();
    sandbox.dispose();
    expect(await sandbox.clean([{ age: "1", city: "x" }])).toEqual({
      ok: false,
      rowIndex: null,
      row: null,
      error: expect.stringMatching(/disposed/),
    });
  });
});

describe("PrepSandbox output checks", () => {
  it("rejects NaN in clean output, naming the key", async () => {
    const sandbox = await openOk(cleanOnly(`return { name: "a", age: Number(row.age) };`));
    const outcome = await sandbox.clean([{ age: "3" }, { age: "three" }]);
    expect(outcome).toEqual({ ok: false, rowIndex: 1, row: { age: "three" }, error: expect.stringMatching(/NaN for "age"/) });
  });

  it("rejects nested values, undefined and async clean", async () => {
    const nested = await openOk(cleanOnly(`return { tags: [1, 2] };`));
    expect(await nested.clean([{}])).toMatchObject({ ok: false, error: expect.stringMatching(/an array for "tags"/) });
    const missing = await openOk(cleanOnly(`return { a: undefined };`));
    expect(await missing.clean([{}])).toMatchObject({ ok: false, error: expect.stringMatching(/undefined for "a"/) });
    const nothing = await openOk(cleanOnly(`row.x = 1;`));
    expect(await nothing.clean([{}])).toMatchObject({ ok: false, error: expect.stringMatching(/clean returned undefined/) });
    const asyncClean = await openOk(`async function clean(row) { return row; }\nfunction render() {}`);
    expect(await asyncClean.clean([{}])).toMatchObject({ ok: false, error: expect.stringMatching(/Promise/) });
  });

  it("rejects render output with an extra or missing key", async () => {
    const extra = await openOk(`function clean(row) { return row; }
      function render(row) { return { instruction: "i", input: "x", output: "o", label: "o" }; }`);
    expect(await extra.render([{ a: 1 }])).toEqual({
      ok: false,
      rowIndex: 0,
      row: { a: 1 },
      error: expect.stringMatching(/extra key "label"/),
    });
    const missing = await openOk(`function clean(row) { return row; }
      function render(row) { return { instruction: "i", input: "x" }; }`);
    expect(await missing.render([{ a: 1 }])).toMatchObject({ ok: false, error: expect.stringMatching(/did not return "output"/) });
    const numeric = await openOk(`function clean(row) { return row; }
      function render(row) { return { instruction: "i", input: "x", output: 1 }; }`);
    expect(await numeric.render([{ a: 1 }])).toMatchObject({ ok: false, error: expect.stringMatching(/a number for "output"/) });
  });
});

describe("PrepSandbox containment", () => {
  it("exposes no require, process, fetch or host globals", async () => {
    const sandbox = await openOk(cleanOnly(`
      return {
        require: typeof require,
        process: typeof process,
        fetch: typeof fetch,
        Buffer: typeof Buffer,
        setTimeout: typeof setTimeout,
      };`));
    expect(await sandbox.clean([{}])).toEqual({
      ok: true,
      rows: [{ require: "undefined", process: "undefined", fetch: "undefined", Buffer: "undefined", setTimeout: "undefined" }],
    });
  });

  it("contains Function-constructor escapes", async () => {
    const sandbox = await openOk(cleanOnly(`
      function attempt(f) { try { return typeof f(); } catch (e) { return "threw " + e.name; } }
      return {
        viaConstructor: attempt(() => globalThis.constructor.constructor("return process")()),
        viaFunction: attempt(() => Function("return this")().process),
        viaRequire: attempt(() => Function("return require")()("fs")),
      };`));
    expect(await sandbox.clean([{}])).toEqual({
      ok: true,
      rows: [{ viaConstructor: "threw ReferenceError", viaFunction: "undefined", viaRequire: "threw ReferenceError" }],
    });
  });

  it("refuses dynamic import()", async () => {
    const sandbox = await openOk(`
      var imported = "pending";
      function clean(row) {
        if (row.start) {
          import("node:fs").then((m) => { imported = "loaded " + typeof m.readFileSync; }, (e) => { imported = "rejected"; });
        }
        return { imported: imported };
      }
      function render() { return { instruction: "", input: "", output: "" }; }`);
    await sandbox.clean([{ start: "yes" }]);
    expect(await sandbox.clean([{}])).toEqual({ ok: true, rows: [{ imported: "rejected" }] });
  });

  it("returns getters and Proxies as plain copies, never live objects", async () => {
    const sandbox = await openOk(cleanOnly(`
      if (row.kind === "getter") return { get a() { return "from getter"; } };
      if (row.kind === "throwing") return { get a() { throw new Error("boom"); } };
      return new Proxy({}, {
        ownKeys: () => ["a"],
        getOwnPropertyDescriptor: () => ({ value: "from proxy", enumerable: true, configurable: true }),
        get: () => "from proxy",
      });`));
    const outcome = await sandbox.clean([{ kind: "getter" }, { kind: "proxy" }]);
    expect(outcome).toEqual({ ok: true, rows: [{ a: "from getter" }, { a: "from proxy" }] });
    if (!outcome.ok) return;
    for (const row of outcome.rows) {
      expect(types.isProxy(row)).toBe(false);
      expect(Object.getOwnPropertyDescriptor(row, "a")).toHaveProperty("value");
    }
    expect(await sandbox.clean([{ kind: "throwing" }])).toMatchObject({ ok: false, rowIndex: 0, error: "clean: Error: boom" });
  });

  it("does not let a __proto__ key or prototype changes reach the host", async () => {
    const sandbox = await openOk(`
      function clean(row) {
        Object.prototype.polluted = "yes";
        return JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}');
      }
      function render() { return JSON.parse('{"instruction": "", "input": "", "output": "", "__proto__": {"polluted": "yes"}}'); }`);
    const cleaned = await sandbox.clean([{}]);
    expect(cleaned).toMatchObject({ ok: false, rowIndex: 0, error: expect.stringMatching(/"__proto__"/) });
    const rendered = await sandbox.render([{}]);
    expect(rendered).toMatchObject({ ok: false, rowIndex: 0, error: expect.stringMatching(/extra key "__proto__"/) });
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("keeps ctx frozen so mutations do not carry over between rows", async () => {
    const sloppy = await openOk(
      cleanOnly(`ctx.count = (ctx.count || 0) + 1; ctx.labels.yes = "changed"; return { count: ctx.count ?? null, yes: ctx.labels.yes };`),
      { labels: { yes: "Yes" } },
    );
    const expected = { count: null, yes: "Yes" };
    expect(await sloppy.clean([{}, {}])).toEqual({ ok: true, rows: [expected, expected] });
    expect(await sloppy.clean([{}])).toEqual({ ok: true, rows: [expected] });

    const strict = await openOk(`"use strict";\n${cleanOnly(`ctx.labels.yes = "changed"; return {};`)}`, { labels: { yes: "Yes" } });
    expect(await strict.clean([{}])).toMatchObject({ ok: false, rowIndex: 0, error: expect.stringMatching(/^clean: TypeError: /) });
  });
});
