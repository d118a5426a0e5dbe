/**
 * One decision asked of a model: the prompt rendered within its token budget, each request
 * bounded by a timeout and retried with exponential backoff on timeouts, 429 and 5xx,
 * the question re-asked with the validation error when the answer does not fit, and the
 * heuristic's answer when none of that works. The whole decision (requests, waits,
 * re-asks) runs within llm.decisionBudgetMs. Provider trouble never throws: it is logged
 * in the decision's record and, once per kind, shown on the console (see faults.ts).
 */
import type { Config } from "../config.js";
import { renderPrompt } from "../prompts.js";
import type { CallRecord, DecisionSpec } from "./decisions.js";
import { estimateTokens } from "./profile-text.js";
import { fitPrompt } from "./prompt-values.js";
import type { ProviderFaults } from "./faults.js";
import { describeFailure, scrubSecrets, type RequestFailure } from "./provider-errors.js";
import type { ChatAnswer, ChatClient, ChatTurn } from "./providers.js";

export interface Decided<T> {
  value: T;
  source: CallRecord;
}

/** What a decision method takes. */
export interface DecisionRequest<T> {
  /** The values of the decision's prompt (see prompt-values.ts for builders). */
  values: Record<string, string>;
  /** The heuristic answer: used with the heuristic provider and when the model fails. */
  fallback: () => T;
  /** Checks beyond the schema (a column exists, …): a message to re-ask with, or null. */
  check?: (value: T) => string | null;
}

export interface AskContext {
  /** null: the heuristic provider answers. */
  client: ChatClient | null;
  /** Why there is no client although one was asked for (no model named, …). */
  unavailable: string | null;
  llm: Config["llm"];
  secrets: readonly (string | null)[];
  /** The run's provider trouble: console lines once per kind, refused credentials. */
  faults: ProviderFaults;
  /** Waits between retries; tests may replace it. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Backoff before retry number `retry` (0-based): base × 2^retry, capped, with ±25 % jitter. */
export function backoffMs(retry: number, llm: Pick<Config["llm"], "retryBaseDelayMs" | "retryMaxDelayMs">): number {
  const raw = Math.min(llm.retryMaxDelayMs, llm.retryBaseDelayMs * 2 ** retry);
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}

/** One request under a timeout: our timer aborts the SDK call and settles the race. */
async function requestOnce(client: ChatClient, turns: readonly ChatTurn[], timeoutMs: number): Promise<ChatAnswer | RequestFailure> {
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      reject(new Error("timeout"));
    }, timeoutMs);
  });
  try {
    return await Promise.race([client.complete(turns, controller.signal), timeout]);
  } catch (error) {
    return describeFailure(error, timedOut, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
}

const isFailure = (r: ChatAnswer | RequestFailure): r is RequestFailure => "retryable" in r;

/** Asks `spec` of the context's model, or of the heuristic. */
export async function ask<T>(ctx: AskContext, spec: DecisionSpec<T>, request: DecisionRequest<T>): Promise<Decided<T>> {
  const started = Date.now();
  const sleep = ctx.sleep ?? defaultSleep;
  const fitted = fitPrompt(spec.prompt, request.values, ctx.llm.maxPromptTokens); // programmer errors throw here
  const record: CallRecord = {
    decision: spec.decision,
    provider: ctx.client?.provider ?? "heuristic",
    model: ctx.client?.model ?? "heuristic",
    promptTokens: 0,
    completionTokens: 0,
    tokensEstimated: false,
    durationMs: 0,
    attempts: 0,
    reasks: 0,
    fellBack: false,
  };
  const finish = (value: T, error?: string): Decided<T> => {
    record.durationMs = Date.now() - started;
    if (error !== undefined) {
      record.fellBack = true;
      record.error = scrubSecrets(error, ctx.secrets);
    }
    return { value, source: record };
  };
  if (!ctx.client) return ctx.unavailable ? finish(request.fallback(), ctx.unavailable) : finish(request.fallback());
  const client = ctx.client;

  const refused = ctx.faults.refused(client);
  if (refused !== null) {
    record.fault = "auth";
    return finish(request.fallback(), `not asked: the endpoint refused the credentials earlier in this run (${refused}); the heuristic answered`);
  }
  const fail = (failure: RequestFailure, note: string): Decided<T> => {
    record.fault = failure.kind;
    ctx.faults.fellBack(client, spec, failure);
    const tries = record.attempts === 1 ? "1 request" : `${record.attempts} requests`;
    return finish(request.fallback(), `${failure.message} (${tries}${note}; the heuristic answered)`);
  };
  try {
    await client.prepare();
  } catch (error) {
    return fail(describeFailure(error, false, 0), "");
  }
  // The budget is the endpoint's time: it starts once the SDK is loaded.
  const budgetMs = ctx.llm.decisionBudgetMs;
  const deadline = Date.now() + budgetMs;
  const left = () => deadline - Date.now();
  const outOfTime = (last: RequestFailure | null): RequestFailure => ({
    message: `no ${record.reasks > 0 ? "fitting " : ""}answer within llm.decisionBudgetMs = ${budgetMs} ms${last ? ` (last try: ${last.message})` : ""}`,
    retryable: false,
    status: last?.status ?? null,
    kind: "budget",
  });
  const turns: ChatTurn[] = [{ role: "user", content: fitted.text }];
  for (;;) {
    let answer: ChatAnswer | RequestFailure | null = null;
    for (let retry = 0; ; retry++) {
      if (left() <= 0) return fail(outOfTime(answer !== null && isFailure(answer) ? answer : null), "");
      record.attempts++;
      answer = await requestOnce(client, turns, Math.min(ctx.llm.timeoutMs, left()));
      if (!isFailure(answer)) break;
      // A request cut short by the budget is the budget's failure, not the server's.
      if (answer.kind === "timeout" && left() <= 0) return fail(outOfTime(null), "");
      if (!answer.retryable || retry >= ctx.llm.maxRetries) return fail(answer, "");
      const wait = backoffMs(retry, ctx.llm);
      if (wait >= left()) {
        // No time for another try: a hang is the budget's failure, other trouble keeps its kind.
        return answer.kind === "timeout" ? fail(outOfTime(answer), "") : fail(answer, `; llm.decisionBudgetMs = ${budgetMs} ms left no time for another`);
      }
      await sleep(wait);
    }
    const promptChars = turns.reduce((n, t) => n + t.content.length, 0);
    record.tokensEstimated ||= answer.promptTokens === null || answer.completionTokens === null;
    record.promptTokens += answer.promptTokens ?? Math.ceil(promptChars / 4);
    record.completionTokens += answer.completionTokens ?? estimateTokens(answer.text);

    const read = spec.read(answer.text);
    const problem = read.ok ? (request.check?.(read.value) ?? null) : read.error;
    if (read.ok && problem === null) return finish(read.value);
    if (record.reasks >= ctx.llm.maxReasks)
      return finish(request.fallback(), `the answer did not fit after ${record.reasks} re-asks: ${problem} (the heuristic answered)`);
    record.reasks++;
    turns.push(
      { role: "assistant", content: answer.text.length > 16_000 ? `${answer.text.slice(0, 16_000)} …` : answer.text },
      { role: "user", content: renderPrompt("reask", { error: problem ?? "invalid answer", expected: spec.expected }) },
    );
  }
}
