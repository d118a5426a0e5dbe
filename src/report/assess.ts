/**
 * What a model-risk reviewer asks of the baseline, computed once in evaluate and stored in
 * results.json under "assessment": feature importance, calibration (Brier score and
 * reliability bins), the precision-recall curve and a threshold table for binary tasks,
 * performance by subgroup (--subgroups), and train/test drift per feature. Every number
 * comes from the pure functions in src/stats/; this file only feeds them the run's rows.
 */
import type { BaselineResult } from "../stats/baseline.js";
import { averagePrecision, brierScore, calibrationBins, precisionRecallPoints, thresholdTable, type CalibrationBin, type PrPoint, type ThresholdRow } from "../stats/calibration.js";
import { categoricalDriftCounts, numericDriftValues, type DriftResult } from "../stats/drift.js";
import type { ColumnSpec, Columns } from "./row-columns.js";
import { downsamplePr } from "./roc.js";
import { classificationSubgroups, groupLabels, regressionSubgroups, type GroupValue, type SubgroupRow } from "../stats/subgroups.js";


export interface ReportSettings {
  subgroupMinRows: number;
  driftPsiThreshold: number;
  driftBins: number;
  calibrationBins: number;
  thresholds: number[];
}

export interface SubgroupReport {
  column: string;
  /** Null when the column is not in the test rows (the plan dropped it). */
  rows: SubgroupRow[] | null;
  note: string | null;
}

export interface DriftRow extends DriftResult {
  feature: string;
  flagged: boolean;
}

export interface Assessment {
  /** The forest's mean decrease in impurity per feature, summing to 1, highest first. */
  featureImportance: { name: string; importance: number }[] | null;
  /** Plan features left out of the baseline forest (identifiers, near-unique text), with the reason. */
  baselineExcluded: { name: string; reason: string }[];
  /** Binary only: the positive class is the second label of the mapping. */
  calibration: { positiveLabel: string; brier: number; bins: CalibrationBin[] } | null;
  /** The curve thinned to at most PR_MAX_POINTS points (downsamplePr), `pointsTotal` the full curve's; average precision uses every score. */
  precisionRecall: { positiveLabel: string; averagePrecision: number; prevalence: number; points: PrPoint[]; pointsTotal: number } | null;
  thresholds: ThresholdRow[] | null;
  subgroups: SubgroupReport[];
  subgroupMinRows: number;
  /** Test rows against training rows (both as split wrote them, before imputation). */
  drift: DriftRow[];
  driftPsiThreshold: number;
}

export interface AssessInput {
  task: "binary" | "multiclass" | "regression";
  features: { name: string; kind: "numeric" | "categorical" }[];
  /** Label texts in mapping order (classification); the positive class of a binary task is the second. */
  labelTexts: string[];
  baseline: BaselineResult;
  /** Plan features the baseline forest did not see, and why. */
  baselineExcluded: { name: string; reason: string }[];
  /** The --subgroups columns of the test rows the baseline scored, in order; a column absent from the test rows is absent here. */
  subgroupValues: Map<string, GroupValue[]>;
  /** The truth and the baseline's prediction per test row (label text or number). */
  truth: string[] | number[];
  predicted: string[] | number[];
  /** The features' typed columns of the training and test rows as split wrote them (before imputation and balancing), for drift; null without a split. */
  splitColumns: { train: Columns; test: Columns } | null;
  subgroups: string[];
  boot: { resamples: number; seed: number; level: number };
  settings: ReportSettings;
}

/** The columns `assess` needs of the split's rows for drift: each feature as its kind says. */
export function driftSpec(features: { name: string; kind: "numeric" | "categorical" }[]): ColumnSpec {
  return { numeric: features.filter((f) => f.kind === "numeric").map((f) => f.name), categorical: features.filter((f) => f.kind === "categorical").map((f) => f.name) };
}

/**
 * One feature's drift from typed columns (row-columns.ts): numericDrift or categoricalDrift of
 * the same rows, without their row objects.
 * @throws RangeError when the column was not collected in the kind asked.
 */
export function featureDrift(f: { name: string; kind: "numeric" | "categorical" }, a: Columns, b: Columns, bins: number): DriftResult {
  if (f.kind === "numeric") {
    const x = a.numeric.get(f.name);
    const y = b.numeric.get(f.name);
    if (!x || !y) throw new RangeError(`drift: ${f.name} was not collected as numbers`);
    return numericDriftValues(x, y, bins);
  }
  const x = a.categorical.get(f.name);
  const y = b.categorical.get(f.name);
  if (!x || !y) throw new RangeError(`drift: ${f.name} was not collected as categories`);
  return categoricalDriftCounts(x, a.rows, y, b.rows);
}

export function assess(input: AssessInput): Assessment {
  const { settings } = input;
  let calibration: Assessment["calibration"] = null;
  let precisionRecall: Assessment["precisionRecall"] = null;
  let thresholds: Assessment["thresholds"] = null;
  const scores = input.baseline.positiveScores;
  const positiveLabel = input.labelTexts[1];
  if (input.task === "binary" && scores && positiveLabel !== undefined && scores.length > 0) {
    const positive = (input.truth as string[]).map((t) => t === positiveLabel);
    calibration = { positiveLabel, brier: brierScore(positive, scores), bins: calibrationBins(positive, scores, settings.calibrationBins) };
    const points = precisionRecallPoints(positive, scores);
    if (points.length > 0)
      precisionRecall = { positiveLabel, averagePrecision: averagePrecision(positive, scores), prevalence: positive.filter(Boolean).length / positive.length, points: downsamplePr(points), pointsTotal: points.length };
    thresholds = thresholdTable(positive, scores, settings.thresholds);
  }
  const subgroups = input.subgroups.map((column): SubgroupReport => {
    const values = input.subgroupValues.get(column);
    if (!values)
      return { column, rows: null, note: `${column} is not in the test rows (only the plan's features and target are): keep it as a feature to report by it` };
    const groups = groupLabels(values);
    const rows =
      input.task === "regression"
        ? regressionSubgroups(groups, input.truth as number[], input.predicted as number[], input.boot, settings.subgroupMinRows)
        : classificationSubgroups(groups, input.truth as string[], input.predicted as string[], input.labelTexts, input.boot, settings.subgroupMinRows);
    return { column, rows, note: null };
  });
  const split = input.splitColumns;
  const drift: DriftRow[] =
    !split || split.train.rows === 0 || split.test.rows === 0
      ? []
      : input.features.map((f) => {
          const d = featureDrift(f, split.train, split.test, settings.driftBins);
          return { feature: f.name, ...d, flagged: d.psi > settings.driftPsiThreshold };
        });
  return {
    featureImportance: input.baseline.featureImportance,
    baselineExcluded: input.baselineExcluded,
    calibration,
    precisionRecall,
    thresholds,
    subgroups,
    subgroupMinRows: settings.subgroupMinRows,
    drift,
    driftPsiThreshold: settings.driftPsiThreshold,
  };
}
