/** The one place `config/default.yaml` is read and validated. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";
import { TabtuneError } from "./errors.js";

const positiveInt = z.number().int().positive();
const ratio = z.number().gt(0).lt(1);

export const ConfigSchema = z.object({
  seed: z.number().int(),
  csv: z.object({
    missingTokens: z.array(z.string()),
    batchRows: positiveInt,
  }),
  profile: z.object({
    topValues: positiveInt,
    maxClassCardinality: positiveInt.min(2, "maxClassCardinality must allow at least two classes"),
    textDistinctRatio: ratio,
    sampleRows: positiveInt.max(50, "state keeps at most 50 sample rows"),
  }),
  featureSelection: z.object({
    minColumns: positiveInt,
    keep: positiveInt,
    minVariance: z.number().nonnegative(),
    miBins: positiveInt.min(2),
    forestTrees: positiveInt,
    forestMaxRows: positiveInt,
  }),
  codegen: z.object({ maxTries: positiveInt, maxReplans: positiveInt }),
  sandbox: z.object({
    memoryLimitMb: positiveInt.min(8, "isolated-vm needs at least 8 MB"),
    batchTimeoutMs: positiveInt,
    batchRows: positiveInt,
  }),
  split: z.object({ testRatio: ratio }),
  balance: z.object({ adviseBelowRatio: ratio }),
  training: z.object({
    model: z.string().min(1),
    loraRank: positiveInt,
    loraAlpha: positiveInt,
    loraDropout: z.number().min(0).lt(1),
    loraTarget: z.string().min(1),
    useDora: z.boolean(),
    cutoffLen: positiveInt,
    epochs: z.number().positive(),
    learningRate: z.number().positive(),
    lrSchedulerType: z.string().min(1),
    warmupRatio: z.number().min(0).lt(1),
    batchSize: positiveInt,
    evalBatchSize: positiveInt,
    gradAccumulation: positiveInt,
    loggingSteps: positiveInt,
    saveSteps: positiveInt,
    precision: z.enum(["bf16", "fp16"]),
    flashAttn: z.enum(["auto", "fa2", "disabled"]),
    maxNewTokens: positiveInt,
    preprocessingWorkers: positiveInt,
  }),
  baseline: z.object({
    trees: positiveInt,
    maxFeatures: z.number().gt(0).max(1).nullable(),
    maxDepth: positiveInt,
    maxTrainRows: positiveInt,
  }),
  llm: z.object({ temperature: z.number().min(0).max(2), timeoutMs: positiveInt }),
});

export type Config = z.infer<typeof ConfigSchema>;

export const DEFAULT_CONFIG_PATH = fileURLToPath(new URL("../config/default.yaml", import.meta.url));

/** Reads and validates a config file; every problem is reported with its key path. */
export function loadConfig(path: string = DEFAULT_CONFIG_PATH): Config {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new TabtuneError("config_unreadable", `Cannot read config ${path}: ${String(cause)}`, {
      suggestion: "Restore config/default.yaml from the repository.",
      cause,
    });
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new TabtuneError(
      "config_invalid",
      `${path}: ${first?.path.join(".") ?? "?"}: ${first?.message ?? "invalid"}`,
      { suggestion: "Fix that key in the config file." },
    );
  }
  return result.data;
}
