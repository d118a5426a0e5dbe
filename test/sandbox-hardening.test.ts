/**
 * Issue 12, point 8: hostile prep and balance scripts are contained. No WebAssembly (or
 * other memory outside the isolate's limit: resizable or shared buffers), host RSS stays
 * bounded; a seeded Math.random and a fixed clock make the output reproducible; and what
 * generated code throws reaches a terminal as one line without control characters,
 * through `tabtune apply` as a child process too.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { sandboxContext, writePrepSidecar } from "../src/codegen/sidecar.js";
import { runBalanceScript, type BalanceContext } from "../src/sandbox/balance-sandbox.js";
import { DEFAULT_SANDBOX_CLOCK_MS } from "../src/sandbox/isolate-globals.js";
import { printable } from "../src/printable.js";
import type { AlpacaRecord, RawRow } from "../src/rows.js";
import { PrepSandbox, type SandboxLimits } from "../src/sandbox/sandbox.js";
import type { ColumnProfile, Plan } from "../src/schemas.js";
import { runCli, tempDir } from "./helpers/cli.js";

const LIMITS: SandboxLimits = { memoryLimitMb: 64, batchTimeoutMs: 5000 };
const MB = 1024 * 1024;
/** How much host RSS one contained attack may add; every attack below tries for 1 GiB or more. */
const RSS_BUDGET = 200 * MB;
const opened: PrepSandbox[] = [];

afterEach(() => {
  for (const sandbox of opened.splice(0)) sandbox.dispose();
});

const RENDER = `function render(row) { return { instruction: "i", input: JSON.stringify(row), output: "o" }; }`;

/** A script whose clean runs `body` and returns what it returns (or the row). */
function cleanRunning(body: string, prelude = ""): string {
  return `${prelude}\nfunction clean(row, ctx) { ${body}\n return row; }\n${RENDER}`;
}

async function openOk(code: string, limits: SandboxLimits = LIMITS): Promise<PrepSandbox> {
  const outcome = await PrepSandbox.open(code, {}, limits);
  if (!outcome.ok) throw new Error(`expected the script to load: ${outcome.error}`);
  opened.push(outcome.sandbox);
  return outcome.sandbox;
}

/** The one row clean returned. */
async function cleanOne(sandbox: PrepSandbox, row: RawRow = { a: "1" }): Promise<unknown> {
  const outcome = await sandbox.clean([row]);
  if (!outcome.ok) throw new Error(`expected clean to succeed: ${outcome.error}`);
  return outcome.rows[0];
}

/** Runs `attack` and expects host RSS to grow by less than RSS_BUDGET. */
async function withinRss<T>(attack: () => Promise<T>): Promise<T> {
  const before = process.memoryUsage().rss;
  const result = await attack();
  const grown = process.memoryUsage().rss - before;
  expect(grown, `host RSS grew by ${Math.round(grown / MB)} MB`).toBeLessThan(RSS_BUDGET);
  return result;
}

/** No terminal control character at all: what printable guarantees. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The same, allowing the newline that ends a line of output. */
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("printable", () => {
  it("shows control characters as escapes and keeps the rest", () => {
    expect(printable("ok\n\x1b[2Kdone")).toBe("ok\\n\\x1b[2Kdone");
    expect(printable("a\r\tb\x07\x00\x7f")).toBe("a\\r\\tb\\x07\\x00\\x7f");
    expect(printable("\x9b31m\x9d0;t\x9c")).toBe("\\x9b31m\\x9d0;t\\x9c");
    expect(printable("abc\u202Edcba\u2028x")).toBe("abc\\u202edcba\\u2028x");
    expect(printable("Größe: 3 € — 日本")).toBe("Größe: 3 € — 日本");
  });

  it("is idempotent and leaves one line", () => {
    const hostile = "line1\nline2\r\n\x1b]0;title\x07\x1b[1A\x1b[2K✔ applied OK\u0085";
    const once = printable(hostile);
    expect(printable(once)).toBe(once);
    expect(once).not.toMatch(CONTROL);
    expect(once.split("\n")).toHaveLength(1);
  });
});

describe("memory outside the isolate's limit", () => {
  it("WebAssembly.Memory growth fails with a clear error; host RSS stays bounded; the sandbox goes on", async () => {
    const sandbox = await openOk(
      cleanRunning(`if (row.evil) {
        const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
        memory.grow(16384);
        const bytes = new Uint8Array(memory.buffer);
        for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
      }`),
    );
    const outcome = await withinRss(() => sandbox.clean([{ evil: null }, { evil: "yes" }]));
    expect(outcome).toMatchObject({ ok: false, rowIndex: 1 });
    if (outcome.ok) return;
    expect(outcome.error).toBe(
      "clean: ReferenceError: WebAssembly is not defined (WebAssembly is not available in the tabtune sandbox: its memory or timing escapes the limits)",
    );
    expect(await cleanOne(sandbox, { evil: null })).toEqual({ evil: null });
  });

  it("WebAssembly is gone at load time too, and from every path to the global object", async () => {
    const atLoad = await withinRss(() => PrepSandbox.open(`new WebAssembly.Memory({ initial: 1, maximum: 65536 }).grow(16384);\n${cleanRunning("")}`, {}, LIMITS));
    expect(atLoad).toEqual({ ok: false, error: expect.stringMatching(/^the script failed while loading: ReferenceError: WebAssembly is not defined \(WebAssembly is not available/) });
    const sandbox = await openOk(
      cleanRunning(`return {
        typeofIt: typeof WebAssembly,
        viaGlobalThis: String(globalThis.WebAssembly),
        viaFunction: String(Function("return this")().WebAssembly),
        viaIndirectEval: String((0, eval)("this").WebAssembly),
        viaProto: String(Object.getPrototypeOf(globalThis).WebAssembly),
        ownName: Reflect.ownKeys(globalThis).some((k) => String(k).includes("WebAssembly") || String(k) === "SharedArrayBuffer"),
        shared: typeof SharedArrayBuffer,
        weak: typeof WeakRef + " " + typeof FinalizationRegistry,
      };`),
    );
    expect(await cleanOne(sandbox)).toEqual({
      typeofIt: "undefined",
      viaGlobalThis: "undefined",
      viaFunction: "undefined",
      viaIndirectEval: "undefined",
      viaProto: "undefined",
      ownName: false,
      shared: "undefined",
      weak: "undefined undefined",
    });
  });

  it("a script cannot put WebAssembly back by deleting or redefining what replaced it", async () => {
    const sandbox = await openOk(
      cleanRunning(`
        delete globalThis.ArrayBuffer; delete Math.random; delete globalThis.Date;
        return { wasm: typeof WebAssembly, random: typeof Math.random, date: typeof Date };`),
    );
    expect(await cleanOne(sandbox)).toEqual({ wasm: "undefined", random: "undefined", date: "undefined" });
  });

  it("resizable ArrayBuffers are refused through every constructor path; plain buffers work", async () => {
    const attacks = [
      "new ArrayBuffer(2 ** 30, { maxByteLength: 2 ** 30 })",
      "new (new Uint8Array(1).buffer.constructor)(2 ** 30, { maxByteLength: 2 ** 30 })",
      "new (Object.getPrototypeOf(new DataView(new ArrayBuffer(1)).buffer).constructor)(2 ** 30, { maxByteLength: 2 ** 30 })",
      "Reflect.construct(ArrayBuffer.prototype.constructor, [2 ** 30, { maxByteLength: 2 ** 30 }])",
      "new (class Big extends ArrayBuffer {})(2 ** 30, { maxByteLength: 2 ** 30 })",
    ];
    const code = cleanRunning(`
      const attacks = [${attacks.map((a) => `() => ${a}`).join(", ")}];
      const refused = attacks.map((attack) => { try { const b = attack(); new Uint8Array(b).fill(1); return "allowed " + b.byteLength; } catch (e) { return e.name + ": " + e.message; } });
      const plain = new ArrayBuffer(8);
      class Sub extends ArrayBuffer {}
      return {
        refused: refused.join(" | "),
        resize: typeof ArrayBuffer.prototype.resize,
        plain: plain.byteLength + " " + (plain instanceof ArrayBuffer) + " " + ArrayBuffer.isView(new Uint8Array(plain)) + " " + new Sub(4).byteLength + " " + plain.slice(2).byteLength,
      };`);
    const sandbox = await openOk(code);
    const row = await withinRss(() => cleanOne(sandbox));
    const refused = "TypeError: resizable ArrayBuffers (maxByteLength) are not available in the tabtune sandbox";
    expect(row).toEqual({ refused: attacks.map(() => refused).join(" | "), resize: "undefined", plain: "8 true true 4 6" });
  });

  it("the balance sandbox has no WebAssembly either", async () => {
    const out = await withinRss(() =>
      runBalanceScript(
        "function balance(records, ctx) { new WebAssembly.Memory({ initial: 1, maximum: 65536 }).grow(16384); return [0, 1]; }",
        [{ y: "a" }, { y: "b" }],
        balanceCtx(1),
        { ...LIMITS, maxGrowth: 3 },
      ),
    );
    expect(out).toEqual({ ok: false, error: expect.stringMatching(/^balance threw ReferenceError: WebAssembly is not defined \(WebAssembly is not available/) });
  });
});

function balanceCtx(seed: number): BalanceContext {
  return { target: "y", task: "binary", labels: { a: "A", b: "B" }, strategy: "oversample", seed, counts: { a: 5, b: 5 }, advice: "" };
}

describe("messages from generated code", () => {
  const FAKE = "boom\n\x1b[1A\x1b[2K\r\x1b[32m✔ applied OK — checks all passed\x1b[0m\x1b]0;pwned\x07\x9b2J\u202e";

  function expectInert(error: string): void {
    expect(error).not.toMatch(CONTROL);
    expect(error).toContain("boom\\n\\x1b[1A\\x1b[2K\\r\\x1b[32m✔ applied OK — checks all passed\\x1b[0m\\x1b]0;pwned\\x07\\x9b2J\\u202e");
  }

  it("an error thrown in clean, render or at load time arrives as one escaped line", async () => {
    const thrower = `throw new Error(${JSON.stringify(FAKE)});`;
    const inClean = await (await openOk(cleanRunning(thrower))).clean([{ a: "1" }]);
    expect(inClean.ok).toBe(false);
    if (!inClean.ok) expectInert(inClean.error);
    const inPrep = await (await openOk(`function clean(row) { return row; }\nfunction render() { ${thrower} }`)).prep([{ a: "1" }]);
    expect(inPrep).toMatchObject({ ok: false, op: "render" });
    if (!inPrep.ok) expectInert(inPrep.error);
    const atLoad = await PrepSandbox.open(`${thrower}\n${cleanRunning("")}`, {}, LIMITS);
    expect(atLoad.ok).toBe(false);
    if (!atLoad.ok) expectInert(atLoad.error);
  });

  it("a thrown string, an error's name and a key echoed in a message are escaped too", async () => {
    const sandbox = await openOk(`function clean(row) {
      if (row.a === "1") throw ${JSON.stringify(FAKE)};
      if (row.a === "2") { const e = new Error("x"); e.name = ${JSON.stringify(FAKE)}; throw e; }
      return { [${JSON.stringify(FAKE)}]: NaN };
    }\n${RENDER}`);
    for (const a of ["1", "2", "3"]) {
      const outcome = await sandbox.clean([{ a }]);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expectInert(outcome.error);
    }
  });

  it("a message thrown by balance is escaped", async () => {
    const out = await runBalanceScript(`function balance() { throw new Error(${JSON.stringify(FAKE)}); }`, [{ y: "a" }], balanceCtx(1), { ...LIMITS, maxGrowth: 3 });
    expect(out.ok).toBe(false);
    if (!out.ok) expectInert(out.error);
  });

  it("a syntax error naming hostile text is escaped", async () => {
    const error = await PrepSandbox.checkSyntax("let x = 1 a\u200db;", LIMITS);
    expect(error).toMatch(/^the script does not compile: SyntaxError: Unexpected identifier 'a\\u200db'/);
  });
});

/** clean and render that read the clock and Math.random at load and per row. */
const NOISY = `const atLoad = Math.random();
function clean(row) {
  return { ...row, r: Math.random(), r2: Math.random(), now: Date.now(), iso: new Date().toISOString(), str: Date(), fmt: new Intl.DateTimeFormat("en-US", { timeZone: "UTC", dateStyle: "long" }).format(), load: atLoad };
}
function render(row) {
  return { instruction: "i", input: row.id + " " + Math.random(), output: String(row.r) };
}`;

const ROWS: RawRow[] = [{ id: "1" }, { id: "2" }, { id: "3" }, { id: "4" }];

async function noisyRun(limits: SandboxLimits, rows: RawRow[] = ROWS) {
  const sandbox = await openOk(NOISY, limits);
  const outcome = await sandbox.prep(rows);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome;
}

describe("reproducible output", () => {
  it("the same seed gives the same cleaned rows and records; another seed other random numbers", async () => {
    const first = await noisyRun({ ...LIMITS, seed: 42 });
    const again = await noisyRun({ ...LIMITS, seed: 42 });
    const other = await noisyRun({ ...LIMITS, seed: 43 });
    expect(again).toEqual(first);
    expect(other.cleaned.map((r) => r?.r)).not.toEqual(first.cleaned.map((r) => r?.r));
    const values = first.cleaned.map((r) => r?.r);
    expect(new Set(values).size).toBe(ROWS.length);
    for (const v of values) expect(v).toSatisfy((x: unknown) => typeof x === "number" && x >= 0 && x < 1);
    expect(first.cleaned[0]?.r).not.toBe(first.cleaned[0]?.r2);
  });

  it("the clock shows a fixed instant (DEFAULT_SANDBOX_CLOCK_MS, or the one given)", async () => {
    const { cleaned } = await noisyRun(LIMITS);
    expect(cleaned[0]).toMatchObject({
      now: DEFAULT_SANDBOX_CLOCK_MS,
      iso: "2025-01-01T00:00:00.000Z",
      fmt: "January 1, 2025",
    });
    expect(String(cleaned[0]?.str)).toMatch(/2025|2024/);
    const given = await noisyRun({ ...LIMITS, clockMs: Date.UTC(2020, 5, 15) });
    expect(given.cleaned[0]).toMatchObject({ now: Date.UTC(2020, 5, 15), iso: "2020-06-15T00:00:00.000Z" });
    const sandbox = await openOk(
      cleanRunning(`return {
        viaConstructor: new (new Date(5).constructor)().getTime(),
        viaProto: Object.getPrototypeOf(new Date(5)).constructor.now(),
        fromValue: new Date(86400000).toISOString(),
        utc: Date.UTC(2000, 0, 1),
        parsed: Date.parse("2001-02-03T04:05:06Z"),
        isDate: new Date() instanceof Date,
      };`),
    );
    expect(await cleanOne(sandbox)).toEqual({
      viaConstructor: DEFAULT_SANDBOX_CLOCK_MS,
      viaProto: DEFAULT_SANDBOX_CLOCK_MS,
      fromValue: "1970-01-02T00:00:00.000Z",
      utc: Date.UTC(2000, 0, 1),
      parsed: Date.parse("2001-02-03T04:05:06Z"),
      isDate: true,
    });
  });

  it("a row's random numbers do not depend on its batch, its position or the clean/prep path", async () => {
    const whole = await noisyRun({ ...LIMITS, seed: 7 });
    const reversed = await noisyRun({ ...LIMITS, seed: 7 }, [...ROWS].reverse());
    expect(reversed.cleaned.map((r) => r?.r).reverse()).toEqual(whole.cleaned.map((r) => r?.r));
    expect(reversed.rendered.map((r) => r.input).reverse()).toEqual(whole.rendered.map((r) => r.input));
    const sandbox = await openOk(NOISY, { ...LIMITS, seed: 7 });
    const alone = await sandbox.clean([ROWS[2] ?? {}]);
    expect(alone).toEqual({ ok: true, rows: [whole.cleaned[2]] });
    const rendered = await sandbox.render(whole.cleaned.flatMap((r) => (r === null ? [] : [r])));
    expect(rendered).toEqual({ ok: true, rows: whole.rendered });
  });

  it("balance's Math.random is seeded by ctx.seed", async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ y: i % 2 === 0 ? "a" : "b" }));
    const code = "function balance(records) { return records.map((_, i) => i).filter((i) => i < 2 || Math.random() < 0.5); }";
    const limits = { ...LIMITS, maxGrowth: 3 };
    const first = await runBalanceScript(code, rows, balanceCtx(7), limits);
    const again = await runBalanceScript(code, rows, balanceCtx(7), limits);
    const other = await runBalanceScript(code, rows, balanceCtx(8), limits);
    expect(first.ok).toBe(true);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it("refuses a seed that is not an integer", async () => {
    expect(await PrepSandbox.open(NOISY, {}, { ...LIMITS, seed: 1.5 })).toEqual({ ok: false, error: "the sandbox seed must be an integer, not 1.5" });
  });
});

describe("tabtune apply with a hostile script", () => {
  let dir = "";
  let csv = "";
  const plan: Plan = {
    instruction: "Is it good?",
    target: "quality",
    task: "binary",
    labels: { "0": "bad", "1": "good" },
    features: ["size"],
    dropped: [],
    rowFormat: "sentences",
    cleaning: [],
    balancing: { strategy: "none", advice: "" },
    imputation: [],
  };
  const size: ColumnProfile = { name: "size", index: 0, kind: "numeric", missing: 0, missingRate: 0, distinct: 4, topValues: [{ value: "1", count: 1 }], numeric: { min: 1, max: 4, mean: 2.5, median: 2.5, std: 1, q1: 2, q3: 3, outliers: 0 } };
  const quality: ColumnProfile = { name: "quality", index: 1, kind: "categorical", missing: 0, missingRate: 0, distinct: 2, topValues: [{ value: "0", count: 2 }], numeric: null };

  /** A script in its own folder with the ctx file apply needs. */
  function script(name: string, code: string): string {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true });
    const path = join(folder, "prepare_data.js");
    writeFileSync(path, code);
    writePrepSidecar(path, { planVersion: 1, attempt: 1, ctx: sandboxContext(plan, { columns: [size, quality] }) });
    return path;
  }

  beforeAll(() => {
    dir = tempDir("tabtune-hardening-");
    csv = join(dir, "new.csv");
    writeFileSync(csv, "size,quality\n1,0\n2,1\n3,0\n4,1\n");
  });

  it("an error message faking success reaches the terminal as one escaped line, exit 1", () => {
    const fake = "\n\x1b[1A\x1b[2K\r\x1b[32mapplied OK\n  checks   records, shape: all passed\x1b[0m\x1b]0;pwned\x07";
    const path = script("fake", `function clean(row) { if (row.size === "3") throw new Error(${JSON.stringify(fake)}); return row; }
function render(row) { return { instruction: "Is it good?", input: "The size is " + row.size + ".", output: row.quality === "1" ? "good" : "bad" }; }`);
    const run = runCli(["apply", "--script", path, "--csv", csv, "--out", join(dir, "fake.json")]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toMatch(CONTROL_BUT_NEWLINE);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*new\.csv line 4 \(data row 3\): clean: Error: \\n\\x1b\[1A\\x1b\[2K\\r\\x1b\[32mapplied OK\\n {2}checks/);
  });

  it("WebAssembly memory growth at load time fails apply with a clear line, nothing raw on the terminal", () => {
    const path = script("wasm", `const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
memory.grow(32768);
new Uint8Array(memory.buffer).fill(1);
function clean(row) { return row; }
function render(row) { return { instruction: "i", input: "x", output: "bad" }; }`);
    const run = runCli(["apply", "--script", path, "--csv", csv, "--out", join(dir, "wasm.json")]);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toMatch(CONTROL_BUT_NEWLINE);
    expect(run.stderr.trim()).toMatch(/^error: .*prepare_data\.js: the script failed while loading: ReferenceError: WebAssembly is not defined \(WebAssembly is not available in the tabtune sandbox/);
  });

  it("records that use Math.random and the clock are the ones the same script gives in-process", async () => {
    const code = `function clean(row) { return { size: row.size, quality: row.quality, noise: Math.random(), at: new Date().toISOString() }; }
function render(row) { return { instruction: "Is it good?", input: "The size is " + row.size + ", noise " + row.noise + " at " + row.at + ", " + Math.random(), output: row.quality === "1" ? "good" : "bad" }; }`;
    const path = script("noisy", code);
    const out = join(dir, "noisy.json");
    const run = runCli(["apply", "--script", path, "--csv", csv, "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const records = JSON.parse(readFileSync(out, "utf8")) as AlpacaRecord[];
    const sandbox = await openOk(code, LIMITS);
    const expected = await sandbox.prep([
      { size: "1", quality: "0" },
      { size: "2", quality: "1" },
      { size: "3", quality: "0" },
      { size: "4", quality: "1" },
    ]);
    expect(expected.ok).toBe(true);
    if (expected.ok) expect(records).toEqual(expected.rendered);
    expect(records[0]?.input).toMatch(/^The size is 1, noise 0\.\d+ at 2025-01-01T00:00:00\.000Z, 0\.\d+$/);
  });
});
