/** Process-wide, read-once things the nodes share: the validated config. */
import { loadConfig, type Config } from "./config.js";

let cached: Config | null = null;

export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
