/**
 * Iterative imputation by chained equations with random forests (missForest, Stekhoven &
 * Bühlmann 2012; scikit-learn's IterativeImputer with a forest estimator): start from the
 * mean / mode, then for a fixed number of rounds, column by column in increasing order of
 * missingness, fit a forest on the rows where the column is observed (a seeded sample of
 * `fitRows` at most) from every other column's current values, and predict its missing
 * cells. The last round's forests are kept: new rows (the test split) start from the same
 * training mean / mode and go through those forests `rounds` times.
 */
import { fitForest, predictForest, type Forest } from "../forest.js";
import { copyFrame, isMissing, missingCount, sampleRows, type Frame, type FrameColumn } from "./frame.js";
import { applySimple, fitSimple, type SimpleFill } from "./simple.js";

export interface IterativeSettings {
  rounds: number;
  trees: number;
  maxDepth: number;
  minLeaf: number;
  /** Rows each forest is fitted on at most (a seeded sample of the observed rows). */
  fitRows: number;
  seed: number;
}

export interface IterativeModel {
  settings: IterativeSettings;
  init: SimpleFill[];
  /** Column index → its last-round forest and number of training levels (0 for numbers). */
  forests: Map<number, { forest: Forest; classes: number }>;
  /** Columns in the order they are visited. */
  order: number[];
}

function asFeature(col: FrameColumn): Float64Array {
  return col.type === "numeric" ? col.values : Float64Array.from(col.codes);
}

function gather(values: Float64Array, rows: number[]): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = values[rows[k]!]!;
  return out;
}

/** Fits one column's forest on (a sample of) its observed rows of the current frame. */
function fitColumn(current: Frame, original: Frame, j: number, settings: IterativeSettings, seed: number): { forest: Forest; classes: number } | null {
  const target = original.columns[j]!;
  const observed: number[] = [];
  for (let i = 0; i < original.rows; i++) if (!isMissing(target, i)) observed.push(i);
  if (observed.length < 2 || current.columns.length < 2) return null;
  const rows = sampleRows(observed.length, settings.fitRows, seed).map((k) => observed[k]!);
  const features = current.columns.filter((_, c) => c !== j).map((c) => gather(asFeature(c), rows));
  const options = { trees: settings.trees, maxDepth: settings.maxDepth, maxFeatures: null, seed, minLeaf: settings.minLeaf };
  if (target.type === "numeric") return { forest: fitForest(features, { kind: "regression", y: gather(target.values, rows) }, options), classes: 0 };
  const classes = target.dictionary.length;
  return { forest: fitForest(features, { kind: "classification", classes, y: Int32Array.from(rows, (i) => target.codes[i]!) }, options), classes };
}

/** Predicts column j at `rows` from the other columns of `current`, writing in place. */
function predictColumn(current: Frame, j: number, rows: number[], model: { forest: Forest; classes: number }): void {
  if (rows.length === 0) return;
  const features = current.columns.filter((_, c) => c !== j).map((c) => gather(asFeature(c), rows));
  const out = predictForest(model.forest, features);
  const col = current.columns[j]!;
  if (col.type === "numeric") rows.forEach((i, k) => (col.values[i] = out[k]!));
  else {
    const w = model.classes;
    rows.forEach((i, k) => {
      let best = 0;
      for (let c = 1; c < w; c++) if (out[k * w + c]! > out[k * w + best]!) best = c;
      col.codes[i] = best;
    });
  }
}

function missingRows(col: FrameColumn, n: number): number[] {
  const rows: number[] = [];
  for (let i = 0; i < n; i++) if (isMissing(col, i)) rows.push(i);
  return rows;
}

/**
 * Fits on the training frame and returns its imputed copy (what fit_transform gives) and
 * the model for new rows. `keep` names the columns that need a model for new rows even if
 * nothing is missing in training (e.g. missing only in the test split). `only`, when given,
 * limits the modelled columns to these (the columns whose policy is iterative): every other
 * column keeps its start value (the training mean / mode) as a feature and is not modelled.
 */
export function fitIterative(train: Frame, settings: IterativeSettings, keep: number[] = [], only: number[] | null = null): { model: IterativeModel; filled: Frame } {
  const init = fitSimple(train, "mean");
  const current = applySimple(train, init);
  const counts = train.columns.map(missingCount);
  const modelled = only === null ? null : new Set(only);
  const withMissing = train.columns.map((_, j) => j).filter((j) => counts[j]! > 0 && counts[j]! < train.rows && (modelled === null || modelled.has(j)));
  keep = modelled === null ? keep : keep.filter((j) => modelled.has(j));
  const order = [...new Set([...withMissing, ...keep])].sort((a, b) => counts[a]! - counts[b]! || a - b);
  const holes = new Map(withMissing.map((j) => [j, missingRows(train.columns[j]!, train.rows)]));
  const forests = new Map<number, { forest: Forest; classes: number }>();
  const rounds = Math.max(1, settings.rounds);
  for (let round = 0; round < rounds; round++) {
    const last = round === rounds - 1;
    for (const j of order) {
      const rows = holes.get(j);
      if (!rows && !last) continue;
      const model = fitColumn(current, train, j, settings, settings.seed + 7919 * round + 104729 * j);
      if (!model) continue;
      if (rows) predictColumn(current, j, rows, model);
      if (last) forests.set(j, model);
    }
  }
  return { model: { settings, init, forests, order }, filled: current };
}

/** Imputes new rows with the training fills and the last round's forests. */
export function applyIterative(model: IterativeModel, frame: Frame): Frame {
  const holes = new Map(frame.columns.map((c, j) => [j, missingRows(c, frame.rows)]));
  const current = applySimple(copyFrame(frame), model.init);
  for (let round = 0; round < Math.max(1, model.settings.rounds); round++)
    for (const j of model.order) {
      const forest = model.forests.get(j);
      const rows = holes.get(j) ?? [];
      if (forest && rows.length > 0) predictColumn(current, j, rows, forest);
    }
  return current;
}
