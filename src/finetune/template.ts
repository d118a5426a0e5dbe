/**
 * The LlamaFactory chat template for a model, by family and version (DESIGN §11).
 * Qwen3 ≠ Qwen2 and Llama-2 ≠ Llama-3: a wrong template silently trains on the wrong
 * prompt format, so versions are matched explicitly and anything unknown gets "default".
 */

/** First match wins: more specific patterns come before their family's general one. */
const TEMPLATE_RULES: ReadonlyArray<{ pattern: RegExp; template: string }> = [
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
 * Chat template for a Hugging Face model id or a local model path.
 * Only the last path segment is read, case-insensitively, with `_` and spaces read as `-`.
 * @example chatTemplateFor("Qwen/Qwen2.5-0.5B-Instruct") // "qwen"
 * @example chatTemplateFor("Qwen/Qwen3-4B-Instruct-2507") // "qwen3_nothink"
 * @example chatTemplateFor("google/gemma-2b-it") // "gemma"
 * @example chatTemplateFor("my-org/unknown-model") // "default"
 */
export function chatTemplateFor(modelId: string): string {
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
