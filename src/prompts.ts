/**
 * LLM prompts: one file per prompt in `prompts/<name>.md`, built from named sections
 * (XML-style tags) with `{{placeholder}}` names. `renderPrompt` fills every occurrence
 * of every placeholder and refuses to render with a placeholder left or a value unused.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { TabtuneError } from "./errors.js";

export const PROMPTS_DIR = fileURLToPath(new URL("../prompts/", import.meta.url));

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const NAME = /^[a-z][a-z0-9_-]*$/;

function loadTemplate(name: string): string {
  if (!NAME.test(name))
    throw new TabtuneError("prompt_name", `"${name}" is not a prompt name`, { suggestion: `use one of: ${listPrompts().join(", ")}` });
  try {
    return readFileSync(new URL(`${name}.md`, new URL("../prompts/", import.meta.url)), "utf8");
  } catch (cause) {
    throw new TabtuneError("prompt_missing", `no prompt named "${name}" in ${PROMPTS_DIR}`, {
      suggestion: `use one of: ${listPrompts().join(", ")}`,
      cause,
    });
  }
}

/** Names of the prompts in `prompts/`, sorted. */
export function listPrompts(): string[] {
  return readdirSync(PROMPTS_DIR)
    .filter((file) => file.endsWith(".md"))
    .map((file) => file.slice(0, -3))
    .sort();
}

/** The distinct placeholder names a prompt uses, in order of first appearance. */
export function promptPlaceholders(name: string): string[] {
  return [...new Set([...loadTemplate(name).matchAll(PLACEHOLDER)].map((m) => m[1] ?? ""))];
}

/**
 * Renders `prompts/<name>.md`: every occurrence of each `{{key}}` becomes `values[key]`.
 * Values are inserted as they are (never re-scanned, so a value may contain braces).
 * @throws TabtuneError `prompt_unfilled` when a placeholder has no value, and
 *   `prompt_unused_value` when a value matches no placeholder (usually a typo).
 * @example renderPrompt("feedback", { step, accepted_forms, columns, answer })
 */
export function renderPrompt(name: string, values: Record<string, string>): string {
  const template = loadTemplate(name);
  const used = new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? ""));
  const missing = [...used].filter((key) => !Object.hasOwn(values, key));
  if (missing.length > 0)
    throw new TabtuneError("prompt_unfilled", `prompt "${name}" has placeholders without a value: ${missing.join(", ")}`, {
      suggestion: `pass values for ${missing.map((k) => `{{${k}}}`).join(", ")}`,
    });
  const unused = Object.keys(values).filter((key) => !used.has(key));
  if (unused.length > 0)
    throw new TabtuneError("prompt_unused_value", `prompt "${name}" has no placeholder for: ${unused.join(", ")}`, {
      suggestion: `its placeholders are ${[...used].join(", ") || "none"}`,
    });
  return template.replace(PLACEHOLDER, (_match, key: string) => values[key] ?? "");
}
