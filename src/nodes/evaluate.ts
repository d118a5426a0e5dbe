/**
 * evaluate: a classical baseline on the same split, always: a random forest and a regularized
 * linear model, each cross-validated on the training rows (seeded folds), the stronger
 * there being "the baseline" (both models' test metrics are kept in results.json); the LLM's
 * predictions when this run has them (LlamaFactory's predict_test, or a served model via
 * --predict-endpoint), side by side with bootstrap intervals. Unmatched generations count as
 * wrong; a test row whose true label is outside the mapping stops the step with the rows named.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { artifactRef, forEachJsonLine, writeFileAtomic } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { detail, logEntry, stage } from "../log.js";
import { paths } from "../paths.js";
import { assess, driftSpec } from "../report/assess.js";
import { writeReport } from "../report/report.js";
import { beforeAfterFrom, beforeAfterSpec } from "../report/report.js";
import { downsampleRoc, rocPoints, type RocPoint } from "../report/roc.js";
import { ColumnCollector, readColumns, type ColumnSpec, type Columns } from "../report/row-columns.js";
import { SnapshotCollector, type ColumnSnapshot } from "../report/snapshot.js";
import { getConfig } from "../runtime.js";
import type { CleanRow } from "../rows.js";
import type { State, Update } from "../state.js";
import { chooseBaselineFeatures, type BaselineResult, type ExcludedFeature, type FeatureSpec } from "../stats/baseline.js";
import type { GroupValue } from "../stats/subgroups.js";
import { chosenBaseline, compareBaselines, type BaselineComparison } from "../stats/baseline-choice.js";
import { firstNumber, matchLabel } from "../stats/label-match.js";
import {
  classificationIntervals,
  classificationMetrics,
  regressionIntervals,
  regressionMetrics,
  rocAuc,
  type ClassificationMetrics,
  type RegressionMetrics,
} from "../stats/metrics.js";
import { requireOptions, requirePlan, requireProfile, requireRunDir, requireState } from "./common.js";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { progressReporter } from "../events.js";
import { saveBaselineModel } from "../predictor/baseline-model.js";
import { collectGarbage } from "../memory.js";
import { readGenerations, readTrainingRows } from "./evaluate-rows.js";

async function readRows(path: string): Promise<CleanRow[]> {
  const rows: CleanRow[] = [];
  await forEachJsonLine<CleanRow>(path, (row) => rows.push(row));
  return rows;
}

/** Test rows whose true label is not in the mapping: an error naming them, never skipped. */
function checkLabelsInMapping(testTarget: Cell[], target: string, mapping: Record<string, string>): void {
  const bad: string[] = [];
  let count = 0;
  testTarget.forEach((value, i) => {
    const raw = String(value);
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

/** A baseline's metrics on the test rows, its ROC curve (binary) and its prediction per row (label text or number). */
function scoreBaseline(
  result: BaselineResult,
  testTarget: Cell[],
  plan: { task: "binary" | "multiclass" | "regression"; target: string; labels: Record<string, string> },
  boot: { resamples: number; seed: number; level: number },
): { metrics: ClassificationMetrics | RegressionMetrics; roc: { points: RocPoint[]; total: number } | null; truth: string[] | number[]; predicted: string[] | number[] } {
  const level = boot.level;
  if (plan.task === "regression") {
    const truth = testTarget.map(Number);
    const predicted = result.predictions.map(Number);
    return { metrics: { ...regressionMetrics(truth, predicted), ci: { level, ...regressionIntervals(truth, predicted, boot) } }, roc: null, truth, predicted };
  }
  const rawLabels = Object.keys(plan.labels);
  const labelText = (raw: string) => plan.labels[raw] ?? raw;
  const labelTexts = rawLabels.map(labelText);
  const truth = testTarget.map((v) => labelText(String(v)));
  const predicted = (result.predictions as string[]).map(labelText);
  const positive = rawLabels.length === 2 && rawLabels[1] !== undefined ? testTarget.map((v) => String(v) === rawLabels[1]) : null;
  const auc = result.positiveScores && positive ? rocAuc(positive, result.positiveScores) : null;
  // The curve results.json keeps is thinned to ROC_MAX_POINTS; the AUC above used every score.
  const full = auc !== null && result.positiveScores && positive ? rocPoints(positive, result.positiveScores) : null;
  const roc = full ? { points: downsampleRoc(full), total: full.length } : null;
  const metrics: ClassificationMetrics = {
    ...classificationMetrics(truth, predicted, labelTexts),
    ci: { level, ...classificationIntervals(truth, predicted, labelTexts, boot) },
    rocAuc: auc === null || Number.isNaN(auc) ? null : auc,
  };
  return { metrics, roc, truth, predicted };
}

/** results.json's `baselineChoice`: both candidates, their cross-validated and test scores, and why one was chosen. */
function choiceRecord(
  comparison: BaselineComparison,
  scored: { forest: ClassificationMetrics | RegressionMetrics; linear: ClassificationMetrics | RegressionMetrics },
  saved: boolean,
) {
  const { forest, linear } = comparison;
  return {
    chosen: comparison.chosen,
    model: comparison.chosen === "linear" ? linear.model : forest.model,
    reason: comparison.reason,
    metric: comparison.metric,
    /** The cross-validation: its folds and how many were scored, the rows dealt into them, the rows scored out of fold (each once), the fewest a fold's models were fitted on, and the training rows sampled from. */
    folds: comparison.folds,
    scoredFolds: comparison.scoredFolds,
    cvRows: comparison.cvRows,
    fitRows: comparison.fitRows,
    validationRows: comparison.validationRows,
    sourceRows: comparison.sourceRows,
    /** Linear − forest cross-validated score and its standard error: the linear model is chosen only when the lead exceeds baseline.linearMargin of them. */
    difference: comparison.difference,
    candidates: [
      { kind: "random_forest", model: forest.model, chosen: comparison.chosen === "random_forest", validation: forest.validation, test: scored.forest },
      {
        kind: "linear",
        model: linear.model,
        chosen: comparison.chosen === "linear",
        validation: linear.validation,
        test: scored.linear,
        designColumns: linear.designColumns,
        iterations: linear.iterations,
        converged: linear.converged,
      },
    ],
    /** baseline/model.json (tabtune predict) holds the chosen model; absent when it could not be saved (the log says why). */
    ...(saved ? { savedModel: comparison.chosen } : {}),
  };
}

type Cell = CleanRow[string] | undefined;

/**
 * What evaluate keeps of the training and test rows once both baselines are fitted and the
 * chosen one saved: no row object outlives this function (the training rows stream past once
 * into typed statistics for the report, only the baselines' samples kept; the test rows are
 * read here and used by the baselines).
 */
interface Fitted {
  comparison: BaselineComparison;
  /** Milliseconds spent fitting the baselines (cross-validation and final fits): the training share of this step. */
  trainingMs: number;
  /** Milliseconds the final models spent encoding and predicting the test rows (outside trainingMs). */
  predictMs: number;
  saved: ReturnType<typeof saveBaselineModel>;
  trainRows: number;
  /** Mean of the finite training targets (regression: an unparsable generation is scored as it). */
  trainTargetMean: number;
  /** The target's value per test row, in order. */
  testTarget: Cell[];
  /** The --subgroups columns present in the test rows. */
  subgroupValues: Map<string, GroupValue[]>;
  /** The final training rows' snapshot and the report's "after" columns. */
  finalSnapshot: { rows: number; columns: Map<string, ColumnSnapshot> };
  finalColumns: Columns;
}

/** `chosen`: the baseline's features and the plan features it leaves out (chooseBaselineFeatures, made once by evaluate). */
async function fitBaselines(
  state: State,
  runConfig: LangGraphRunnableConfig | undefined,
  reportSpec: ColumnSpec,
  chosen: { features: FeatureSpec[]; excluded: ExcludedFeature[] },
): Promise<Fitted> {
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const runDir = requireRunDir(state);
  const config = getConfig();
  const balanced = requireState(state.balanceResult, "balanced training rows", "evaluate");
  const imputed = requireState(state.imputation, "imputed rows", "evaluate");
  const test = await readRows(imputed.test.path);
  const testTarget = test.map((r) => r[plan.target]);
  if (plan.task !== "regression") checkLabelsInMapping(testTarget, plan.target, plan.labels);
  // The report's statistics of the final training rows, typed, as the rows stream past; only the
  // baselines' samples are kept. The cross-validation folds come from the training rows before
  // balancing: a resampled copy of a row never sits on both sides.
  const snapshot = new SnapshotCollector();
  const columns = new ColumnCollector(reportSpec);
  let targetSum = 0;
  let targetCount = 0;
  const training = await readTrainingRows({
    train: { path: balanced.trainRows.path, rows: balanced.trainRows.rows },
    unbalanced: balanced.strategy === "none" ? null : imputed.train.path,
    target: plan.target,
    options: { ...config.baseline, seed: options.seed },
    stratify: plan.task !== "regression",
    visit: (row) => {
      snapshot.add(row);
      columns.add(row);
      const y = Number(row[plan.target]);
      if (Number.isFinite(y)) {
        targetSum += y;
        targetCount++;
      }
    },
  });
  const train = training.sample;
  // Dates become numbers; identifiers and near-unique strings stay out of the forest (logged).
  const { features, excluded } = chosen;
  for (const e of excluded) detail(`baseline leaves out ${e.name}: ${e.reason}`);
  const rawLabels = Object.keys(plan.labels);
  const growing = {
    validation: progressReporter(runConfig, "evaluate", "baseline forest (cross-validation)", "trees"),
    final: progressReporter(runConfig, "evaluate", "baseline forest", "trees"),
  };
  const trainingStarted = performance.now();
  const timing = { predictMs: 0 };
  const comparison = compareBaselines({
    features,
    target: plan.target,
    task: plan.task,
    labels: rawLabels,
    validationSource: training.validation,
    train,
    test,
    options: { ...config.baseline, seed: options.seed },
    onTree: (phase, done, total) => growing[phase].update(done, total),
    timing,
  });
  // The test rows' predictions by the final models are timed apart: they are not training.
  const trainingMs = Math.round(performance.now() - trainingStarted - timing.predictMs);
  growing.validation.finish();
  growing.final.finish();
  // The chosen model is saved for tabtune predict (checked to predict exactly what was scored here).
  const saved = saveBaselineModel(
    runDir,
    { features, target: plan.target, task: plan.task, labels: rawLabels, labelTexts: plan.labels, train, test, options: { ...config.baseline, seed: options.seed }, checkRows: config.baseline.savedCheckRows },
    chosenBaseline(comparison),
  );
  const first = test[0] ?? {};
  const subgroupValues = new Map((options.subgroups ?? []).filter((c) => test.length > 0 && c in first).map((c) => [c, test.map((r): GroupValue => r[c])] as const));
  return {
    comparison,
    trainingMs,
    predictMs: Math.round(timing.predictMs),
    saved,
    trainRows: training.rows,
    trainTargetMean: targetSum / Math.max(1, targetCount),
    testTarget,
    subgroupValues,
    finalSnapshot: snapshot.finish(),
    finalColumns: columns.finish(),
  };
}

/** Both specs' columns: a name in either list of either spec. */
function mergeSpecs(a: ColumnSpec, b: ColumnSpec): ColumnSpec {
  return { numeric: [...new Set([...a.numeric, ...b.numeric])], categorical: [...new Set([...a.categorical, ...b.categorical])] };
}

export async function evaluate(state: State, runConfig?: LangGraphRunnableConfig): Promise<Update> {
  const started = Date.now();
  const options = requireOptions(state);
  const plan = requirePlan(state);
  const profile = requireProfile(state);
  const runDir = requireRunDir(state);
  const config = getConfig();
  const chosenFeatures = chooseBaselineFeatures(plan.features, profile.columns, profile.rows, config.profile.textDistinctRatio);
  const assessFeatures = plan.features.map((name) => ({ name, kind: chosenFeatures.features.find((f) => f.name === name)?.kind === "numeric" ? ("numeric" as const) : ("categorical" as const) }));
  const reportSpec = beforeAfterSpec(state);
  const fitted = await fitBaselines(state, runConfig, reportSpec, chosenFeatures);
  // The training and test rows are gone with fitBaselines: their memory goes before the split's columns are read.
  collectGarbage();
  const { comparison, saved, testTarget } = fitted;
  const { excluded } = chosenFeatures;
  const rawLabels = Object.keys(plan.labels);
  detail(`baseline: ${comparison.reason}`);
  if (!comparison.linear.converged) detail(`warning: the linear model stopped after ${comparison.linear.iterations} L-BFGS iterations before its tolerance (baseline.linear.maxIterations)`);
  // The chosen model's predictions and scores; importance stays the forest's (the report says so).
  const baseline: BaselineResult = comparison.chosen === "linear" ? { ...comparison.linear, featureImportance: comparison.forest.featureImportance } : comparison.forest;
  if (saved.path === null) detail(`warning: the baseline model was not saved (${saved.reason}); tabtune predict cannot use it`);
  const boot = { resamples: config.evaluate.bootstrapResamples, seed: options.seed, level: config.evaluate.confidenceLevel };
  const level = config.evaluate.confidenceLevel;
  const predictionsPath = paths.predictions(runDir, "test");
  const hasPredictions = existsSync(predictionsPath);
  const llmSource = !hasPredictions ? null : options.predictEndpoint ? options.predictEndpoint.url : "llamafactory-cli";
  const model = comparison.chosen === "linear" ? comparison.linear.model : comparison.forest.model;
  const scoredForest = scoreBaseline(comparison.forest, testTarget, plan, boot);
  const scoredLinear = scoreBaseline(comparison.linear, testTarget, plan, boot);
  const chosen = comparison.chosen === "linear" ? scoredLinear : scoredForest;
  const baselineMetrics: ClassificationMetrics | RegressionMetrics = chosen.metrics;
  let llmMetrics: ClassificationMetrics | RegressionMetrics | null = null;
  const extra: Record<string, unknown> = {};
  /** The baseline's ROC curve (binary only), for the report's plot. */
  const roc = chosen.roc;
  /** Truth and the baseline's prediction per test row (label text or number), for the assessment. */
  const truthOut: string[] | number[] = chosen.truth;
  const predictedOut: string[] | number[] = chosen.predicted;

  if (plan.task === "regression") {
    const truth = testTarget.map(Number);
    if (hasPredictions) {
      const generated = (await readGenerations(predictionsPath, truth.length)).map((g) => firstNumber(g.predict));
      const unparsed = generated.filter((g) => !Number.isFinite(g)).length;
      // An unparsable generation is scored as the training mean: counted, never dropped.
      const mean = fitted.trainTargetMean;
      const filled = generated.map((g) => (Number.isFinite(g) ? g : mean));
      llmMetrics = { ...regressionMetrics(truth, filled), ci: { level, ...regressionIntervals(truth, filled, boot) } };
      extra.unparsed = unparsed;
    }
  } else {
    const labelTexts = rawLabels.map((raw) => plan.labels[raw] ?? raw);
    const truth = testTarget.map((v) => plan.labels[String(v)] ?? String(v));
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

  // The split's rows (before imputation), streamed into typed columns: drift in the assessment, "before" in the report.
  const splitTrainPath = state.splitResult?.train.path;
  const splitTestPath = state.splitResult?.test.path;
  const splitTrain = splitTrainPath && existsSync(splitTrainPath) ? await readColumns(splitTrainPath, mergeSpecs(driftSpec(assessFeatures), reportSpec)) : null;
  const splitTest = splitTestPath && splitTrain ? await readColumns(splitTestPath, driftSpec(assessFeatures)) : null;
  const assessment = assess({
    task: plan.task,
    features: assessFeatures,
    labelTexts: rawLabels.map((raw) => plan.labels[raw] ?? raw),
    baseline,
    baselineExcluded: excluded,
    subgroupValues: fitted.subgroupValues,
    truth: truthOut,
    predicted: predictedOut,
    splitColumns: splitTrain && splitTest ? { train: splitTrain, test: splitTest } : null,
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
    trainRows: fitted.trainRows,
    testRows: testTarget.length,
    features: plan.features,
    /** Plan features the baseline models did not see, and why (dates are in, as numbers). */
    baselineExcluded: excluded,
    confidenceLevel: level,
    bootstrapResamples: boot.resamples,
    /** The chosen model (baselineChoice says which and why): the one the LLM is compared with. */
    baseline: { model, ...baselineMetrics, ...(roc ? { roc: roc.points, rocPointsTotal: roc.total } : {}) },
    baselineChoice: choiceRecord(comparison, { forest: scoredForest.metrics, linear: scoredLinear.metrics }, saved.path !== null),
    llm: llmMetrics ? { source: llmSource, predictions: predictionsPath, ...llmMetrics, ...extra } : null,
    assessment,
    llmStatus: llmMetrics ? `scored ${predictionsPath}` : "no LLM predictions in this run (run with --finetune where llamafactory-cli and a GPU exist, or --predict-endpoint URL)",
  };
  const resultsPath = paths.results(runDir);
  writeFileAtomic(resultsPath, JSON.stringify(results, null, 2) + "\n");
  const evaluation = { results: await artifactRef(resultsPath, null), baseline: baselineMetrics, llm: llmMetrics, llmSource };
  const numbers: Record<string, number> = "accuracy" in baselineMetrics ? { accuracy: baselineMetrics.accuracy, macroF1: baselineMetrics.macroF1 } : { rmse: baselineMetrics.rmse, r2: baselineMetrics.r2 };
  const validationScore = (v: BaselineComparison["forest"]["validation"]) => ("accuracy" in v ? v.accuracy : v.r2);
  Object.assign(numbers, { validationForest: validationScore(comparison.forest.validation), validationLinear: validationScore(comparison.linear.validation), linearChosen: comparison.chosen === "linear" ? 1 : 0, baselineTrainingMs: fitted.trainingMs, baselinePredictMs: fitted.predictMs, ...(saved.path !== null ? { savedModelCheckedRows: saved.checkedRows } : {}) });
  if (llmMetrics) {
    if ("accuracy" in llmMetrics) Object.assign(numbers, { llmAccuracy: llmMetrics.accuracy, llmMacroF1: llmMetrics.macroF1, llmUnmatched: llmMetrics.unmatched });
    else Object.assign(numbers, { llmRmse: llmMetrics.rmse, llmR2: llmMetrics.r2 });
  }
  const entry = logEntry("evaluate", `${llmMetrics ? `baseline and LLM (${llmSource}) scored on the test split` : "baseline scored on the test split"}; ${comparison.reason}`, started, {
    numbers,
    artifacts: [resultsPath, baselinePredictionsPath],
  });
  stage("evaluate", `results in ${resultsPath}`);
  const rowStats = { final: fitted.finalSnapshot, beforeAfter: splitTrain ? beforeAfterFrom(state, splitTrain, fitted.finalColumns) : [] };
  const reportEntry = await writeReport({ ...state, evaluation, log: [...state.log, entry] }, assessment, rowStats);
  if (reportEntry) detail(`report written in ${(reportEntry.durationMs / 1000).toFixed(1)} s`);
  return { evaluation, log: reportEntry ? [entry, reportEntry] : [entry] };
}
