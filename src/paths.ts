/** Where every output lives (DESIGN §8). One function per file so nodes never build paths by hand. */
import { join } from "node:path";

export const paths = {
  checkpoints: (output: string) => join(output, "checkpoints.sqlite"),
  dataDir: (output: string) => join(output, "data"),
  cleaned: (output: string) => join(output, "data", "cleaned.jsonl"),
  allData: (output: string) => join(output, "data", "all_data.json"),
  prepScript: (output: string) => join(output, "scripts", "prepare_data.js"),
  balanceScript: (output: string) => join(output, "scripts", "balance_data.js"),
  rankings: (output: string) => join(output, "feature_selection", "feature_rankings.csv"),
  selected: (output: string) => join(output, "feature_selection", "selected_features.txt"),
  imputationDir: (output: string) => join(output, "imputation"),
  report: (output: string) => join(output, "report.md"),
  /** A run's own split, configs and evaluation. */
  runData: (runDir: string) => join(runDir, "data"),
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

/** `run_<timestamp>` with milliseconds, so two runs started in one second never share a folder. */
export function newRunDirName(now: Date = new Date()): string {
  return `run_${now.toISOString().replace(/[-:]/g, "").replace("T", "_").replace(/\..*$/, "")}_${String(now.getMilliseconds()).padStart(3, "0")}`;
}
