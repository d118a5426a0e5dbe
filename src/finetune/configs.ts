/**
 * LlamaFactory configs for one run: train.yaml, predict_train.yaml, predict_test.yaml and
 * the dataset_info.json they point at (DESIGN §3 finetune_config, §11).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config.js";
import { TabtuneError } from "../errors.js";
import { coerceOverrides, SHARED_KEYS, TRAINING_ONLY_KEYS } from "./keys.js";
import type { ConfigOverrides } from "./keys.js";
import { toLlamaFactoryYaml } from "./llamafactory-yaml.js";
import { chatTemplateFor } from "./template.js";
import { writeDeepspeedConfig } from "./distributed.js";
import type { DistributedOptions } from "../options.js";

/** Everything a run's configs are built from (config.training plus the run's seed). */
export interface TrainingOptions {
  model: string;
  loraRank: number;
  loraAlpha: number;
  loraDropout: number;
  loraTarget: string;
  useDora: boolean;
  cutoffLen: number;
  epochs: number;
  learningRate: number;
  lrSchedulerType: string;
  warmupRatio: number;
  batchSize: number;
  evalBatchSize: number;
  gradAccumulation: number;
  loggingSteps: number;
  saveSteps: number;
  precision: "bf16" | "fp16";
  flashAttn: "auto" | "fa2" | "disabled";
  quantizationBit: 4 | 8 | null;
  maxNewTokens: number;
  preprocessingWorkers: number;
  seed: number;
  /** Written as `trust_remote_code: true` only when the user asked for it. */
  trustRemoteCode?: boolean;
}

/** Absolute paths of the files `writeLlamaFactoryConfigs` wrote. */
export interface ConfigFiles {
  trainYaml: string;
  predictTrainYaml: string;
  predictTestYaml: string;
  datasetInfoJson: string;
  /** configs/ds_z2_config.json or ds_z3_config.json when --deepspeed was given (train.yaml points at it). */
  deepspeedJson?: string | null;
}

/** Keys we write that are not user overrides (the fake CLI in tests allows exactly these plus the overridable ones). */
export const STRUCTURAL_KEYS: readonly string[] = [
  "model_name_or_path",
  "trust_remote_code",
  "adapter_name_or_path",
  "stage",
  "do_train",
  "do_predict",
  "predict_with_generate",
  "finetuning_type",
  "dataset_dir",
  "dataset",
  "eval_dataset",
  "overwrite_cache",
  "output_dir",
  "overwrite_output_dir",
  "eval_strategy",
  "do_sample",
  "max_new_tokens",
  "seed",
  "deepspeed",
];

/** Checkpoints kept on disk while training (the last ones; older are deleted). */
const SAVE_TOTAL_LIMIT = 3;
/** LlamaFactory's example value: long enough for slow multi-node tokenization. */
const DDP_TIMEOUT = 180_000_000;

type YamlConfig = Record<string, string | number | boolean>;

/** Training options from the validated config; the seed is the run's seed. */
export function trainingOptionsFromConfig(config: Config): TrainingOptions {
  return { ...config.training, quantizationBit: null, seed: config.seed };
}

/**
 * Writes dataset_info.json into `dataDir` (merged with entries already there) and the
 * three YAML configs into `<runDir>/configs/`. Overrides win over options and are written
 * with their types. @throws TabtuneError("config_override_invalid") on a bad override.
 */
export function writeLlamaFactoryConfigs(args: {
  runDir: string;
  dataDir: string;
  datasetName: string;
  options: TrainingOptions;
  overrides: ConfigOverrides;
  /** With a `deepspeed` stage, its JSON goes next to the YAML and train.yaml points at it. */
  distributed?: DistributedOptions;
}): ConfigFiles {
  const coerced = coerceOverrides(args.overrides);
  if (!coerced.ok) {
    throw new TabtuneError("config_override_invalid", `Invalid config override: ${coerced.error}`, {
      suggestion: "Fix the key or value at config review (for example `lora_rank: 32`).",
    });
  }
  const runDir = resolve(args.runDir);
  const dataDir = resolve(args.dataDir);
  const configDir = join(runDir, "configs");
  mkdirSync(configDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });

  const trainName = `${args.datasetName}_train`;
  const testName = `${args.datasetName}_test`;
  const files: ConfigFiles = {
    trainYaml: join(configDir, "train.yaml"),
    predictTrainYaml: join(configDir, "predict_train.yaml"),
    predictTestYaml: join(configDir, "predict_test.yaml"),
    datasetInfoJson: join(dataDir, "dataset_info.json"),
    deepspeedJson: args.distributed?.deepspeed ? writeDeepspeedConfig(configDir, args.distributed.deepspeed) : null,
  };

  writeDatasetInfo(files.datasetInfoJson, { [trainName]: "train.json", [testName]: "test.json" });
  const ctx = { runDir, dataDir, options: args.options, overrides: coerced.values };
  const train = trainConfig(ctx, trainName);
  // Training only: LlamaFactory refuses predict_with_generate under ZeRO-3, and prediction runs as one process.
  if (files.deepspeedJson) train.deepspeed = files.deepspeedJson;
  writeFileSync(files.trainYaml, toLlamaFactoryYaml(train));
  writeFileSync(files.predictTrainYaml, toLlamaFactoryYaml(predictConfig(ctx, trainName, "predict_train")));
  writeFileSync(files.predictTestYaml, toLlamaFactoryYaml(predictConfig(ctx, testName, "predict_test")));
  return files;
}

interface BuildContext {
  runDir: string;
  dataDir: string;
  options: TrainingOptions;
  overrides: ConfigOverrides;
}

/** Adds or replaces this project's entries, keeping any others a user put there. */
function writeDatasetInfo(path: string, entries: Record<string, string>): void {
  let info: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) info = { ...parsed };
    } catch {
      info = {};
    }
  }
  for (const [name, fileName] of Object.entries(entries)) {
    info[name] = {
      file_name: fileName,
      formatting: "alpaca",
      columns: { prompt: "instruction", query: "input", response: "output" },
    };
  }
  writeFileSync(path, `${JSON.stringify(info, null, 2)}\n`);
}

/** `quantization_bit` only when quantizing (LlamaFactory treats its presence as "quantize"). */
function quantizationKeys(o: TrainingOptions): YamlConfig {
  return o.quantizationBit === null ? {} : { quantization_bit: o.quantizationBit };
}

/** Applies the overrides allowed in this file; a precision switched on switches the other off. */
function applyOverrides(config: YamlConfig, overrides: ConfigOverrides, allowed: readonly string[]): YamlConfig {
  const out = { ...config };
  for (const [key, value] of Object.entries(overrides)) {
    if (allowed.includes(key)) out[key] = value;
  }
  if (overrides.fp16 === true && overrides.bf16 === undefined) out.bf16 = false;
  if (overrides.bf16 === true && overrides.fp16 === undefined) out.fp16 = false;
  return out;
}

function modelKeys(o: TrainingOptions): YamlConfig {
  return o.trustRemoteCode ? { model_name_or_path: o.model, trust_remote_code: true } : { model_name_or_path: o.model };
}

function trainConfig(ctx: BuildContext, datasetName: string): YamlConfig {
  const o = ctx.options;
  const base: YamlConfig = {
    ...modelKeys(o),
    stage: "sft",
    do_train: true,
    finetuning_type: "lora",
    lora_rank: o.loraRank,
    lora_alpha: o.loraAlpha,
    lora_dropout: o.loraDropout,
    lora_target: o.loraTarget,
    use_dora: o.useDora,
    ...quantizationKeys(o),
    dataset_dir: ctx.dataDir,
    dataset: datasetName,
    template: chatTemplateFor(o.model),
    cutoff_len: o.cutoffLen,
    overwrite_cache: true,
    preprocessing_num_workers: o.preprocessingWorkers,
    output_dir: join(ctx.runDir, "sft"),
    overwrite_output_dir: true,
    logging_steps: o.loggingSteps,
    save_strategy: "steps",
    save_steps: o.saveSteps,
    save_total_limit: SAVE_TOTAL_LIMIT,
    plot_loss: true,
    report_to: "none",
    per_device_train_batch_size: o.batchSize,
    gradient_accumulation_steps: o.gradAccumulation,
    learning_rate: o.learningRate,
    num_train_epochs: o.epochs,
    lr_scheduler_type: o.lrSchedulerType,
    warmup_ratio: o.warmupRatio,
    bf16: o.precision === "bf16",
    fp16: o.precision === "fp16",
    flash_attn: o.flashAttn,
    ddp_timeout: DDP_TIMEOUT,
    seed: o.seed,
    // The test split is held out for predict_test; validation during training is opt-in.
    val_size: 0,
    per_device_eval_batch_size: o.evalBatchSize,
    eval_steps: o.saveSteps,
  };
  const config = applyOverrides(base, ctx.overrides, [...TRAINING_ONLY_KEYS, ...SHARED_KEYS]);
  // Evaluate only when there is a validation split to evaluate on.
  config.eval_strategy = typeof config.val_size === "number" && config.val_size > 0 ? "steps" : "no";
  return config;
}

function predictConfig(ctx: BuildContext, evalDataset: string, outputName: string): YamlConfig {
  const o = ctx.options;
  const base: YamlConfig = {
    ...modelKeys(o),
    adapter_name_or_path: join(ctx.runDir, "sft"),
    stage: "sft",
    do_predict: true,
    predict_with_generate: true,
    finetuning_type: "lora",
    ...quantizationKeys(o),
    dataset_dir: ctx.dataDir,
    eval_dataset: evalDataset,
    template: chatTemplateFor(o.model),
    cutoff_len: o.cutoffLen,
    overwrite_cache: true,
    preprocessing_num_workers: o.preprocessingWorkers,
    output_dir: join(ctx.runDir, outputName),
    overwrite_output_dir: true,
    // transformers < 5 reports to every installed tracker by default (wandb would prompt).
    report_to: "none",
    per_device_eval_batch_size: o.evalBatchSize,
    // Greedy and short: reproducible, fast label predictions.
    do_sample: false,
    max_new_tokens: o.maxNewTokens,
    bf16: o.precision === "bf16",
    fp16: o.precision === "fp16",
    flash_attn: o.flashAttn,
    seed: o.seed,
  };
  return applyOverrides(base, ctx.overrides, SHARED_KEYS);
}
