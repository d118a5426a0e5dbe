/**
 * Imputation in a bounded budget (issues 15/16): scoring on a bounded seeded sample, the early
 * stop, the final engines fitted only for the columns that take them, and the LLM imputer's
 * call budget (against the local OpenAI-compatible server, helpers/chat-server.ts).
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { setQuiet } from "../src/log.js";
import { impute } from "../src/nodes/impute.js";
import { getConfig, setAgentApiKey } from "../src/runtime.js";
import type { State } from "../src/state.js";
import { fitEngine } from "../src/stats/imputation/engines.js";
import { buildColumn, type Frame } from "../src/stats/imputation/frame.js";
import { fitIterative } from "../src/stats/imputation/iterative.js";
import { scoreColumns, type DownstreamTarget, type ScoringSettings } from "../src/stats/imputation/scoring.js";
import { createRng } from "../src/stats/random.js";
import { startChatServer, type ChatServer } from "./helpers/chat-server.js";
import { imputeState, type Row } from "./helpers/impute-state.js";

const cfg = loadConfig().imputation;
const settings = (extra: Partial<ScoringSettings> = {}): ScoringSettings => ({
  fractions: [0.1, 0.2, 0.3],
  weights: { maskedError: 0.7, downstream: 0.3 },
  engines: { knn: { ...cfg.knn, seed: 7 }, iterative: { ...cfg.iterative, trees: 4, rounds: 2, seed: 7 } },
  downstream: { trees: 5, maxDepth: 4, maxFeatures: null, validationRatio: 0.25 },
  seed: 7,
  ...extra,
});

/** a and b strongly correlated, noise independent of both; a tenth of each missing at random. */
function table(rows: number, seed: number): { frame: Frame; target: DownstreamTarget } {
  const rng = createRng(seed);
  const gap = (v: number) => (rng() < 0.1 ? null : v);
  const a = Array.from({ length: rows }, () => rng() * 4);
  const cells = a.map((v) => ({ a: gap(v), b: gap(v + 0.1 * rng()), noise: gap(rng()) }));
  const frame: Frame = {
    rows,
    columns: [buildColumn("a", "numeric", cells.map((c) => c.a)), buildColumn("b", "numeric", cells.map((c) => c.b)), buildColumn("noise", "numeric", cells.map((c) => c.noise))],
  };
  return { frame, target: { name: "y", task: "binary", labels: ["no", "yes"], values: a.map((v) => (v > 2 ? "yes" : "no")) } };
}

describe("candidate scoring in a budget", () => {
  const { frame, target } = table(400, 3);

  it("sees at most maxRows rows (a seeded sample), and makes the same choice twice", () => {
    const once = scoreColumns(frame, [0, 1, 2], target, settings({ maxRows: 120 }));
    expect(once.rows).toBe(120);
    expect(once.downstream!.fitRows + once.downstream!.validationRows).toBe(120);
    const twice = scoreColumns(frame, [0, 1, 2], target, settings({ maxRows: 120 }));
    expect(twice.columns).toEqual(once.columns);
    expect(scoreColumns(frame, [0, 1, 2], target, settings()).rows).toBe(400);
  });

  it("settles a column on the simple policies once they are within ε, and stops fitting the expensive engines when none is left open", () => {
    const run = scoreColumns(frame, [0, 1, 2], target, settings({ epsilon: 0.05 }));
    const [a, b, noise] = run.columns;
    // a and b predict each other: the expensive engines win by far, on every fraction.
    for (const c of [a!, b!]) {
      expect(c.simpleOnly).toBeNull();
      expect(["knn", "iterative"]).toContain(c.best);
      expect(c.candidates.find((x) => x.policy === "iterative")!.byFraction.every((e) => e !== null)).toBe(true);
    }
    // noise: nothing to learn; after the first fraction it is settled, KNN/iterative not scored again nor chosen.
    expect(noise!.simpleOnly).toMatchObject({ rule: "early stop", afterFractions: 1, epsilon: 0.05 });
    expect(["mean", "median"]).toContain(noise!.best);
    const iterative = noise!.candidates.find((x) => x.policy === "iterative")!;
    expect(iterative.byFraction.map((e) => e !== null)).toEqual([true, false, false]);
    expect(iterative.score).toBeNull();
    expect(run.expensiveFractions).toBe(3);
    // Only the noise column: one fraction with the expensive engines, then none.
    const alone = scoreColumns(frame, [2], target, settings({ epsilon: 0.05 }));
    expect(alone.expensiveFractions).toBe(1);
    expect(alone.downstream?.byPolicy).not.toHaveProperty("iterative");
    // Without ε nothing stops early.
    expect(scoreColumns(frame, [2], target, settings()).columns[0]!.simpleOnly).toBeNull();
  });

  it("a column the caller marks simple-only never gets KNN or iterative", () => {
    const run = scoreColumns(frame, [2], target, settings(), { simpleOnly: new Map([[2, "weak MCAR"]]) });
    expect(run.expensiveFractions).toBe(0);
    expect(run.columns[0]!.simpleOnly).toEqual({ rule: "given", reason: "weak MCAR" });
    expect(run.columns[0]!.candidates.filter((c) => c.policy === "knn" || c.policy === "iterative").every((c) => c.maskedError === null && c.score === null)).toBe(true);
  });
});

describe("the final engines", () => {
  const { frame } = table(300, 4);

  it("iterative models only the columns that take its values; the others keep their start value", () => {
    const { model, filled } = fitIterative(frame, { ...cfg.iterative, trees: 4, rounds: 2, seed: 1 }, [0], [0]);
    expect([...model.forests.keys()]).toEqual([0]);
    const mean = model.init[1]!.value;
    const b = frame.columns[1]!;
    const out = filled.columns[1]!;
    for (let i = 0; i < frame.rows; i++) if (b.type === "numeric" && Number.isNaN(b.values[i]!) && out.type === "numeric") expect(out.values[i]).toBe(mean);
  });

  it("KNN fills only its columns", () => {
    const knn = fitEngine("knn", frame, { knn: { k: 3, referenceRows: 300, seed: 1 }, iterative: { ...cfg.iterative, seed: 1 } }, [], [2]).trainFilled;
    const gaps = (f: Frame, j: number) => { const c = f.columns[j]!; return c.type === "numeric" ? c.values.filter(Number.isNaN).length : -1; };
    expect(gaps(knn, 2)).toBe(0);
    expect(gaps(knn, 0)).toBe(gaps(frame, 0));
    expect(gaps(frame, 0)).toBeGreaterThan(0);
  });

  it("in the node, policies.json names as modelled only the iterative columns", async () => {
    setQuiet(true);
    const rows: Row[] = [];
    const rng = createRng(9);
    for (let i = 0; i < 300; i++) {
      const a = rng() * 4;
      rows.push({ a: rng() < 0.15 ? null : a, b: rng() < 0.15 ? null : a + 0.1 * rng(), c: rng() < 0.15 ? null : a - rng(), y: a > 2 ? "yes" : "no" });
    }
    const { state, dir } = await imputeState({ names: ["a", "b", "c", "y"], train: rows.slice(0, 240), test: rows.slice(240), target: "y", overrides: { a: "iterative", b: "knn", c: "median" } });
    await impute(state);
    const policies = JSON.parse(readFileSync(join(dir, "run/imputation/policies.json"), "utf8")) as { engines: { iterative: { modelled: string[] } }; columns: { column: string; reason: string }[] };
    expect(policies.engines.iterative.modelled).toEqual(["a"]);
    expect(policies.columns.find((c) => c.column === "a")?.reason).toBe("your choice at the review");
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("the LLM imputer's budget", () => {
  const KEY = "sk-budget-test";
  let server: ChatServer;
  beforeAll(async () => {
    setQuiet(true);
    setAgentApiKey(KEY);
    server = await startChatServer();
  });
  afterAll(async () => {
    setAgentApiKey(null);
    await server.close();
  });

  const rowsOf = (prompt: string) => [...prompt.slice(prompt.lastIndexOf("<rows>"), prompt.lastIndexOf("</rows>")).matchAll(/^#\d+ (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
  const parityOf = (row: Record<string, unknown>) => (Number(row.n) % 2 === 0 ? "even" : "odd");

  it("stops asking when maxCalls is spent; the rest takes the scored choice, and policies.json and the report say so", async () => {
    server.reset();
    server.answer.set("impute", (messages) => JSON.stringify({ values: rowsOf(messages[0]?.content ?? "").map(parityOf) }));
    const rng = createRng(5);
    const rows: Row[] = Array.from({ length: 300 }, () => {
      const n = Math.floor(rng() * 1000);
      const x = Math.round(rng() * 1000) / 100;
      return { n, x, parity: rng() < 0.2 ? null : n % 2 === 0 ? "even" : "odd", y: x > 5 ? "high" : "low" };
    });
    const { state, dir } = await imputeState({ names: ["n", "x", "parity", "y"], train: rows.slice(0, 240), test: rows.slice(240), target: "y" });
    const options = { ...state.options, provider: "openai", agentApiBase: server.base, agentModel: "imputer-7b", coderModel: null, agentTemperature: 0 };
    const llmConfig = getConfig().imputation.llm;
    const saved = { ...llmConfig };
    // Three calls: the probe cells of the three mask fractions (14 + 13 + 13 ≤ 20 rows a call); none left to fill.
    llmConfig.maxCalls = 3;
    try {
      await impute({ ...state, options, log: [] } as unknown as State);
    } finally {
      Object.assign(llmConfig, saved);
    }
    expect(server.seen.filter((s) => s.decision === "impute")).toHaveLength(3);
    const policies = JSON.parse(readFileSync(join(dir, "run/imputation/policies.json"), "utf8")) as {
      columns: { column: string; policy: string; reason: string; fallback?: string }[];
      llmImputer: { budget: { calls: number; maxCalls: number }; filled: Record<string, { asked: number; byFallback: number; fallback: string }> };
    };
    const gaps = rows.filter((r) => r.parity === null).length;
    const parity = policies.columns.find((c) => c.column === "parity");
    expect(parity?.policy).toBe("llm");
    // The scored choice without the model (its lowest score; knn on this seed).
    const fallback = parity?.fallback ?? "";
    expect(["mode", "knn", "iterative"]).toContain(fallback);
    expect(parity?.reason).toContain(`budget (imputation.llm.maxCalls / maxTokens) ran out: ${gaps} of ${gaps} cells took the scored choice (${fallback})`);
    expect(policies.llmImputer.budget).toMatchObject({ calls: 3, maxCalls: 3 });
    expect(policies.llmImputer.filled.parity).toEqual({ asked: 0, byFallback: gaps, fallback });
    const report = readFileSync(join(dir, "run/imputation/report.md"), "utf8");
    expect(report).toMatch(/3 of 3 calls .* spent/);
    expect(report).toContain(`parity: 0 cells answered by the model, ${gaps} filled by the scored choice (${fallback}) because the budget ran out`);
    // Every gap is filled (by the scored choice), none left empty.
    for (const file of ["imputed_train.jsonl", "imputed_test.jsonl"])
      expect(readFileSync(join(dir, "run/data", file), "utf8").trim().split("\n").every((l) => (JSON.parse(l) as Row).parity !== null)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
