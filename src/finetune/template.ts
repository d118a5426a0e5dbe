/**
 * The LlamaFactory chat template for a model (DESIGN §11). A model LlamaFactory registers gets the
 * template LlamaFactory's own registry gives it (registry.ts, generated from its constants.py);
 * `--template NAME` overrides; only an id the registry does not know falls back to a guess by family
 * and version, and the config review warns about that guess.
 */
import { TabtuneError } from "../errors.js";
import { closestKey } from "./keys.js";
import { REGISTERED_TEMPLATES, registeredModel } from "./registry.js";

/** Where a run's template came from. */
export type TemplateSource = "flag" | "registry" | "guess";

export interface TemplateChoice {
  template: string;
  source: TemplateSource;
  /** For a guess: why, in one sentence a person can act on (names the guess and `--template`). */
  warning: string | null;
}

/**
 * The template for `modelId`: `--template` when given (checked against LlamaFactory's names),
 * else LlamaFactory's registry, else a family guess with a warning.
 * @throws TabtuneError("template_unknown") when `override` is not a template LlamaFactory registers.
 * @example resolveTemplate("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B").template // "deepseekr1"
 */
export function resolveTemplate(modelId: string, override?: string | null): TemplateChoice {
  if (override !== undefined && override !== null && override !== "") {
    checkTemplateName(override);
    return { template: override, source: "flag", warning: null };
  }
  const model = registeredModel(modelId);
  if (model?.template) return { template: model.template, source: "registry", warning: null };
  const guess = guessTemplate(modelId);
  const why = model ? `LlamaFactory registers ${model.hub} without a chat template` : `${modelId} is not in LlamaFactory's model registry`;
  return { template: guess, source: "guess", warning: `${why}; guessed template "${guess}" from the name — pass --template NAME if that is wrong` };
}

/** @throws TabtuneError("template_unknown") naming the closest registered template. */
export function checkTemplateName(name: string): void {
  if (REGISTERED_TEMPLATES.includes(name)) return;
  throw new TabtuneError("template_unknown", `--template "${name}" is not a LlamaFactory template; did you mean "${closestKey(name, REGISTERED_TEMPLATES)}"?`, {
    suggestion: `use one of LlamaFactory's ${REGISTERED_TEMPLATES.length} templates (data/template.py), e.g. qwen3, llama3, mistral, gemma3`,
  });
}

/** Chat template for a model id: LlamaFactory's when registered, else the family guess. */
export function chatTemplateFor(modelId: string): string {
  return resolveTemplate(modelId).template;
}

/** First match wins: more specific patterns come before their family's general one. */
const TEMPLATE_RULES: ReadonlyArray<{ pattern: RegExp; template: string }> = [
  // Families whose fine-tunes keep the base name, with the template LlamaFactory registers for the base.
  { pattern: /(?:^|-)deepseek-r1(?:$|-)/, template: "deepseekr1" },
  { pattern: /(?:^|-)gpt-oss(?:$|-)/, template: "gpt_oss" },
  { pattern: /(?:^|-)glm-?4\.5(?:$|-)/, template: "glm4_moe" },
  { pattern: /(?:^|-)glm-?4(?:$|-)/, template: "glm4" },
  { pattern: /(?:^|-)(?:mistral-small|devstral-small)(?:$|-)/, template: "mistral_small" },
  { pattern: /(?:^|-)(?:ministral|mistral-nemo)(?:$|-)/, template: "ministral" },
  { pattern: /(?:^|-)phi-?4-mini(?:$|-)/, template: "phi4_mini" },
  { pattern: /(?:^|-)phi-?3-small(?:$|-)/, template: "phi_small" },
  // Qwen3 instruct-2507 has no thinking mode; the thinking-2507 and base Qwen3 use qwen3.
  { pattern: /(?:^|-)qwen-?3-.*instruct-2507/, template: "qwen3_nothink" },
  { pattern: /(?:^|-)qwen-?3(?:$|-)/, template: "qwen3" },
  { pattern: /(?:^|-)qwen-?(?:1\.5|2\.5|2)?(?:$|-)/, template: "qwen" },
  { pattern: /(?:^|-)deepseek-v3(?:$|-)/, template: "deepseek3" },
  { pattern: /(?:^|-)llama-?2(?:$|-)/, template: "llama2" },
  { pattern: /(?:^|-)llama-?3(?:$|[-.])/, template: "llama3" },
  // Mixtral shares Mistral's [INST] format.
  { pattern: /(?:^|-)(?:mistral|mixtral)(?:$|-)/, template: "mistral" },
  // "gemma-2b" is Gemma 1 at 2B parameters; "gemma-2-2b" is Gemma 2. Gemma 1 is matched
  // by its size ("gemma-7b", "gemma-1.1-2b-it") so that "gemma-3n" is not taken for it.
  { pattern: /(?:^|-)gemma-?3(?:$|-)/, template: "gemma3" },
  { pattern: /(?:^|-)gemma-?2(?:$|-)/, template: "gemma2" },
  { pattern: /(?:^|-)gemma(?:-1(?:\.1)?)?-\d+b(?:$|-)/, template: "gemma" },
  { pattern: /(?:^|-)phi-?4(?:$|[-.])/, template: "phi4" },
  { pattern: /(?:^|-)phi-?3(?:$|[-.])/, template: "phi" },
];

/**
 * The family guess for an id the registry does not know (a fine-tune, a local folder of another name).
 * Only the last path segment is read, case-insensitively, with `_` and spaces read as `-`.
 * @example guessTemplate("my-org/Qwen2.5-0.5B-Instruct-finetuned") // "qwen"
 * @example guessTemplate("my-org/unknown-model") // "default"
 */
export function guessTemplate(modelId: string): string {
  const name = normalizeModelName(modelId);
  for (const rule of TEMPLATE_RULES) {
    if (rule.pattern.test(name)) return rule.template;
  }
  return "default";
}

/** "meta-llama/Meta-Llama-3.1-8B-Instruct/" → "meta-llama-3.1-8b-instruct". */
function normalizeModelName(modelId: string): string {
  const segments = modelId.trim().split(/[\\/]+/).filter((s) => s.length > 0);
  const last = segments[segments.length - 1] ?? "";
  return last.toLowerCase().replace(/[_\s]+/g, "-");
}
