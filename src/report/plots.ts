/**
 * The report's plots: vega-lite specs rendered to SVG strings in Node (no canvas, no
 * browser), inlined into report.html. Each returns null when its data does not exist.
 */
import { existsSync, readFileSync } from "node:fs";
import Papa from "papaparse";
import * as vega from "vega";
import * as vl from "vega-lite";
import { parseTrainerLine } from "../finetune/train-log.js";
import type { ClassificationMetrics, RegressionMetrics } from "../stats/metrics.js";
import { fromSpreadsheetSafe } from "../table/csv-out.js";
import type { RocPoint } from "./roc.js";
import type { SnapshotRow } from "./snapshot.js";

export interface Plot {
  title: string;
  svg: string;
}

export const WIDTH = 420;

export async function render(title: string, spec: vl.TopLevelSpec): Promise<Plot> {
  const compiled = vl.compile({ ...spec, config: { font: "sans-serif", ...(spec.config ?? {}) } } as vl.TopLevelSpec).spec;
  const svg = await new vega.View(vega.parse(compiled), { renderer: "none" }).toSVG();
  return { title, svg };
}

/** Missing rate per column in the raw table and in the final training rows. */
export function missingnessPlot(rows: SnapshotRow[]): Promise<Plot> {
  const values = rows.flatMap((r) => [
    { column: r.column, table: "raw table", rate: r.raw?.missingRate ?? 0 },
    ...(r.final ? [{ column: r.column, table: "final training rows", rate: r.final.missingRate }] : []),
  ]);
  return render("Missing values by column", {
    data: { values },
    width: WIDTH,
    mark: "bar",
    encoding: {
      y: { field: "column", type: "nominal", sort: null, title: null },
      yOffset: { field: "table", type: "nominal" },
      x: { field: "rate", type: "quantitative", axis: { format: "%" }, title: "missing rate" },
      color: { field: "table", type: "nominal", title: null, legend: { orient: "bottom" } },
    },
  });
}

/** Training rows per class before and after balancing. */
export function classPlot(before: Record<string, number>, after: Record<string, number>): Promise<Plot> {
  const values = [
    ...Object.entries(before).map(([label, count]) => ({ label, when: "before balancing", count })),
    ...Object.entries(after).map(([label, count]) => ({ label, when: "after balancing", count })),
  ];
  return render("Training rows per class, before and after balancing", {
    data: { values },
    width: WIDTH,
    mark: "bar",
    encoding: {
      x: { field: "label", type: "nominal", title: "class", axis: { labelAngle: 0 } },
      xOffset: { field: "when", type: "nominal", sort: ["before balancing", "after balancing"] },
      y: { field: "count", type: "quantitative", title: "rows" },
      color: { field: "when", type: "nominal", title: null, sort: ["before balancing", "after balancing"], legend: { orient: "bottom" } },
    },
  });
}

/** Feature ranking from feature_rankings.csv (select_features): average rank, kept or dropped. */
export function rankingPlot(csvPath: string): Promise<Plot> | null {
  if (!existsSync(csvPath)) return null;
  const parsed = Papa.parse<Record<string, string>>(readFileSync(csvPath, "utf8"), { header: true, skipEmptyLines: true });
  const values = parsed.data.map((r) => ({ column: fromSpreadsheetSafe(r.column ?? ""), averageRank: Number(r.average_rank), kept: r.kept === "true" ? "kept" : "dropped" }));
  if (values.length === 0) return null;
  return render("Feature ranking (average rank over the scorers; lower is better)", {
    data: { values },
    width: WIDTH,
    mark: "bar",
    encoding: {
      y: { field: "column", type: "nominal", sort: { field: "averageRank", order: "ascending" }, title: null },
      x: { field: "averageRank", type: "quantitative", title: "average rank" },
      color: { field: "kept", type: "nominal", title: null, scale: { domain: ["kept", "dropped"], range: ["#4c78a8", "#bab0ac"] } },
    },
  });
}

/** The baseline's confusion matrix: true class down, predicted across, counts in cells. */
export function confusionPlot(confusion: ClassificationMetrics["confusion"], who: string): Promise<Plot> {
  const values = confusion.matrix.flatMap((row, i) => row.map((count, j) => ({ truth: confusion.labels[i] ?? "", predicted: confusion.labels[j] ?? "", count })));
  const size = Math.min(WIDTH, 60 * confusion.labels.length + 40);
  return render(`Confusion matrix (${who}, test rows)`, {
    data: { values },
    width: size,
    height: size,
    encoding: {
      x: { field: "predicted", type: "nominal", sort: confusion.labels, axis: { labelAngle: 0 } },
      y: { field: "truth", type: "nominal", sort: confusion.labels, title: "true class" },
    },
    layer: [
      { mark: "rect", encoding: { color: { field: "count", type: "quantitative", scale: { scheme: "blues" }, legend: null } } },
      { mark: { type: "text", fontSize: 13 }, encoding: { text: { field: "count", type: "quantitative" } } },
    ],
  });
}

/** The baseline's ROC curve with the chance diagonal. */
export function rocPlot(points: RocPoint[], auc: number | null): Promise<Plot> {
  return render(`ROC curve of the baseline${auc === null ? "" : ` (AUC ${auc.toFixed(3)})`}`, {
    width: 300,
    height: 300,
    layer: [
      { data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] }, mark: { type: "line", strokeDash: [4, 4], color: "#999" }, encoding: { x: { field: "fpr", type: "quantitative" }, y: { field: "tpr", type: "quantitative" } } },
      {
        data: { values: points },
        mark: { type: "line", interpolate: "linear" },
        encoding: { x: { field: "fpr", type: "quantitative", title: "false positive rate" }, y: { field: "tpr", type: "quantitative", title: "true positive rate" }, order: { field: "fpr" } },
      },
    ],
  });
}

type Metrics = ClassificationMetrics | RegressionMetrics;

/** The baseline's name in the report's tables and plots: "baseline: <the chosen model>" (results.json's baselineChoice.model), or "baseline". */
export function baselineLabel(model: string | null | undefined): string {
  return model ? `baseline: ${model}` : "baseline";
}

/** Baseline and LLM per metric, with their bootstrap intervals as error bars; `baselineModel` names the chosen model. */
export function metricsPlot(baseline: Metrics, llm: Metrics | null, baselineModel?: string): Promise<Plot> {
  const rows = (model: string, m: Metrics) =>
    "accuracy" in m
      ? [
          { model, metric: "accuracy", value: m.accuracy, low: m.ci?.accuracy.low ?? m.accuracy, high: m.ci?.accuracy.high ?? m.accuracy },
          { model, metric: "macro-F1", value: m.macroF1, low: m.ci?.macroF1.low ?? m.macroF1, high: m.ci?.macroF1.high ?? m.macroF1 },
        ]
      : [
          { model, metric: "RMSE", value: m.rmse, low: m.ci?.rmse.low ?? m.rmse, high: m.ci?.rmse.high ?? m.rmse },
          { model, metric: "MAE", value: m.mae, low: m.ci?.mae.low ?? m.mae, high: m.ci?.mae.high ?? m.mae },
        ];
  const values = [...rows(baselineLabel(baselineModel), baseline), ...(llm ? rows("fine-tuned LLM", llm) : [])].map((v) => ({ ...v, low: Number.isNaN(v.low) ? v.value : v.low, high: Number.isNaN(v.high) ? v.value : v.high }));
  return render("Test metrics with bootstrap intervals", {
    data: { values },
    width: WIDTH,
    encoding: {
      y: { field: "metric", type: "nominal", title: null },
      yOffset: { field: "model", type: "nominal" },
      color: { field: "model", type: "nominal", title: null, legend: { orient: "bottom" } },
    },
    layer: [
      { mark: "rule", encoding: { x: { field: "low", type: "quantitative", title: "value", scale: { zero: false } }, x2: { field: "high" } } },
      { mark: { type: "point", filled: true, size: 70 }, encoding: { x: { field: "value", type: "quantitative" } } },
    ],
  });
}

/** Training loss per logged step from llamafactory-cli's train log; null when it logged none. */
export function lossPlot(logFile: string | null | undefined): Promise<Plot> | null {
  if (!logFile || !existsSync(logFile)) return null;
  const values: { log: number; loss: number }[] = [];
  for (const line of readFileSync(logFile, "utf8").split(/\r?\n|\r/)) {
    const parsed = parseTrainerLine(line);
    if (parsed.kind === "loss" && Number.isFinite(parsed.loss)) values.push({ log: values.length + 1, loss: parsed.loss });
  }
  if (values.length === 0) return null;
  return render("Training loss (fine-tune)", {
    data: { values },
    width: WIDTH,
    mark: { type: "line", point: true },
    encoding: { x: { field: "log", type: "quantitative", title: "logged step" }, y: { field: "loss", type: "quantitative", scale: { zero: false } } },
  });
}
