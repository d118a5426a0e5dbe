/**
 * How many ranked features select_features keeps (DESIGN §3): for each k of a small grid,
 * a seeded forest on the k best-ranked columns is fitted on the fit part of the training
 * rows and scored on a validation fold of them (accuracy, or R² for regression); the
 * smallest k whose score is within `tolerance` of the best score wins.
 *
 * Encodings: a number column's missing cells take the fit rows' median; a category column
 * is its level codes (missing its own level), as rankFeatures feeds its forest.
 */
import type { Column } from "../table/columns.js";
import { cellToNumber } from "./baseline.js";
import { fitForest, predictForest, type ForestTarget } from "./forest.js";
import { medianSorted } from "./kernel.js";
import { regressionMetrics } from "./metrics.js";
import { createRng, sampleIndices } from "./random.js";
import { isMissing, targetCell, type RankColumn } from "./selection.js";

/** The validation score of the k best-ranked columns. */
export interface KScore {
  k: number;
  score: number;
}

export interface KChoice {
  /** The chosen k: the smallest whose score is within the tolerance of the best. */
  k: number;
  /** The best score over the grid. */
  best: number;
  metric: "accuracy" | "R²";
  /** Every k tried, increasing. */
  scores: KScore[];
  fitRows: number;
  validationRows: number;
}

/** Grid steps below the largest k (which is always tried). */
const STEPS = [5, 10, 20, 30, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/**
 * The k to try for `candidates` ranked columns under an upper bound (null: none): the steps
 * below the bound, then the bound itself. Empty for no candidates.
 * @example kGrid(63, null) // [5, 10, 20, 30, 50, 63]
 * @example kGrid(63, 30) // [5, 10, 20, 30]
 */
export function kGrid(candidates: number, upper: number | null): number[] {
  const max = Math.min(candidates, upper ?? candidates);
  if (max <= 0) return [];
  return [...STEPS.filter((k) => k < max), max];
}

/** The column's cells on `rows` as forest input: numbers (NaN = missing) or level codes (missing = -1). */
function cells(column: RankColumn, rows: ArrayLike<number>): { numeric: boolean; x: Float64Array } {
  const x = new Float64Array(rows.length);
  if ("type" in column) {
    if (column.type === "numeric") for (let i = 0; i < rows.length; i++) x[i] = column.values[rows[i] as number] as number;
    else for (let i = 0; i < rows.length; i++) x[i] = column.codes[rows[i] as number] ?? -1;
    return { numeric: column.type === "numeric", x };
  }
  if (column.kind === "numeric") {
    for (let i = 0; i < rows.length; i++) x[i] = cellToNumber(column.values[rows[i] as number] ?? null);
    return { numeric: true, x };
  }
  const codes = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const v = column.values[rows[i] as number];
    if (isMissing(v)) x[i] = -1;
    else {
      const text = String(v);
      if (!codes.has(text)) codes.set(text, codes.size);
      x[i] = codes.get(text) ?? -1;
    }
  }
  return { numeric: false, x };
}

/** Median of the non-NaN values (0 when there are none). */
function medianOf(values: Float64Array): number {
  const observed = values.filter((v) => !Number.isNaN(v)).sort();
  return observed.length === 0 ? 0 : medianSorted(observed);
}

/**
 * Scores the grid and picks k. `columns` are the eligible columns best-ranked first (at
 * least the grid's largest k of them); `fitRows` and `validationRows` are rows with a
 * target. The forest is fitted on at most `maxRows` seeded fit rows and scored on at most
 * `maxRows` seeded validation rows.
 * @throws RangeError when the grid is empty or either row set is.
 */
export function chooseK(args: {
  columns: RankColumn[];
  target: (string | number | null)[] | Column;
  task: "binary" | "multiclass" | "regression";
  fitRows: ArrayLike<number>;
  validationRows: ArrayLike<number>;
  grid: number[];
  tolerance: number;
  trees: number;
  maxDepth: number;
  /** Features tried per split (see ForestOptions.maxFeatures). */
  maxFeatures: number | null;
  maxRows: number;
  seed: number;
}): KChoice {
  const { grid, task } = args;
  const largest = grid[grid.length - 1];
  if (largest === undefined || args.fitRows.length === 0 || args.validationRows.length === 0)
    throw new RangeError(`chooseK needs a grid and rows (grid ${grid.length}, fit ${args.fitRows.length}, validation ${args.validationRows.length})`);
  const take = args.fitRows.length > args.maxRows ? sampleIndices(args.fitRows.length, args.maxRows, createRng(args.seed)) : null;
  const fit = take ? Int32Array.from(take, (i) => args.fitRows[i] as number) : Int32Array.from(args.fitRows);
  const validTake = args.validationRows.length > args.maxRows ? sampleIndices(args.validationRows.length, args.maxRows, createRng(args.seed + 1)) : null;
  const valid = validTake ? Int32Array.from(validTake, (i) => args.validationRows[i] as number) : Int32Array.from(args.validationRows);

  // Inputs for the largest k; each smaller k uses the first k of them.
  const fitX: Float64Array[] = [];
  const validX: Float64Array[] = [];
  for (const column of args.columns.slice(0, largest)) {
    const a = cells(column, fit);
    const b = cells(column, valid);
    if (a.numeric) {
      const median = medianOf(a.x);
      for (const x of [a.x, b.x]) for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i] as number)) x[i] = median;
    }
    fitX.push(a.x);
    validX.push(b.x);
  }

  let target: ForestTarget;
  let score: (predicted: Float64Array, width: number) => number;
  if (task === "regression") {
    const yFit = Float64Array.from(fit, (r) => cellToNumber(targetCell(args.target, r)));
    const yValid = Array.from(valid, (r) => cellToNumber(targetCell(args.target, r)));
    target = { kind: "regression", y: yFit };
    score = (predicted) => regressionMetrics(yValid, Array.from(predicted)).r2;
  } else {
    const codes = new Map<string, number>();
    const code = (r: number) => {
      const label = String(targetCell(args.target, r));
      if (!codes.has(label)) codes.set(label, codes.size);
      return codes.get(label) ?? 0;
    };
    const yFit = Int32Array.from(fit, code);
    const yValid = Int32Array.from(valid, code);
    target = { kind: "classification", classes: codes.size, y: yFit };
    score = (predicted, width) => {
      let correct = 0;
      for (let i = 0; i < yValid.length; i++) {
        let arg = 0;
        for (let c = 1; c < width; c++) if ((predicted[i * width + c] as number) > (predicted[i * width + arg] as number)) arg = c;
        if (arg === yValid[i]) correct++;
      }
      return correct / yValid.length;
    };
  }

  const scores = grid.map((k) => {
    const forest = fitForest(fitX.slice(0, k), target, { trees: args.trees, maxDepth: args.maxDepth, maxFeatures: args.maxFeatures, seed: args.seed });
    return { k, score: score(predictForest(forest, validX.slice(0, k)), forest.width) };
  });
  const best = Math.max(...scores.map((s) => s.score));
  const chosen = scores.find((s) => s.score >= best - args.tolerance) ?? scores[scores.length - 1];
  return { k: chosen?.k ?? largest, best, metric: task === "regression" ? "R²" : "accuracy", scores, fitRows: fit.length, validationRows: valid.length };
}
