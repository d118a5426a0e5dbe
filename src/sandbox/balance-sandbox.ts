/**
 * Runs a generated `scripts/balance_data.js` in its own V8 isolate (isolated-vm), with
 * the same boundary as the prep sandbox: only JSON text crosses, nothing of the host is
 * reachable, and failures come back as values.
 *
 * Contract: `function balance(records, ctx)` gets every cleaned training row (plain
 * objects, the target under `ctx.target`) and a deep-frozen `ctx`; it returns an array
 * of row indices. A row listed k times is written k times (0 times: dropped). The test
 * rows never reach it. Inside, `Math.random` is seeded with `ctx.seed` and the clock is
 * fixed (HARDEN_SOURCE in isolate-globals.ts); messages leave as one printable line.
 */
import ivm from "isolated-vm";
import { ISOLATE_COMMON_SOURCE } from "./isolate-globals.js";
import type { CleanRow } from "../rows.js";
import { clip, describeFailure, errorText, outward, sandboxSetting, type SandboxLimits } from "./limits.js";

/** What a balance script may read besides the rows. */
export interface BalanceContext {
  target: string;
  task: "binary" | "multiclass";
  /** Raw target value → label text. */
  labels: Record<string, string>;
  strategy: "oversample" | "undersample";
  seed: number;
  /** Rows per raw target value, before balancing. */
  counts: Record<string, number>;
  /** The plan's balancing advice, for an LLM-written script. */
  advice: string;
}

/** Indices of the rows to write, or why there are none. */
export type BalanceOutcome = { ok: true; indices: number[] } | { ok: false; error: string };

/** Evaluates to `entry(op, payload, extra)`; see the module comment. Kept as text so no build step rewrites it. */
const BALANCE_PRELUDE = `(function () {
  "use strict";
${ISOLATE_COMMON_SOURCE}
  const isInteger = Number.isInteger;
  let fn = null;
  let ctx = null;
  let maxIndices = 0;

  function fail(message) {
    return stringify({ ok: false, error: message });
  }

  function run(recordsJson) {
    const records = parse(recordsJson);
    const n = records.length;
    let result;
    startStream("balance", null, null, 0, 0);
    try {
      result = fn(records, ctx);
    } catch (error) {
      return fail("balance threw " + describe(error));
    }
    if (!isArray(result)) return fail("balance returned " + (result === null ? "null" : typeof result) + "; expected an array of row indices");
    const length = result.length;
    if (!(length <= maxIndices)) return fail("balance returned " + length + " indices, more than the " + maxIndices + " allowed for " + n + " rows");
    const indices = [];
    for (let i = 0; i < length; i++) {
      const value = result[i];
      if (typeof value !== "number" || !isInteger(value) || value < 0 || value >= n) {
        return fail("balance returned " + (typeof value === "number" ? StringCtor(value) : "a " + typeof value) + " at position " + i + "; expected an integer row index from 0 to " + (n - 1));
      }
      indices[i] = value;
    }
    return stringify({ ok: true, indices: indices });
  }

  return function entry(op, payload, extra) {
    if (op === "configure") return fn === null ? configure(payload, extra) : "already bound";
    if (op === "bind") {
      if (typeof payload !== "function") return "the script must define a top-level function balance(records, ctx)";
      fn = payload;
      ctx = deepFreeze(parse(extra));
      return "";
    }
    if (fn === null) return fail("the script is not loaded");
    maxIndices = extra;
    return run(payload);
  };
})()`;

/** Largest answer text accepted from the isolate, per allowed index. */
const CHARS_PER_INDEX = 12;

/**
 * Loads `code` in a fresh isolate, runs `balance(rows, ctx)` once, and checks the answer
 * on the host: at most `maxGrowth × rows` indices, each an integer row index, and every
 * class keeps at least one row. The isolate is disposed before this returns.
 */
export async function runBalanceScript(
  code: string,
  rows: readonly CleanRow[],
  ctx: BalanceContext,
  limits: SandboxLimits & { maxGrowth: number },
): Promise<BalanceOutcome> {
  const outcome = await runInIsolate(code, rows, ctx, limits);
  return outcome.ok ? outcome : { ok: false, error: outward(outcome.error) };
}

async function runInIsolate(code: string, rows: readonly CleanRow[], ctx: BalanceContext, limits: SandboxLimits & { maxGrowth: number }): Promise<BalanceOutcome> {
  const setting = sandboxSetting(ctx.seed, limits.clockMs);
  if (!setting.ok) return setting;
  let isolate: ivm.Isolate;
  try {
    isolate = new ivm.Isolate({ memoryLimit: limits.memoryLimitMb });
  } catch (error) {
    return { ok: false, error: `the sandbox could not start: ${errorText(error)}` };
  }
  const timeout = limits.batchTimeoutMs;
  const maxIndices = Math.max(1, Math.floor(limits.maxGrowth * rows.length));
  try {
    const context = await isolate.createContext();
    const prelude = await isolate.compileScript(BALANCE_PRELUDE, { filename: "tabtune-balance-harness.js" });
    const entry: ivm.Reference<(op: string, payload: unknown, extra: unknown) => string> = await prelude.run(context, { reference: true, timeout });
    await entry.apply(undefined, ["configure", setting.seed, setting.clockMs], { timeout });
    let script: ivm.Script;
    try {
      script = await isolate.compileScript(code, { filename: "balance_data.js" });
    } catch (error) {
      return { ok: false, error: `the script does not compile: ${errorText(error)}` };
    }
    try {
      await script.run(context, { timeout });
    } catch (error) {
      return { ok: false, error: `the script ${describeFailure(error, isolate, limits, "while loading")}` };
    }
    const bind = await isolate.compileScript(`typeof balance === "function" ? balance : undefined`, { filename: "tabtune-balance-bind.js" });
    const fn = await bind.run(context, { reference: true, timeout });
    const missing: unknown = await entry.apply(undefined, ["bind", fn.derefInto(), JSON.stringify(ctx)], { timeout });
    fn.release();
    if (missing !== "") return { ok: false, error: typeof missing === "string" ? missing : "the script did not load" };
    let text: unknown;
    try {
      text = await entry.apply(undefined, ["run", JSON.stringify(rows), maxIndices], { timeout });
    } catch (error) {
      return { ok: false, error: `balance ${describeFailure(error, isolate, limits, `over ${rows.length} rows`)}` };
    }
    return checkAnswer(text, rows, ctx.target, maxIndices);
  } catch (error) {
    return { ok: false, error: `the sandbox failed: ${describeFailure(error, isolate, limits, "while loading")}` };
  } finally {
    if (!isolate.isDisposed) isolate.dispose();
  }
}

/** The harness's answer is untrusted text: parse it and check every index again. */
function checkAnswer(text: unknown, rows: readonly CleanRow[], target: string, maxIndices: number): BalanceOutcome {
  if (typeof text !== "string") return { ok: false, error: "the sandbox answered something other than text" };
  if (text.length > maxIndices * CHARS_PER_INDEX + 256) return { ok: false, error: `the sandbox answered ${text.length} characters, more than allowed` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: "the sandbox answered text that is not JSON" };
  }
  if (typeof parsed !== "object" || parsed === null) return { ok: false, error: "the sandbox answered JSON that is not an object" };
  const answer = parsed as { ok?: unknown; error?: unknown; indices?: unknown };
  if (answer.ok === false && typeof answer.error === "string") return { ok: false, error: clip(answer.error) };
  if (answer.ok !== true || !Array.isArray(answer.indices)) return { ok: false, error: "the sandbox answered an envelope of the wrong shape" };
  const indices: number[] = answer.indices;
  if (indices.length > maxIndices) return { ok: false, error: `balance returned ${indices.length} indices, more than the ${maxIndices} allowed` };
  for (const value of indices) {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= rows.length) return { ok: false, error: `balance returned an invalid row index ${String(value)}` };
  }
  const kept = new Set(indices.map((i) => String(rows[i]?.[target])));
  const lost = [...new Set(rows.map((r) => String(r[target])))].filter((label) => !kept.has(label)).sort();
  if (lost.length > 0) return { ok: false, error: `balance kept no row of class ${lost.map((l) => JSON.stringify(l)).join(", ")}; every class must keep at least one row` };
  return { ok: true, indices };
}
