/**
 * impute (the Impute-Agent capability, DESIGN §7): reads the split, the plan and the review's
 * overrides from state and hands them to the imputation library (stats/imputation/run.ts),
 * which chooses a policy per feature on the training rows only, fits the chosen imputers on
 * all training rows, applies them to both splits and writes the imputed rows,
 * imputation/policies.json and imputation/report.md. The node returns what it wrote.
 */
import { join } from "node:path";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter } from "../events.js";
import { callLogEntry } from "../llm/index.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { getConfig, getDecider } from "../runtime.js";
import type { ImputedColumn, State, Update } from "../state.js";
import { createLlmImputer } from "../stats/imputation/llm-imputer.js";
import { imputeSplit } from "../stats/imputation/run.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir, requireState } from "./common.js";

export async function impute(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const runDir = requireRunDir(state);
  const split = requireState(state.splitResult, "the split", "impute");
  const config = getConfig();

  const kinds = new Map(profile.columns.map((c) => [c.name, c.kind]));
  // Identifiers and the target are never imputed; text and dates can only stay unknown.
  const features = plan.features.filter((f) => f !== plan.target && kinds.get(f) !== "identifier");
  const result = await imputeSplit({
    train: split.train,
    test: split.test,
    out: {
      train: paths.imputedTrain(runDir),
      test: paths.imputedTest(runDir),
      policies: paths.policies(runDir),
      knnReference: join(runDir, "imputation", "knn_reference.jsonl"),
      report: paths.imputationReport(runDir),
    },
    features,
    kinds,
    target: { name: plan.target, task: plan.task, labels: Object.keys(plan.labels) },
    overrides: state.imputeOverrides,
    seed: options.seed,
    config,
    llm: createLlmImputer(getDecider(options), options, config),
    progress: progressReporter(runConfig, "impute", "scoring imputations", "fits"),
  });

  const { columns } = result;
  const stateColumns: ImputedColumn[] = columns.map(({ kind: _k, missingTrain: _m, missingTest: _t, policyReason: _r, ...c }) => c);
  stage("impute", columns.length === 0 ? "no missing feature values" : columns.map((c) => `${c.column}: ${c.mechanism} → ${c.policy} (${c.filledTrain}+${c.filledTest})`).join("; "));
  return {
    imputation: { columns: stateColumns, littleMcar: result.littleMcar, policies: result.policies, train: result.train, test: result.test },
    log: [
      ...result.calls.map((call) => callLogEntry("impute", call)),
      logEntry("impute", columns.length === 0 ? "nothing to fill" : columns.map((c) => `${c.column}: ${c.mechanism} → ${c.policy} (${c.chosenBy})`).join("; "), started, {
        numbers: Object.fromEntries(columns.flatMap((c) => [[`${c.column}:train`, c.filledTrain], [`${c.column}:test`, c.filledTest]])),
        artifacts: [result.policies.path, result.report.path, result.train.path, result.test.path],
      }),
    ],
  };
}
