/**
 * The one module that reads the environment. `.env` is loaded without overriding the
 * process environment; flags win over both. Secrets stay here: they are handed to a
 * provider client when one is built and never copied into state, logs or reports.
 */
import { config as loadDotenv } from "dotenv";

export interface LlmEnv {
  apiBase: string | null;
  apiKey: string | null;
  agentModel: string | null;
  coderModel: string | null;
}

let loaded = false;

export function readLlmEnv(): LlmEnv {
  if (!loaded) {
    loadDotenv({ quiet: true });
    loaded = true;
  }
  const env = process.env;
  const pick = (...keys: string[]) => keys.map((k) => env[k]).find((v) => v !== undefined && v.trim() !== "") ?? null;
  return {
    apiBase: pick("openAI_endpoint", "OPENAI_BASE_URL"),
    apiKey: pick("auth_key", "OPENAI_API_KEY"),
    agentModel: pick("agent_LLM"),
    coderModel: pick("coder_LLM"),
  };
}

/** The --agent-api-key of this process: the one holder of a typed key, read by the provider clients and the endpoint. */
let flagApiKey: string | null = null;

/** Keeps `--agent-api-key` in memory for this process (never written anywhere); blank clears it. */
export function setAgentApiKey(key: string | null | undefined): void {
  flagApiKey = key !== undefined && key !== null && key.trim() !== "" ? key.trim() : null;
}

/** The typed key, or null when none was typed (then `.env` / the environment decide). */
export function agentApiKeyFlag(): string | null {
  return flagApiKey;
}

/** The API key to send: `--agent-api-key`, else `.env` auth_key / OPENAI_API_KEY. */
export function agentApiKey(): string | null {
  return flagApiKey ?? readLlmEnv().apiKey;
}

/**
 * TABTUNE_CONFIG: another YAML in config/default.yaml's format (every key), for one run
 * (tests use it for short LLM timeouts); null for the default file.
 */
export function configPathOverride(): string | null {
  const path = process.env.TABTUNE_CONFIG;
  return path !== undefined && path.trim() !== "" ? path : null;
}

/** True when stdin and stdout are a terminal a person can answer at. */
export function isInteractive(): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true && !process.env.CI;
}
