/**
 * Where every output lives (DESIGN §8). One function per file so nodes never build paths by hand.
 * A run owns everything it is made of: every file below except the checkpoints lives in
 * its own `run_<id>/` folder, whose name is the run's checkpoint thread id.
 */
import { basename, join } from "node:path";

export const paths = {
  checkpoints: (output: string) => join(output, "checkpoints.sqlite"),
  /** `<output>/latest.json`: which run finished last, written atomically when one finishes. */
  latest: (output: string) => join(output, "latest.json"),
  /** The folder of run `runId` (the thread id is the folder name). */
  runDir: (output: string, runId: string) => join(output, runId),
  /** `<run>/run.json`: the run's id and where it is checkpointed (no password). */
  runRecord: (runDir: string) => join(runDir, "run.json"),
  /** The run's writer lock (one process per run). */
  lock: (runDir: string) => join(runDir, ".lock"),
  runData: (runDir: string) => join(runDir, "data"),
  cleaned: (runDir: string) => join(runDir, "data", "cleaned.jsonl"),
  allData: (runDir: string) => join(runDir, "data", "all_data.json"),
  /** The split fixed at explore: one character per source row (see SplitMask). */
  splitMask: (runDir: string) => join(runDir, "data", "split_mask.txt"),
  /** The source row of each cleaned row, one 0-based index per line (split applies the mask by it). */
  cleanedSourceRows: (runDir: string) => join(runDir, "data", "cleaned_rows.txt"),
  prepScript: (runDir: string) => join(runDir, "scripts", "prepare_data.js"),
  balanceScript: (runDir: string) => join(runDir, "scripts", "balance_data.js"),
  rankings: (runDir: string) => join(runDir, "feature_selection", "feature_rankings.csv"),
  selected: (runDir: string) => join(runDir, "feature_selection", "selected_features.txt"),
  report: (runDir: string) => join(runDir, "report.md"),
  splitTrain: (runDir: string) => join(runDir, "data", "split_train.jsonl"),
  splitTest: (runDir: string) => join(runDir, "data", "split_test.jsonl"),
  imputedTrain: (runDir: string) => join(runDir, "data", "imputed_train.jsonl"),
  imputedTest: (runDir: string) => join(runDir, "data", "imputed_test.jsonl"),
  policies: (runDir: string) => join(runDir, "imputation", "policies.json"),
  imputationReport: (runDir: string) => join(runDir, "imputation", "report.md"),
  finalTrainRows: (runDir: string) => join(runDir, "data", "train_rows.jsonl"),
  trainJson: (runDir: string) => join(runDir, "data", "train.json"),
  testJson: (runDir: string) => join(runDir, "data", "test.json"),
  results: (runDir: string) => join(runDir, "evaluation", "results.json"),
  predictions: (runDir: string, which: "train" | "test") => join(runDir, `predict_${which}`, "generated_predictions.jsonl"),
  logs: (runDir: string, name: string) => join(runDir, "logs", `${name}.log`),
};

/** The report's files in a run folder, by name: report.ts and lineage.ts write them, `tabtune export` bundles them. */
export const LOG_FILE = "log.json";
export const HTML_REPORT = "report.html";
export const MODEL_CARD = "MODEL_CARD.md";
export const LINEAGE_FILE = "lineage.json";

/** `run_<timestamp>` with milliseconds, so two runs started in one second never share a folder. */
export function newRunId(now: Date = new Date()): string {
  return `run_${now.toISOString().replace(/[-:]/g, "").replace("T", "_").replace(/\..*$/, "")}_${String(now.getMilliseconds()).padStart(3, "0")}`;
}

/** A run id as the user may type it: the id, or a path to the run's folder. */
export function runIdFrom(text: string): string {
  return basename(text.replace(/[\\/]+$/, ""));
}
