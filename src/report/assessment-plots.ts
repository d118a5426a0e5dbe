/** The plots of the assessment (assess.ts): importance, calibration, precision-recall, subgroups, drift, distributions. */
import type { DriftRow, SubgroupReport } from "./assess.js";
import type { Assessment } from "./assess.js";
import { render, WIDTH, type Plot } from "./plots.js";

/** The baseline forest's feature importance, highest first. */
export function importancePlot(importance: NonNullable<Assessment["featureImportance"]>): Promise<Plot> {
  return render("Feature importance of the baseline forest (mean decrease in impurity)", {
    data: { values: importance },
    width: WIDTH,
    mark: "bar",
    encoding: {
      y: { field: "name", type: "nominal", sort: { field: "importance", order: "descending" }, title: null },
      x: { field: "importance", type: "quantitative", axis: { format: "%" }, title: "share of impurity decrease" },
    },
  });
}

/** Reliability: mean predicted probability against the observed share, per bin, with the diagonal. */
export function calibrationPlot(c: NonNullable<Assessment["calibration"]>): Promise<Plot> {
  return render(`Calibration of the baseline (P(${c.positiveLabel}); Brier score ${c.brier.toFixed(4)})`, {
    width: 300,
    height: 300,
    layer: [
      { data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] }, mark: { type: "line", strokeDash: [4, 4], color: "#999" }, encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } } },
      {
        data: { values: c.bins },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "meanPredicted", type: "quantitative", title: "mean predicted probability", scale: { domain: [0, 1] } },
          y: { field: "fractionPositive", type: "quantitative", title: `observed share of ${c.positiveLabel}`, scale: { domain: [0, 1] } },
          tooltip: [{ field: "count", type: "quantitative" }],
        },
      },
    ],
  });
}

/** Precision against recall, with the prevalence as the no-skill line. */
export function precisionRecallPlot(pr: NonNullable<Assessment["precisionRecall"]>): Promise<Plot> {
  return render(`Precision-recall curve of the baseline (average precision ${pr.averagePrecision.toFixed(3)})`, {
    width: 300,
    height: 300,
    layer: [
      { data: { values: [{ r: 0, p: pr.prevalence }, { r: 1, p: pr.prevalence }] }, mark: { type: "line", strokeDash: [4, 4], color: "#999" }, encoding: { x: { field: "r", type: "quantitative" }, y: { field: "p", type: "quantitative" } } },
      {
        data: { values: pr.points },
        mark: { type: "line", interpolate: "step-before" },
        encoding: {
          x: { field: "recall", type: "quantitative", title: `recall (${pr.positiveLabel})`, scale: { domain: [0, 1] } },
          y: { field: "precision", type: "quantitative", title: "precision", scale: { domain: [0, 1] } },
          order: { field: "recall" },
        },
      },
    ],
  });
}

/** Each subgroup's metrics with their intervals; small groups drawn hollow. */
export function subgroupPlot(report: SubgroupReport): Promise<Plot> | null {
  if (!report.rows || report.rows.length === 0) return null;
  const values = report.rows.flatMap((r) => r.metrics.map((m) => ({ group: `${r.group} (n=${r.n})`, metric: m.name, value: m.value, low: Number.isNaN(m.ci.low) ? m.value : m.ci.low, high: Number.isNaN(m.ci.high) ? m.value : m.ci.high, size: r.small ? "small group" : "enough rows" })));
  return render(`Test performance by ${report.column} (bootstrap intervals)`, {
    data: { values },
    width: WIDTH,
    encoding: {
      y: { field: "group", type: "nominal", title: null, sort: null },
      yOffset: { field: "metric", type: "nominal" },
      color: { field: "metric", type: "nominal", title: null, legend: { orient: "bottom" } },
    },
    layer: [
      { mark: "rule", encoding: { x: { field: "low", type: "quantitative", title: "value", scale: { zero: false } }, x2: { field: "high" } } },
      { mark: { type: "point", size: 70 }, encoding: { x: { field: "value", type: "quantitative" }, fill: { field: "size", type: "nominal", scale: { domain: ["enough rows", "small group"], range: ["currentColor", "white"] }, title: null } } },
    ],
  });
}

/** PSI per feature with the flag threshold as a rule. */
export function driftPlot(drift: DriftRow[], threshold: number): Promise<Plot> | null {
  if (drift.length === 0) return null;
  return render(`Train/test drift per feature (PSI; flagged above ${threshold})`, {
    width: WIDTH,
    layer: [
      {
        data: { values: drift.map((d) => ({ feature: d.feature, psi: d.psi, flag: d.flagged ? "flagged" : "below threshold" })) },
        mark: "bar",
        encoding: {
          y: { field: "feature", type: "nominal", sort: { field: "psi", order: "descending" }, title: null },
          x: { field: "psi", type: "quantitative", title: "population stability index" },
          color: { field: "flag", type: "nominal", title: null, scale: { domain: ["below threshold", "flagged"], range: ["#4c78a8", "#e45756"] }, legend: { orient: "bottom" } },
        },
      },
      { data: { values: [{ t: threshold }] }, mark: { type: "rule", strokeDash: [4, 4], color: "#e45756" }, encoding: { x: { field: "t", type: "quantitative" } } },
    ],
  });
}

/**
 * Per feature, the share of rows in each bin before treatment (training rows as split
 * wrote them, missing as a bin) and after (the final training rows: imputed and balanced).
 */
export function distributionPlot(rows: { feature: string; bin: string; before: number; after: number }[]): Promise<Plot> | null {
  if (rows.length === 0) return null;
  const values = rows.flatMap((r) => [
    { feature: r.feature, bin: r.bin, when: "before treatment", share: r.before },
    { feature: r.feature, bin: r.bin, when: "after treatment", share: r.after },
  ]);
  return render("Distribution per feature before and after treatment (imputation, balancing)", {
    data: { values },
    facet: { field: "feature", type: "nominal", title: null, header: { labelFontWeight: "bold" } },
    columns: 4,
    spec: {
      width: 170,
      height: 110,
      mark: "bar",
      encoding: {
        x: { field: "bin", type: "nominal", sort: null, axis: { labels: false, ticks: false }, title: null },
        xOffset: { field: "when", type: "nominal", sort: ["before treatment", "after treatment"] },
        y: { field: "share", type: "quantitative", axis: { format: "%" }, title: null },
        color: { field: "when", type: "nominal", title: null, sort: ["before treatment", "after treatment"], legend: { orient: "bottom" } },
      },
    },
    resolve: { scale: { x: "independent" } },
  });
}
