/**
 * Which classical model the LLM is compared with. The random forest and the regularized linear
 * model (linear.ts) are each fitted on the training rows less a seeded validation fold
 * (stratified by class) and scored on that fold: accuracy (macro-F1 breaks a tie) for
 * classes, R² for numbers; a tie keeps the forest. Both are then fitted on all the training
 * rows and predict the test rows; the stronger on validation is "the baseline". The test
 * rows never take part in the choice.
 */
import { trainAndPredictBaseline, encodeBaselineTarget, type BaselineOptions, type BaselineResult, type BaselineRow, type FeatureSpec } from "./baseline.js";
import { trainAndPredictLinear, type LinearOptions, type LinearResult } from "./linear.js";
import { classificationMetrics, regressionMetrics } from "./metrics.js";
import { testMask } from "./split.js";

export type BaselineKind = "random_forest" | "linear";

export interface BaselineChoiceOptions extends BaselineOptions {
  linear: LinearOptions;
  /** Share of the validation source held out (seeded; stratified by class). */
  validationRatio: number;
}

/** A model's score on the validation fold. */
export type ValidationScore = { accuracy: number; macroF1: number } | { r2: number; rmse: number };

export interface BaselineComparison {
  forest: BaselineResult & { model: string; validation: ValidationScore };
  linear: LinearResult & { validation: ValidationScore };
  chosen: BaselineKind;
  /** One sentence: the two validation scores and which won. */
  reason: string;
  /** "accuracy" (classification) or "r2" (regression): the score compared. */
  metric: "accuracy" | "r2";
  /** Rows each model was fitted on, and scored on, for the choice. */
  fitRows: number;
  validationRows: number;
}

const f4 = (x: number) => x.toFixed(4);

/** The chosen model of a comparison with its results (what src/predictor/baseline-model.ts saves). */
export type ChosenBaseline = { kind: "random_forest"; result: BaselineComparison["forest"] } | { kind: "linear"; result: BaselineComparison["linear"] };

/** The baseline a comparison chose: the forest or the linear model, with its predictions and (linear) its fitted state. */
export function chosenBaseline(comparison: BaselineComparison): ChosenBaseline {
  return comparison.chosen === "linear" ? { kind: "linear", result: comparison.linear } : { kind: "random_forest", result: comparison.forest };
}

/**
 * Scores both models on a validation fold of `validationSource`, then fits both on `train`
 * and predicts `test`.
 * @throws TabtuneError as trainAndPredictBaseline does (no features, no rows, a bad target).
 */
export function compareBaselines(args: {
  features: FeatureSpec[];
  target: string;
  task: "binary" | "multiclass" | "regression";
  labels: string[];
  /** Training rows before balancing: the validation fold is drawn from these. */
  validationSource: BaselineRow[];
  /** Training rows the final models are fitted on (the LLM's, after balancing). */
  train: BaselineRow[];
  test: BaselineRow[];
  options: BaselineChoiceOptions;
  /** Forest trees grown so far, of the total, for the validation fit and the final fit. */
  onTree?: (phase: "validation" | "final", done: number, total: number) => void;
}): BaselineComparison {
  const { features, target, task, labels, options } = args;
  const regression = task === "regression";
  const mask = testMask(args.validationSource.map((row) => String(row[target])), options.validationRatio, options.seed, !regression);
  let fit = args.validationSource.filter((_, i) => mask[i] === 0);
  let held = args.validationSource.filter((_, i) => mask[i] === 1);
  // Too few rows to hold any out: score on the fitted rows (said in the reason).
  const inSample = held.length === 0 || fit.length === 0;
  if (inSample) fit = held = args.validationSource;

  const fitBoth = (train: BaselineRow[], test: BaselineRow[], phase: "validation" | "final") => {
    const forest = trainAndPredictBaseline({ features, target, task, labels, train, test, options, onTree: args.onTree ? (done, total) => args.onTree?.(phase, done, total) : undefined });
    const linear = trainAndPredictLinear({ features, labels, task, train, test, y: encodeBaselineTarget(train, target, task, labels), options: options.linear });
    return { forest, linear };
  };
  const score = (predictions: string[] | number[]): ValidationScore => {
    if (regression) {
      const m = regressionMetrics(held.map((row) => Number(row[target])), predictions.map(Number));
      return { r2: m.r2, rmse: m.rmse };
    }
    const m = classificationMetrics(held.map((row) => String(row[target])), predictions.map(String), labels);
    return { accuracy: m.accuracy, macroF1: m.macroF1 };
  };
  const onFold = fitBoth(fit, held, "validation");
  const forestScore = score(onFold.forest.predictions);
  const linearScore = score(onFold.linear.predictions);

  const primary = (s: ValidationScore): [number, number] => ("accuracy" in s ? [s.accuracy, s.macroF1] : [s.r2, 0]);
  const [fp, fs] = primary(forestScore);
  const [lp, ls] = primary(linearScore);
  const linearWins = lp > fp || (lp === fp && ls > fs);
  const final = fitBoth(args.train, args.test, "final");
  const metric = regression ? "r2" : "accuracy";
  const name = regression ? "R²" : "accuracy";
  const forestModel = `random forest (${options.trees} trees)`;
  const where = inSample
    ? `on the ${held.length} training rows themselves (too few to hold a fold out)`
    : `on a validation fold of ${held.length} training rows (each fitted on the other ${fit.length})`;
  const tie = lp === fp ? (regression || ls === fs ? "; a tie keeps the forest" : `; a tie, broken by macro-F1: ${f4(linearWins ? ls : fs)} against ${f4(linearWins ? fs : ls)}`) : "";
  const reason = `${linearWins ? final.linear.model : forestModel} chosen: ${name} ${where} ${f4(linearWins ? lp : fp)} against ${f4(linearWins ? fp : lp)} for the ${linearWins ? "forest" : "linear model"}${tie}`;
  return {
    forest: { ...final.forest, model: forestModel, validation: forestScore },
    linear: { ...final.linear, validation: linearScore },
    chosen: linearWins ? "linear" : "random_forest",
    reason,
    metric,
    fitRows: fit.length,
    validationRows: held.length,
  };
}
