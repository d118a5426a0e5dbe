/**
 * The run's baseline as a file: `<run>/baseline/model.json`, written at evaluate and read by
 * `tabtune predict` without retraining. It is the model evaluate chose as the baseline (the
 * forest or the linear model, results.json's baselineChoice) and holds what prediction needs
 * and nothing else: the features (name, kind), each feature's fitted encoder as numbers (a
 * numeric column's training median, a category's sorted training levels, a date's five part
 * medians), and the model (`kind`):
 * - `random_forest`: the trees of src/stats/forest.ts. Saving refits the forest from the same
 *   training rows, options and seed (every step is seeded, so it is the forest evaluate scored:
 *   trainAndPredictBaseline does not hand its forest out);
 * - `linear`: the fitted model compareBaselines hands over (nothing is refitted): the
 *   standardization of each number and date feature (training means and scales), the one-hot
 *   layout (each category's encoder levels, in feature order after the standardized columns),
 *   the coefficients (design columns × outputs) and intercepts of a logistic regression (one
 *   output and a sigmoid for two classes, one per class and a softmax for more) or a ridge.
 * Either way the file, read back from its JSON text, must predict exactly evaluate's
 * predictions (and binary class probabilities) on the test rows it is checked on (every one up
 * to baseline.savedCheckRows, else a seeded sample of that many, `checkedOn` says how many); a
 * model that differs on any of them is not written.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { cellToNumber, DATE_PARTS, type Cell, type FeatureSpec } from "../stats/baseline-features.js";
import { baselineMaxFeatures, baselineTrainRows, classesOf, type BaselineOptions, type BaselineResult, type BaselineRow } from "../stats/baseline.js";
import type { ChosenBaseline } from "../stats/baseline-choice.js";
import { fitForest, predictForest, type Forest, type ForestTarget } from "../stats/forest.js";
import { createRng, sampleIndices } from "../stats/random.js";
import { predictLogistic, predictRidge, type Design, type LinearFit } from "../stats/linear.js";
import { EncoderState, encodeWith, fitEncoderState } from "./baseline-encoders.js";

export { EncoderState, encodeWith, fitEncoderState } from "./baseline-encoders.js";

/** `<run>/baseline/model.json`. */
export function baselineModelPath(runDir: string): string {
  return join(runDir, "baseline", "model.json");
}

const Task = z.enum(["binary", "multiclass", "regression"]);

const Tree = z.object({
  feature: z.array(z.number().int()),
  threshold: z.array(z.number()),
  left: z.array(z.number().int()),
  right: z.array(z.number().int()),
  value: z.array(z.number()),
  nanLeft: z.array(z.number().int()),
});

const ForestModel = z.object({
  kind: z.literal("random_forest"),
  target: z.enum(["classification", "regression"]),
  width: z.number().int().positive(),
  columns: z.number().int().positive(),
  trees: z.array(Tree).min(1),
  importance: z.array(z.number()),
});

const LinearModel = z.object({
  kind: z.literal("linear"),
  /** "logistic" (classes: one output and a sigmoid for two, one per class and a softmax for more) or "ridge" (numbers: one output). */
  estimator: z.enum(["logistic", "ridge"]),
  /** Design column names: the standardized numbers and date parts (feature order), then one 0/1 column per training level of each category (feature order). */
  columns: z.array(z.string()).min(1),
  /** Per feature: the training mean and scale of each of its columns (a number: one, a date: five), or null for a category (one-hot by its encoder's levels; an unseen level is all zeros). */
  scaling: z.array(z.object({ means: z.array(z.number()), scales: z.array(z.number()) }).nullable()),
  outputs: z.number().int().positive(),
  /** columns × outputs, row-major. */
  coef: z.array(z.number()),
  /** One per output. */
  intercept: z.array(z.number()),
});

export const SavedBaseline = z.object({
  format: z.literal("tabtune-baseline"),
  version: z.literal(1),
  /** Which model `model` is: the baseline evaluate chose (results.json's baselineChoice.chosen). */
  kind: z.enum(["random_forest", "linear"]),
  description: z.string(),
  task: Task,
  target: z.string(),
  /** Raw class values in the model's class order (classification); empty for regression. */
  labels: z.array(z.string()),
  /** Raw class value → the label text the records use. */
  labelTexts: z.record(z.string(), z.string()),
  features: z.array(z.object({ name: z.string(), kind: z.enum(["numeric", "categorical", "datetime"]) })).min(1),
  encoders: z.array(EncoderState),
  model: z.discriminatedUnion("kind", [ForestModel, LinearModel]),
  /** The rows it was fitted on and the check made when it was saved: the test rows, and how many of them were predicted again from this file (files written before the check was sampled lack `checkedRows`: every test row). */
  trainRows: z.number().int(),
  checkedOn: z.object({ testRows: z.number().int(), checkedRows: z.number().int().optional(), identical: z.literal(true) }),
});
export type SavedBaseline = z.infer<typeof SavedBaseline>;

/** What the saved baseline says about rows: one prediction each, and class probabilities (in `labels` order). */
export interface BaselinePrediction {
  /** Raw class values (classification) or numbers (regression). */
  predictions: string[] | number[];
  /** Per row, one probability per class of `labels`; null for regression. */
  probabilities: number[][] | null;
}

/** Every forest column of `rows`, features in order. */
function encodeRows(model: Pick<SavedBaseline, "features" | "encoders">, rows: readonly BaselineRow[]): Float64Array[] {
  return model.features.flatMap((f, j) => encodeWith(model.encoders[j] as EncoderState, rows.map((row): Cell => row[f.name])));
}

type SavedLinear = z.infer<typeof LinearModel>;

/** The linear model's design matrix for `rows`, built as linear-design.ts builds it: standardized columns first, then the categories' codes. */
function linearDesign(model: Pick<SavedBaseline, "features" | "encoders">, linear: SavedLinear, rows: readonly BaselineRow[]): Design {
  const dense: Float64Array[] = [];
  const codes: Int32Array[] = [];
  const offsets: number[] = [];
  let at = linear.scaling.reduce((w, s) => w + (s ? s.means.length : 0), 0);
  model.features.forEach((f, j) => {
    const state = model.encoders[j] as EncoderState;
    const columns = encodeWith(state, rows.map((row): Cell => row[f.name]));
    const scaling = linear.scaling[j];
    if (scaling) {
      columns.forEach((col, k) => dense.push(Float64Array.from(col, (v) => (v - (scaling.means[k] as number)) / (scaling.scales[k] as number))));
      return;
    }
    codes.push(Int32Array.from(columns[0] as Float64Array, (c) => (Number.isNaN(c) ? -1 : c)));
    offsets.push(at);
    at += state.kind === "categorical" ? state.levels.length : 0;
  });
  return { rows: rows.length, dense, codes, offsets, width: at };
}

/** One output per row: class probabilities (rows × labels, row-major) or numbers. */
function modelOutput(model: SavedBaseline, rows: readonly BaselineRow[]): Float64Array {
  const m = model.model;
  if (m.kind === "random_forest") {
    const forest: Forest = { kind: m.target, width: m.width, features: m.columns, trees: m.trees, importance: m.importance };
    return predictForest(forest, encodeRows(model, rows));
  }
  const X = linearDesign(model, m, rows);
  const coef = Float64Array.from(m.coef);
  const intercept = Float64Array.from(m.intercept);
  if (m.estimator === "ridge") return predictRidge({ coef, intercept: intercept[0] as number }, X);
  return predictLogistic({ classes: model.labels.length, outputs: m.outputs, coef, intercept }, X);
}

/** Predicts `rows` (cleaned, imputed rows, as evaluate's test rows) with a saved baseline. */
export function predictBaseline(model: SavedBaseline, rows: readonly BaselineRow[]): BaselinePrediction {
  if (rows.length === 0) return { predictions: [], probabilities: model.task === "regression" ? null : [] };
  const output = modelOutput(model, rows);
  if (model.task === "regression") return { predictions: Array.from(output), probabilities: null };
  const w = model.labels.length;
  const probabilities = Array.from({ length: rows.length }, (_, i) => Array.from(output.subarray(i * w, (i + 1) * w)));
  return { predictions: classesOf(output, rows.length, w, model.labels, "multiclass").predictions, probabilities };
}

/** The rows both baseline models fit on (the seeded sample beyond maxTrainRows), and the encoders fitted on them. */
function sampleEncoders(args: SaveArgs): { train: BaselineRow[]; encoders: EncoderState[] } {
  const train = baselineTrainRows(args.train, args.options);
  return { train, encoders: args.features.map((f) => fitEncoderState(f, train.map((row) => row[f.name]))) };
}

/** The forest trainAndPredictBaseline fits on these arguments (same sample, encoders, options and seed). */
function refit(args: SaveArgs): { encoders: EncoderState[]; forest: Forest; trainRows: number } {
  const { features, target, task, labels, options } = args;
  const { train, encoders } = sampleEncoders(args);
  const columns = features.flatMap((f, j) => encodeWith(encoders[j] as EncoderState, train.map((row): Cell => row[f.name])));
  const index = new Map(labels.map((label, i) => [label, i]));
  const y: ForestTarget =
    task === "regression"
      ? { kind: "regression", y: Float64Array.from(train, (row) => cellToNumber(row[target])) }
      : { kind: "classification", classes: labels.length, y: Int32Array.from(train, (row) => index.get(String(row[target])) ?? 0) };
  const forest = fitForest(columns, y, { trees: options.trees, maxDepth: options.maxDepth, maxFeatures: baselineMaxFeatures(options.maxFeatures, task), seed: options.seed });
  return { encoders, forest, trainRows: train.length };
}

export interface SaveArgs {
  features: FeatureSpec[];
  target: string;
  task: "binary" | "multiclass" | "regression";
  /** Raw class values in the baseline's order (empty for regression). */
  labels: string[];
  labelTexts: Record<string, string>;
  train: BaselineRow[];
  test: BaselineRow[];
  options: BaselineOptions;
  /** Test rows the saved file is checked on at most (baseline.savedCheckRows): beyond this a seeded sample (options.seed) of this many; default every row. */
  checkRows?: number;
}

/** Whether two prediction lists are the same, value for value (numbers exactly). */
function samePredictions(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The forest's part of the file: the forest evaluate scored (its encoders fitted again: cheap, and checked below), else refitted the same way. */
function forestPart(args: SaveArgs, fitted: { forest: Forest; trainRows: number } | undefined): Pick<SavedBaseline, "kind" | "description" | "encoders" | "model" | "trainRows"> {
  const { encoders, forest, trainRows } = fitted
    ? { encoders: sampleEncoders(args).encoders, ...fitted }
    : refit(args);
  return {
    kind: "random_forest",
    description: `random forest (${args.options.trees} trees, max depth ${args.options.maxDepth}, seed ${args.options.seed})`,
    encoders,
    model: { kind: "random_forest", target: forest.kind, width: forest.width, columns: forest.features, trees: forest.trees, importance: forest.importance },
    trainRows,
  };
}

/** The model part of the file for the linear model: its fitted state as handed over, with the encoders it was fitted with (all training rows). */
function linearPart(args: SaveArgs, name: string, fitted: LinearFit): Pick<SavedBaseline, "kind" | "description" | "encoders" | "model" | "trainRows"> {
  const { train, encoders } = sampleEncoders(args);
  const byName = new Map(fitted.scaling.map((s) => [s.name, s]));
  const m = fitted.model;
  const dense = fitted.scaling.reduce((n, s) => n + s.means.length, 0);
  return {
    kind: "linear",
    description: `${name} on ${dense} standardized and ${fitted.columns.length - dense} one-hot columns`,
    encoders,
    model: {
      kind: "linear",
      estimator: m.kind,
      columns: fitted.columns,
      scaling: args.features.map((f) => {
        const s = byName.get(f.name);
        return f.kind === "categorical" || !s ? null : { means: s.means, scales: s.scales };
      }),
      outputs: m.kind === "ridge" ? 1 : m.outputs,
      coef: Array.from(m.coef),
      intercept: m.kind === "ridge" ? [m.intercept] : Array.from(m.intercept),
    },
    trainRows: train.length,
  };
}

/**
 * The test rows the saved file is checked on: all of them up to `checkRows`, else a seeded
 * sample of that many (sorted indices).
 * @example checkedRows(5, 10, 42) // [0, 1, 2, 3, 4]
 */
export function checkedRows(testRows: number, checkRows: number, seed: number): number[] {
  return testRows <= checkRows ? Array.from({ length: testRows }, (_, i) => i) : sampleIndices(testRows, checkRows, createRng(seed));
}

/**
 * Writes `<runDir>/baseline/model.json` for the baseline evaluate chose and scored
 * (`chosen`: compareBaselines' forest or linear model), after checking that the saved model,
 * read back, predicts exactly `chosen.result.predictions` (and, for two classes, its
 * positive-class probabilities) on the test rows checked (checkedRows: every one up to
 * `args.checkRows`, else a seeded sample). Returns the path and the rows checked, or null
 * with the reason when the check fails (nothing is written then).
 */
export function saveBaselineModel(runDir: string, args: SaveArgs, chosen: ChosenBaseline): { path: string; checkedRows: number } | { path: null; reason: string } {
  const part = chosen.kind === "linear" ? linearPart(args, chosen.result.model, chosen.result.fitted) : forestPart(args, chosen.result.forestFit);
  const rows = checkedRows(args.test.length, args.checkRows ?? args.test.length, args.options.seed);
  const model: SavedBaseline = {
    format: "tabtune-baseline",
    version: 1,
    kind: part.kind,
    description: part.description,
    task: args.task,
    target: args.target,
    labels: args.task === "regression" ? [] : args.labels,
    labelTexts: args.task === "regression" ? {} : args.labelTexts,
    features: args.features,
    encoders: part.encoders,
    model: part.model,
    trainRows: part.trainRows,
    checkedOn: { testRows: args.test.length, checkedRows: rows.length, identical: true },
  };
  const what = chosen.kind === "linear" ? "the saved linear model" : chosen.result.forestFit ? "the saved forest" : "the refitted forest";
  // Read back from its JSON text, as predict will (a NaN or infinite coefficient does not survive JSON: refused here).
  const text = JSON.stringify(model) + "\n";
  const reread = SavedBaseline.safeParse(JSON.parse(text));
  if (!reread.success) return { path: null, reason: `${what} does not read back (${reread.error.issues[0]?.path.join(".") ?? ""}: ${reread.error.issues[0]?.message ?? "invalid"})` };
  const problem = baselineProblem(reread.data);
  if (problem) return { path: null, reason: `${what} does not read back (${problem})` };
  const all = rows.length === args.test.length;
  const again = predictBaseline(reread.data, all ? args.test : rows.map((i) => args.test[i] as BaselineRow));
  const scored = chosen.result;
  const at = <T>(values: readonly T[]): readonly T[] => (all ? values : rows.map((i) => values[i] as T));
  const where = all ? "on the test rows" : `on ${rows.length} sampled test rows`;
  if (!samePredictions(again.predictions, at<string | number>(scored.predictions))) return { path: null, reason: `${what} does not predict what evaluate's did ${where}` };
  if (scored.positiveScores && !samePredictions(again.probabilities?.map((p) => p[1] as number) ?? [], at(scored.positiveScores)))
    return { path: null, reason: `${what}'s class probabilities differ from evaluate's ${where}` };
  const path = baselineModelPath(runDir);
  writeFileAtomic(path, text);
  return { path, checkedRows: rows.length };
}

/**
 * Reads and validates a saved baseline.
 * @throws TabtuneError naming the file when it is missing or not a tabtune baseline.
 */
export function readBaselineModel(path: string): SavedBaseline {
  if (!existsSync(path))
    throw new TabtuneError("baseline_missing", `${path} does not exist: this run has no saved baseline`, {
      suggestion: "runs finished before tabtune saved its baseline have none: re-run with --start-from evaluate, or predict with --predict-endpoint",
    });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new TabtuneError("baseline_invalid", `${path} is not JSON (${error instanceof Error ? error.message : String(error)})`, { suggestion: "re-run with --start-from evaluate to write it again" });
  }
  const parsed = SavedBaseline.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new TabtuneError("baseline_invalid", `${path} is not a tabtune baseline (${first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid"})`, {
      suggestion: "re-run with --start-from evaluate to write it again",
    });
  }
  const problem = baselineProblem(parsed.data);
  if (problem) throw new TabtuneError("baseline_invalid", `${path}: ${problem}`, { suggestion: "re-run with --start-from evaluate to write it again" });
  return parsed.data;
}

/** Why a schema-valid saved baseline still cannot predict (its parts do not fit together), or null. */
function baselineProblem(model: SavedBaseline): string | null {
  if (model.encoders.length !== model.features.length || model.encoders.some((e, j) => e.kind !== model.features[j]?.kind)) return "its encoders do not match its features";
  if (model.model.kind !== model.kind) return `kind "${model.kind}" but its model is "${model.model.kind}"`;
  return model.model.kind === "random_forest" ? forestProblem(model, model.model) : linearProblem(model, model.model);
}

/** Why a saved forest cannot predict with these features, or null. */
function forestProblem(model: SavedBaseline, forest: z.infer<typeof ForestModel>): string | null {
  const columns = model.features.reduce((n, f) => n + (f.kind === "datetime" ? DATE_PARTS.length : 1), 0);
  return columns === forest.columns ? null : `its forest reads ${forest.columns} columns but its features make ${columns}`;
}

/** Why a saved linear model cannot predict with these features and labels, or null. */
function linearProblem(model: SavedBaseline, linear: SavedLinear): string | null {
  if (linear.scaling.length !== model.features.length) return `its linear model scales ${linear.scaling.length} features, not ${model.features.length}`;
  let width = 0;
  for (const [j, f] of model.features.entries()) {
    const scaling = linear.scaling[j];
    const encoder = model.encoders[j] as EncoderState;
    if (encoder.kind === "categorical") {
      if (scaling) return `its linear model standardizes the category ${f.name}`;
      width += encoder.levels.length;
      continue;
    }
    const parts = f.kind === "datetime" ? DATE_PARTS.length : 1;
    if (!scaling || scaling.means.length !== parts || scaling.scales.length !== parts) return `its linear model has no standardization for ${f.name} (${parts} column${parts === 1 ? "" : "s"})`;
    width += parts;
  }
  if (linear.columns.length !== width) return `its linear model has ${linear.columns.length} design columns but its features make ${width}`;
  const outputs = linear.estimator === "ridge" ? 1 : model.labels.length === 2 ? 1 : model.labels.length;
  if ((linear.estimator === "ridge") !== (model.task === "regression") || (linear.estimator === "logistic" && model.labels.length < 2))
    return `a ${linear.estimator} model cannot predict a ${model.task} target${linear.estimator === "logistic" ? ` with ${model.labels.length} labels` : ""}`;
  if (linear.outputs !== outputs || linear.intercept.length !== outputs || linear.coef.length !== width * outputs)
    return `its linear model needs ${outputs} output(s) and ${width * outputs} coefficients, it has ${linear.outputs} output(s), ${linear.coef.length} coefficients and ${linear.intercept.length} intercept(s)`;
  return null;
}
