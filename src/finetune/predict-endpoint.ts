/**
 * --predict-endpoint: scores a model served over an OpenAI-compatible chat-completions API
 * (`llamafactory-cli api`, vLLM, a hosted model) on the test records, and saves the answers
 * as LlamaFactory does: `generated_predictions.jsonl` with `prompt`, `predict`, `label`.
 *
 * Each record is one user message, instruction and input joined by a newline as
 * LlamaFactory's Alpaca converter joins them; decoding is greedy (temperature 0) and short.
 * Requests run with bounded concurrency; 429, 408, 5xx, network errors and timeouts are
 * retried with exponential backoff and jitter (a Retry-After header is honoured up to the
 * cap). Any other HTTP error, or a record still failing after the last try, stops the step.
 * The API key lives in this process only: never in state, logs or files.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { agentApiKey, setAgentApiKey } from "../env.js";
import { TabtuneError } from "../errors.js";
import type { PredictEndpointOptions } from "../options.js";
import { getConfig } from "../runtime.js";

export interface EndpointRecord {
  instruction: string;
  input: string;
  output: string;
}

export interface EndpointOptions {
  /** Base URL (`…/v1`) or the full `…/chat/completions` URL. */
  url: string;
  /** Model to ask for; null → the first id of `GET <base>/models`. */
  model: string | null;
  apiKey: string | null;
  concurrency: number;
  maxAttempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  maxTokens: number;
  /** Called after each record is answered. */
  onAnswer?: (done: number, total: number) => void;
  /** For tests: how to wait between tries. */
  sleep?: (ms: number) => Promise<void>;
}

export interface EndpointResult {
  model: string;
  records: number;
  /** Requests repeated after a retryable failure. */
  retries: number;
  /** Answers with no text (empty or null content): kept, and scored as unmatched. */
  empty: number;
}

/** Keeps `--agent-api-key` for this process in src/env.ts's holder (older callers; prefer runtime's setAgentApiKey). */
export function rememberApiKey(key: string | undefined): void {
  if (key !== undefined && key.trim() !== "") setAgentApiKey(key);
}

/** The key for the endpoint: `--agent-api-key`, else `.env` / environment (src/env.ts holds both). */
export function endpointApiKey(): string | null {
  return agentApiKey();
}

/** `http://h/v1` → `http://h/v1/chat/completions`; a URL that already ends so is kept. */
export function chatCompletionsUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return /\/chat\/completions$/.test(trimmed) ? trimmed : `${trimmed}/chat/completions`;
}

/** `…/v1/chat/completions` or `…/v1` → `…/v1/models`. */
export function modelsUrl(url: string): string {
  return `${url.replace(/\/+$/, "").replace(/\/chat\/completions$/, "")}/models`;
}

/** LlamaFactory's Alpaca prompt: instruction, then the input on the next line when there is one. */
export function userMessage(record: EndpointRecord): string {
  return record.input ? `${record.instruction}\n${record.input}` : record.instruction;
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

class RetryableError extends Error {
  constructor(message: string, readonly retryAfterMs: number | null) {
    super(message);
  }
}

function headers(apiKey: string | null): Record<string, string> {
  return apiKey ? { "content-type": "application/json", authorization: `Bearer ${apiKey}` } : { "content-type": "application/json" };
}

/** Retry-After in seconds or as an HTTP date, in milliseconds; null when absent or unreadable. */
function retryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** One HTTP call with a timeout; retryable failures become RetryableError, others TabtuneError. */
async function callOnce(url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    const reason = name === "TimeoutError" || name === "AbortError" ? `no answer in ${timeoutMs} ms` : error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    throw new RetryableError(reason, null);
  }
  const body = await response.text();
  if (RETRYABLE(response.status)) throw new RetryableError(`HTTP ${response.status}: ${body.slice(0, 200)}`, retryAfter(response.headers.get("retry-after")));
  if (!response.ok)
    throw new TabtuneError("predict_endpoint_failed", `${url} answered HTTP ${response.status}: ${body.slice(0, 300)}`, {
      suggestion: response.status === 401 || response.status === 403 ? "check the API key (--agent-api-key or auth_key / OPENAI_API_KEY in .env)" : "check --predict-endpoint and --predict-model",
    });
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new TabtuneError("predict_endpoint_failed", `${url} answered with something that is not JSON: ${body.slice(0, 200)}`, {
      suggestion: "point --predict-endpoint at an OpenAI-compatible server (…/v1)",
    });
  }
}

/** Calls with retries; returns the parsed body and how many retries it took. */
async function callWithRetries(url: string, init: RequestInit, opts: EndpointOptions, what: string): Promise<{ body: unknown; retries: number }> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last = "";
  for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
    try {
      return { body: await callOnce(url, init, opts.timeoutMs), retries: attempt - 1 };
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      last = error.message;
      if (attempt === opts.maxAttempts) break;
      const backoff = Math.min(opts.maxBackoffMs, opts.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await sleep(Math.min(opts.maxBackoffMs, error.retryAfterMs ?? backoff));
    }
  }
  throw new TabtuneError("predict_endpoint_failed", `${what} failed after ${opts.maxAttempts} tries; last error: ${last}`, {
    suggestion: "check that the server is up and not overloaded (lower --predict-concurrency), then re-run with --start-from predict",
  });
}

/** The first model id the server lists. */
export async function firstServedModel(opts: EndpointOptions): Promise<string> {
  const url = modelsUrl(opts.url);
  const { body } = await callWithRetries(url, { method: "GET", headers: headers(opts.apiKey) }, opts, `GET ${url}`);
  const data = body && typeof body === "object" && "data" in body && Array.isArray(body.data) ? (body.data as unknown[]) : [];
  const first = data[0];
  const id = first && typeof first === "object" && "id" in first && typeof first.id === "string" ? first.id : null;
  if (!id) throw new TabtuneError("predict_endpoint_failed", `${url} lists no model`, { suggestion: "name the model with --predict-model" });
  return id;
}

/** The text of the first choice; null content (some servers) counts as an empty answer. */
function answerText(body: unknown, url: string): string {
  const choices = body && typeof body === "object" && "choices" in body && Array.isArray(body.choices) ? (body.choices as unknown[]) : null;
  const first = choices?.[0];
  if (!first || typeof first !== "object" || !("message" in first) || !first.message || typeof first.message !== "object")
    throw new TabtuneError("predict_endpoint_failed", `${url} answered without choices[0].message`, { suggestion: "point --predict-endpoint at a chat-completions API" });
  const content = "content" in first.message ? first.message.content : null;
  return typeof content === "string" ? content : "";
}

/**
 * Asks the endpoint for every record (at most `concurrency` at a time) and writes
 * `outFile` in the records' order. @throws TabtuneError("predict_endpoint_failed").
 */
/** The call options for a run's --predict-endpoint: its URL, model and concurrency, the key, and config's predict retries and limits. */
export function endpointCallOptions(endpoint: PredictEndpointOptions, onAnswer?: EndpointOptions["onAnswer"]): EndpointOptions {
  const p = getConfig().predict;
  return {
    url: endpoint.url,
    model: endpoint.model,
    apiKey: endpointApiKey(),
    concurrency: endpoint.concurrency,
    maxAttempts: p.maxAttempts,
    backoffMs: p.backoffMs,
    maxBackoffMs: p.maxBackoffMs,
    timeoutMs: p.timeoutMs,
    maxTokens: p.maxTokens,
    onAnswer,
  };
}

export async function predictWithEndpoint(records: EndpointRecord[], outFile: string, opts: EndpointOptions): Promise<EndpointResult> {
  const model = opts.model ?? (await firstServedModel(opts));
  const url = chatCompletionsUrl(opts.url);
  const answers = new Array<string>(records.length);
  let next = 0;
  let done = 0;
  let retries = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (failed) return; // one record failed for good: stop asking
      const i = next++;
      const record = records[i];
      if (record === undefined) return;
      const payload = { model, messages: [{ role: "user", content: userMessage(record) }], temperature: 0, max_tokens: opts.maxTokens, stream: false };
      const result = await callWithRetries(url, { method: "POST", headers: headers(opts.apiKey), body: JSON.stringify(payload) }, opts, `test record ${i + 1}`).catch((error: unknown) => {
        failed = true;
        throw error;
      });
      retries += result.retries;
      answers[i] = answerText(result.body, url);
      done++;
      opts.onAnswer?.(done, records.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, records.length)) }, worker));
  mkdirSync(dirname(outFile), { recursive: true });
  const lines = records.map((record, i) => JSON.stringify({ prompt: userMessage(record), predict: answers[i] ?? "", label: record.output }));
  writeFileSync(outFile, lines.length ? `${lines.join("\n")}\n` : "");
  return { model, records: records.length, retries, empty: answers.filter((a) => a.trim() === "").length };
}
