/**
 * How far a binary scorer's probabilities can be trusted, as scikit-learn defines it:
 * the Brier score, the reliability curve, the precision-recall curve with its average
 * precision, and the confusion counts at chosen thresholds. Pure functions; the positive
 * class is `true` in `positive`; scores are probabilities of it in [0, 1].
 */
import { compensatedSum } from "./kernel.js";

function checkPair(positive: boolean[], scores: number[], what: string): void {
  if (positive.length !== scores.length) throw new RangeError(`${what}: ${positive.length} labels but ${scores.length} scores`);
  if (positive.length === 0) throw new RangeError(`${what}: no rows`);
  const bad = scores.findIndex((s) => !Number.isFinite(s));
  if (bad >= 0) throw new RangeError(`${what}: score ${bad} is not a finite number`);
}

/**
 * Mean squared difference between the probability and the outcome (0 is perfect; 0.25 is
 * a constant 0.5). sklearn's brier_score_loss.
 * @throws RangeError on different lengths, no rows or a non-finite score.
 * @example brierScore([true, false], [0.8, 0.4]) // 0.1
 */
export function brierScore(positive: boolean[], scores: number[]): number {
  checkPair(positive, scores, "brierScore");
  return compensatedSum(scores.map((s, i) => (s - (positive[i] ? 1 : 0)) ** 2)) / scores.length;
}

export interface CalibrationBin {
  /** Bin edges [low, high) of the predicted probability (the last bin includes 1). */
  low: number;
  high: number;
  /** Mean predicted probability of the rows in the bin (sklearn's prob_pred). */
  meanPredicted: number;
  /** Share of positives among them (sklearn's prob_true). */
  fractionPositive: number;
  count: number;
}

/**
 * Reliability curve over `bins` equal-width bins of [0, 1]; empty bins are left out.
 * A score equal to an inner edge falls in the bin below it, as sklearn's calibration_curve
 * (strategy "uniform", np.searchsorted on the inner edges).
 * @throws RangeError as brierScore, or when bins < 1.
 * @example calibrationBins([true, false], [0.9, 0.1], 2).map((b) => b.fractionPositive) // [0, 1]
 */
export function calibrationBins(positive: boolean[], scores: number[], bins = 10): CalibrationBin[] {
  checkPair(positive, scores, "calibrationBins");
  if (!(Number.isInteger(bins) && bins >= 1)) throw new RangeError(`calibrationBins: bins must be a positive integer, got ${bins}`);
  const sum = new Array<number>(bins).fill(0);
  const pos = new Array<number>(bins).fill(0);
  const count = new Array<number>(bins).fill(0);
  scores.forEach((s, i) => {
    // Inner edges are k / bins for k = 1 … bins − 1; the bin is the number of them below s.
    let b = 0;
    while (b < bins - 1 && (b + 1) / bins < s) b++;
    sum[b]! += s;
    count[b]! += 1;
    if (positive[i]) pos[b]! += 1;
  });
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const n = count[b] as number;
    if (n > 0) out.push({ low: b / bins, high: (b + 1) / bins, meanPredicted: (sum[b] as number) / n, fractionPositive: (pos[b] as number) / n, count: n });
  }
  return out;
}

export interface PrPoint {
  /** Rows with a score at or above it are called positive. */
  threshold: number;
  precision: number;
  recall: number;
}

/**
 * Precision and recall at every distinct score, highest threshold first (recall rising).
 * Equal scores move together. With no positive rows the curve is empty (recall undefined).
 * @throws RangeError as brierScore.
 * @example precisionRecallPoints([true, false, true], [0.9, 0.8, 0.3]).map((p) => p.precision) // [1, 0.5, 0.6666666666666666]
 */
export function precisionRecallPoints(positive: boolean[], scores: number[]): PrPoint[] {
  checkPair(positive, scores, "precisionRecallPoints");
  const totalPos = positive.filter(Boolean).length;
  if (totalPos === 0) return [];
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
  const out: PrPoint[] = [];
  let tp = 0;
  let called = 0;
  for (let k = 0; k < order.length; k++) {
    const [s, i] = order[k]!;
    called += 1;
    if (positive[i]) tp += 1;
    if (k === order.length - 1 || order[k + 1]![0] !== s) out.push({ threshold: s, precision: tp / called, recall: tp / totalPos });
  }
  return out;
}

/**
 * Average precision: Σ (Rₙ − Rₙ₋₁) Pₙ over the thresholds (sklearn's average_precision_score,
 * no interpolation). NaN when there is no positive row.
 * @example averagePrecision([true, false, true], [0.9, 0.8, 0.3]) // 0.8333333333333333
 */
export function averagePrecision(positive: boolean[], scores: number[]): number {
  const points = precisionRecallPoints(positive, scores);
  if (points.length === 0) return Number.NaN;
  let previous = 0;
  return compensatedSum(
    points.map((p) => {
      const step = (p.recall - previous) * p.precision;
      previous = p.recall;
      return step;
    }),
  );
}

export interface ThresholdRow {
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** 0 when nothing is called positive (sklearn's zero_division default). */
  precision: number;
  recall: number;
  specificity: number;
  f1: number;
}

/**
 * Confusion counts and rates when rows with score ≥ t are called positive, for each t.
 * Rates with a zero denominator are 0.
 * @throws RangeError as brierScore.
 * @example thresholdTable([true, false], [0.7, 0.4], [0.5])[0].tp // 1
 */
export function thresholdTable(positive: boolean[], scores: number[], thresholds: number[]): ThresholdRow[] {
  checkPair(positive, scores, "thresholdTable");
  const div = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return thresholds.map((threshold) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    let tn = 0;
    scores.forEach((s, i) => {
      const called = s >= threshold;
      if (positive[i]) called ? tp++ : fn++;
      else called ? fp++ : tn++;
    });
    const precision = div(tp, tp + fp);
    const recall = div(tp, tp + fn);
    return { threshold, tp, fp, fn, tn, precision, recall, specificity: div(tn, tn + fp), f1: div(2 * precision * recall, precision + recall) };
  });
}
