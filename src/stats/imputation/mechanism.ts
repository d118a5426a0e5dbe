/**
 * Why a column's values are missing, from the training rows alone:
 * - MAR when the other columns predict its missingness: a random forest on the missingness
 *   indicator, cross-validated AUC ≥ `marAuc` (the columns the forest splits on most
 *   explain it);
 * - MCAR when they do not and Little's statistic for the column (its missingness indicator
 *   against the other numeric columns) does not reject at `mcarAlpha`;
 * - MNAR suspected when the other columns predict the missingness poorly and either
 *   Little's statistic rejects MCAR (it depends on something unobserved), or the observed
 *   values show a censoring signature (censoringEdge): they stop at a sharp edge with their
 *   density high at it on one side while the other side tails off, as when every value
 *   above (or below) a threshold goes missing. Self-masking unrelated to every other column
 *   passes Little's test and the probe, so the edge is the only trace it leaves.
 *   This is a suspicion: no test on observed data can tell MNAR from MAR or MCAR for sure
 *   (a column bounded by nature, such as a skewed amount starting near 0 or a capped score,
 *   has an edge too; those two shapes are excluded, others may still raise a false alarm).
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
  /** Censoring signature: the edge bin's density relative to the peak bin at least this (default 0.5)… */
  edgeDensity?: number;
  /** …while the opposite edge bin's is at most this (default 0.2). */
  tailDensity?: number;
}

/** A hard edge of a column's observed values: evidence of self-masking beyond it. */
export interface CensoringEdge {
  side: "upper" | "lower";
  /** The observed value the column stops at. */
  edge: number;
  /** Mean observed count of the two bins at the edge / the fullest bin's count. */
  edgeDensity: number;
  /** The same at the opposite end, where a natural tail thins out. */
  otherDensity: number;
  bins: number;
}

/** Observed values needed before a histogram's edges mean anything. */
const MIN_OBSERVED_FOR_EDGE = 50;
/** Fewer distinct observed values than this is a scale of levels, not a continuous measurement. */
const MIN_DISTINCT_FOR_EDGE = 20;
/** An edge value held by this share of observed cells or more is a stored bound (a cap), not a cut. */
const MAX_TIES_AT_EDGE = 0.02;
/** A lower edge at or above 0 within this share of the range from 0 is a natural zero bound. */
const ZERO_BOUND_SHARE = 0.05;

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
    if (c.type === "categorical") columns.push(Float64Array.from(c.codes));
    else {
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of c.values) if (!Number.isNaN(v)) (min = Math.min(min, v)), (max = Math.max(max, v));
      const sentinel = Number.isFinite(min) ? min - 1 - (max - min) : -1;
      const filled = new Float64Array(c.values.length);
      for (let i = 0; i < filled.length; i++) filled[i] = Number.isNaN(c.values[i]!) ? sentinel : c.values[i]!;
      columns.push(filled);
    }
  });
  return { names, columns };
}

/**
 * Cross-validated AUC of a forest predicting `indicator` (seeded folds), and the importance
 * of each feature averaged over the folds' forests (no extra forest on all rows).
 */
export function probeMissingness(indicator: Uint8Array, features: Float64Array[], settings: ProbeSettings): { auc: number; importance: number[] } {
  const n = indicator.length;
  const folds = new Int32Array(n);
  const order = shuffleInPlace(Array.from({ length: n }, (_, i) => i), createRng(settings.seed));
  order.forEach((row, k) => (folds[row] = k % settings.folds));
  const scores = new Float64Array(n);
  const importance = new Array<number>(features.length).fill(0);
  const options = { trees: settings.trees, maxDepth: settings.maxDepth, maxFeatures: null, seed: settings.seed, minLeaf: 3 };
  for (let f = 0; f < settings.folds; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < n; i++) (folds[i] === f ? test : train).push(i);
    const y = new Int32Array(train.length);
    for (let k = 0; k < train.length; k++) y[k] = indicator[train[k]!]!;
    const forest = fitForest(features.map((c) => gather(c, train)), { kind: "classification", classes: 2, y }, options);
    const out = predictForest(forest, features.map((c) => gather(c, test)));
    forest.importance.forEach((v, k) => (importance[k]! += v / settings.folds));
    test.forEach((i, k) => (scores[i] = out[k * 2 + 1]!));
  }
  const auc = rocAuc(Array.from(indicator, (v) => v === 1), Array.from(scores));
  return { auc, importance };
}

/** column[rows[k]] for each k (a plain loop: Float64Array.from with a mapping function is several times slower). */
function gather(column: Float64Array, rows: number[]): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = column[rows[k]!]!;
  return out;
}

/**
 * The censoring signature of a column's observed values (NaN = missing): a histogram of
 * round(2·∛n) bins (8–30) from min to max whose two bins at one end hold on average at
 * least `edgeDensity` of the fullest bin's count while the two at the other end hold at most
 * `tailDensity` of it — a distribution cut off on one side, smooth on the other. Not
 * flagged: fewer than 50 observed or 20 distinct values, an edge value repeated in ≥ 2% of
 * cells (a cap stored as such), a lower edge at a natural zero (0 ≤ min ≤ 5% of the range)
 * or of a positive column whose logarithm shows no lower edge (a right-skewed measurement).
 * @example censoringEdge(normal values with every value above the 70th percentile NaN, 0.5, 0.2)
 * // { side: "upper", edge: ≈0.52, edgeDensity: ≈0.9, otherDensity: ≈0.02, bins: 18 }
 */
export function censoringEdge(values: Float64Array, edgeDensity = 0.5, tailDensity = 0.2): CensoringEdge | null {
  const observed = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  const n = observed.length;
  if (n < MIN_OBSERVED_FOR_EDGE) return null;
  let distinct = 1;
  for (let i = 1; i < n; i++) if (observed[i] !== observed[i - 1]) distinct++;
  if (distinct < MIN_DISTINCT_FOR_EDGE) return null;
  const min = observed[0]!;
  const max = observed[n - 1]!;
  const range = max - min;
  const bins = Math.min(30, Math.max(8, Math.round(2 * Math.cbrt(n))));
  const counts = new Float64Array(bins);
  for (const v of observed) counts[Math.min(bins - 1, Math.floor(((v - min) / range) * bins))]! += 1;
  const peak = Math.max(...counts);
  // The two outermost bins at each end, so one bin's noise does not decide.
  const lower = (counts[0]! + counts[1]!) / 2 / peak;
  const upper = (counts[bins - 1]! + counts[bins - 2]!) / 2 / peak;
  const ties = (edge: number): number => observed.filter((v) => v === edge).length / n;
  if (upper >= edgeDensity && lower <= tailDensity && ties(max) < MAX_TIES_AT_EDGE) return { side: "upper", edge: max, edgeDensity: upper, otherDensity: lower, bins };
  const zeroBound = min >= 0 && min <= ZERO_BOUND_SHARE * range;
  if (!(lower >= edgeDensity && upper <= tailDensity && ties(min) < MAX_TIES_AT_EDGE && !zeroBound)) return null;
  // A positive, right-skewed measurement (sizes, errors, amounts) piles up at its low end yet
  // has no edge on a log scale; a cut does.
  if (min > 0 && censoringEdge(observed.map(Math.log), edgeDensity, tailDensity)?.side !== "lower") return null;
  return { side: "lower", edge: min, edgeDensity: lower, otherDensity: upper, bins };
}

/** The evidence of an edge, for a reason a person reads. */
function edgeText(e: CensoringEdge): string {
  const pct = (v: number): string => `${Math.round(v * 100)}%`;
  return `observed values stop at a sharp ${e.side} edge at ${Number(e.edge.toPrecision(4))} (its two outer bins hold ${pct(e.edgeDensity)} of the fullest bin's count, the ${e.side === "upper" ? "lower" : "upper"} tail thins to ${pct(e.otherDensity)}; ${e.bins} bins), as when every value ${e.side === "upper" ? "above" : "below"} a threshold goes missing`;
}

/** The mechanism of every column in `targets` (indices into frame.columns). */
export function columnMechanisms(frame: Frame, targets: number[], settings: ProbeSettings): ColumnMechanism[] {
  return targets.map((j) => {
    const col: FrameColumn = frame.columns[j]!;
    const indicator = new Uint8Array(frame.rows);
    for (let i = 0; i < frame.rows; i++) indicator[i] = isMissing(col, i) ? 1 : 0;
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
    const others = frame.columns.filter((c, k) => k !== j && c.type === "numeric").map((c) => (c.type === "numeric" ? c.values : new Float64Array()));
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
    const edge = col.type === "numeric" ? censoringEdge(col.values, settings.edgeDensity, settings.tailDensity) : null;
    if (probe.auc >= settings.marAuc) {
      const also = edge ? `; ${edgeText(edge)}: the value itself may matter too` : "";
      return { ...base, mechanism: "MAR" as const, probeAuc: probe.auc, explainedBy, mcar, reason: `${aucText} ≥ ${settings.marAuc}: predicted by ${explainers || "the other columns"}; ${mcarText}${also}` };
    }
    if (edge)
      return { ...base, mechanism: "MNAR (suspected)" as const, probeAuc: probe.auc, explainedBy, mcar, reason: `${edgeText(edge)}; the other columns do not explain it (${aucText} < ${settings.marAuc}); ${mcarText}` };
    if (mcar && mcar.pValue < settings.mcarAlpha)
      return { ...base, mechanism: "MNAR (suspected)" as const, probeAuc: probe.auc, explainedBy, mcar, reason: `${mcarText} rejects MCAR, yet the other columns predict it poorly (${aucText} < ${settings.marAuc}): it may depend on the missing value itself` };
    return { ...base, mechanism: "MCAR" as const, probeAuc: probe.auc, explainedBy, mcar, reason: `${aucText} < ${settings.marAuc}; ${mcarText}: consistent with MCAR` };
  });
}

/** A p-value for people: 3 significant digits, "< 1e-12" below that. */
export function formatP(p: number): string {
  return p < 1e-12 ? "< 1e-12" : p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}
