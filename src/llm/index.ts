/**
 * The one door through which every LLM decision passes. `createDecider` builds the
 * clients of the run's provider (lazily, on first use) and returns one typed method
 * per decision; each answers `{ value, source }` where `source` is the CallRecord for
 * the pipeline log. With the heuristic provider, or when the model fails, the caller's
 * `fallback` answers. Secrets stay inside the clients.
 *
 * @example
 *   const decider = createDecider(options, config);
 *   const { value: target, source } = await decider.chooseTarget({
 *     values: exploreValues(profile, options.target, promptLimits(config)),
 *     fallback: () => detectTarget(profile, config.profile, options.target ?? undefined),
 *   });
 *   log.push(callLogEntry("explore", source));
 */
import type { Config } from "../config.js";
import { readLlmEnv } from "../env.js";
import type { ReviewStep } from "../feedback/actions.js";
import { logEntry } from "../log.js";
import type { RunOptions } from "../options.js";
import type { Plan, TargetChoice } from "../schemas.js";
import type { LogEntry } from "../state.js";
import { ask, type AskContext, type Decided, type DecisionRequest } from "./ask.js";
import { BALANCE, CODEGEN, EXPLORE, feedbackSpec, IMPUTE, PLAN, VERIFY, type ImputeAnswer, type CallRecord, type Critique, type FeedbackInterpretation } from "./decisions.js";
import { providerFaults, type Notify } from "./faults.js";
import { createClient, type ChatClient } from "./providers.js";

export type { Decided, DecisionRequest } from "./ask.js";
export { Critique, ImputeAnswer, type CallRecord, type Decision, type FeedbackInterpretation } from "./decisions.js";
export { extractCode, extractJson, stripThinking } from "./answer-text.js";
export { estimateTokens, profileText, sampleRowsText, planText } from "./profile-text.js";
export {
  balanceValues,
  codegenValues,
  imputeValues,
  exploreValues,
  feedbackValues,
  fitPrompt,
  planValues,
  promptLimits,
  verifyValues,
  type BalanceInput,
  type CodegenInput,
  type ImputeInput,
  type FeedbackInput,
  type PlanInput,
  type PromptLimits,
  type VerifyInput,
} from "./prompt-values.js";
export { scrubSecrets, type FaultKind } from "./provider-errors.js";
export { consoleLine, stderrNotify, type Notify } from "./faults.js";

export interface Decider {
  /** The provider asked first ("heuristic": no model is ever asked). */
  readonly provider: RunOptions["provider"];
  /** explore: the target column, task and labels (prompts/explore.md). */
  chooseTarget(request: DecisionRequest<TargetChoice>): Promise<Decided<TargetChoice>>;
  /** plan: a schema-valid Plan (prompts/plan.md); the caller checks its columns (pass `check` to re-ask). */
  writePlan(request: DecisionRequest<Plan>): Promise<Decided<Plan>>;
  /** codegen: prepare_data.js from the coder model (prompts/codegen.md), fences removed. */
  writeCode(request: DecisionRequest<string>): Promise<Decided<string>>;
  /** balance: balance_data.js from the coder model (prompts/balance.md), fences removed. */
  writeBalanceCode(request: DecisionRequest<string>): Promise<Decided<string>>;
  /** impute: categorical values for rows' missing cells (prompts/impute.md); the caller checks the vocabulary. */
  imputeCategories(request: DecisionRequest<ImputeAnswer>): Promise<Decided<ImputeAnswer>>;
  /** verify: the critique of the prepared records (prompts/verify.md). */
  critique(request: DecisionRequest<Critique>): Promise<Decided<Critique>>;
  /** A review's free-text answer as actions `step` accepts (checkActions), or what was unclear. */
  interpretFeedback(request: DecisionRequest<FeedbackInterpretation> & { step: ReviewStep }): Promise<Decided<FeedbackInterpretation>>;
}

export interface DeciderDeps {
  /** The API key (--agent-api-key); default: readLlmEnv().apiKey. Never stored elsewhere. */
  apiKey?: string | null;
  /** Replaces the chat clients (tests). */
  clients?: { agent: ChatClient; coder: ChatClient };
  /** Replaces the wait between retries (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Where provider trouble is shown, once per kind (default: stderr). */
  notify?: Notify;
}

/** The options the decider reads (a RunOptions fits). */
export type DeciderOptions = Pick<RunOptions, "provider" | "agentApiBase" | "agentModel" | "coderModel" | "agentTemperature">;

/**
 * Builds the decider of a run. Throws nothing for a provider that cannot be reached: its
 * calls fall back, the first of each kind of trouble is shown (deps.notify), and after
 * refused credentials the endpoint is asked nothing more by this decider.
 */
export function createDecider(options: DeciderOptions, config: Pick<Config, "llm">, deps: DeciderDeps = {}): Decider {
  const provider = options.provider;
  const apiKey = deps.apiKey !== undefined ? deps.apiKey : provider === "openai" ? readLlmEnv().apiKey : null;
  const secrets = [apiKey];
  const contexts = new Map<"agent" | "coder", AskContext>();
  const faults = providerFaults(config.llm, secrets, deps.notify);

  function context(role: "agent" | "coder"): AskContext {
    const known = contexts.get(role);
    if (known) return known;
    const base = { llm: config.llm, secrets, faults, ...(deps.sleep ? { sleep: deps.sleep } : {}) };
    let made: AskContext;
    if (deps.clients) made = { ...base, client: deps.clients[role], unavailable: null };
    else if (provider === "heuristic") made = { ...base, client: null, unavailable: null };
    else {
      const model = role === "coder" ? (options.coderModel ?? options.agentModel) : options.agentModel;
      made = model
        ? {
            ...base,
            unavailable: null,
            client: createClient({ provider, model, temperature: options.agentTemperature, apiBase: options.agentApiBase, apiKey, llm: config.llm }),
          }
        : { ...base, client: null, unavailable: `no ${role} model named for provider ${provider} (--agent-model or agent_LLM in .env)` };
    }
    contexts.set(role, made);
    return made;
  }

  return {
    provider,
    chooseTarget: (request) => ask(context(EXPLORE.role), EXPLORE, request),
    writePlan: (request) => ask(context(PLAN.role), PLAN, request),
    writeCode: (request) => ask(context(CODEGEN.role), CODEGEN, request),
    writeBalanceCode: (request) => ask(context(BALANCE.role), BALANCE, request),
    imputeCategories: (request) => ask(context(IMPUTE.role), IMPUTE, request),
    critique: (request) => ask(context(VERIFY.role), VERIFY, request),
    interpretFeedback: ({ step, ...request }) => {
      const spec = feedbackSpec(step);
      return ask(context(spec.role), spec, request);
    },
  };
}

/** Who wrote the code a call answered: "<provider>:<model>", or "heuristic" when the template answered. */
export function codeWriter(record: CallRecord): string {
  return record.provider !== "heuristic" && !record.fellBack ? `${record.provider}:${record.model}` : "heuristic";
}

/** Who answered, for LogEntry.by: "heuristic", or "<provider>:<model>" ("…→heuristic" when it fell back). */
export function answeredBy(record: CallRecord): string {
  if (record.provider === "heuristic") return "heuristic";
  return record.fellBack ? `${record.provider}:${record.model}→heuristic` : `${record.provider}:${record.model}`;
}

/** The pipeline log entry of one call: who answered, tokens, tries, time, and why it fell back. */
export function callLogEntry(step: string, record: CallRecord): LogEntry {
  const how = record.fellBack ? `; fell back to the heuristic: ${record.error ?? "unknown reason"}${record.fault ? ` [${record.fault}]` : ""}` : "";
  return logEntry(step, `${record.decision} decided by ${answeredBy(record)}${how}`, Date.now() - record.durationMs, {
    by: answeredBy(record),
    numbers: {
      promptTokens: record.promptTokens,
      completionTokens: record.completionTokens,
      attempts: record.attempts,
      reasks: record.reasks,
      fellBack: record.fellBack ? 1 : 0,
    },
  });
}
