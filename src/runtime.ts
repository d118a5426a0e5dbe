/**
 * Process-wide, read-once things the nodes share: the validated config and the decider
 * of the run's provider. The API key typed as --agent-api-key is handed over here by the
 * CLI (setAgentApiKey) and goes only into the decider's clients, never into state.
 */
import { getConfig } from "./config-cache.js";
import { agentApiKeyFlag, setAgentApiKey as holdAgentApiKey } from "./env.js";
import { createDecider, type Decider, type DeciderOptions } from "./llm/index.js";

export { getConfig };

let decider: { key: string; decider: Decider } | null = null;

/** The --agent-api-key of this process (null: .env / OPENAI_API_KEY). Drops the cached decider. */
export function setAgentApiKey(key: string | null | undefined): void {
  holdAgentApiKey(key);
  decider = null;
}

/** The decider for these options, built once per process and provider settings. */
export function getDecider(options: DeciderOptions): Decider {
  const key = JSON.stringify([options.provider, options.agentApiBase, options.agentModel, options.coderModel, options.agentTemperature]);
  if (decider?.key !== key) decider = { key, decider: createDecider(options, getConfig(), agentApiKeyFlag() !== null ? { apiKey: agentApiKeyFlag() } : {}) };
  return decider.decider;
}
