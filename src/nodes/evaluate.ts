/**
 * evaluate: a random-forest baseline on the same split, always; the fine-tuned model's
 * predictions when a run produced them. Unmatched generations count as wrong.
 */
import { existsSync } from "node:fs";
import { artifactRef, readJsonLines, writeFileAtomic } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { writeReport } from "../report/report.js";
import { getConfig } from "../runtime.js";
import type { CleanRow } from "../sandbox/sandbox.js";
import type { State, Update } from "../state.js";
import { trainAndPredictBaseline, type FeatureSpec } from "../stats/baseline.js";
import { matchLabel } from "../stats/label-match.js";
import {
  bootstrapInterval,
  classificationMetrics,
  regressionMetrics,
  rocAuc,
  type ClassificationMetrics,
  type RegressionMetrics,
} from "../stats/metrics.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir } from "./common.js";

async function readRows(path: string): Promise<CleanRow[]> {
  const rows: CleanRow[] = [];
  for await (const row of readJsonLines<CleanRow>(path)) rows.push(row);
  return rows;
}

function accuracyInterval(truth: string[], predicted: (string | null)[], seed: number) {
  return bootstrapInterval(truth.length, (idx) => idx.filter((i) => truth[i] === predicted[i]).length / idx.length, { resamples: 1000, seed });
}

export async function evaluate(state: State): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const runDir = requireRunDir(state);
  const config = getConfig();
  if (!state.balanceResult || !state.imputation) throw new Error("evaluate needs the balanced training rows");
  const train = await readRows(state.balanceResult.trainRows.path);
  const test = await readRows(state.imputation.test.path);
  const kinds = new Map(profile.columns.map((c) => [c.name, c.kind]));
  const features: FeatureSpec[] = plan.features.map((name) => ({
    name,
    kind: kinds.get(name) === "numeric" || kinds.get(name) === "integer" ? "numeric" : "categorical",
  }));
  const rawLabels = Object.keys(plan.labels);
  const baseline = trainAndPredictBaseline({
    features,
    target: plan.target,
    task: plan.task,
    labels: rawLabels,
    train,
    test,
    options: { ...config.baseline, seed: options.seed },
  });

  const results: Record<string, unknown> = { task: plan.task, target: plan.target, trainRows: train.length, testRows: test.length, features: plan.features };
  let baselineMetrics: ClassificationMetrics | RegressionMetrics;
  let llmMetrics: ClassificationMetrics | RegressionMetrics | null = null;
  const predictionsPath = paths.predictions(runDir, "test");

  if (plan.task === "regression") {
    const truth = test.map((r) => Number(r[plan.target]));
    const predicted = baseline.predictions.map(Number);
    baselineMetrics = regressionMetrics(truth, predicted);
    results.baseline = { model: `random forest (${config.baseline.trees} trees)`, ...baselineMetrics };
    if (existsSync(predictionsPath)) {
      const generated: number[] = [];
      for await (const p of readJsonLines<{ predict: string }>(predictionsPath)) generated.push(Number.parseFloat(p.predict));
      if (generated.length !== truth.length)
        throw new TabtuneError("predictions_mismatch", `${predictionsPath} has ${generated.length} predictions for ${truth.length} test rows`, { suggestion: "re-run predict" });
      const unparsed = generated.filter((g) => !Number.isFinite(g)).length;
      // An unparsable generation is scored as the training mean: counted, never dropped.
      const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
      llmMetrics = regressionMetrics(truth, generated.map((g) => (Number.isFinite(g) ? g : mean)));
      results.llm = { ...llmMetrics, unparsed };
    }
  } else {
    const labelText = (raw: string) => plan.labels[raw] ?? raw;
    const labelTexts = rawLabels.map(labelText);
    const truth = test.map((r) => labelText(String(r[plan.target])));
    const predicted = (baseline.predictions as string[]).map(labelText);
    const metrics = classificationMetrics(truth, predicted, labelTexts);
    baselineMetrics = metrics;
    const auc = baseline.positiveScores && rawLabels[1] !== undefined
      ? rocAuc(test.map((r) => String(r[plan.target]) === rawLabels[1]), baseline.positiveScores)
      : null;
    results.baseline = {
      model: `random forest (${config.baseline.trees} trees)`,
      ...metrics,
      accuracyCI95: accuracyInterval(truth, predicted, options.seed),
      rocAuc: auc,
    };
    if (existsSync(predictionsPath)) {
      const generated: (string | null)[] = [];
      for await (const p of readJsonLines<{ predict: string }>(predictionsPath)) generated.push(matchLabel(p.predict, labelTexts));
      if (generated.length !== truth.length)
        throw new TabtuneError("predictions_mismatch", `${predictionsPath} has ${generated.length} predictions for ${truth.length} test rows`, { suggestion: "re-run predict" });
      llmMetrics = classificationMetrics(truth, generated, labelTexts);
      results.llm = { ...llmMetrics, accuracyCI95: accuracyInterval(truth, generated, options.seed) };
    }
  }
  if (!llmMetrics) results.llm = null;
  results.llmStatus = llmMetrics ? `scored ${predictionsPath}` : "no fine-tuned predictions in this run (run with --finetune where llamafactory-cli and a GPU exist)";

  const resultsPath = paths.results(runDir);
  writeFileAtomic(resultsPath, JSON.stringify(results, null, 2) + "\n");
  const evaluation = { results: await artifactRef(resultsPath, null), baseline: baselineMetrics, llm: llmMetrics };
  const entry = logEntry("evaluate", "baseline scored on the test split", started, {
    numbers: "accuracy" in baselineMetrics ? { accuracy: baselineMetrics.accuracy, macroF1: baselineMetrics.macroF1 } : { rmse: baselineMetrics.rmse, r2: baselineMetrics.r2 },
    artifacts: [resultsPath],
  });
  writeReport({ ...state, evaluation, log: [...state.log, entry] });
  stage("evaluate", `results in ${resultsPath}`);
  return { evaluation, log: [entry] };
}
