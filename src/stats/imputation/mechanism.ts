/**
 * Why a column's values are missing, from the training rows alone:
 * - MAR when the other columns predict its missingness: a random forest on the missingness
 *   indicator, cross-validated AUC ≥ `marAuc` (the columns the forest splits on most
 *   explain it);
 * - MCAR when they do not and Little's statistic for the column (its missingness indicator
 *   against the other numeric columns) does not reject at `mcarAlpha`;
 * - MNAR suspected when Little's statistic rejects MCAR but the observed columns predict
 *   the missingness poorly: it depends on something unobserved, possibly the value itself.
 *   This is a suspicion: no test on observed data can tell MNAR from MAR or MCAR for sure
 *   (a value missing because it is high, unrelated to every other column, looks MCAR).
 */
import { fitForest, predictForest } from "../forest.js";
import { rocAuc } from "../metrics.js";
import { createRng, shuffleInPlace } from "../random.js";
import { isMissing, type Frame, type FrameColumn } from "./frame.js";
import { indicatorMcarTest } from "./little-mcar.js";

export type Mechanism = "MCAR" | "MAR" | "MNAR (suspected)" | "undetermined";

export interface ProbeSettings {
  trees: number;
  maxDepth: number;
  folds: number;
  minMissing: number;
  marAuc: number;
  mcarAlpha: number;
  seed: number;
}

export interface ColumnMechanism {
  column: string;
  mechanism: Mechanism;
  /** Cross-validated AUC of the missingness probe; null when not probed. */
  probeAuc: number | null;
  /** Columns that explain the missingness most (forest importance ≥ 0.1, at most 3). */
  explainedBy: { column: string; importance: number }[];
  /** Little's statistic for this column's indicator; null when it could not be computed. */
  mcar: { statistic: number; df: number; pValue: number } | null;
  missing: number;
  rows: number;
  reason: string;
}

/** Features for the probe: numbers as is, categories as codes; a missing cell below every value. */
function probeFeatures(frame: Frame, skip: number): { names: string[]; columns: Float64Array[] } {
  const names: string[] = [];
  const columns: Float64Array[] = [];
  frame.columns.forEach((c, j) => {
    if (j === skip) return;
    names.push(c.name);
    if (c.kind === "categorical") columns.push(Float64Array.from(c.codes));
    else {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of c.values) if (!Number.isNaN(v)) (min = Math.min(min, v)), (max = Math.max(max, v));
      const sentinel = Number.isFinite(min) ? min - 1 - (max - min) : -1;
      columns.push(Float64Array.from(c.values, (v) => (Number.isNaN(v) ? sentinel : v)));
    }
  });
  return { names, columns };
}

/**
 * Cross-validated AUC of a forest predicting `indicator` (seeded folds), and the importance
 * of each feature in a forest fitted on all rows.
 */
export function probeMissingness(indicator: Uint8Array, features: Float64Array[], settings: ProbeSettings): { auc: number; importance: number[] } {
  const n = indicator.length;
  const folds = new Int32Array(n);
  const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), createRng(settings.seed));
  order.forEach((row, k) => (folds[row] = k % settings.folds));
  const scores = new Float64Array(n);
  const options = { trees: settings.trees, maxDepth: settings.maxDepth, maxFeatures: null, seed: settings.seed, minLeaf: 3 };
  for (let f = 0; f < settings.folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (folds[i] === f ? test : train).push(i);
    const y = Int32Array.from(train, (i) => indicator[i]!);
    const forest = fitForest(features.map((c) => Float64Array.from(train, (i) => c[i]!)), { kind: "classification", classes: 2, y }, options);
    const out = predictForest(forest, features.map((c) => Float64Array.from(test, (i) => c[i]!)));
    test.forEach((i, k) => (scores[i] = out[k * 2 + 1]!));
  }
  const auc = rocAuc(Array.from(indicator, (v) => v === 1), Array.from(scores));
  const all = fitForest(features, { kind: "classification", classes: 2, y: Int32Array.from(indicator) }, options);
  return { auc, importance: all.importance };
}

/** The mechanism of every column in `targets` (indices into frame.columns). */
export function columnMechanisms(frame: Frame, targets: number[], settings: ProbeSettings): ColumnMechanism[] {
  return targets.map((j) => {
    const col: FrameColumn = frame.columns[j]!;
    const indicator = Uint8Array.from({ length: frame.rows }, (_, i) => (isMissing(col, i) ? 1 : 0));
    const missing = indicator.reduce((s, v) => s + v, 0);
    const base = { column: col.name, missing, rows: frame.rows };
    if (missing < settings.minMissing || frame.rows - missing < settings.minMissing || frame.columns.length < 2)
      return {
        ...base,
        mechanism: "undetermined" as const,
        probeAuc: null,
        explainedBy: [],
        mcar: null,
        reason: frame.columns.length < 2 ? "no other column to compare with" : `${missing} of ${frame.rows} analysed training cells missing: too few to test (fewer than ${settings.minMissing} missing or observed)`,
      };
    const { names, columns } = probeFeatures(frame, j);
    const probe = probeMissingness(indicator, columns, { ...settings, seed: settings.seed + j });
    const explainedBy = names
      .map((column, k) => ({ column, importance: probe.importance[k]! }))
      .filter((e) => e.importance >= 0.1)
      .sort((a, b) => b.importance - a.importance)
      .slice(0, 3);
    const others = frame.columns.filter((c, k) => k !== j && c.kind === "numeric").map((c) => (c.kind === "numeric" ? c.values : new Float64Array()));
    const test = indicatorMcarTest(indicator, others);
    const mcar = test ? { statistic: test.statistic, df: test.df, pValue: test.pValue } : null;
    const aucText = `probe AUC ${probe.auc.toFixed(2)}`;
    const mcarText = mcar
      ? `Little's χ² ${mcar.statistic.toFixed(1)} (df ${mcar.df}, p ${formatP(mcar.pValue)})`
      : "no Little's test (no other numeric column, or under 2 rows per group with them all observed)";
    // An explaining column missing in most of the same rows explains by co-missingness.
    const coMissing = (name: string): boolean => {
      const other = frame.columns.find((c) => c.name === name);
      if (!other) return false;
      let both = 0;
      for (let i = 0; i < frame.rows; i++) if (indicator[i] === 1 && isMissing(other, i)) both++;
      return both >= 0.5 * missing;
    };
    const explainers = explainedBy.map((e) => (coMissing(e.column) ? `${e.column} (missing in the same rows)` : e.column)).join(", ");
    if (probe.auc >= settings.marAuc)
      return { ...base, mechanism: "MAR" as const, probeAuc: probe.auc, explainedBy, mcar, reason: `${aucText} ≥ ${settings.marAuc}: predicted by ${explainers || "the other columns"}; ${mcarText}` };
    if (mcar && mcar.pValue < settings.mcarAlpha)
      return { ...base, mechanism: "MNAR (suspected)" as const, probeAuc: probe.auc, explainedBy, mcar, reason: `${mcarText} rejects MCAR, yet the other columns predict it poorly (${aucText} < ${settings.marAuc}): it may depend on the missing value itself` };
    return { ...base, mechanism: "MCAR" as const, probeAuc: probe.auc, explainedBy, mcar, reason: `${aucText} < ${settings.marAuc}; ${mcarText}: consistent with MCAR` };
  });
}

/** A p-value for people: 3 significant digits, "< 1e-12" below that. */
export function formatP(p: number): string {
  return p < 1e-12 ? "< 1e-12" : p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}
