/**
 * Which classical model the LLM is compared with. The random forest and the regularized linear
 * model (linear.ts) are cross-validated on the training rows before balancing
 * (baseline-cv.ts: seeded k folds, stratified by class, each row validated once, the
 * out-of-fold predictions pooled; a seeded sample of at most baseline.cvMaxRows rows on large
 * tables, whose folds are scored in turn only until baseline.cvValidationRows rows are scored): accuracy (macro-F1 breaks a tie) for classes, R² for numbers; a tie keeps the
 * forest. Both are then fitted on all the training rows and predict the test rows; the
 * stronger in cross-validation is "the baseline". The test rows never take part in the choice.
 */
import { baselineTrainRows, trainAndPredictBaseline, encodeBaselineTarget, type BaselineOptions, type BaselineResult, type BaselineRow, type FeatureSpec } from "./baseline.js";
import { crossValidate, foldsOf, sampleForCv, type ValidationScore } from "./baseline-cv.js";
import { trainAndPredictLinear, type LinearOptions, type LinearResult } from "./linear.js";

export type { ValidationScore } from "./baseline-cv.js";
export type BaselineKind = "random_forest" | "linear";

export interface BaselineChoiceOptions extends BaselineOptions {
  linear: LinearOptions;
  /** Folds of the cross-validation (seeded; stratified by class). */
  cvFolds: number;
  /** Rows cross-validated at most: beyond this a seeded, stratified sample of the validation source. */
  cvMaxRows: number;
  /** Folds are scored in turn until this many rows were scored out of fold (all folds on small tables). */
  cvValidationRows: number;
  /** The linear model is chosen only when its cross-validated lead exceeds this many standard errors (0: any lead). */
  linearMargin: number;
}

export interface BaselineComparison {
  forest: BaselineResult & { model: string; validation: ValidationScore };
  linear: LinearResult & { validation: ValidationScore };
  chosen: BaselineKind;
  /** One sentence: the two cross-validated scores and which won. */
  reason: string;
  /** "accuracy" (classification) or "r2" (regression): the score compared. */
  metric: "accuracy" | "r2";
  /** Folds of the cross-validation (1: fewer than two rows, scored in sample). */
  folds: number;
  /** Folds scored, the first ones in turn until cvValidationRows rows were scored: `folds` on all but large tables. */
  scoredFolds: number;
  /** Rows dealt into the folds (the validation source, or a seeded sample of it). */
  cvRows: number;
  /** Rows each fold's models were fitted on (the fewest), and rows scored out of fold (each once). */
  fitRows: number;
  validationRows: number;
  /** Rows of the validation source (the cross-validation took a sample of them when above cvMaxRows). */
  sourceRows: number;
  /** The linear model's cross-validated score minus the forest's, with its standard error (CrossValidation.difference). */
  difference: { mean: number; se: number };
}

const f4 = (x: number) => x.toFixed(4);

/** The cross-validation's rows already drawn (sampleForCv's sample of the validation source, in source order) and how many rows the source had: what a caller streaming the source keeps. */
export interface CvSample {
  sourceRows: number;
  rows: BaselineRow[];
}

/** The chosen model of a comparison with its results (what src/predictor/baseline-model.ts saves). */
export type ChosenBaseline = { kind: "random_forest"; result: BaselineComparison["forest"] } | { kind: "linear"; result: BaselineComparison["linear"] };

/** The baseline a comparison chose: the forest or the linear model, with its predictions and (linear) its fitted state. */
export function chosenBaseline(comparison: BaselineComparison): ChosenBaseline {
  return comparison.chosen === "linear" ? { kind: "linear", result: comparison.linear } : { kind: "random_forest", result: comparison.forest };
}

/**
 * Cross-validates both models on `validationSource`, then fits both on `train` and predicts
 * `test`.
 * @throws TabtuneError as trainAndPredictBaseline does (no features, no rows, a bad target).
 */
export function compareBaselines(args: {
  features: FeatureSpec[];
  target: string;
  task: "binary" | "multiclass" | "regression";
  labels: string[];
  /** Training rows before balancing: the cross-validation folds are drawn from these (or from their sample, already drawn). */
  validationSource: BaselineRow[] | CvSample;
  /** Training rows the final models are fitted on (the LLM's, after balancing). */
  train: BaselineRow[];
  test: BaselineRow[];
  options: BaselineChoiceOptions;
  /** Gains the milliseconds the final models spent encoding and predicting the test rows (not training). */
  timing?: { predictMs: number };
  /** Forest trees grown so far, of the total, over the cross-validation's folds and in the final fit. */
  onTree?: (phase: "validation" | "final", done: number, total: number) => void;
}): BaselineComparison {
  const { features, target, task, labels, options } = args;
  const regression = task === "regression";
  const source = args.validationSource;
  const drawn = Array.isArray(source)
    ? { sourceRows: source.length, rows: sampleForCv(source.map((row) => String(row[target])), options.cvMaxRows, options.seed, !regression).map((i) => source[i] as BaselineRow) }
    : source;
  const sampled = drawn.rows;
  const k = Math.min(options.cvFolds, sampled.length);
  const folds = k >= 2 ? foldsOf(sampled.map((row) => String(row[target])), k, options.seed, !regression) : new Int32Array(sampled.length);
  const onTree = (phase: "validation" | "final") => (args.onTree ? (done: number, total: number) => args.onTree?.(phase, done, total) : undefined);
  const cv = crossValidate({ features, target, task, labels, rows: sampled, folds, options, minValidated: options.cvValidationRows, onTree: onTree("validation") });

  const primary = (s: ValidationScore): [number, number] => ("accuracy" in s ? [s.accuracy, s.macroF1] : [s.r2, 0]);
  const [fp, fs] = primary(cv.forest);
  const [lp, ls] = primary(cv.linear);
  // The forest is the default; the linear model replaces it only when its lead stands more
  // than linearMargin standard errors of the paired difference above zero (0: any lead, a tie
  // broken by macro-F1).
  const margin = options.linearMargin;
  const se = cv.difference.se;
  const linearWins = margin > 0 ? lp > fp && lp - fp > margin * se : lp > fp || (lp === fp && ls > fs);
  const withinNoise = margin > 0 && lp > fp && !linearWins;
  const forest = trainAndPredictBaseline({ features, target, task, labels, train: args.train, test: args.test, options, onTree: onTree("final"), timing: args.timing });
  // The linear model sees the forest's rows: at most maxTrainRows, the same seeded sample (an
  // L-BFGS fit over every one of a million rows cost 80 s for what 20,000 rows already settle).
  const linearTrain = baselineTrainRows(args.train, options);
  const linear = trainAndPredictLinear({ features, labels, task, train: linearTrain, test: args.test, y: encodeBaselineTarget(linearTrain, target, task, labels), options: options.linear, timing: args.timing });
  const metric = regression ? "r2" : "accuracy";
  const name = regression ? "R²" : "accuracy";
  const forestModel = `random forest (${options.trees} trees)`;
  const [fewest, most] = cv.fitRows;
  const sample = sampled.length < drawn.sourceRows ? ` (a seeded sample of the ${drawn.sourceRows})` : "";
  const where =
    cv.folds === 1
      ? `on the ${cv.rows} training rows themselves (too few to hold a fold out)`
      : cv.scoredFolds < cv.folds
        ? `in ${cv.folds}-fold cross-validation on ${sampled.length} training rows${sample}, the first ${cv.scoredFolds === 1 ? "fold" : `${cv.scoredFolds} folds`} scored (${cv.rows} rows out of fold, at least baseline.cvValidationRows ${options.cvValidationRows}; each fold's models fitted on the other ${fewest === most ? fewest : `${fewest}–${most}`})`
        : `in ${cv.folds}-fold cross-validation on ${cv.rows} training rows${sample}, out-of-fold predictions pooled (each fold's models fitted on the other ${fewest === most ? fewest : `${fewest}–${most}`})`;
  const noise = withinNoise ? `; the linear model's lead of ${f4(lp - fp)} is within ${margin} standard errors (${f4(se)}) of the paired difference, so the forest stays` : "";
  const tie = withinNoise ? noise : lp === fp ? (regression || ls === fs ? "; a tie keeps the forest" : `; a tie, broken by macro-F1: ${f4(linearWins ? ls : fs)} against ${f4(linearWins ? fs : ls)}`) : "";
  const reason = `${linearWins ? linear.model : forestModel} chosen: ${name} ${where} ${f4(linearWins ? lp : fp)} against ${f4(linearWins ? fp : lp)} for the ${linearWins ? "forest" : "linear model"}${linearWins && margin > 0 ? ` (a lead of ${f4(lp - fp)}, above ${margin} standard errors, ${f4(se)})` : ""}${tie}`;
  return {
    forest: { ...forest, model: forestModel, validation: cv.forest },
    linear: { ...linear, validation: cv.linear },
    chosen: linearWins ? "linear" : "random_forest",
    reason,
    metric,
    folds: cv.folds,
    scoredFolds: cv.scoredFolds,
    cvRows: sampled.length,
    fitRows: fewest,
    validationRows: cv.rows,
    sourceRows: drawn.sourceRows,
    difference: cv.difference,
  };
}
