/**
 * The LlamaFactory keys a user may override at config review, and their types.
 * LlamaFactory rejects unknown YAML keys, so every key here is a real LlamaFactory /
 * transformers argument, and every one of them is written to train.yaml.
 */

/** Keys that only mean something while training; never written to a predict config. */
export const TRAINING_ONLY_KEYS: readonly string[] = [
  "lora_rank",
  "lora_alpha",
  "lora_dropout",
  "lora_target",
  "use_dora",
  "num_train_epochs",
  "learning_rate",
  "lr_scheduler_type",
  "warmup_ratio",
  "per_device_train_batch_size",
  "gradient_accumulation_steps",
  "save_steps",
  "save_strategy",
  "save_total_limit",
  "logging_steps",
  "val_size",
  "eval_steps",
  "plot_loss",
  "report_to",
  "ddp_timeout",
];

/** Keys written to the training and both prediction configs. */
export const SHARED_KEYS: readonly string[] = [
  "cutoff_len",
  "bf16",
  "fp16",
  "flash_attn",
  "quantization_bit",
  "per_device_eval_batch_size",
  "preprocessing_num_workers",
  "template",
];

/** Key → value a user asked for at config review ("lora_rank: 32, num_train_epochs: 5"). */
export type ConfigOverrides = Record<string, string | number | boolean>;

type KeyType =
  | { kind: "int"; min: number }
  | { kind: "number"; min: number; max?: number; maxExclusive?: boolean; minExclusive?: boolean }
  | { kind: "boolean" }
  | { kind: "string"; choices?: readonly string[] };

const positiveInt: KeyType = { kind: "int", min: 1 };

/** transformers' SchedulerType values. */
const LR_SCHEDULERS = [
  "linear",
  "cosine",
  "cosine_with_restarts",
  "polynomial",
  "constant",
  "constant_with_warmup",
  "inverse_sqrt",
  "reduce_lr_on_plateau",
  "cosine_with_min_lr",
  "warmup_stable_decay",
] as const;

const KEY_TYPES: Record<string, KeyType> = {
  lora_rank: positiveInt,
  lora_alpha: positiveInt,
  lora_dropout: { kind: "number", min: 0, max: 1, maxExclusive: true },
  lora_target: { kind: "string" },
  use_dora: { kind: "boolean" },
  num_train_epochs: { kind: "number", min: 0, minExclusive: true },
  learning_rate: { kind: "number", min: 0, minExclusive: true },
  lr_scheduler_type: { kind: "string", choices: LR_SCHEDULERS },
  warmup_ratio: { kind: "number", min: 0, max: 1, maxExclusive: true },
  per_device_train_batch_size: positiveInt,
  gradient_accumulation_steps: positiveInt,
  save_steps: positiveInt,
  save_strategy: { kind: "string", choices: ["no", "steps", "epoch", "best"] },
  save_total_limit: positiveInt,
  logging_steps: positiveInt,
  // LlamaFactory reads val_size < 1 as a fraction of the training set, ≥ 1 as a row count.
  val_size: { kind: "number", min: 0 },
  eval_steps: positiveInt,
  plot_loss: { kind: "boolean" },
  report_to: { kind: "string" },
  ddp_timeout: positiveInt,
  cutoff_len: positiveInt,
  bf16: { kind: "boolean" },
  fp16: { kind: "boolean" },
  flash_attn: { kind: "string", choices: ["auto", "disabled", "sdpa", "fa2"] },
  quantization_bit: { kind: "int", min: 2 },
  per_device_eval_batch_size: positiveInt,
  preprocessing_num_workers: positiveInt,
  template: { kind: "string" },
};

/** Every key a user may override. */
export const OVERRIDABLE_KEYS: readonly string[] = [...TRAINING_ONLY_KEYS, ...SHARED_KEYS];

type Coerced = { ok: true; values: ConfigOverrides } | { ok: false; error: string };

/**
 * Checks override keys and values, and returns them with canonical keys
 * ("Lora-Rank" → "lora_rank") and typed values ("32" → 32, "false" → false).
 * Unknown keys name the closest valid key; bad values say what the key takes.
 */
export function coerceOverrides(values: ConfigOverrides): Coerced {
  const out: ConfigOverrides = {};
  const errors: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(values)) {
    const key = rawKey.trim().toLowerCase().replace(/[-\s]+/g, "_");
    const type = KEY_TYPES[key];
    if (!type) {
      errors.push(`unknown key "${rawKey}"; did you mean "${closestKey(key)}"?`);
      continue;
    }
    const result = coerceValue(key, type, rawValue);
    if (typeof result === "string") errors.push(result);
    else out[key] = result.value;
  }
  if (errors.length > 0) return { ok: false, error: errors.join("; ") };
  return { ok: true, values: out };
}

/** Whether config-review overrides can be written (see `coerceOverrides`). */
export function validateOverrides(values: ConfigOverrides): { ok: true } | { ok: false; error: string } {
  const result = coerceOverrides(values);
  return result.ok ? { ok: true } : { ok: false, error: result.error };
}

/** A typed value, or a message saying what the key takes. */
function coerceValue(key: string, type: KeyType, raw: string | number | boolean): { value: string | number | boolean } | string {
  const shown = typeof raw === "string" ? JSON.stringify(raw) : String(raw);
  switch (type.kind) {
    case "boolean": {
      if (typeof raw === "boolean") return { value: raw };
      const text = String(raw).trim().toLowerCase();
      if (text === "true") return { value: true };
      if (text === "false") return { value: false };
      return `${key} must be true or false, got ${shown}`;
    }
    case "int":
    case "number": {
      const num = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw.trim()) : NaN;
      if (!Number.isFinite(num)) return `${key} must be a number, got ${shown}`;
      if (type.kind === "int") {
        if (!Number.isInteger(num)) return `${key} must be a whole number, got ${shown}`;
        if (num < type.min) return `${key} must be at least ${type.min}, got ${shown}`;
        if (key === "quantization_bit" && num !== 4 && num !== 8) return `quantization_bit must be 4 or 8, got ${shown}`;
        return { value: num };
      }
      if (type.minExclusive ? num <= type.min : num < type.min) {
        return `${key} must be ${type.minExclusive ? "greater than" : "at least"} ${type.min}, got ${shown}`;
      }
      if (type.max !== undefined && (type.maxExclusive ? num >= type.max : num > type.max)) {
        return `${key} must be ${type.maxExclusive ? "less than" : "at most"} ${type.max}, got ${shown}`;
      }
      return { value: num };
    }
    case "string": {
      if (typeof raw !== "string" || raw.trim() === "") return `${key} must be a non-empty text value, got ${shown}`;
      const text = raw.trim();
      if (type.choices && !type.choices.includes(text)) return `${key} must be one of ${type.choices.join(", ")}, got ${shown}`;
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
 * The overridable key a mistyped `key` most likely meant: a known alias, else the key
 * that contains it ("epochs" → "num_train_epochs"), else the nearest by edit distance.
 */
export function closestKey(key: string): string {
  const alias = KEY_ALIASES[key];
  if (alias) return alias;
  if (key.length >= 4) {
    const containing = OVERRIDABLE_KEYS.find((candidate) => candidate.includes(key));
    if (containing) return containing;
  }
  let best = OVERRIDABLE_KEYS[0] ?? "";
  let bestDistance = Infinity;
  for (const candidate of OVERRIDABLE_KEYS) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
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
