/**
 * scripts/balance_data.js: the heuristic template and LLM-written scripts run in their own
 * isolate; hostile or broken scripts are contained and reported as values; a model's failed
 * try is retried with its error, then the template balances.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { balanceTemplate } from "../src/codegen/balance-template.js";
import { writeAndRunBalance } from "../src/codegen/balance-coder.js";
import { loadConfig } from "../src/config.js";
import { createDecider } from "../src/llm/index.js";
import { runBalanceScript, type BalanceContext } from "../src/sandbox/balance-sandbox.js";
import type { CleanRow } from "../src/rows.js";
import { readTable } from "../src/table/columns.js";
import { profileTable } from "../src/table/profile.js";
import { heuristicPlan } from "../src/planning/heuristic-plan.js";
import { detectTarget } from "../src/table/target.js";
import { startChatServer, type ChatServer } from "./helpers/chat-server.js";

const config = loadConfig();
const limits = { memoryLimitMb: 64, batchTimeoutMs: 1000, maxGrowth: 10 };

/** 8 rows of class "a", 2 of class "b". */
const rows: CleanRow[] = Array.from({ length: 10 }, (_, i) => ({ x: i, y: i < 8 ? "a" : "b" }));
const ctx = (strategy: BalanceContext["strategy"], seed = 3): BalanceContext => ({
  target: "y",
  task: "binary",
  labels: { a: "A", b: "B" },
  strategy,
  seed,
  counts: { a: 8, b: 2 },
  advice: "imbalanced",
});

function classCounts(indices: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of indices) counts[String(rows[i]?.y)] = (counts[String(rows[i]?.y)] ?? 0) + 1;
  return counts;
}

describe("the balance template", () => {
  it("oversamples every class to the largest, keeping every original row once", async () => {
    const out = await runBalanceScript(balanceTemplate("oversample", 1), rows, ctx("oversample"), limits);
    if (!out.ok) throw new Error(out.error);
    expect(classCounts(out.indices)).toEqual({ a: 8, b: 8 });
    for (let i = 0; i < 8; i++) expect(out.indices.filter((j) => j === i)).toHaveLength(1);
  });

  it("undersamples every class to the smallest, the same rows for the same seed", async () => {
    const first = await runBalanceScript(balanceTemplate("undersample", 1), rows, ctx("undersample", 7), limits);
    const again = await runBalanceScript(balanceTemplate("undersample", 1), rows, ctx("undersample", 7), limits);
    if (!first.ok || !again.ok) throw new Error("template failed");
    expect(classCounts(first.indices)).toEqual({ a: 2, b: 2 });
    expect(again.indices).toEqual(first.indices);
    expect(new Set(first.indices).size).toBe(4);
  });
});

describe("a balance script that misbehaves is contained", () => {
  const cases: [string, string, RegExp][] = [
    ["reaches for require", "function balance(r, c) { return require('fs').readdirSync('/'); }", /ReferenceError: require is not defined/],
    ["reaches for process", "function balance(r, c) { process.exit(1); }", /ReferenceError: process is not defined/],
    ["escapes through the constructor chain", "function balance(r, c) { return globalThis.constructor.constructor('return process')().env; }", /process is not defined/],
    ["loops forever", "function balance(r, c) { while (true) {} }", /timed out after 1000 ms/],
    ["allocates without bound", "function balance(r, c) { const a = []; for (;;) a.push(new Array(1e6).fill(1)); }", /memory limit|disposed/],
    ["changes ctx", "function balance(r, c) { 'use strict'; c.seed = 1; return [0, 9]; }", /TypeError: Cannot assign to read only property 'seed'/],
    ["answers an index out of range", "function balance(r, c) { return [0, 8, 10]; }", /balance returned 10 at position 2; expected an integer row index from 0 to 9/],
    ["answers a fraction", "function balance(r, c) { return [0, 8.5]; }", /balance returned 8.5 at position 1/],
    ["answers a getter that throws", "function balance(r, c) { const a = [0, 8]; Object.defineProperty(a, 1, { get() { throw new Error('gotcha'); } }); return a; }", /gotcha/],
    ["answers a Proxy", "function balance(r, c) { return new Proxy([0, 8], { get(t, k) { return k === 'length' ? 1e9 : 0; } }); }", /1000000000 indices, more than the 100 allowed/],
    ["answers no array", "function balance(r, c) { return { 0: 1 }; }", /expected an array of row indices/],
    ["drops a class", "function balance(r, c) { return [0, 1, 2]; }", /kept no row of class "b"/],
    ["defines no balance", "function balanced(r, c) { return []; }", /must define a top-level function balance/],
    ["does not compile", "function balance(r, c) { return [0, 8 }", /does not compile: SyntaxError/],
  ];
  for (const [what, code, message] of cases) {
    it(`when it ${what}`, async () => {
      const out = await runBalanceScript(code, rows, ctx("oversample"), limits);
      expect(out.ok).toBe(false);
      if (!out.ok) expect(out.error).toMatch(message);
    });
  }

  it("and the next script runs normally after one that failed", async () => {
    await runBalanceScript("function balance(r, c) { while (true) {} }", rows, ctx("oversample"), limits);
    const out = await runBalanceScript(balanceTemplate("oversample", 1), rows, ctx("oversample"), limits);
    expect(out.ok).toBe(true);
  });
});

describe("an LLM-written balance script", () => {
  let server: ChatServer;
  beforeAll(async () => {
    server = await startChatServer();
  });
  afterAll(async () => server.close());

  async function inputs() {
    const table = await readTable("test/fixtures/penguins.csv", config.csv);
    const profile = profileTable(table, config.profile, []);
    const target = detectTarget(profile, config.profile, "Species");
    const plan = heuristicPlan({ profile, target, targetCounts: { Adelie: 152, Gentoo: 124, Chinstrap: 68 }, selectedFeatures: null, config });
    const decider = createDecider(
      { provider: "openai", agentApiBase: server.base, agentModel: "agent", coderModel: "coder", agentTemperature: 0.2 },
      config,
      { apiKey: "sk-balance-test", sleep: async () => undefined },
    );
    return { plan, profile, decider };
  }

  it("is used when it works; a failed try is retried with its error and code", async () => {
    server.reset();
    const broken = "function balance(records, ctx) { return records.map((r, i) => i).concat([records.length]); }";
    const working = "function balance(records, ctx) { const out = records.map((r, i) => i); out.push(8, 9); return out; }";
    server.script.balance.push({ content: "```js\n" + broken + "\n```" }, { content: working });
    const { plan, profile, decider } = await inputs();
    const result = await writeAndRunBalance({ rows, ctx: ctx("oversample"), plan, profile, decider, config });
    expect(result.writer).toBe("openai:coder");
    expect(result.attempts).toBe(2);
    expect(result.failures).toEqual([expect.stringMatching(/^attempt 1 \(openai:coder\): balance returned 10 at position 10/)]);
    expect(result.indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 9]);
    expect(result.code).toMatch(/^\/\/ scripts\/balance_data.js — written by tabtune \(openai:coder\)\n\/\/ strategy oversample, attempt 2/);
    const retry = server.seen.filter((s) => s.decision === "balance")[1]?.messages[0]?.content ?? "";
    expect(retry).toContain(broken);
    expect(retry).toContain("balance returned 10 at position 10");
  });

  it("falls back to the template after the model's last failed try", async () => {
    server.reset();
    for (let i = 0; i < config.codegen.maxTries; i++) server.script.balance.push({ content: "function balance(records, ctx) { return []; }" });
    const { plan, profile, decider } = await inputs();
    const result = await writeAndRunBalance({ rows, ctx: ctx("oversample"), plan, profile, decider, config });
    expect(result.writer).toBe("heuristic");
    expect(result.failures).toHaveLength(config.codegen.maxTries);
    expect(result.attempts).toBe(config.codegen.maxTries + 1);
    expect(classCounts(result.indices)).toEqual({ a: 8, b: 8 });
  });
});
