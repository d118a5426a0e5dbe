/**
 * The bedrock provider against a local HTTP server standing in for the Bedrock Runtime
 * Converse endpoint (config llm.bedrockEndpoint), with dummy AWS credentials set in the
 * environment of this test only. The Bedrock Runtime client speaks HTTP/2, so the
 * server is node:http2 in cleartext (h2c), as the client connects to an http:// URL.
 */
import { createServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, type Config } from "../src/config.js";
import { createDecider, type DeciderOptions } from "../src/llm/index.js";
import { renderPrompt } from "../src/prompts.js";
import type { TargetChoice } from "../src/schemas.js";

interface Seen {
  path: string;
  authorization: string;
  body: {
    messages: { role: string; content: { text?: string }[] }[];
    inferenceConfig?: { temperature?: number; maxTokens?: number };
  };
}

type Script = { text: string } | { status: number; type: string; message: string };
const script: Script[] = [];
const seen: Seen[] = [];
let server: Http2Server;
const sessions = new Set<ServerHttp2Session>();
let endpoint = "";

function handle(req: Http2ServerRequest, res: Http2ServerResponse): void {
  let raw = "";
  req.on("data", (chunk: Buffer) => (raw += chunk.toString("utf8")));
  req.on("end", () => {
    seen.push({ path: decodeURIComponent(req.url ?? ""), authorization: String(req.headers.authorization ?? ""), body: JSON.parse(raw || "{}") });
    const next = script.shift() ?? { status: 500, type: "InternalServerException", message: "script exhausted" };
    if ("status" in next) {
      res.writeHead(next.status, { "content-type": "application/json", "x-amzn-errortype": next.type });
      return res.end(JSON.stringify({ message: next.message }));
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        output: { message: { role: "assistant", content: [{ text: next.text }] } },
        usage: { inputTokens: 1234, outputTokens: 56, totalTokens: 1290 },
        stopReason: "end_turn",
        metrics: { latencyMs: 12 },
      }),
    );
  });
}

const saved: Record<string, string | undefined> = {};
const DUMMY = { AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE", AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

beforeAll(async () => {
  for (const [key, value] of Object.entries(DUMMY)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  server = createServer(handle);
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const key of Object.keys(DUMMY)) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  for (const session of sessions) session.destroy();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  script.length = 0;
  seen.length = 0;
});

const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
const options: DeciderOptions = { provider: "bedrock", agentApiBase: null, agentModel: MODEL, coderModel: null, agentTemperature: 0.15 };
const base = loadConfig();
function config(): Pick<Config, "llm"> {
  return { llm: { ...base.llm, bedrockRegion: "us-east-1", bedrockEndpoint: endpoint, timeoutMs: 5_000, retryBaseDelayMs: 5, retryMaxDelayMs: 20 } };
}
const heuristic: TargetChoice = { column: "h", task: "regression", labels: {}, reasons: ["heuristic"] };
const answer: TargetChoice = { column: "species", task: "multiclass", labels: { Adelie: "Adelie", Gentoo: "Gentoo", Chinstrap: "Chinstrap" }, reasons: ["three species"] };
const values = { target_hint: "The user did not name a target.", profile: "344 rows", sample_rows: "species,bill\nAdelie,39.1" };

describe("bedrock provider", () => {
  it("sends a Converse request (messages, temperature) and uses the scripted answer", async () => {
    script.push({ text: `<thinking>three classes</thinking>\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` });
    const decider = createDecider(options, config());
    const result = await decider.chooseTarget({ values, fallback: () => heuristic });
    expect(result.value).toEqual(answer);
    expect(result.source).toMatchObject({ provider: "bedrock", model: MODEL, promptTokens: 1234, completionTokens: 56, attempts: 1, fellBack: false });
    expect(seen).toHaveLength(1);
    const request = seen[0];
    expect(request?.path).toBe(`/model/${MODEL}/converse`);
    expect(request?.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    expect(request?.body.messages).toEqual([{ role: "user", content: [{ text: renderPrompt("explore", values) }] }]);
    expect(request?.body.inferenceConfig?.temperature).toBe(0.15);
    expect(request?.body.inferenceConfig?.maxTokens).toBe(base.llm.maxCompletionTokens);
  });

  it("uses the agent model for code when no coder model is named", async () => {
    script.push({ text: "function clean(row, ctx) { return row; }\nfunction render(row, ctx) { return { instruction: '', input: '', output: '' }; }" });
    const decider = createDecider(options, config());
    const result = await decider.writeCode({
      values: { plan: "{}", columns: "c", sample_rows: "s", ctx: "{}", previous_code: "", previous_error: "" },
      fallback: () => "heuristic",
    });
    expect(result.value).toMatch(/^function clean/);
    expect(seen[0]?.path).toBe(`/model/${MODEL}/converse`);
  });

  it("retries a ThrottlingException (429) and then uses the answer", async () => {
    script.push({ status: 429, type: "ThrottlingException", message: "Too many requests" }, { text: JSON.stringify(answer) });
    const decider = createDecider(options, config());
    const result = await decider.chooseTarget({ values, fallback: () => heuristic });
    expect(result.value).toEqual(answer);
    expect(result.source).toMatchObject({ attempts: 2, fellBack: false });
  });

  it("falls back on an access error without retrying, and records no credential", async () => {
    script.push({ status: 403, type: "AccessDeniedException", message: `User is not authorized; key ${DUMMY.AWS_ACCESS_KEY_ID}` });
    const decider = createDecider(options, config());
    const result = await decider.chooseTarget({ values, fallback: () => heuristic });
    expect(result.value).toEqual(heuristic);
    expect(result.source).toMatchObject({ attempts: 1, fellBack: true });
    expect(result.source.error).toMatch(/HTTP 403/);
    const text = JSON.stringify(result.source);
    expect(text).not.toContain(DUMMY.AWS_ACCESS_KEY_ID);
    expect(text).not.toContain(DUMMY.AWS_SECRET_ACCESS_KEY);
  });
});
