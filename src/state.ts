/**
 * The graph's state: decisions and references (paths with content hashes), never
 * row arrays. Everything here is plain JSON so a checkpoint of a 1M-row run stays small.
 */
import { Annotation } from "@langchain/langgraph";
import type { FeedbackAction } from "./feedback/parse.js";
import type { ConfigFiles } from "./finetune/configs.js";
import type { RecordTokens, TokenCheck } from "./finetune/token-check.js";
import type { ClassificationMetrics, RegressionMetrics } from "./stats/metrics.js";
import type { Mechanism } from "./stats/imputation/mechanism.js";
import type { ImputePolicy } from "./stats/imputation/policies.js";
import type { AlpacaRecord } from "./rows.js";
import type { RunOptions } from "./options.js";
import type { BalanceStrategy, Plan, ReviewPayload, TableProfile, TargetChoice } from "./schemas.js";

/** A file written by a step: where, its SHA-256, and how many records it holds. */
export interface ArtifactRef {
  path: string;
  sha256: string;
  bytes: number;
  rows: number | null;
}

/** One append-only entry of the pipeline log: who decided what, with which numbers. */
export interface LogEntry {
  at: string;
  step: string;
  decision: string;
  /** "heuristic", a model name, or "user" for review answers. */
  by: string;
  numbers: Record<string, number>;
  durationMs: number;
  artifacts: string[];
}

/** The failure of one codegen → execute try, fed back to the next try. */
export interface ExecutionError {
  message: string;
  /**
   * 1-based line of the CSV file (the header is line 1) where the failing row starts,
   * when row-specific; counted from its batch's first line, so exact unless blank lines
   * or quoted multi-line cells precede it within the batch.
   */
  line: number | null;
  /** 1-based data row (the header not counted) where it failed, when row-specific; exact. */
  dataRow?: number | null;
  /** The input row's values (for a render failure: the cleaned row render was given). */
  row: Record<string, unknown> | null;
}

/** What the next codegen try learns from the failed one (DESIGN §3): its code and error. */
export interface CodeFeedback {
  /** The try that failed (1-based, within the current round). */
  attempt: number;
  /** The code that failed, as written (a script that did not compile included). */
  code: string;
  error: ExecutionError;
}

/** A row `clean` returned null for, shown at review_prep. */
export interface DroppedRow {
  /** 1-based data row (the header not counted). */
  dataRow: number;
  reason: string;
  row: Record<string, unknown>;
}

export interface ExecutionResult {
  ok: boolean;
  error: ExecutionError | null;
  rowsIn: number;
  rowsOut: number;
  /** Rows `clean` returned null for (e.g. missing target). */
  dropped: number;
  /** Dropped rows by reason ("target missing", or "clean returned null" for any other). */
  dropReasons?: Record<string, number>;
  /** The first few dropped rows with their values. */
  droppedSample?: DroppedRow[];
  cleaned: ArtifactRef | null;
  allData: ArtifactRef | null;
  /**
   * data/cleaned_rows.txt: the 0-based source (CSV data) row of each cleaned row, one per
   * line, so split can apply the mask fixed at explore; absent for runs from before it.
   */
  sourceRows?: ArtifactRef | null;
  sample: AlpacaRecord[];
}

export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Verification {
  checks: VerifyCheck[];
  classCounts: Record<string, number>;
  critique: string[];
}

/**
 * The train/test split fixed at explore (DESIGN §3), before any statistic is fitted: a
 * seeded mask over the CSV's source rows computed from the raw target column.
 */
export interface SplitMask {
  /** data/split_mask.txt: one character per source row ("0" train, "1" test, "." target missing). */
  file: ArtifactRef;
  /** The target column it was computed from (a target changed at review_plan makes split compute a new one). */
  target: string;
  seed: number;
  /** The test ratio it was made with; null with --test-csv (every source row is training). */
  testRatio: number | null;
  /** Stratified by the target's classes (classification), else one group. */
  stratified: boolean;
  /** Source rows with each side. */
  train: number;
  test: number;
  /** Rows whose target is missing: in neither part (cleaning drops them). */
  noTarget: number;
}

export interface SplitResult {
  source: "ratio" | "test_csv";
  /**
   * "explore": the cleaned rows went where explore's mask put their source rows;
   * "recomputed": seed or ratio changed since explore, so a new mask was made (selection used the old one);
   * "cleaned": a run without source rows (older runs): a fresh split of the cleaned rows. Absent with --test-csv.
   */
  mask?: "explore" | "recomputed" | "cleaned";
  testRatio: number | null;
  train: ArtifactRef;
  test: ArtifactRef;
  trainClassCounts: Record<string, number>;
  testClassCounts: Record<string, number>;
  /** Rows of the test CSV that `clean` dropped. */
  testDropped: number;
}

export interface ImputedColumn {
  column: string;
  policy: ImputePolicy;
  /** The fitted fill (mean/median/mode), or what fills it ("5 nearest neighbours", "left empty"). */
  value: string | number;
  filledTrain: number;
  filledTest: number;
  /** Why the values are missing, estimated on the training rows (DESIGN §7). */
  mechanism: Mechanism;
  /** The evidence behind the mechanism, in a sentence (probe AUC, Little's statistic). */
  mechanismReason: string;
  /** "score": lowest weighted score; "user": impute <col>: <policy> at review_prep; "rule": the only choice. */
  chosenBy: "score" | "user" | "rule";
  /** Mean masked-cell error per scored policy: standardized RMSE (numbers) or 1 − accuracy (categories). */
  maskedError: Record<string, number | null>;
  /** Suspected-MNAR numbers: the baseline's validation metric with the filled values shifted by each δ·sd. */
  sensitivity: { metric: "accuracy" | "RMSE"; deltas: number[]; values: number[] } | null;
}

export interface ImputationResult {
  columns: ImputedColumn[];
  /** Little's MCAR test on the numeric feature columns of the analysed training rows. */
  littleMcar: { statistic: number; df: number; pValue: number; patterns: number; rows: number; columns: string[] } | null;
  policies: ArtifactRef;
  train: ArtifactRef;
  test: ArtifactRef;
}

export interface BalanceResult {
  strategy: BalanceStrategy;
  before: Record<string, number>;
  after: Record<string, number>;
  /** The run's scripts/balance_data.js; null when nothing was resampled. */
  script: ArtifactRef | null;
  /** Who wrote that script ("heuristic" or "<provider>:<model>"); null without one. */
  writer: string | null;
  trainRows: ArtifactRef;
  trainJson: ArtifactRef;
  testJson: ArtifactRef;
}

export interface StepCommand {
  argv: string[];
  ran: boolean;
  exitCode: number | null;
  logFile: string | null;
}

export interface EvaluationResult {
  results: ArtifactRef;
  baseline: ClassificationMetrics | RegressionMetrics;
  llm: ClassificationMetrics | RegressionMetrics | null;
  /** Where the LLM's predictions came from ("llamafactory", an endpoint URL), or null. */
  llmSource?: string | null;
}

/** The latest review answer as actions; an answer not accepted keeps `error` and no actions. */
export interface LastReview {
  step: ReviewPayload["step"];
  answer: string;
  actions: FeedbackAction[];
  error: string | null;
  /**
   * True when `actions` are the model's reading of free text, shown back at the same
   * review and applied only when the next answer there is approve.
   */
  awaitingConfirmation?: boolean;
}

/** Keep the newest value; `undefined` in an update leaves the field as it was. */
function latest<T>(fallback: () => T) {
  return Annotation<T>({ reducer: (_old, next) => next, default: fallback });
}

export const StateAnnotation = Annotation.Root({
  /** Thread id of this run in the checkpointer. */
  runId: latest<string>(() => ""),
  /** Flags merged over `.env` and config; no secrets. */
  options: latest<RunOptions | null>(() => null),
  /** Profile of the training CSV (with up to 20 sample rows). */
  profile: latest<TableProfile | null>(() => null),
  /** Problems of the test CSV's header against the training CSV. */
  testCsvIssues: latest<string[]>(() => []),
  /** Target, task and label mapping chosen at explore, with the reasons. */
  target: latest<TargetChoice | null>(() => null),
  /** Rows per raw target value, counted at explore. */
  targetCounts: latest<Record<string, number>>(() => ({})),
  /** The split fixed at explore (seeded mask over the source rows); select_features and split use it. */
  splitMask: latest<SplitMask | null>(() => null),
  /** Columns select_features kept (null when it did not run). */
  selectedFeatures: latest<string[] | null>(() => null),
  /** feature_selection/feature_rankings.csv when select_features ran. */
  featureRankings: latest<ArtifactRef | null>(() => null),
  /** The current plan; replaced by plan, never edited elsewhere. */
  prepPlan: latest<Plan | null>(() => null),
  /** Review edits the next plan node applies. */
  pendingEdits: latest<FeedbackAction[]>(() => []),
  /** How many times plan ran (bounded by config.codegen.maxReplans). */
  planVersion: latest<number>(() => 0),
  /** Codegen tries in the current round (reset by plan and by a retry at review_prep). */
  codeTries: latest<number>(() => 0),
  /** scripts/prepare_data.js of the latest try. */
  script: latest<ArtifactRef | null>(() => null),
  /**
   * The failed try's code, error and failing row, for the next codegen try of this round
   * (an LLM coder reads it; the heuristic template cannot change its code). Null after a
   * success.
   */
  codeFeedback: latest<CodeFeedback | null>(() => null),
  /** Outcome of the latest execute. */
  execution: latest<ExecutionResult | null>(() => null),
  /** Deterministic checks and critique of the rendered records. */
  verification: latest<Verification | null>(() => null),
  /** The action list of the latest review answer, consumed by its router. */
  lastReview: latest<LastReview | null>(() => null),
  /** Balancing strategy for the training rows. */
  balanceStrategy: latest<BalanceStrategy>(() => "none"),
  /** Imputation policies typed at review_prep (impute <col>: <policy>); they win over the scores. */
  imputeOverrides: latest<Record<string, ImputePolicy>>(() => ({})),
  /** Folder of this run's split, configs and evaluation: <output>/run_<timestamp>. */
  runDir: latest<string | null>(() => null),
  splitResult: latest<SplitResult | null>(() => null),
  imputation: latest<ImputationResult | null>(() => null),
  balanceResult: latest<BalanceResult | null>(() => null),
  /** LlamaFactory keys typed at review_config. */
  configOverrides: latest<Record<string, string | number | boolean>>(() => ({})),
  configFiles: latest<ConfigFiles | null>(() => null),
  /** Estimated record lengths against cutoff_len (finetune_config), shown at review_config. */
  tokenCheck: latest<TokenCheck | null>(() => null),
  trainRun: latest<StepCommand | null>(() => null),
  predictRuns: latest<StepCommand[]>(() => []),
  evaluation: latest<EvaluationResult | null>(() => null),
  /**
   * Rounds of codegen → execute tries started in this run, the first included (a round
   * is up to config.codegen.maxTries tries; review_prep refuses to start one past
   * config.codegen.maxRounds). Never reset.
   */
  prepRounds: latest<number>(() => 0),
  /**
   * True once the heuristic template writes the prep script in place of the coder model:
   * set when a scripted approval (--yes, --answers) retries after a model's failed round,
   * so that happens at most once per run; it stays on for the rest of the run.
   */
  prepTemplateFallback: latest<boolean>(() => false),
  /**
   * verify_split's record checks on the shipped train.json and test.json (after
   * imputation and balancing), each detail starting with its file; null before it ran.
   */
  splitChecks: latest<VerifyCheck[] | null>(() => null),
  /** verify_split's token estimates of train.json and test.json (finetune_config reads them instead of the files when they match). */
  recordTokens: latest<RecordTokens | null>(() => null),
  /** The run this one was re-entered from (--start-from) and at which step; null for a run started from the CSV. */
  parentRun: latest<{ runId: string; step: string } | null>(() => null),
  /** Append-only pipeline log. */
  log: Annotation<LogEntry[]>({ reducer: (old, next) => old.concat(next), default: () => [] }),
});

export type State = typeof StateAnnotation.State;
export type Update = typeof StateAnnotation.Update;
