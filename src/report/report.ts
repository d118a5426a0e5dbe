/**
 * The audit trail of a run, written at the end of evaluate (so also on --start-from):
 * report.md, a self-contained report.html (inline CSS and SVG plots), lineage.json and
 * log.json (the pipeline log), in the run's own folder.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeFileAtomic } from "../artifacts.js";
import { paths } from "../paths.js";
import type { State } from "../state.js";
import { renderHtml, renderMarkdown } from "./document.js";
import { writeLineage } from "./lineage.js";
import { classPlot, confusionPlot, lossPlot, metricsPlot, missingnessPlot, rankingPlot, rocPlot, type Plot } from "./plots.js";
import { buildSections, readRoc, type ReportPlots } from "./sections.js";
import { rawSnapshot, rowsSnapshot, snapshotRows } from "./snapshot.js";

export { metricsTable } from "./metrics-table.js";

export const LOG_FILE = "log.json";
export const HTML_REPORT = "report.html";

/** Writes report.md, report.html, lineage.json and log.json; nothing before explore and plan finished. */
export async function writeReport(state: State): Promise<void> {
  const options = state.options;
  if (!options || !state.prepPlan || !state.profile) return;
  const lineage = await writeLineage(state);
  const finalRowsPath = state.balanceResult?.trainRows.path;
  const final = finalRowsPath && existsSync(finalRowsPath) ? await rowsSnapshot(finalRowsPath) : null;
  const rows = snapshotRows(rawSnapshot(state.profile), final?.columns ?? new Map());
  const e = state.evaluation;
  const confusion = e && "confusion" in e.baseline ? e.baseline.confusion : null;
  const roc = e ? readRoc(e.results.path) : null;
  const b = state.balanceResult;
  const maybe = (p: Promise<Plot> | null): Promise<Plot | null> => p ?? Promise.resolve(null);
  const plots: ReportPlots = {
    missingness: await missingnessPlot(rows),
    classes: b && Object.keys(b.before).length > 0 ? await classPlot(b.before, b.after) : null,
    ranking: await maybe(state.featureRankings ? rankingPlot(state.featureRankings.path) : null),
    confusion: confusion ? await confusionPlot(confusion, "baseline") : null,
    roc: roc && e && "rocAuc" in e.baseline ? await rocPlot(roc, e.baseline.rocAuc ?? null) : null,
    metrics: e ? await metricsPlot(e.baseline, e.llm) : null,
    loss: await maybe(lossPlot(state.trainRun?.logFile)),
  };
  const sections = buildSections(state, { rows, finalRows: final?.rows ?? null }, lineage, plots);
  const title = `tabtune report — ${options.csv}`;
  const log = JSON.stringify({ runId: state.runId, runDir: state.runDir, log: state.log }, null, 2) + "\n";
  const dir = state.runDir;
  if (!dir) return;
  const at = resolve(dir);
  writeFileAtomic(paths.report(dir), renderMarkdown(title, sections, at));
  writeFileAtomic(join(dir, HTML_REPORT), renderHtml(title, sections, at));
  writeFileAtomic(join(dir, LOG_FILE), log);
}
