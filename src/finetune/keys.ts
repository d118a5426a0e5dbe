/**
 * The LlamaFactory keys a user may set at config review, typed from LlamaFactory's own argument
 * dataclasses (registry.ts), and which YAML each one goes to. Every argument `llamafactory-cli train`
 * accepts is accepted here, except the few tabtune itself owns (the model, the data, the output
 * folders), which have their own flags.
 */
import { llamafactoryRuleViolations, type YamlConfig } from "./parser-rules.js";
import { llamafactoryArgument, REGISTERED_TEMPLATES, TRAIN_ARGUMENT_NAMES } from "./registry.js";

/** Key → value a user asked for at config review ("lora_rank: 32, num_train_epochs: 5"). */
export type ConfigOverrides = Record<string, string | number | boolean>;

/** Keys tabtune writes itself, each with what to do instead of overriding it. */
export const TABTUNE_OWNED_KEYS: Readonly<Record<string, string>> = {
  model_name_or_path: "choose the model with --model",
  adapter_name_or_path: "the run's own adapter (sft/) is used",
  stage: "tabtune runs supervised fine-tuning (sft)",
  do_train: "set per config file by tabtune",
  do_eval: "set val_size to evaluate while training",
  do_predict: "set per config file by tabtune",
  predict_with_generate: "set per config file by tabtune",
  dataset: "tabtune writes the run's dataset",
  eval_dataset: "tabtune writes the run's dataset",
  dataset_dir: "tabtune writes the run's dataset",
  output_dir: "each run writes into its own run folder",
  overwrite_output_dir: "tabtune never overwrites a training output, so an interrupted training resumes",
  resume_from_checkpoint: "--resume continues from the run's last checkpoint-*",
  eval_strategy: "follows val_size (steps when val_size > 0)",
  deepspeed: "choose ZeRO with --deepspeed z2|z3",
  infer_backend: "the predict step picks vLLM when it is installed (LlamaFactory refuses it in `train`: hparams/parser.py:529)",
};

/** Training arguments that also shape prediction (the rest only mean something while training; predictions always report nowhere). */
const PREDICT_TRAINING_KEYS = new Set(["bf16", "fp16", "tf32", "per_device_eval_batch_size", "seed"]);
/** Data arguments that shape a prompt or its tokens; val_size, max_samples, packing… would change what is predicted. */
const PREDICT_DATA_KEYS = new Set(["template", "cutoff_len", "preprocessing_num_workers", "preprocessing_batch_size", "default_system", "enable_thinking", "preserve_thinking", "tool_format", "overwrite_cache"]);

/**
 * Where an override is written: train.yaml, the two predict YAMLs, or both.
 * Model arguments go to both (a quantized or flash-attention model is loaded the same way to predict),
 * generation arguments to predict only, training and fine-tuning arguments to train only.
 */
export function overrideTargets(key: string): { train: boolean; predict: boolean } {
  const spec = llamafactoryArgument(key);
  if (!spec) return { train: false, predict: false };
  switch (spec.dataclass) {
    case "ModelArguments":
      return { train: true, predict: true };
    case "GeneratingArguments":
      return { train: false, predict: true };
    case "DataArguments":
      return { train: true, predict: PREDICT_DATA_KEYS.has(key) };
    case "TrainingArguments":
      return { train: true, predict: PREDICT_TRAINING_KEYS.has(key) };
    case "FinetuningArguments":
      // How the trained weights are loaded back to predict (LoRA adapter or not).
      return { train: true, predict: key === "finetuning_type" };
    default:
      return { train: true, predict: false };
  }
}

type Coerced = { ok: true; values: ConfigOverrides } | { ok: false; error: string };

/** Bounds LlamaFactory leaves to a crash later (a rank of 0, a dropout of 1); checked here first. */
const RANGES: Record<string, { min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean }> = {
  lora_rank: { min: 1 },
  lora_alpha: { min: 1 },
  lora_dropout: { min: 0, max: 1, maxExclusive: true },
  num_train_epochs: { min: 0, minExclusive: true },
  learning_rate: { min: 0, minExclusive: true },
  warmup_ratio: { min: 0, max: 1, maxExclusive: true },
  weight_decay: { min: 0 },
  per_device_train_batch_size: { min: 1 },
  per_device_eval_batch_size: { min: 1 },
  gradient_accumulation_steps: { min: 1 },
  save_steps: { min: 0, minExclusive: true },
  save_total_limit: { min: 1 },
  logging_steps: { min: 0, minExclusive: true },
  eval_steps: { min: 0, minExclusive: true },
  // LlamaFactory reads val_size < 1 as a fraction of the training set, ≥ 1 as a row count.
  val_size: { min: 0 },
  cutoff_len: { min: 1 },
  max_samples: { min: 1 },
  max_new_tokens: { min: 1 },
  preprocessing_num_workers: { min: 1 },
  ddp_timeout: { min: 1 },
};

/**
 * Checks override keys and values, and returns them with canonical keys
 * ("Lora-Rank" → "lora_rank") and typed values ("32" → 32, "false" → false).
 * Unknown keys name the closest LlamaFactory argument; bad values say what the key takes.
 */
export function coerceOverrides(values: ConfigOverrides): Coerced {
  const out: ConfigOverrides = {};
  const errors: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(values)) {
    const key = rawKey.trim().toLowerCase().replace(/[-\s]+/g, "_");
    const owned = TABTUNE_OWNED_KEYS[key];
    if (owned !== undefined) {
      errors.push(`${key} is set by tabtune (${owned})`);
      continue;
    }
    const spec = llamafactoryArgument(key);
    if (!spec || !spec.parsers.includes("train")) {
      errors.push(`unknown key "${rawKey}"; did you mean "${closestKey(key)}"?`);
      continue;
    }
    // `template` is a free string to LlamaFactory's parser, but only its registered names load.
    const choices = key === "template" ? REGISTERED_TEMPLATES : spec.choices;
    const result = coerceValue(key, key === "template" ? "choice" : spec.type, choices, rawValue);
    if (typeof result === "string") errors.push(result);
    else out[key] = result.value;
  }
  if (errors.length > 0) return { ok: false, error: errors.join("; ") };
  return { ok: true, values: out };
}

/** What else decides whether LlamaFactory accepts the overrides: the run's --deepspeed, torchrun and --quantization-bit. */
export interface OverrideContext {
  deepspeed: "z2" | "z3" | null;
  distributed: boolean;
  quantizationBit: 4 | 8 | null;
}

/** The context of a run's options (null before they are set: one GPU, no DeepSpeed). */
export function overrideContext(options: { distributed: { gpus: number; nnodes: number; deepspeed: "z2" | "z3" | null }; training: { quantizationBit: 4 | 8 | null } } | null | undefined): OverrideContext {
  if (!options) return SINGLE_GPU;
  const d = options.distributed;
  return { deepspeed: d.deepspeed, distributed: d.gpus > 1 || d.nnodes > 1 || d.deepspeed !== null, quantizationBit: options.training.quantizationBit };
}

/** Without the run's context: one process, no DeepSpeed, no --quantization-bit (rules about ZeRO-3 then go unchecked here). */
const SINGLE_GPU: OverrideContext = { deepspeed: null, distributed: false, quantizationBit: null };

/**
 * Whether config-review overrides can be written (see `coerceOverrides`) and, given the run's
 * context, whether LlamaFactory's parser would accept them (parser-rules.ts) — so a refused
 * combination is answered at the review, before any GPU time.
 */
export function validateOverrides(values: ConfigOverrides, context: OverrideContext = SINGLE_GPU): { ok: true } | { ok: false; error: string } {
  const result = coerceOverrides(values);
  if (!result.ok) return { ok: false, error: result.error };
  // The keys tabtune itself writes that the rules read, then the overrides on top.
  const base: YamlConfig = { stage: "sft", finetuning_type: "lora", ...(context.quantizationBit === null ? {} : { quantization_bit: context.quantizationBit }) };
  const train = { ...base, do_train: true, ...pick(result.values, "train") };
  const predict = { ...base, do_predict: true, predict_with_generate: true, adapter_name_or_path: "sft", eval_dataset: "test", ...pick(result.values, "predict") };
  const violations = [
    ...llamafactoryRuleViolations(train, { file: "train", deepspeed: context.deepspeed, distributed: context.distributed }),
    ...llamafactoryRuleViolations(predict, { file: "predict", deepspeed: context.deepspeed, distributed: context.distributed }),
  ];
  return violations.length === 0 ? { ok: true } : { ok: false, error: `LlamaFactory would refuse this: ${[...new Set(violations)].join("; ")}` };
}

function pick(values: ConfigOverrides, file: "train" | "predict"): YamlConfig {
  return Object.fromEntries(Object.entries(values).filter(([key]) => overrideTargets(key)[file]));
}

/** A typed value, or a message saying what the key takes. */
function coerceValue(
  key: string,
  type: "bool" | "int" | "float" | "str" | "choice" | "object",
  choices: readonly string[] | undefined,
  raw: string | number | boolean,
): { value: string | number | boolean } | string {
  const shown = typeof raw === "string" ? JSON.stringify(raw) : String(raw);
  switch (type) {
    case "bool": {
      if (typeof raw === "boolean") return { value: raw };
      const text = String(raw).trim().toLowerCase();
      if (text === "true") return { value: true };
      if (text === "false") return { value: false };
      return `${key} must be true or false, got ${shown}`;
    }
    case "int":
    case "float": {
      const num = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw.trim()) : NaN;
      if (!Number.isFinite(num)) return `${key} must be a number, got ${shown}`;
      if (type === "int" && !Number.isInteger(num)) return `${key} must be a whole number, got ${shown}`;
      const range = RANGES[key];
      if (range?.min !== undefined && (range.minExclusive ? num <= range.min : num < range.min)) {
        return `${key} must be ${range.minExclusive ? "greater than" : "at least"} ${range.min}, got ${shown}`;
      }
      if (range?.max !== undefined && (range.maxExclusive ? num >= range.max : num > range.max)) {
        return `${key} must be ${range.maxExclusive ? "less than" : "at most"} ${range.max}, got ${shown}`;
      }
      return { value: num };
    }
    case "choice":
    case "str":
    case "object": {
      const text = typeof raw === "string" ? raw.trim() : String(raw);
      if (text === "") return `${key} must be a non-empty value, got ${shown}`;
      if (type === "choice" && choices && !choices.includes(text)) {
        return choices.length > 12 ? `${key} "${text}" is not one LlamaFactory knows; did you mean "${closestKey(text, choices)}"?` : `${key} must be one of ${choices.join(", ")}, got ${shown}`;
      }
      return { value: text };
    }
  }
}

/** Names people type for a key, from this project's flags and other trainers. */
const KEY_ALIASES: Record<string, string> = {
  epochs: "num_train_epochs",
  lr: "learning_rate",
  rank: "lora_rank",
  alpha: "lora_alpha",
  dropout: "lora_dropout",
  batch_size: "per_device_train_batch_size",
  eval_batch_size: "per_device_eval_batch_size",
  grad_accumulation: "gradient_accumulation_steps",
  gradient_accumulation: "gradient_accumulation_steps",
  max_length: "cutoff_len",
  max_seq_length: "cutoff_len",
  warmup: "warmup_ratio",
  scheduler: "lr_scheduler_type",
};

/**
 * The name a mistyped `key` most likely meant, among `candidates` (LlamaFactory's train arguments
 * by default): a known alias, else the candidate that contains it ("epochs" → "num_train_epochs"),
 * else the nearest by edit distance.
 * @example closestKey("weight_decy") // "weight_decay"
 */
export function closestKey(key: string, candidates: readonly string[] = TRAIN_ARGUMENT_NAMES): string {
  const alias = KEY_ALIASES[key];
  if (alias && candidates.includes(alias)) return alias;
  let best = candidates[0] ?? "";
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // A close spelling beats a containing name ("lora_rnak" → "lora_rank", not "lora_rank_pattern"…).
  if (bestDistance <= Math.max(2, Math.floor(key.length / 4))) return best;
  if (key.length >= 4) {
    const containing = candidates.filter((candidate) => candidate.includes(key)).sort((a, b) => a.length - b.length)[0];
    if (containing) return containing;
  }
  return best;
}

/**
 * Levenshtein distance (insert, delete, substitute: cost 1 each).
 * @example editDistance("lora_rnak", "lora_rank") // 2
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
