/**
 * evaluate: a random-forest baseline on the same split, always; the LLM's predictions when
 * this run has them (LlamaFactory's predict_test, or a served model via --predict-endpoint),
 * side by side with bootstrap intervals. Unmatched generations count as wrong; a test row
 * whose true label is outside the mapping stops the step with the rows named.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { artifactRef, readJsonLines, writeFileAtomic } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { detail, logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { assess } from "../report/assess.js";
import { writeReport } from "../report/report.js";
import { rocPoints, type RocPoint } from "../report/roc.js";
import { getConfig } from "../runtime.js";
import type { CleanRow } from "../sandbox/sandbox.js";
import type { State, Update } from "../state.js";
import { chooseBaselineFeatures, trainAndPredictBaseline } from "../stats/baseline.js";
import { matchLabel, stripThinking } from "../stats/label-match.js";
import {
  classificationIntervals,
  classificationMetrics,
  regressionIntervals,
  regressionMetrics,
  rocAuc,
  type ClassificationMetrics,
  type RegressionMetrics,
} from "../stats/metrics.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir } from "./common.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter } from "../events.js";
import { saveBaselineModel } from "../predictor/baseline-model.js";

async function readRows(path: string): Promise<CleanRow[]> {
  const rows: CleanRow[] = [];
  for await (const row of readJsonLines<CleanRow>(path)) rows.push(row);
  return rows;
}

interface Generation {
  predict: string;
  label: string | null;
}

/** generated_predictions.jsonl, one per test row in order. @throws when the counts differ. */
async function readGenerations(path: string, expected: number): Promise<Generation[]> {
  const out: Generation[] = [];
  for await (const p of readJsonLines<{ predict?: unknown; label?: unknown }>(path)) {
    out.push({ predict: typeof p.predict === "string" ? p.predict : p.predict == null ? "" : String(p.predict), label: typeof p.label === "string" ? p.label : null });
  }
  if (out.length !== expected)
    throw new TabtuneError("predictions_mismatch", `${path} has ${out.length} predictions for ${expected} test rows`, { suggestion: "re-run prediction on this run's test.json (--start-from predict)" });
  return out;
}

/** The first number a generation states (after any reasoning), or NaN. */
export function firstNumber(generation: string): number {
  const m = /[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?/.exec(stripThinking(generation));
  return m ? Number(m[0]) : Number.NaN;
}

/** Test rows whose true label is not in the mapping: an error naming them, never skipped. */
function checkLabelsInMapping(test: CleanRow[], target: string, mapping: Record<string, string>): void {
  const bad: string[] = [];
  let count = 0;
  test.forEach((row, i) => {
    const raw = String(row[target]);
    if (!(raw in mapping)) {
      count++;
      if (bad.length < 5) bad.push(`row ${i + 1}: "${raw}"`);
    }
  });
  if (count > 0)
    throw new TabtuneError("label_outside_mapping", `${count} test row(s) have a ${target} outside the label mapping (${Object.keys(mapping).join(", ")}): ${bad.join(", ")}${count > bad.length ? ", …" : ""}`, {
      suggestion: "add the value at review_prep (`change target mapping: …`) or clean it in the plan, then --start-from review_prep",
    });
}

export async function evaluate(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const runDir = requireRunDir(state);
  const config = getConfig();
  if (!state.balanceResult || !state.imputation) throw new Error("evaluate needs the balanced training rows");
  const train = await readRows(state.balanceResult.trainRows.path);
  const test = await readRows(state.imputation.test.path);
  // Dates become numbers; identifiers and near-unique strings stay out of the forest (logged).
  const { features, excluded } = chooseBaselineFeatures(plan.features, profile.columns, profile.rows, config.profile.textDistinctRatio);
  for (const e of excluded) detail(`baseline leaves out ${e.name}: ${e.reason}`);
  const assessFeatures = plan.features.map((name) => ({ name, kind: features.find((f) => f.name === name)?.kind === "numeric" ? ("numeric" as const) : ("categorical" as const) }));
  const rawLabels = Object.keys(plan.labels);
  if (plan.task !== "regression") checkLabelsInMapping(test, plan.target, plan.labels);
  const growing = progressReporter(runConfig, "evaluate", "baseline forest", "trees");
  const baseline = trainAndPredictBaseline({
    features,
    target: plan.target,
    task: plan.task,
    labels: rawLabels,
    train,
    test,
    options: { ...config.baseline, seed: options.seed },
    onTree: growing.update,
  });
  growing.finish();
  const saved = saveBaselineModel(runDir, { features, target: plan.target, task: plan.task, labels: rawLabels, labelTexts: plan.labels, train, test, options: { ...config.baseline, seed: options.seed } }, baseline);
  if (saved.path === null) detail(`warning: the baseline model was not saved (${saved.reason}); tabtune predict cannot use it`);

  const boot = { resamples: config.evaluate.bootstrapResamples, seed: options.seed, level: config.evaluate.confidenceLevel };
  const level = config.evaluate.confidenceLevel;
  const predictionsPath = paths.predictions(runDir, "test");
  const hasPredictions = existsSync(predictionsPath);
  const llmSource = !hasPredictions ? null : options.predictEndpoint ? options.predictEndpoint.url : "llamafactory-cli";
  const model = `random forest (${config.baseline.trees} trees)`;
  let baselineMetrics: ClassificationMetrics | RegressionMetrics;
  let llmMetrics: ClassificationMetrics | RegressionMetrics | null = null;
  const extra: Record<string, unknown> = {};
  /** The baseline's ROC curve (binary only), for the report's plot. */
  let roc: RocPoint[] | null = null;
  /** Truth and the baseline's prediction per test row (label text or number), for the assessment. */
  let truthOut: string[] | number[] = [];
  let predictedOut: string[] | number[] = [];

  if (plan.task === "regression") {
    const truth = test.map((r) => Number(r[plan.target]));
    const predicted = baseline.predictions.map(Number);
    baselineMetrics = { ...regressionMetrics(truth, predicted), ci: { level, ...regressionIntervals(truth, predicted, boot) } };
    truthOut = truth;
    predictedOut = predicted;
    if (hasPredictions) {
      const generated = (await readGenerations(predictionsPath, truth.length)).map((g) => firstNumber(g.predict));
      const unparsed = generated.filter((g) => !Number.isFinite(g)).length;
      // An unparsable generation is scored as the training mean: counted, never dropped.
      const trainValues = train.map((r) => Number(r[plan.target])).filter(Number.isFinite);
      const mean = trainValues.reduce((a, b) => a + b, 0) / Math.max(1, trainValues.length);
      const filled = generated.map((g) => (Number.isFinite(g) ? g : mean));
      llmMetrics = { ...regressionMetrics(truth, filled), ci: { level, ...regressionIntervals(truth, filled, boot) } };
      extra.unparsed = unparsed;
    }
  } else {
    const labelText = (raw: string) => plan.labels[raw] ?? raw;
    const labelTexts = rawLabels.map(labelText);
    const truth = test.map((r) => labelText(String(r[plan.target])));
    const predicted = (baseline.predictions as string[]).map(labelText);
    truthOut = truth;
    predictedOut = predicted;
    const auc = baseline.positiveScores && rawLabels.length === 2 && rawLabels[1] !== undefined
      ? rocAuc(test.map((r) => String(r[plan.target]) === rawLabels[1]), baseline.positiveScores)
      : null;
    if (auc !== null && baseline.positiveScores) roc = rocPoints(test.map((r) => String(r[plan.target]) === rawLabels[1]), baseline.positiveScores);
    baselineMetrics = {
      ...classificationMetrics(truth, predicted, labelTexts),
      ci: { level, ...classificationIntervals(truth, predicted, labelTexts, boot) },
      rocAuc: auc === null || Number.isNaN(auc) ? null : auc,
    };
    if (hasPredictions) {
      const generations = await readGenerations(predictionsPath, truth.length);
      const matched = generations.map((g) => matchLabel(g.predict, labelTexts));
      // LlamaFactory writes each record's reference answer: a different one means the file is not in test.json's order.
      const misaligned = generations.filter((g, i) => g.label !== null && g.label.trim() !== truth[i]).length;
      if (misaligned > 0) detail(`warning: ${misaligned} prediction(s) carry a label that differs from the test row's; is ${predictionsPath} from this run's test.json?`);
      llmMetrics = {
        ...classificationMetrics(truth, matched, labelTexts),
        ci: { level, ...classificationIntervals(truth, matched, labelTexts, boot) },
        rocAuc: null,
      };
      extra.labelMismatches = misaligned;
    }
  }

  const assessment = assess({
    task: plan.task,
    features: assessFeatures,
    labelTexts: rawLabels.map((raw) => plan.labels[raw] ?? raw),
    baseline,
    baselineExcluded: excluded,
    test,
    truth: truthOut,
    predicted: predictedOut,
    splitTrain: state.splitResult ? await readRows(state.splitResult.train.path) : [],
    splitTest: state.splitResult ? await readRows(state.splitResult.test.path) : [],
    subgroups: options.subgroups ?? [],
    boot,
    settings: config.report,
  });
  // One line per test row: what the baseline said, so its Brier score and subgroup numbers can be rebuilt.
  const baselinePredictionsPath = join(dirname(paths.results(runDir)), "baseline_predictions.jsonl");
  writeFileAtomic(
    baselinePredictionsPath,
    truthOut.map((t, i) => JSON.stringify({ row: i + 1, truth: t, predicted: predictedOut[i] ?? null, ...(baseline.positiveScores ? { score: baseline.positiveScores[i] ?? null } : {}) })).join("\n") + "\n",
  );
  const results = {
    task: plan.task,
    target: plan.target,
    trainRows: train.length,
    testRows: test.length,
    features: plan.features,
    /** Plan features the baseline forest did not see, and why (dates are in, as numbers). */
    baselineExcluded: excluded,
    confidenceLevel: level,
    bootstrapResamples: boot.resamples,
    baseline: { model, ...baselineMetrics, ...(roc ? { roc } : {}) },
    llm: llmMetrics ? { source: llmSource, predictions: predictionsPath, ...llmMetrics, ...extra } : null,
    assessment,
    llmStatus: llmMetrics ? `scored ${predictionsPath}` : "no LLM predictions in this run (run with --finetune where llamafactory-cli and a GPU exist, or --predict-endpoint URL)",
  };
  const resultsPath = paths.results(runDir);
  writeFileAtomic(resultsPath, JSON.stringify(results, null, 2) + "\n");
  const evaluation = { results: await artifactRef(resultsPath, null), baseline: baselineMetrics, llm: llmMetrics, llmSource };
  const numbers: Record<string, number> = "accuracy" in baselineMetrics ? { accuracy: baselineMetrics.accuracy, macroF1: baselineMetrics.macroF1 } : { rmse: baselineMetrics.rmse, r2: baselineMetrics.r2 };
  if (llmMetrics) {
    if ("accuracy" in llmMetrics) Object.assign(numbers, { llmAccuracy: llmMetrics.accuracy, llmMacroF1: llmMetrics.macroF1, llmUnmatched: llmMetrics.unmatched });
    else Object.assign(numbers, { llmRmse: llmMetrics.rmse, llmR2: llmMetrics.r2 });
  }
  const entry = logEntry("evaluate", llmMetrics ? `baseline and LLM (${llmSource}) scored on the test split` : "baseline scored on the test split", started, {
    numbers,
    artifacts: [resultsPath, baselinePredictionsPath],
  });
  await writeReport({ ...state, evaluation, log: [...state.log, entry] }, assessment);
  stage("evaluate", `results in ${resultsPath}`);
  return { evaluation, log: [entry] };
}
