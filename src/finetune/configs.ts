/**
 * LlamaFactory configs for one run: train.yaml, predict_train.yaml, predict_test.yaml and
 * the dataset_info.json they point at (DESIGN §3 finetune_config, §11).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { TabtuneError } from "../errors.js";
import { coerceOverrides, overrideTargets } from "./keys.js";
import type { ConfigOverrides } from "./keys.js";
import { toLlamaFactoryYaml } from "./llamafactory-yaml.js";
import { llamafactoryRuleViolations } from "./parser-rules.js";
import type { YamlConfig } from "./parser-rules.js";
import { resolveTemplate } from "./template.js";
import type { TemplateChoice } from "./template.js";
import { usesTorchrun, writeDeepspeedConfig } from "./distributed.js";
import type { DistributedOptions, TrainingOptions as RunTrainingOptions } from "../options.js";

/** Everything a run's configs are built from: the run's training options (src/options.ts). */
export type TrainingOptions = RunTrainingOptions & {
  /** Written as `trust_remote_code: true` only when the user asked for it. */
  trustRemoteCode?: boolean;
};

/** Absolute paths of the files `writeLlamaFactoryConfigs` wrote. */
export interface ConfigFiles {
  trainYaml: string;
  predictTrainYaml: string;
  predictTestYaml: string;
  datasetInfoJson: string;
  /** configs/ds_z2_config.json or ds_z3_config.json when --deepspeed was given (train.yaml points at it). */
  deepspeedJson?: string | null;
  /** The chat template written and where it came from (--template, LlamaFactory's registry, or a guess). */
  template?: TemplateChoice;
}

/** Keys tabtune writes that are not user overrides (all of them LlamaFactory arguments: see registry.ts). */
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
  /** `--template NAME`; without it, LlamaFactory's registry (or a family guess) decides. */
  template?: string | null;
}): ConfigFiles {
  const coerced = coerceOverrides(args.overrides);
  if (!coerced.ok) {
    throw new TabtuneError("config_override_invalid", `Invalid config override: ${coerced.error}`, {
      suggestion: "Fix the key or value at config review (for example `lora_rank: 32`).",
    });
  }
  const template = resolveTemplate(args.options.model, args.template);
  const runDir = resolve(args.runDir);
  const dataDir = resolve(args.dataDir);
  const configDir = join(runDir, "configs");

  const trainName = `${args.datasetName}_train`;
  const testName = `${args.datasetName}_test`;
  const ctx = { runDir, dataDir, options: args.options, overrides: coerced.values, template: template.template };
  const train = trainConfig(ctx, trainName);
  const predictTrain = predictConfig(ctx, trainName, "predict_train");
  const predictTest = predictConfig(ctx, testName, "predict_test");
  // The combinations LlamaFactory's parser refuses, refused here before anything is written or run.
  const stage = args.distributed?.deepspeed ?? null;
  const distributed = args.distributed ? usesTorchrun(args.distributed) || stage !== null : false;
  const violations = [
    ...llamafactoryRuleViolations(train, { file: "train", deepspeed: stage, distributed }),
    ...llamafactoryRuleViolations(predictTest, { file: "predict", deepspeed: stage, distributed }),
  ];
  if (violations.length > 0) {
    throw new TabtuneError("config_rejected", `LlamaFactory would refuse this configuration: ${[...new Set(violations)].join("; ")}`, {
      suggestion: "change the override at config review (or the --deepspeed / --quantization choice) and approve again",
    });
  }

  mkdirSync(configDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const files: ConfigFiles = {
    trainYaml: join(configDir, "train.yaml"),
    predictTrainYaml: join(configDir, "predict_train.yaml"),
    predictTestYaml: join(configDir, "predict_test.yaml"),
    datasetInfoJson: join(dataDir, "dataset_info.json"),
    deepspeedJson: stage ? writeDeepspeedConfig(configDir, stage) : null,
    template,
  };
  writeDatasetInfo(files.datasetInfoJson, { [trainName]: "train.json", [testName]: "test.json" });
  // Training only: LlamaFactory refuses predict_with_generate under ZeRO-3, and prediction runs as one process.
  if (files.deepspeedJson) train.deepspeed = files.deepspeedJson;
  writeFileSync(files.trainYaml, toLlamaFactoryYaml(train));
  writeFileSync(files.predictTrainYaml, toLlamaFactoryYaml(predictTrain));
  writeFileSync(files.predictTestYaml, toLlamaFactoryYaml(predictTest));
  return files;
}

interface BuildContext {
  runDir: string;
  dataDir: string;
  options: TrainingOptions;
  overrides: ConfigOverrides;
  /** The chat template every config uses. */
  template: string;
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

/** Applies the overrides that belong in this file (keys.ts overrideTargets); a precision switched on switches the other off. */
function applyOverrides(config: YamlConfig, overrides: ConfigOverrides, file: "train" | "predict"): YamlConfig {
  const out = { ...config };
  for (const [key, value] of Object.entries(overrides)) {
    if (overrideTargets(key)[file]) out[key] = value;
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
    template: ctx.template,
    cutoff_len: o.cutoffLen,
    overwrite_cache: true,
    preprocessing_num_workers: o.preprocessingWorkers,
    // No overwrite_output_dir: LlamaFactory then resumes from the last checkpoint-* in output_dir
    // (hparams/parser.py:612-628), so a training that died continues where it was saved.
    output_dir: join(ctx.runDir, "sft"),
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
  const config = applyOverrides(base, ctx.overrides, "train");
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
    template: ctx.template,
    cutoff_len: o.cutoffLen,
    overwrite_cache: true,
    preprocessing_num_workers: o.preprocessingWorkers,
    // Prediction does not train, so LlamaFactory neither resumes nor refuses an existing output_dir here.
    output_dir: join(ctx.runDir, outputName),
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
  return applyOverrides(base, ctx.overrides, "predict");
}
