/**
 * The run's baseline as a file: `<run>/baseline/model.json`, written at evaluate and read by
 * `tabtune predict` without retraining. It holds what prediction needs and nothing else:
 * the features (name, kind), each feature's fitted encoder as numbers (a numeric column's
 * training median, a category's sorted training levels, a date's five part medians), and
 * the model. `kind` says which model: today the random forest of src/stats/forest.ts; the
 * format has room for the linear model (a new `model.kind`, its own predict).
 *
 * Saving refits the forest from the same training rows, options and seed (every step is
 * seeded, so it is the forest evaluate scored: trainAndPredictBaseline does not hand its
 * forest out) and then checks that the file, read back, predicts exactly evaluate's
 * predictions on the test rows; a model that would differ is not written.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../artifacts.js";
import { TabtuneError } from "../errors.js";
import { cellToNumber, dateParts, DATE_PARTS, type Cell, type FeatureSpec } from "../stats/baseline-features.js";
import { baselineMaxFeatures, type BaselineOptions, type BaselineResult, type BaselineRow } from "../stats/baseline.js";
import { fitForest, predictForest, type Forest, type ForestTarget } from "../stats/forest.js";
import { createRng, sampleIndices } from "../stats/random.js";

/** `<run>/baseline/model.json`. */
export function baselineModelPath(runDir: string): string {
  return join(runDir, "baseline", "model.json");
}

/** The key baseline-features.ts gives a missing category (its own level, sorted with the others). */
const MISSING_CATEGORY = "\u0000missing";

const Task = z.enum(["binary", "multiclass", "regression"]);

/** One feature's fitted encoder, as numbers. */
export const EncoderState = z.discriminatedUnion("kind", [
  /** A number as is; missing or unreadable → `fill` (the training median). */
  z.object({ kind: z.literal("numeric"), fill: z.number() }),
  /** The code of a value is its index in `levels` (sorted training values, missing among them); unseen → NaN. */
  z.object({ kind: z.literal("categorical"), levels: z.array(z.string()) }),
  /** Five numbers (DATE_PARTS); an unreadable date → each part's training median. */
  z.object({ kind: z.literal("datetime"), fills: z.array(z.number()).length(DATE_PARTS.length) }),
]);
export type EncoderState = z.infer<typeof EncoderState>;

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

export const SavedBaseline = z.object({
  format: z.literal("tabtune-baseline"),
  version: z.literal(1),
  /** Which model `model` is (the report's name for it). */
  kind: z.enum(["random_forest"]),
  description: z.string(),
  task: Task,
  target: z.string(),
  /** Raw class values in the forest's class order (classification); empty for regression. */
  labels: z.array(z.string()),
  /** Raw class value → the label text the records use. */
  labelTexts: z.record(z.string(), z.string()),
  features: z.array(z.object({ name: z.string(), kind: z.enum(["numeric", "categorical", "datetime"]) })).min(1),
  encoders: z.array(EncoderState),
  model: ForestModel,
  /** The rows it was fitted on and the check made when it was saved. */
  trainRows: z.number().int(),
  checkedOn: z.object({ testRows: z.number().int(), identical: z.literal(true) }),
});
export type SavedBaseline = z.infer<typeof SavedBaseline>;

/** What the saved baseline says about rows: one prediction each, and class probabilities (in `labels` order). */
export interface BaselinePrediction {
  /** Raw class values (classification) or numbers (regression). */
  predictions: string[] | number[];
  /** Per row, one probability per class of `labels`; null for regression. */
  probabilities: number[][] | null;
}

const categoryKey = (value: Cell): string => (value === null || value === undefined ? MISSING_CATEGORY : String(value));

function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The encoder baseline-features.ts fits on these training values, as numbers. */
export function fitEncoderState(spec: FeatureSpec, values: Cell[]): EncoderState {
  if (spec.kind === "numeric") {
    const observed = values.map(cellToNumber).filter((v) => !Number.isNaN(v));
    return { kind: "numeric", fill: observed.length === 0 ? 0 : median(observed) };
  }
  if (spec.kind === "categorical") {
    return { kind: "categorical", levels: [...new Set(values.map(categoryKey))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) };
  }
  const parsed = values.map(dateParts).filter((p): p is number[] => p !== null);
  return { kind: "datetime", fills: DATE_PARTS.map((_, k) => (parsed.length === 0 ? 0 : median(parsed.map((p) => p[k] as number)))) };
}

/** The forest columns of one feature for these cells (one, or five for a date). */
export function encodeWith(state: EncoderState, cells: Cell[]): Float64Array[] {
  if (state.kind === "numeric") {
    return [
      Float64Array.from(cells, (cell) => {
        const v = cellToNumber(cell);
        return Number.isNaN(v) ? state.fill : v;
      }),
    ];
  }
  if (state.kind === "categorical") {
    const codes = new Map(state.levels.map((level, i) => [level, i]));
    return [Float64Array.from(cells, (cell) => codes.get(categoryKey(cell)) ?? Number.NaN)];
  }
  const parts = cells.map(dateParts);
  return state.fills.map((fill, k) => Float64Array.from(parts, (p) => (p ? (p[k] as number) : fill)));
}

/** Every forest column of `rows`, features in order. */
function encodeRows(model: Pick<SavedBaseline, "features" | "encoders">, rows: readonly BaselineRow[]): Float64Array[] {
  return model.features.flatMap((f, j) => encodeWith(model.encoders[j] as EncoderState, rows.map((row): Cell => row[f.name])));
}

/** Predicts `rows` (cleaned, imputed rows, as evaluate's test rows) with a saved baseline. */
export function predictBaseline(model: SavedBaseline, rows: readonly BaselineRow[]): BaselinePrediction {
  const forest: Forest = { kind: model.model.target, width: model.model.width, features: model.model.columns, trees: model.model.trees, importance: model.model.importance };
  if (rows.length === 0) return { predictions: [], probabilities: model.task === "regression" ? null : [] };
  const output = predictForest(forest, encodeRows(model, rows));
  if (model.task === "regression") return { predictions: Array.from(output), probabilities: null };
  const w = model.labels.length;
  const predictions: string[] = [];
  const probabilities: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    const p = Array.from(output.subarray(i * w, (i + 1) * w));
    let best = 0;
    for (let c = 1; c < w; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    predictions.push(model.labels[best] as string);
    probabilities.push(p);
  }
  return { predictions, probabilities };
}

/** The forest trainAndPredictBaseline fits on these arguments (same sample, encoders, options and seed). */
function refit(args: SaveArgs): { encoders: EncoderState[]; forest: Forest; trainRows: number } {
  const { features, target, task, labels, options } = args;
  const train =
    args.train.length > options.maxTrainRows
      ? sampleIndices(args.train.length, options.maxTrainRows, createRng(options.seed)).map((i) => args.train[i] as BaselineRow)
      : args.train;
  const encoders = features.map((f) => fitEncoderState(f, train.map((row) => row[f.name])));
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
}

/** Whether two prediction lists are the same, value for value (numbers exactly). */
function samePredictions(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Writes `<runDir>/baseline/model.json` for the baseline evaluate scored (`scored`), after
 * checking that the saved model predicts exactly `scored.predictions` on `args.test`.
 * Returns the path, or null with the reason when the check fails (nothing is written then).
 */
export function saveBaselineModel(runDir: string, args: SaveArgs, scored: Pick<BaselineResult, "predictions" | "positiveScores">): { path: string } | { path: null; reason: string } {
  const { encoders, forest, trainRows } = refit(args);
  const model: SavedBaseline = {
    format: "tabtune-baseline",
    version: 1,
    kind: "random_forest",
    description: `random forest (${args.options.trees} trees, max depth ${args.options.maxDepth}, seed ${args.options.seed})`,
    task: args.task,
    target: args.target,
    labels: args.task === "regression" ? [] : args.labels,
    labelTexts: args.task === "regression" ? {} : args.labelTexts,
    features: args.features,
    encoders,
    model: { kind: "random_forest", target: forest.kind, width: forest.width, columns: forest.features, trees: forest.trees, importance: forest.importance },
    trainRows,
    checkedOn: { testRows: args.test.length, identical: true },
  };
  // Read back from its JSON text, as predict will.
  const text = JSON.stringify(model) + "\n";
  const reread = SavedBaseline.parse(JSON.parse(text));
  const again = predictBaseline(reread, args.test);
  if (!samePredictions(again.predictions, scored.predictions)) return { path: null, reason: "the refitted forest does not predict what evaluate's did on the test rows" };
  if (scored.positiveScores && !samePredictions(again.probabilities?.map((p) => p[1] as number) ?? [], scored.positiveScores))
    return { path: null, reason: "the refitted forest's class probabilities differ from evaluate's on the test rows" };
  const path = baselineModelPath(runDir);
  writeFileAtomic(path, text);
  return { path };
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
  const model = parsed.data;
  const columns = model.features.reduce((n, f) => n + (f.kind === "datetime" ? DATE_PARTS.length : 1), 0);
  if (model.encoders.length !== model.features.length || columns !== model.model.columns || model.encoders.some((e, j) => e.kind !== model.features[j]?.kind))
    throw new TabtuneError("baseline_invalid", `${path}: its encoders do not match its features`, { suggestion: "re-run with --start-from evaluate to write it again" });
  return model;
}
