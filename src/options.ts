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
});
export type RunOptions = z.infer<typeof RunOptions>;
