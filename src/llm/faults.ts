/**
 * Provider trouble a person must see. The first failure of each kind per endpoint that
 * made a decision fall back is one line on the console: the endpoint and model, what went
 * wrong, the fallback taken, and what to do. Later ones of the same kind are only logged.
 * An endpoint that refused the credentials (401, or 403 for one model) is asked nothing
 * more for the rest of the run: its later decisions go straight to the heuristic.
 */
import type { Config } from "../config.js";
import type { DecisionSpec } from "./decisions.js";
import { printable } from "../printable.js";
import { scrubSecrets, type FaultKind, type RequestFailure } from "./provider-errors.js";
import type { ChatClient } from "./providers.js";

/** Where the console lines go: one line each, without its newline. */
export type Notify = (line: string) => void;

/** stderr, so that stdout stays for results. */
export const stderrNotify: Notify = (line) => {
  process.stderr.write(`${line}\n`);
};

/** One run's memory of provider trouble, shared by the agent and coder models. */
export interface ProviderFaults {
  /** Why `client` is not asked any more (it refused the credentials earlier), or null. */
  refused(client: ChatClient): string | null;
  /**
   * Records the failure that made a decision fall back: shows its console line unless one
   * of its kind was shown for this endpoint, and stops asking a client that refused the credentials.
   */
  fellBack(client: ChatClient, spec: Pick<DecisionSpec<unknown>, "decision" | "role">, failure: RequestFailure): void;
}

type Llm = Pick<Config["llm"], "timeoutMs" | "decisionBudgetMs">;

export function providerFaults(llm: Llm, secrets: readonly (string | null)[], notify: Notify = stderrNotify): ProviderFaults {
  /** provider|endpoint (401: the key is wrong for every model) or provider|endpoint|model (403) → the failure. */
  const refusedAt = new Map<string, string>();
  const shown = new Set<string>();
  const endpointKey = (c: ChatClient) => `${c.provider}|${c.endpoint}`;
  const modelKey = (c: ChatClient) => `${endpointKey(c)}|${c.model}`;

  return {
    refused(client) {
      return refusedAt.get(endpointKey(client)) ?? refusedAt.get(modelKey(client)) ?? null;
    },
    fellBack(client, spec, failure) {
      let shownKey = `${endpointKey(client)}|${failure.kind}`;
      if (failure.kind === "auth") {
        const key = failure.status === 403 ? modelKey(client) : endpointKey(client);
        refusedAt.set(key, failure.message);
        shownKey = key;
      }
      if (shown.has(shownKey)) return;
      shown.add(shownKey);
      notify(printable(scrubSecrets(consoleLine(client, spec, failure, llm), secrets)));
    },
  };
}

/** The console line of a fallback: `warning: <where> <what> — <fallback taken>; <what to do>`. */
export function consoleLine(client: ChatClient, spec: Pick<DecisionSpec<unknown>, "decision" | "role">, failure: RequestFailure, llm: Llm): string {
  const where = `${client.provider} endpoint ${client.endpoint} (model ${client.model})`;
  const what: Record<FaultKind, string> = {
    auth: `refused the credentials: ${failure.message}`,
    rate_limited: `kept limiting the rate: ${failure.message}`,
    server: `kept failing: ${failure.message}`,
    rejected: `refused the request: ${failure.message}`,
    unreachable: `could not be reached: ${failure.message}`,
    timeout: `did not answer: ${failure.message}`,
    budget: `gave no answer within the decision budget: ${failure.message}`,
  };
  const fallback =
    failure.kind === "auth"
      ? `${spec.decision} fell back to the heuristic, and ${failure.status === 403 ? "this model" : "this endpoint"} is not asked again in this run`
      : `${spec.decision} fell back to the heuristic (later failures of this kind are only logged)`;
  return `warning: ${where} ${what[failure.kind]} — ${fallback}; ${advice(client, spec.role, failure, llm)}`;
}

function advice(client: ChatClient, role: "agent" | "coder", failure: RequestFailure, llm: Llm): string {
  const bedrock = client.provider === "bedrock";
  const modelFlag = role === "coder" ? "--coder-model" : "--agent-model";
  const inConfig = "in a config file (TABTUNE_CONFIG)";
  switch (failure.kind) {
    case "auth":
      if (bedrock) return `check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and that ${client.model} is enabled for them in this region`;
      return failure.status === 403
        ? `check that the key (--agent-api-key / OPENAI_API_KEY) may use ${client.model}, or name another with ${modelFlag}`
        : "check --agent-api-key / OPENAI_API_KEY (auth_key in .env)";
    case "rate_limited":
      return `wait and run again, or raise llm.maxRetries / llm.retryMaxDelayMs ${inConfig}`;
    case "server":
      return "the server is failing: try again later, or run with --provider heuristic";
    case "rejected":
      return bedrock ? `check ${modelFlag} (a Bedrock model id) and llm.bedrockRegion` : `check ${modelFlag} and --agent-api-base`;
    case "unreachable":
      return bedrock
        ? "check llm.bedrockEndpoint / llm.bedrockRegion and the network"
        : "check --agent-api-base / OPENAI_BASE_URL and that the server is running";
    case "timeout":
      return `check the server, or raise llm.timeoutMs (${llm.timeoutMs} ms) ${inConfig}`;
    case "budget":
      return `each decision waits at most ${llm.decisionBudgetMs} ms: check the server, or raise llm.decisionBudgetMs ${inConfig}`;
  }
}
