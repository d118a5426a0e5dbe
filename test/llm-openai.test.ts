/**
 * The decider against a real HTTP server on 127.0.0.1 speaking the OpenAI
 * chat-completions protocol with scripted answers (no network beyond loopback).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../src/config.js";
import { callLogEntry, createDecider, type CallRecord, type DeciderOptions } from "../src/llm/index.js";
import { renderPrompt } from "../src/prompts.js";
import type { Plan, TargetChoice } from "../src/schemas.js";

type Script = { status: number; body: unknown } | { content: string; usage?: { prompt_tokens: number; completion_tokens: number } } | "hang";

interface Seen {
  body: { model: string; temperature?: number; messages: { role: string; content: string }[] };
  authorization: string | undefined;
}

const script: Script[] = [];
const seen: Seen[] = [];
let server: Server;
let base = "";

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  let raw = "";
  req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
  req.on("end", () => {
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return reply(res, 404, { error: { message: `no route ${req.url}` } });
    seen.push({ body: JSON.parse(raw), authorization: req.headers.authorization });
    const next = script.shift() ?? { status: 500, body: { error: { message: "script exhausted" } } };
    if (next === "hang") return; // never answers
    if ("status" in next) return reply(res, next.status, next.body);
    reply(res, 200, {
      id: `chatcmpl-${seen.length}`,
      object: "chat.completion",
      created: 1_700_000_000,
      model: "scripted",
      choices: [{ index: 0, message: { role: "assistant", content: next.content }, finish_reason: "stop" }],
      usage: { ...(next.usage ?? { prompt_tokens: 1000, completion_tokens: 50 }), total_tokens: 0 },
    });
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  script.length = 0;
  seen.length = 0;
});

const KEY = "sk-test-TOPSECRET-0123456789abcdefXYZ";
const baseConfig = loadConfig();
const config: Pick<Config, "llm"> = {
  llm: { ...baseConfig.llm, timeoutMs: 2_000, maxRetries: 3, retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
};

function options(over: Partial<DeciderOptions> = {}): DeciderOptions {
  return { provider: "openai", agentApiBase: base, agentModel: "agent-model-7b", coderModel: "coder-model-32b", agentTemperature: 0.3, ...over };
}

const heuristicTarget: TargetChoice = { column: "heuristic_col", task: "binary", labels: { "0": "No", "1": "Yes" }, reasons: ["heuristic"] };
const llmTarget: TargetChoice = { column: "diagnosis", task: "binary", labels: { M: "Malignant", B: "Benign" }, reasons: ["two values"] };
const exploreValues = { target_hint: "The user did not name a target.", profile: "569 rows, 3 columns", sample_rows: "id,diagnosis,radius\n1,M,17.9" };
const plan: Plan = {
  instruction: "Predict whether the tumor is malignant. Answer Malignant or Benign.",
  target: "diagnosis",
  task: "binary",
  labels: { M: "Malignant", B: "Benign" },
  features: ["radius"],
  dropped: [{ column: "id", reason: "identifier" }],
  rowFormat: "sentences",
  cleaning: ["Parse radius as a number."],
  balancing: { strategy: "none", advice: "Balanced enough." },
  imputation: [],
};
const planValues = { target_choice: JSON.stringify(llmTarget), profile: "p", sample_rows: "s", previous_plan: "(none)", feedback: "(none)" };

const records: CallRecord[] = [];
function keep<T extends { source: CallRecord }>(result: T): T {
  records.push(result.source);
  return result;
}

describe("openai provider", () => {
  it("uses the target choice and plan the server answers; the request carries prompt, model and temperature", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    script.push({ content: JSON.stringify(llmTarget), usage: { prompt_tokens: 812, completion_tokens: 44 } }, { content: JSON.stringify(plan) });
    const target = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
    expect(target.value).toEqual(llmTarget);
    expect(target.source).toMatchObject({ decision: "explore", provider: "openai", model: "agent-model-7b", promptTokens: 812, completionTokens: 44, attempts: 1, reasks: 0, fellBack: false });
    const written = keep(await decider.writePlan({ values: planValues, fallback: () => ({ ...plan, features: ["heuristic"] }) }));
    expect(written.value).toEqual(plan);

    expect(seen).toHaveLength(2);
    expect(seen[0]?.body.model).toBe("agent-model-7b");
    expect(seen[0]?.body.temperature).toBe(0.3);
    expect(seen[0]?.body.messages).toEqual([{ role: "user", content: renderPrompt("explore", exploreValues) }]);
    expect(seen[1]?.body.messages[0]?.content).toBe(renderPrompt("plan", planValues));
    expect(seen[0]?.authorization).toBe(`Bearer ${KEY}`);
    const entry = callLogEntry("explore", target.source);
    expect(entry).toMatchObject({ by: "openai:agent-model-7b", numbers: { promptTokens: 812, completionTokens: 44, fellBack: 0 } });
  });

  it("asks the coder model for code and strips the fences", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    const code = "function clean(row, ctx) { return row; }\nfunction render(row, ctx) { return { instruction: 'i', input: 'x', output: 'y' }; }";
    script.push({ content: `<think>the plan says…</think>Here is the script:\n\`\`\`javascript\n${code}\n\`\`\`\nIt is pure.` });
    const values = { plan: "{}", columns: "c", sample_rows: "s", ctx: "{}", previous_code: "", previous_error: "" };
    const result = keep(await decider.writeCode({ values, fallback: () => "heuristic code" }));
    expect(result.value).toBe(`${code}\n`);
    expect(seen[0]?.body.model).toBe("coder-model-32b");
    expect(result.source.model).toBe("coder-model-32b");
  });

  it("re-asks once with the validation error after malformed JSON, then uses the answer", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    script.push({ content: '{"column": "diagnosis", "task": "binary", "labels": {"M": "Malignant"' }, { content: JSON.stringify(llmTarget) });
    const result = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
    expect(result.value).toEqual(llmTarget);
    expect(result.source).toMatchObject({ attempts: 2, reasks: 1, fellBack: false });
    expect(seen).toHaveLength(2);
    const second = seen[1]?.body.messages ?? [];
    expect(second.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(second[2]?.content).toContain("contains no JSON object");
    expect(second[2]?.content).toContain('"column": string');
  });

  it("re-asks with the schema error when the JSON does not fit, at most twice, then falls back", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    const wrong = JSON.stringify({ ...llmTarget, task: "classification" });
    script.push({ content: wrong }, { content: wrong }, { content: wrong });
    const result = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
    expect(result.value).toEqual(heuristicTarget);
    expect(result.source).toMatchObject({ attempts: 3, reasks: 2, fellBack: true });
    expect(result.source.error).toMatch(/after 2 re-asks: .*task/);
    expect(seen[1]?.body.messages[2]?.content).toContain("task");
  });

  it("re-asks when the caller's check rejects the answer (a column not in the table)", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    script.push({ content: JSON.stringify({ ...llmTarget, column: "Diagnosis " }) }, { content: JSON.stringify(llmTarget) });
    const columns = ["id", "diagnosis", "radius"];
    const result = keep(
      await decider.chooseTarget({
        values: exploreValues,
        fallback: () => heuristicTarget,
        check: (t) => (columns.includes(t.column) ? null : `"${t.column}" is not a column; the columns are ${columns.join(", ")}`),
      }),
    );
    expect(result.value.column).toBe("diagnosis");
    expect(seen[1]?.body.messages[2]?.content).toContain('"Diagnosis " is not a column');
  });

  it("parses answers wrapped in ```json fences, <think> blocks and prose", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    const json = JSON.stringify(llmTarget, null, 2);
    const answers = [
      `\`\`\`json\n${json}\n\`\`\``,
      `<think>\nThe table is about {tumors}. Maybe "id"? No.\n</think>\n\n${json}`,
      `Sure! Here is my choice: ${json} — let me know if you need anything {else}.`,
      `<think>plan: answer {"column": "x"</think>\nThe answer:\n\`\`\`\n${json}\n\`\`\``,
    ];
    for (const content of answers) script.push({ content });
    for (const _ of answers) {
      const result = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
      expect(result.value).toEqual(llmTarget);
      expect(result.source.reasks).toBe(0);
    }
  });

  it("backs off and retries after 429 twice, then uses the answer (attempts = 3)", async () => {
    const waits: number[] = [];
    const decider = createDecider(options(), config, {
      apiKey: KEY,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const limited = { status: 429, body: { error: { message: "Rate limit reached", type: "requests" } } };
    script.push(limited, limited, { content: JSON.stringify(llmTarget) });
    const result = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
    expect(result.value).toEqual(llmTarget);
    expect(result.source).toMatchObject({ attempts: 3, reasks: 0, fellBack: false });
    expect(waits).toHaveLength(2);
    expect(waits[1]).toBeGreaterThan(waits[0] ?? Infinity); // exponential: ~5 ms then ~10 ms
  });

  it("retries 5xx with real (tiny) delays and falls back when they keep failing", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    for (let i = 0; i < 4; i++) script.push({ status: 503, body: { error: { message: "overloaded" } } });
    const result = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
    expect(result.value).toEqual(heuristicTarget);
    expect(result.source).toMatchObject({ attempts: 4, fellBack: true });
    expect(result.source.error).toMatch(/HTTP 503/);
  });

  it("does not retry a 400 and falls back at once", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    script.push({ status: 400, body: { error: { message: "model not loaded" } } });
    const result = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
    expect(result.source).toMatchObject({ attempts: 1, fellBack: true });
    expect(seen).toHaveLength(1);
  });

  it("times out a hanging server, retries, and falls back with the reason", async () => {
    const hangConfig = { llm: { ...config.llm, timeoutMs: 300, maxRetries: 1 } };
    const decider = createDecider(options(), hangConfig, { apiKey: KEY });
    script.push("hang", "hang");
    const started = Date.now();
    const result = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(result.value).toEqual(heuristicTarget);
    expect(result.source).toMatchObject({ attempts: 2, fellBack: true });
    expect(result.source.error).toMatch(/timed out after 300 ms/);
    expect(callLogEntry("explore", result.source).decision).toMatch(/fell back to the heuristic: timed out/);
  });

  it("interprets free-text feedback into actions the step accepts, re-asking on a kind it does not", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    script.push(
      { content: JSON.stringify({ actions: [{ kind: "config_overrides", values: { num_train_epochs: 5 } }] }) },
      { content: JSON.stringify({ actions: [{ kind: "drop_features", columns: ["id"] }, { kind: "test_ratio", value: 0.33 }] }) },
    );
    const values = { step: "review_prep", accepted_forms: "drop features: a, b", columns: "id, diagnosis, radius", answer: "get rid of the id and hold out a third" };
    const result = keep(await decider.interpretFeedback({ step: "review_prep", values, fallback: () => ({ actions: [], unclear: "heuristic" }) }));
    expect(result.value).toEqual({ actions: [{ kind: "drop_features", columns: ["id"] }, { kind: "test_ratio", value: 0.33 }], unclear: null });
    expect(result.source.reasks).toBe(1);
    expect(seen[1]?.body.messages[2]?.content).toContain("not accepted at review_prep");
  });

  it("takes an 'unclear' answer as a value, not an error", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    script.push({ content: '{"actions": [], "unclear": "predict only for adults is not an action"}' });
    const values = { step: "review_plan", accepted_forms: "approve", columns: "age", answer: "predict only for adults" };
    const result = keep(await decider.interpretFeedback({ step: "review_plan", values, fallback: () => ({ actions: [], unclear: "heuristic" }) }));
    expect(result.value).toEqual({ actions: [], unclear: "predict only for adults is not an action" });
  });

  it("critiques with the verify schema", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    const critique = { verdict: "problems", issues: ["#3 input contains NaN"], summary: "One record writes NaN." };
    script.push({ content: JSON.stringify(critique) });
    const result = keep(await decider.critique({ values: { plan: "{}", checks: "ok", records: "#1 {}" }, fallback: () => ({ verdict: "ok", issues: [], summary: "heuristic" }) }));
    expect(result.value).toEqual(critique);
  });

  it("never lets the API key into records or error text, even when the server echoes it", async () => {
    const decider = createDecider(options(), { llm: { ...config.llm, maxRetries: 0 } }, { apiKey: KEY });
    // The 401 last: after refused credentials the endpoint is not asked again (llm-faults.test.ts).
    script.push(
      { status: 500, body: { error: { message: `upstream failed (${KEY.slice(0, 22)}…${KEY.slice(-4)})` } } },
      { status: 400, body: { error: { message: `bad request for ?key=${KEY.slice(8)}&x=1` } } },
      { status: 401, body: { error: { message: `Incorrect API key provided: ${KEY}. Header was Authorization: Bearer ${KEY}` } } },
    );
    const mine: CallRecord[] = [];
    for (let i = 0; i < 3; i++) mine.push(keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget })).source);
    expect(mine.map((r) => r.fellBack)).toEqual([true, true, true]);
    expect(mine.map((r) => r.error?.slice(0, 8))).toEqual(["HTTP 500", "HTTP 400", "HTTP 401"]);
    const everything = JSON.stringify([records, records.map((r) => callLogEntry("step", r))]);
    for (const piece of [KEY, "TOPSECRET", KEY.slice(-10), KEY.slice(8)]) expect(everything).not.toContain(piece);
    expect(seen.every((s) => s.authorization === `Bearer ${KEY}`)).toBe(true);
  });

  it("falls back with a reason when no model is named, without a request", async () => {
    const decider = createDecider(options({ agentModel: null, coderModel: null }), config, { apiKey: KEY });
    const result = keep(await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget }));
    expect(result.value).toEqual(heuristicTarget);
    expect(result.source).toMatchObject({ fellBack: true, attempts: 0 });
    expect(result.source.error).toMatch(/no agent model/);
    expect(seen).toHaveLength(0);
  });

  it("the heuristic provider answers with the fallback and zero tokens", async () => {
    const decider = createDecider(options({ provider: "heuristic" }), config, { apiKey: KEY });
    const result = await decider.chooseTarget({ values: exploreValues, fallback: () => heuristicTarget });
    expect(result.value).toEqual(heuristicTarget);
    expect(result.source).toMatchObject({ provider: "heuristic", model: "heuristic", promptTokens: 0, completionTokens: 0, attempts: 0, fellBack: false });
    expect(callLogEntry("explore", result.source).by).toBe("heuristic");
    expect(seen).toHaveLength(0);
  });

  it("throws for programmer errors: a prompt value missing", async () => {
    const decider = createDecider(options(), config, { apiKey: KEY });
    await expect(decider.chooseTarget({ values: { profile: "p" }, fallback: () => heuristicTarget })).rejects.toThrow(/placeholders without a value/);
  });
});
