/**
 * The options of one run, declared once: their zod schema (below), their defaults
 * (`optionDefaults`, values from config/default.yaml) and `resolveRunOptions`, which turns
 * a partial input (CLI flags, or a served graph's input) into complete options the same way
 * for both. They live in state so a resumed run behaves as it started. Secrets never do:
 * API keys stay in src/env.ts.
 */
import { spawnSync } from "node:child_process";
import { userInfo } from "node:os";
import { basename, extname, join } from "node:path";
import { z } from "zod";
import type { Config } from "./config.js";
import type { LlmEnv } from "./env.js";
import { TabtuneError } from "./errors.js";

export const Provider = z.enum(["heuristic", "openai", "bedrock"]);
export type Provider = z.infer<typeof Provider>;

/** LoRA training settings; config/default.yaml's `training` section holds their defaults. */
export const TrainingOptions = z.object({
  model: z.string().min(1),
  loraRank: z.number().int().positive(),
  loraAlpha: z.number().int().positive(),
  loraDropout: z.number().min(0).lt(1),
  loraTarget: z.string().min(1),
  useDora: z.boolean(),
  cutoffLen: z.number().int().positive(),
  epochs: z.number().positive(),
  learningRate: z.number().positive(),
  lrSchedulerType: z.string().min(1),
  warmupRatio: z.number().min(0).lt(1),
  batchSize: z.number().int().positive(),
  evalBatchSize: z.number().int().positive(),
  gradAccumulation: z.number().int().positive(),
  loggingSteps: z.number().int().positive(),
  saveSteps: z.number().int().positive(),
  precision: z.enum(["bf16", "fp16"]),
  flashAttn: z.enum(["auto", "fa2", "disabled"]),
  quantizationBit: z.union([z.literal(4), z.literal(8)]).nullable(),
  maxNewTokens: z.number().int().positive(),
  preprocessingWorkers: z.number().int().positive(),
  seed: z.number().int(),
});
export type TrainingOptions = z.infer<typeof TrainingOptions>;

/** Multi-GPU / multi-node training through LlamaFactory's torchrun path (DESIGN §11). */
export const DistributedOptions = z.object({
  /** Processes (GPUs) per node: NPROC_PER_NODE. */
  gpus: z.number().int().positive(),
  /** Machines taking part: NNODES. */
  nnodes: z.number().int().positive(),
  /** This machine's rank, 0 … nnodes − 1: NODE_RANK. */
  nodeRank: z.number().int().min(0),
  /** Address and port of rank 0: MASTER_ADDR, MASTER_PORT. */
  masterAddr: z.string().min(1),
  masterPort: z.number().int().min(1).max(65535),
  /** DeepSpeed ZeRO stage written as ds_z2/ds_z3_config.json, or none. */
  deepspeed: z.enum(["z2", "z3"]).nullable(),
});
export type DistributedOptions = z.infer<typeof DistributedOptions>;

/** A model served over an OpenAI-compatible chat-completions API, scored on the test records. */
export const PredictEndpointOptions = z.object({
  /** Base URL (`http://host:8000/v1`) or the full `/chat/completions` URL; the key is never stored. */
  url: z.string().url(),
  /** Model name sent in the request; null → the first id `GET /models` lists. */
  model: z.string().min(1).nullable(),
  /** Requests in flight at once. */
  concurrency: z.number().int().positive(),
});
export type PredictEndpointOptions = z.infer<typeof PredictEndpointOptions>;

export const RunOptions = z.object({
  /** Training CSV, as given (relative paths are resolved against the working directory). */
  csv: z.string(),
  /** Optional held-out test CSV; replaces the random split. */
  testCsv: z.string().nullable(),
  /** Output folder of this dataset (checkpoints, data, scripts, runs). */
  output: z.string(),
  /** Target column named by the user, or null to detect it. */
  target: z.string().nullable(),
  testRatio: z.number().gt(0).lt(1),
  seed: z.number().int(),
  provider: Provider,
  /** OpenAI-compatible base URL; the key is never stored here. */
  agentApiBase: z.string().nullable(),
  agentModel: z.string().nullable(),
  coderModel: z.string().nullable(),
  agentTemperature: z.number().min(0).max(2),
  /** Run llamafactory-cli when it is on PATH. */
  finetune: z.boolean(),
  verbose: z.boolean(),
  training: TrainingOptions,
  /** Torchrun/DeepSpeed settings for training (one GPU, one node by default). */
  distributed: DistributedOptions,
  /** Score a served model instead of (or besides) a local LlamaFactory prediction; null when not asked. */
  predictEndpoint: PredictEndpointOptions.nullable(),
  /** Who answers the reviews (--approver; default git's user.name, else the OS user), named in the log and report. */
  approver: z.string().trim().min(1, "--approver must not be empty").nullable().default(null),
  /** Columns whose values split the test rows for the report's performance by subgroup (--subgroups a,b). */
  subgroups: z.array(z.string().min(1)).default([]),
  /** What the model is for, in the user's words (--intended-use), for the model card. */
  intendedUse: z.string().trim().min(1).nullable().default(null),
  /** LlamaFactory chat template (--template); null: the one LlamaFactory registers for the model (finetune/template.ts). */
  template: z.string().min(1).nullable().default(null),
});
export type RunOptions = z.infer<typeof RunOptions>;

/** What a caller may give: every option but the CSV is optional (nested groups partly too). */
export const RunOptionsInput = RunOptions.extend({
  training: TrainingOptions.partial(),
  distributed: DistributedOptions.partial(),
  // Without a url the other endpoint settings are ignored (the CLI always has a --predict-concurrency).
  predictEndpoint: PredictEndpointOptions.partial().nullable(),
})
  .partial()
  .extend({ csv: z.string().min(1, "csv must name the training CSV") });
export type RunOptionsInput = z.infer<typeof RunOptionsInput>;

/**
 * The defaults that do not depend on the input: the config's values and the fixed ones
 * (one process on one node, no endpoint). The CLI shows them in --help.
 */
export function optionDefaults(config: Config) {
  return {
    testCsv: null,
    target: null,
    testRatio: config.split.testRatio,
    seed: config.seed,
    agentApiBase: null,
    agentModel: null,
    coderModel: null,
    agentTemperature: config.llm.temperature,
    finetune: false,
    verbose: false,
    training: { ...config.training, quantizationBit: null, seed: config.seed },
    distributed: { gpus: 1, nnodes: 1, nodeRank: 0, masterAddr: config.distributed.masterAddr, masterPort: config.distributed.masterPort, deepspeed: null },
    predictEndpoint: null,
    approver: null,
    subgroups: [],
    intendedUse: null,
    template: null,
  } satisfies Omit<RunOptions, "csv" | "output" | "provider">;
}

/** `output/<csv stem>`: where a run's folder goes when no output folder is given. */
export function defaultOutput(csv: string): string {
  return join("output", basename(csv, extname(csv)));
}

/** The approver when none is given: git's user.name, else the OS user, else null. */
export function defaultApprover(): string | null {
  const git = spawnSync("git", ["config", "user.name"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
  const name = git.status === 0 ? git.stdout.trim() : "";
  if (name) return name;
  try {
    return userInfo().username || null;
  } catch {
    return null; // no passwd entry for this uid (some containers)
  }
}

/** What resolving reads besides the input: the config, `.env`, and who answers the reviews. */
export interface ResolveContext {
  config: Config;
  env: LlmEnv;
  /** The approver when none is given (git user.name, else the OS user); called only then. */
  defaultApprover: () => string | null;
}

/** openai needs an API base and a model; bedrock a model (region and credentials come from AWS). */
function requireProviderSettings(provider: Provider, apiBase: string | null, agentModel: string | null): void {
  if (provider === "openai" && !apiBase)
    throw new TabtuneError("provider_settings", "--provider openai needs an API base URL", { suggestion: "pass --agent-api-base http://host:port/v1 or set openAI_endpoint in .env" });
  if (provider !== "heuristic" && !agentModel)
    throw new TabtuneError("provider_settings", `--provider ${provider} needs a model name`, { suggestion: "pass --agent-model <name> or set agent_LLM in .env" });
}

/**
 * Complete options from a partial input, filled as the CLI fills them: the output folder
 * from the CSV's name, the provider from whether an API base is set, the models and API base
 * from `.env`, the training seed from the run's seed, the rest from `optionDefaults`. The
 * result is not yet validated: parse it with RunOptions (the caller names the fields its way).
 */
export function fillRunOptions(input: RunOptionsInput, ctx: ResolveContext): Record<keyof RunOptions, unknown> {
  const d = optionDefaults(ctx.config);
  const seed = input.seed ?? d.seed;
  const distributed = { ...d.distributed, ...input.distributed };
  if (distributed.nodeRank >= distributed.nnodes)
    throw new TabtuneError("bad_flag", `--node-rank must be below --nnodes (${distributed.nnodes}), got ${distributed.nodeRank}`, { suggestion: "number the machines 0 … nnodes-1" });
  const apiBase = input.agentApiBase ?? ctx.env.apiBase;
  const provider = input.provider ?? (apiBase ? "openai" : "heuristic");
  const agentModel = input.agentModel ?? ctx.env.agentModel;
  requireProviderSettings(provider, apiBase, agentModel);
  const endpoint = input.predictEndpoint;
  return {
    csv: input.csv,
    testCsv: input.testCsv ?? d.testCsv,
    output: input.output ?? defaultOutput(input.csv),
    target: input.target ?? d.target,
    testRatio: input.testRatio ?? d.testRatio,
    seed,
    provider,
    agentApiBase: apiBase,
    agentModel,
    coderModel: input.coderModel ?? ctx.env.coderModel ?? input.agentModel ?? ctx.env.agentModel,
    agentTemperature: input.agentTemperature ?? d.agentTemperature,
    finetune: input.finetune ?? d.finetune,
    verbose: input.verbose ?? d.verbose,
    training: { ...d.training, seed, ...input.training },
    distributed,
    predictEndpoint: endpoint?.url ? { url: endpoint.url, model: endpoint.model ?? null, concurrency: endpoint.concurrency ?? ctx.config.predict.concurrency } : d.predictEndpoint,
    approver: input.approver ?? ctx.defaultApprover(),
    subgroups: input.subgroups ?? d.subgroups,
    intendedUse: input.intendedUse ?? d.intendedUse,
    template: input.template ?? d.template,
  };
}
