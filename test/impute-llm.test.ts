/**
 * The LLM imputer in the impute node, against the local OpenAI-compatible server
 * (helpers/chat-server.ts). The scripted "model" reads the rows of each prompt and answers
 * by a rule the forests cannot learn (the parity of an integer column), so when it is
 * chosen it is because it measured better on the same masked cells, not by fiat.
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJsonLines } from "../src/artifacts.js";
import { loadConfig } from "../src/config.js";
import { setQuiet } from "../src/log.js";
import { impute } from "../src/nodes/impute.js";
import { setAgentApiKey } from "../src/runtime.js";
import type { State } from "../src/state.js";
import { buildColumn, maskCells, type Frame } from "../src/stats/imputation/frame.js";
import type { ImputePolicy } from "../src/stats/imputation/policies.js";
import { scoreColumns, type ScoringSettings } from "../src/stats/imputation/scoring.js";
import { createRng } from "../src/stats/random.js";
import { startChatServer, type ChatServer } from "./helpers/chat-server.js";
import { imputeState, type Row } from "./helpers/impute-state.js";

const KEY = "sk-impute-test";
let server: ChatServer;
const dirs: string[] = [];

beforeAll(async () => {
  setQuiet(true);
  setAgentApiKey(KEY);
  server = await startChatServer();
});
afterAll(async () => {
  setAgentApiKey(null);
  await server.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The "#n {json}" lines of one <section> of the impute prompt. */
function section(prompt: string, tag: "examples" | "rows"): Record<string, unknown>[] {
  const body = prompt.slice(prompt.lastIndexOf(`<${tag}>`), prompt.lastIndexOf(`</${tag}>`));
  return [...body.matchAll(/^#\d+ (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
}

/** The impute requests the server received; the first message is the question. */
const asked = () => server.seen.filter((s) => s.decision === "impute").map((s) => s.messages);
const question = (messages: { content: string }[]) => messages[0]?.content ?? "";
const parityOf = (row: Record<string, unknown>) => (Number(row.n) % 2 === 0 ? "even" : "odd");

/** id: a key; n: an integer; parity of n, a fifth missing; x: noise; y: the target. */
function table(rows: number, seed: number): Row[] {
  const rng = createRng(seed);
  return Array.from({ length: rows }, (_, i) => {
    const n = Math.floor(rng() * 1000);
    const x = Math.round(rng() * 1000) / 100;
    return { id: `ID-${String(i).padStart(5, "0")}`, n, x, parity: rng() < 0.2 ? null : n % 2 === 0 ? "even" : "odd", y: x > 5 ? "high" : "low" };
  });
}

const rows = table(300, 5);
const train = rows.slice(0, 240);
const test = rows.slice(240);
const gaps = rows.filter((r) => r.parity === null).length;

async function run(provider: "openai" | "heuristic", overrides: Record<string, ImputePolicy> = {}): Promise<{ state: State; dir: string }> {
  const { state, dir } = await imputeState({ names: ["id", "n", "x", "parity", "y"], train, test, target: "y", overrides });
  dirs.push(dir);
  // The plan keeps the key as a feature on purpose: its kind alone must keep it out.
  const profile = { columns: state.profile!.columns.map((c) => (c.name === "id" ? { ...c, kind: "identifier" } : c)) };
  const options = { ...state.options, provider, agentApiBase: server.base, agentModel: "imputer-7b", coderModel: null, agentTemperature: 0 };
  const withModel = { ...state, profile, options, log: [] } as unknown as State;
  const update = await impute(withModel);
  return { state: { ...withModel, ...update } as unknown as State, dir };
}

async function lines(path: string): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of readJsonLines<Row>(path)) out.push(row);
  return out;
}

type LlmSummary = { model: string; calls: number; fellBack: number; scored: Record<string, { cells: number; llm: number; sameCells: Record<string, number> } | null> };
const policiesOf = (dir: string) => JSON.parse(readFileSync(join(dir, "run/imputation/policies.json"), "utf8")) as { llmImputer: LlmSummary | null };

describe("probe cells (scoring.ts)", () => {
  const cfg = loadConfig().imputation;
  const settings: ScoringSettings = {
    fractions: cfg.maskFractions,
    weights: { maskedError: 1, downstream: 0 },
    engines: { knn: { ...cfg.knn, seed: 42 }, iterative: { ...cfg.iterative, seed: 42 } },
    downstream: { trees: 5, maxDepth: 4, maxFeatures: null, validationRatio: 0.25 },
    seed: 42,
  };
  // n is the row number, so a probed row can be traced back to the mask.
  const frame: Frame = {
    rows: train.length,
    columns: [
      buildColumn("n", "numeric", train.map((_, i) => i)),
      buildColumn("x", "numeric", train.map((r) => r.x)),
      buildColumn("parity", "categorical", train.map((r) => r.parity)),
    ],
  };

  it("are a bounded share of the very cells hidden to score the candidates, and change no score", () => {
    const plain = scoreColumns(frame, [2], null, settings);
    const probed = scoreColumns(frame, [2], null, settings, { probe: { columns: [2], maxCells: 40, examples: 10 } });
    expect(probed.columns).toEqual(plain.columns);
    expect(plain.probes.size).toBe(0);
    const probes = probed.probes.get(2) ?? [];
    expect(probes.map((p) => p.truth.length)).toEqual([14, 13, 13]);
    probes.forEach((probe, f) => {
      const { hidden } = maskCells(frame, [2], settings.fractions[f]!, settings.seed + 1000 * (f + 1));
      const n = probe.rows.columns[0]!;
      const rows = n.type === "numeric" ? [...n.values] : [];
      expect(rows).toHaveLength(probe.truth.length);
      expect(rows.every((i) => hidden.get(2)!.includes(i))).toBe(true);
      const parity = probe.rows.columns[2]!;
      expect(parity.type === "categorical" && [...parity.codes].every((c) => c === -1)).toBe(true); // shown as the engines saw them
      expect(probe.truth).toEqual(rows.map((i) => train[i]!.parity));
      const examples = probe.examples.columns[2]!;
      expect(probe.examples.rows).toBe(10);
      expect(examples.type === "categorical" && [...examples.codes].every((c) => c >= 0)).toBe(true); // observed in the mask
      expect(Object.keys(probe.errors).sort()).toEqual(["iterative", "knn", "mode"]);
    });
  });
});

describe("the LLM imputer", () => {
  it("is scored on the masked cells, chosen when it measures best there, and fills both splits with its answers", async () => {
    server.reset();
    server.answer.set("impute", (messages) => JSON.stringify({ values: section(question(messages), "rows").map(parityOf) }));
    const { state, dir } = await run("openai");
    const parity = state.imputation?.columns.find((c) => c.column === "parity");
    expect(parity).toMatchObject({ policy: "llm", chosenBy: "score" });
    expect(parity?.maskedError.llm).toBe(0);
    const { llmImputer } = policiesOf(dir);
    // Bounded: 40 probe cells (imputation.llm.maxScoredCells), then only the real gaps.
    expect(llmImputer?.scored.parity).toMatchObject({ cells: 40, llm: 0 });
    expect(llmImputer?.scored.parity?.sameCells.mode).toBeGreaterThan(0.3); // the best candidate, measured on the very same cells
    expect(asked().reduce((n, m) => n + section(question(m), "rows").length, 0)).toBe(40 + gaps);
    for (const file of ["imputed_train.jsonl", "imputed_test.jsonl"]) {
      const out = await lines(join(dir, "run/data", file));
      expect(out.every((r) => r.parity === parityOf(r)), file).toBe(true);
    }
    expect(llmImputer).toMatchObject({ model: "openai:imputer-7b", calls: asked().length, fellBack: 0 });
    expect(state.log.filter((e) => e.step === "impute" && e.by === "openai:imputer-7b")).toHaveLength(asked().length);
    expect(readFileSync(join(dir, "run/imputation/report.md"), "utf8")).toMatch(/## LLM imputer[\s\S]*\| parity \| 40 \| 0\.000 \|/);
  });

  it("never sends the target or an identifier: only the row's other features", async () => {
    // The requests of the run above (reset only at the start of each run).
    expect(asked().length).toBeGreaterThan(0);
    for (const messages of asked()) {
      for (const row of section(question(messages), "rows")) expect(Object.keys(row).sort()).toEqual(["n", "x"]);
      for (const row of section(question(messages), "examples")) expect(Object.keys(row).sort()).toEqual(["n", "parity", "x"]);
      const text = messages.map((m) => m.content).join("\n");
      expect(text).not.toMatch(/ID-\d|"y"|"high"|"low"/);
      expect(text).not.toContain(KEY);
    }
    expect(server.seen.every((s) => s.authorization === `Bearer ${KEY}`)).toBe(true);
  });

  it("is not chosen when it measures worse than the scored choice on the same cells", async () => {
    server.reset();
    server.answer.set("impute", (messages) => JSON.stringify({ values: section(question(messages), "rows").map((r) => (parityOf(r) === "even" ? "odd" : "even")) }));
    const { state, dir } = await run("openai");
    const parity = state.imputation?.columns.find((c) => c.column === "parity");
    expect(parity?.policy).not.toBe("llm");
    expect(parity?.maskedError.llm).toBe(1);
    expect(policiesOf(dir).llmImputer?.scored.parity).toMatchObject({ cells: 40, llm: 1 });
    expect(asked().reduce((n, m) => n + section(question(m), "rows").length, 0)).toBe(40); // scored, never asked to fill
  });

  it("re-asks an answer outside the vocabulary, then the mode answers: logged as fell back, never scored", async () => {
    server.reset();
    server.answer.set("impute", (messages) => JSON.stringify({ values: section(question(messages), "rows").map(() => "maybe") }));
    const { state, dir } = await run("openai", { parity: "llm" });
    const parity = state.imputation?.columns.find((c) => c.column === "parity");
    expect(parity).toMatchObject({ policy: "llm", chosenBy: "user" });
    expect(parity?.maskedError.llm).toBeNull(); // the fallback's answers are not the model's
    expect(asked().some((m) => m.length === 3 && /"maybe" is not an allowed value of "parity"; use one of \["even","odd"\]/.test(m[2]!.content))).toBe(true);
    const observed = train.map((r) => r.parity).filter((p) => p !== null);
    const mode = observed.filter((p) => p === "even").length >= observed.filter((p) => p === "odd").length ? "even" : "odd";
    for (const file of ["imputed_train.jsonl", "imputed_test.jsonl"]) {
      const out = await lines(join(dir, "run/data", file));
      const filled = out.filter((r, i) => (file.includes("train") ? train[i] : test[i])!.parity === null);
      expect(filled.length).toBeGreaterThan(0);
      expect(filled.every((r) => r.parity === mode), file).toBe(true);
    }
    const { llmImputer } = policiesOf(dir);
    expect(llmImputer?.scored.parity).toBeNull();
    expect(llmImputer?.fellBack).toBe(llmImputer?.calls);
    expect(state.log.some((e) => e.step === "impute" && e.by === "openai:imputer-7b→heuristic" && /fell back to the heuristic: the answer did not fit after 2 re-asks/.test(e.decision))).toBe(true);
  });

  it("is not offered with the heuristic provider: no request, nothing recorded", async () => {
    server.reset();
    const { state, dir } = await run("heuristic");
    expect(server.seen).toHaveLength(0);
    expect(state.imputation?.columns.find((c) => c.column === "parity")?.maskedError).not.toHaveProperty("llm");
    expect(policiesOf(dir).llmImputer).toBeNull();
    expect(readFileSync(join(dir, "run/imputation/report.md"), "utf8")).not.toContain("LLM imputer");
  });
});
