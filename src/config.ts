/** The one place `config/default.yaml` is read and validated. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { z } from "zod";
import { TabtuneError } from "./errors.js";
import { DistributedOptions, TrainingOptions } from "./options.js";

const positiveInt = z.number().int().positive();
const ratio = z.number().gt(0).lt(1);

export const ConfigSchema = z.object({
  seed: z.number().int(),
  csv: z.object({
    missingTokens: z.array(z.string()),
    batchRows: positiveInt,
    /** In ";"-delimited files, read "3,5" as 3.5. */
    decimalComma: z.boolean(),
  }),
  profile: z.object({
    topValues: positiveInt,
    maxClassCardinality: positiveInt.min(2, "maxClassCardinality must allow at least two classes"),
    textDistinctRatio: ratio,
    sampleRows: positiveInt.max(50, "state keeps at most 50 sample rows"),
    /** Target candidates whose scores differ by less than this are a close call, said in the log, terminal and report. */
    targetCloseMargin: z.number().nonnegative(),
  }),
  featureSelection: z.object({
    minColumns: positiveInt,
    /** Most features kept ("auto": no bound); the number kept is chosen on a validation fold (kTolerance). */
    keep: z.union([positiveInt, z.literal("auto")]),
    /** The smallest k whose validation score (accuracy / R²) is within this of the best k's is kept. */
    kTolerance: z.number().nonnegative(),
    /** Share of the training rows held out (seeded, stratified) to choose k. */
    validationRatio: z.number().gt(0, "featureSelection.validationRatio must be above 0").lt(1, "featureSelection.validationRatio must be below 1"),
    minVariance: z.number().nonnegative(),
    miBins: positiveInt.min(2),
    forestTrees: positiveInt,
    forestMaxRows: positiveInt,
    /** The forest sees at most this many columns: the best by univariate rank (wide tables). */
    forestMaxColumns: positiveInt.min(2),
  }),
  quality: z.object({
    /** Share of rows affected at or above which a finding is medium / high. */
    mediumRate: ratio,
    highRate: ratio,
    /** Findings kept in state (most severe first). */
    maxFindings: positiveInt,
    /** Column-name words (as nameTokens splits them) whose values cannot be negative. */
    nonNegativeNames: z.array(z.string().min(1)),
    /** Rows looked at by the leakage checks at most (a seeded sample beyond). */
    leakageMaxRows: positiveInt,
    /** Share of rows whose feature value maps to a single class for a "perfectly predictive" leak. */
    leakageCoverage: ratio,
    /** |Pearson r| (regression) or AUC distance from 0.5 × 2 (binary) at or above which a numeric column leaks. */
    leakageCorrelation: ratio,
  }).refine((q) => q.mediumRate <= q.highRate, { message: "quality.mediumRate must not exceed quality.highRate" }),
  codegen: z.object({
    maxTries: positiveInt,
    maxReplans: positiveInt,
    /** Rounds of maxTries codegen → execute tries per run (review_prep retries); every loop is bounded. */
    maxRounds: positiveInt,
  }),
  sandbox: z.object({
    memoryLimitMb: positiveInt.min(8, "isolated-vm needs at least 8 MB"),
    batchTimeoutMs: positiveInt,
    batchRows: positiveInt,
  }),
  split: z.object({
    testRatio: ratio,
    /** Training rows every class keeps at least after a ratio split (classification). */
    minTrainRowsPerClass: positiveInt,
    /** Training rows in all at least after a ratio split (regression). */
    minTrainRows: positiveInt,
  }),
  balance: z.object({
    adviseBelowRatio: ratio,
    sandboxMemoryMb: positiveInt.min(8, "sandboxMemoryMb must be at least 8 (isolated-vm's minimum)"),
    sandboxTimeoutMs: positiveInt,
    maxGrowth: z.number().min(1, "maxGrowth must let a balance script keep every row (at least 1)"),
  }),
  /** Defaults of the training options (src/options.ts declares them; the seed is the run's). */
  training: TrainingOptions.omit({ quantizationBit: true, seed: true }),
  /** Defaults of rank 0's address and port for multi-node training. */
  distributed: DistributedOptions.pick({ masterAddr: true, masterPort: true }),
  predict: z.object({
    /** Requests in flight at once against --predict-endpoint. */
    concurrency: positiveInt,
    /** Tries per record on 429, 5xx, network errors and timeouts. */
    maxAttempts: positiveInt,
    /** First backoff; doubled per retry (with jitter), capped at maxBackoffMs. */
    backoffMs: positiveInt,
    maxBackoffMs: positiveInt,
    timeoutMs: positiveInt,
    maxTokens: positiveInt,
  }),
  evaluate: z.object({
    bootstrapResamples: positiveInt,
    confidenceLevel: ratio,
    /** Characters per token for the cutoff_len check (digits count one token each). */
    charsPerToken: z.number().positive(),
    /** Tokens the chat template adds around a record (system prompt, role markers). */
    templateTokens: z.number().int().nonnegative(),
  }),
  baseline: z.object({
    trees: positiveInt,
    maxFeatures: z.number().gt(0).max(1).nullable(),
    maxDepth: positiveInt,
    maxTrainRows: positiveInt,
    /** The linear baseline: logistic regression's C, ridge's alpha, L-BFGS iterations. */
    linear: z.object({ C: z.number().positive("baseline.linear.C must be above 0"), alpha: z.number().positive("baseline.linear.alpha must be above 0"), maxIterations: positiveInt }),
    /** Folds of the cross-validation that chooses between the forest and the linear model. */
    cvFolds: positiveInt.min(2, "baseline.cvFolds: cross-validation needs at least 2 folds"),
    /** Training rows cross-validated at most (a seeded, stratified sample beyond this). */
    cvMaxRows: positiveInt.min(10, "baseline.cvMaxRows: cross-validate at least 10 rows"),
    /** Folds are scored in turn until this many rows were scored out of fold (every fold on small tables). */
    cvValidationRows: positiveInt,
    /** The linear model replaces the forest only when its cross-validated lead exceeds this many standard errors (0: any lead). */
    linearMargin: z.number().nonnegative("baseline.linearMargin must be 0 or more"),
    /** Test rows the saved model is checked on at most before it is written (every test row up to this; beyond it a seeded sample of this many). */
    savedCheckRows: positiveInt,
  }),
  imputation: z.object({
    maxAnalysisRows: positiveInt.min(100, "imputation needs at least 100 analysis rows"),
    /** Candidate scoring's rows at most (a seeded sample of the analysis rows). */
    scoringRows: positiveInt.min(50, "imputation.scoringRows: scoring needs at least 50 rows"),
    /** Early stop: the simple policies within this of a column's best masked error settle it. */
    epsilon: z.number().min(0, "imputation.epsilon must be 0 or more (0: only when a simple policy is best)"),
    /** MCAR columns whose every |correlation| with another numeric column (and association, weakAssociation) is below this are scored on the simple policies alone (0: never). */
    weakCorrelation: z.number().min(0).max(1, "imputation.weakCorrelation is a |correlation| between 0 and 1"),
    /** The same for pairs with a categorical column: bias-corrected Cramér's V or correlation ratio η below this (0: never). */
    weakAssociation: z.number().min(0).max(1, "imputation.weakAssociation is a bias-corrected Cramér's V or η between 0 and 1"),
    maskFractions: z.array(ratio).min(1, "name at least one mask fraction"),
    weights: z.object({ maskedError: z.number().min(0), downstream: z.number().min(0) }).refine((w) => w.maskedError + w.downstream > 0, "at least one imputation weight must be above 0"),
    knn: z.object({ k: positiveInt, referenceRows: positiveInt }),
    iterative: z.object({ rounds: positiveInt, trees: positiveInt, maxDepth: positiveInt, minLeaf: positiveInt, fitRows: positiveInt.min(10) }),
    /** Candidate scoring's iterative engine: these rounds and trees (the rest as `iterative`); the final imputer uses `iterative`. */
    scoringIterative: z.object({ rounds: positiveInt, trees: positiveInt }),
    probe: z.object({ trees: positiveInt, maxDepth: positiveInt, folds: positiveInt.min(2, "cross-validation needs at least 2 folds"), minMissing: positiveInt, edgeDensity: ratio, tailDensity: ratio }),
    marAuc: z.number().gt(0.5, "an AUC of 0.5 is chance: marAuc must be above it").max(1),
    mcarAlpha: ratio,
    downstream: z.object({ trees: positiveInt, validationRatio: ratio }),
    mnarDeltas: z.array(z.number()).min(1),
    llm: z.object({
      batchRows: positiveInt.max(200, "llm.batchRows: at most 200 rows a call keeps prompts small"),
      maxScoredCells: positiveInt,
      /** The run's budget for the LLM imputer, scoring and filling together; the rest is filled by the scored choice. */
      maxCalls: positiveInt,
      maxTokens: positiveInt,
    }),
  }),
  llm: z.object({
    temperature: z.number().min(0).max(2),
    timeoutMs: positiveInt,
    /** One decision's requests, backoff waits and re-asks together, after which the heuristic answers. */
    decisionBudgetMs: positiveInt.min(100, "llm.decisionBudgetMs below 100 ms leaves no time for a request"),
    maxRetries: z.number().int().min(0).max(10, "more than 10 retries of one call is a hang, not a retry"),
    retryBaseDelayMs: z.number().int().nonnegative(),
    retryMaxDelayMs: z.number().int().nonnegative(),
    maxReasks: z.number().int().min(0).max(2, "at most 2 re-asks per call"),
    maxPromptTokens: positiveInt.min(1000, "prompts need at least 1000 tokens"),
    maxCompletionTokens: positiveInt,
    promptSampleRows: positiveInt.max(20, "prompts show at most 20 sample rows"),
    wideTableColumns: positiveInt,
    bedrockRegion: z.string().min(1).nullable(),
    bedrockEndpoint: z.url("bedrockEndpoint must be a URL such as https://bedrock-runtime.us-east-1.amazonaws.com").nullable(),
  }),
  report: z.object({
    /** Subgroups with fewer test rows than this are flagged small. */
    subgroupMinRows: positiveInt,
    /** PSI above which a feature's train/test drift is flagged. */
    driftPsiThreshold: z.number().positive("report.driftPsiThreshold must be above 0"),
    /** Training-quantile bins per numeric feature for the PSI. */
    driftBins: positiveInt.min(2, "report.driftBins needs at least 2 bins"),
    /** Equal-width bins of the calibration plot. */
    calibrationBins: positiveInt.min(2, "report.calibrationBins needs at least 2 bins"),
    /** Thresholds of the binary threshold table, each in [0, 1]. */
    thresholds: z.array(z.number().min(0).max(1, "report.thresholds must be probabilities in [0, 1]")).min(1, "name at least one threshold"),
  }),
  checkpoints: z.object({
    /** When LangGraph writes a step's checkpoint: "sync" (before the next step), "async" (while it runs), "exit" (only at the end). */
    durability: z.enum(["sync", "async", "exit"], { message: 'checkpoints.durability must be "sync", "async" or "exit"' }),
  }),
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
