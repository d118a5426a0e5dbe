/**
 * The LLM imputer in the impute node, against a real HTTP server on 127.0.0.1 that speaks
 * the OpenAI chat-completions protocol. The "model" reads the rows of the prompt and
 * answers by a rule the forests cannot learn (the parity of an integer column), so when it
 * is chosen it is because it measured better on masked cells, not by fiat.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJsonLines } from "../src/artifacts.js";
import { setQuiet } from "../src/log.js";
import { impute } from "../src/nodes/impute.js";
import { setAgentApiKey } from "../src/runtime.js";
import type { State } from "../src/state.js";
import { createRng } from "../src/stats/random.js";
import { imputeState, type Row } from "./helpers/impute-state.js";

type Answer = (rows: Record<string, unknown>[]) => unknown[];
let answer: Answer = () => [];
const prompts: string[] = [];
let server: Server;
let base = "";

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** The rows under <rows> in the impute prompt: "#n {json}" lines. */
function rowsOf(prompt: string): Record<string, unknown>[] {
  const section = prompt.slice(prompt.lastIndexOf("<rows>"), prompt.lastIndexOf("</rows>"));
  return [...section.matchAll(/^#\d+ (\{.*\})$/gm)].map((m) => JSON.parse(m[1]!) as Record<string, unknown>);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  let raw = "";
  req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
  req.on("end", () => {
    const body = JSON.parse(raw) as { messages: { content: string }[] };
    const prompt = body.messages.map((m) => m.content).join("\n");
    prompts.push(prompt);
    if (!prompt.includes("You fill in missing values of one categorical column")) return reply(res, 400, { error: { message: "only impute is scripted" } });
    const content = JSON.stringify({ values: answer(rowsOf(prompt)) });
    reply(res, 200, {
      id: `chatcmpl-${prompts.length}`,
      object: "chat.completion",
      created: 1_700_000_000,
      model: "scripted",
      choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
      usage: { prompt_tokens: 700, completion_tokens: 30, total_tokens: 730 },
    });
  });
}

beforeAll(async () => {
  setQuiet(true);
  setAgentApiKey("sk-impute-test");
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  setAgentApiKey(null);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** n: an integer; parity: "even"/"odd" of n, a fifth of it missing; x: noise; y: the target. */
function table(rows: number, seed: number): Row[] {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => {
    const n = Math.floor(rng() * 1000);
    const x = Math.round(rng() * 1000) / 100;
    return { n, x, parity: rng() < 0.2 ? null : n % 2 === 0 ? "even" : "odd", y: x > 5 ? "high" : "low" };
  });
}

async function run(rows: Row[]): Promise<{ state: State; dir: string }> {
  const { state, dir } = await imputeState({ names: ["n", "x", "parity", "y"], train: rows.slice(0, 240), test: rows.slice(240), target: "y" });
  const options = { ...state.options, provider: "openai", agentApiBase: base, agentModel: "imputer-7b", coderModel: null, agentTemperature: 0 };
  const withModel = { ...state, options } as unknown as State;
  const update = await impute(withModel);
  return { state: { ...withModel, ...update } as unknown as State, dir };
}

async function lines(path: string): Promise<Row[]> {
  const out: Row[] = [];
  for await (const row of readJsonLines<Row>(path)) out.push(row);
  return out;
}

describe("the LLM imputer", () => {
  const rows = table(300, 5);

  it("is scored on masked cells, chosen when it measures best, and fills both splits with its answers", async () => {
    prompts.length = 0;
    answer = (asked) => asked.map((r) => (Number(r.n) % 2 === 0 ? "even" : "odd"));
    const { state, dir } = await run(rows);
    const parity = state.imputation?.columns.find((c) => c.column === "parity");
    expect(parity?.policy).toBe("llm");
    expect(parity?.chosenBy).toBe("score");
    expect(parity?.maskedError.llm).toBe(0);
    expect(parity?.maskedError.mode).toBeGreaterThan(0.3);
    for (const file of ["imputed_train.jsonl", "imputed_test.jsonl"]) {
      const out = await lines(join(dir, "run/data", file));
      expect(out.every((r) => r.parity === (Number(r.n) % 2 === 0 ? "even" : "odd")), file).toBe(true);
    }
    const policies = JSON.parse(readFileSync(join(dir, "run/imputation/policies.json"), "utf8")) as { llmImputer: { model: string; calls: number; fellBack: number } };
    expect(policies.llmImputer).toMatchObject({ model: "openai:imputer-7b", fellBack: 0 });
    expect(policies.llmImputer.calls).toBe(prompts.length);
    expect(state.log.filter((e) => e.step === "impute" && e.by === "openai:imputer-7b")).toHaveLength(prompts.length);
    // The model sees the row's other features: never the target, never the key.
    for (const prompt of prompts) {
      for (const row of rowsOf(prompt)) expect(Object.keys(row).sort()).toEqual(["n", "x"]);
      expect(prompt).not.toContain("sk-impute-test");
    }
  });

  it("re-asks an answer outside the vocabulary, then falls back to the mode, and is not chosen", async () => {
    prompts.length = 0;
    answer = (asked) => asked.map(() => "maybe");
    const { state, dir } = await run(rows);
    const parity = state.imputation?.columns.find((c) => c.column === "parity");
    expect(parity?.policy).not.toBe("llm");
    expect(parity?.maskedError.llm).toBeNull(); // the fallback's answers are not the model's
    expect(prompts.some((p) => p.includes('"maybe" is not an allowed value of "parity"'))).toBe(true);
    const policies = JSON.parse(readFileSync(join(dir, "run/imputation/policies.json"), "utf8")) as { llmImputer: { calls: number; fellBack: number } };
    expect(policies.llmImputer.fellBack).toBe(policies.llmImputer.calls);
    expect(state.log.some((e) => e.step === "impute" && /fell back to the heuristic/.test(e.decision))).toBe(true);
  });
});
