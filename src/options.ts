/**
 * The options of one run: CLI flags merged over `.env` and config/default.yaml.
 * They live in state so a resumed run behaves as it started. Secrets never do:
 * API keys stay in the process environment (src/env.ts).
 */
import { z } from "zod";

export const Provider = z.enum(["heuristic", "openai", "bedrock"]);
export type Provider = z.infer<typeof Provider>;

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
  lrSchedulerType: z.string(),
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
});
export type RunOptions = z.infer<typeof RunOptions>;
