/**
 * The validated config, read once per process (config/default.yaml, or TABTUNE_CONFIG's file).
 * Apart from src/runtime.ts (which re-exports it beside the decider) so that the CLI can show
 * help and refuse bad flags without loading the model providers.
 */
import { loadConfig, type Config } from "./config.js";
import { configPathOverride } from "./env.js";

let cached: Config | null = null;

export function getConfig(): Config {
  cached ??= loadConfig(configPathOverride() ?? undefined);
  return cached;
}
