/**
 * The audit trail of a run, written at the end of evaluate (so also on --start-from):
 * report.md, a self-contained report.html (inline CSS and SVG plots), MODEL_CARD.md,
 * lineage.json and log.json (the pipeline log), in the run's own folder. What a reader
 * sees names no machine path: paths are relative to the output folder (display-paths.ts).
 */
import { existsSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { readJsonLines } from "../artifacts.js";
import { getConfig } from "../runtime.js";
import type { CleanRow } from "../rows.js";
import { categoricalDrift, numericDrift } from "../stats/drift.js";
import { featureFamily } from "../table/kinds.js";
import type { Assessment } from "./assess.js";
import { distributionPlot, driftPlot, calibrationPlot, importancePlot, precisionRecallPlot, subgroupPlot } from "./assessment-plots.js";
import { assessmentSections, planAppliedSection, signOffSection, type AssessmentPlots } from "./assessment-sections.js";
import { readBaselineChoice } from "./baseline-section.js";
import { pathScrubber, scrubSections } from "./display-paths.js";
import { modelCard } from "./model-card.js";
import { collectVersions } from "./versions.js";
import { writeFileAtomic } from "../artifacts.js";
import { paths } from "../paths.js";
import type { State } from "../state.js";
import { renderHtml, renderMarkdown, type Section } from "./document.js";
import { writeLineage } from "./lineage.js";
import { classPlot, confusionPlot, lossPlot, metricsPlot, missingnessPlot, rankingPlot, rocPlot, type Plot } from "./plots.js";
import { buildSections, readRoc, type ReportPlots } from "./sections.js";
import { rawSnapshot, rowsSnapshot, snapshotRows } from "./snapshot.js";

export { metricsTable } from "./metrics-table.js";

export const LOG_FILE = "log.json";
export const HTML_REPORT = "report.html";
export const MODEL_CARD = "MODEL_CARD.md";

/**
 * Writes report.md, report.html, MODEL_CARD.md, lineage.json and log.json; nothing before
 * explore and plan finished. `assessment` is evaluate's (also in results.json).
 */
export async function writeReport(state: State, assessment: Assessment | null = null): Promise<void> {
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
    metrics: e ? await metricsPlot(e.baseline, e.llm, readBaselineChoice(e.results.path)?.model) : null,
    loss: await maybe(lossPlot(state.trainRun?.logFile)),
  };
  const a = assessment;
  const aPlots: AssessmentPlots = {
    importance: a?.featureImportance ? await importancePlot(a.featureImportance) : null,
    calibration: a?.calibration ? await calibrationPlot(a.calibration) : null,
    precisionRecall: a?.precisionRecall ? await precisionRecallPlot(a.precisionRecall) : null,
    subgroups: await Promise.all((a?.subgroups ?? []).map((g) => subgroupPlot(g) ?? Promise.resolve(null))).then((ps) => ps.filter((p): p is Plot => p !== null)),
    drift: a ? await maybe(driftPlot(a.drift, a.driftPsiThreshold)) : null,
    distributions: await maybe(distributionPlot(await beforeAfter(state))),
  };
  const config = getConfig();
  const versions = collectVersions(options, config);
  const base = buildSections(state, { rows, finalRows: final?.rows ?? null }, lineage, plots);
  // Sign-off first, plan versus applied after the approved plan, the assessment after the results.
  const sections = [signOffSection(state, versions), ...base];
  const insertAfter = (title: string, ...added: Section[]) => {
    const i = sections.findIndex((s) => s.title === title);
    sections.splice(i < 0 ? sections.length : i + 1, 0, ...added);
  };
  insertAfter("Verification", planAppliedSection(state));
  insertAfter("Results: baseline and fine-tuned LLM", ...assessmentSections(state, a, aPlots));
  const scrub = pathScrubber(options);
  const shown = scrubSections(sections, scrub);
  const title = `tabtune report — ${basename(options.csv)}`;
  const log = JSON.stringify({ runId: state.runId, runDir: state.runDir, log: state.log }, null, 2) + "\n";
  const dir = state.runDir;
  if (!dir) return;
  const at2 = resolve(dir);
  writeFileAtomic(paths.report(dir), renderMarkdown(title, shown, at2));
  writeFileAtomic(join(dir, HTML_REPORT), renderHtml(title, shown, at2));
  writeFileAtomic(join(dir, MODEL_CARD), scrub(modelCard(state, a, versions, config.report.subgroupMinRows)));
  writeFileAtomic(join(dir, LOG_FILE), log);
}

/**
 * Per feature, the share of rows per bin in the training rows split wrote (before
 * imputation and balancing) and in the final training rows, on the "before" rows' bins.
 */
async function beforeAfter(state: State): Promise<{ feature: string; bin: string; before: number; after: number }[]> {
  const plan = state.prepPlan;
  const beforePath = state.splitResult?.train.path;
  const afterPath = state.balanceResult?.trainRows.path;
  if (!plan || !beforePath || !afterPath || !existsSync(beforePath) || !existsSync(afterPath)) return [];
  const read = async (p: string) => {
    const rows: CleanRow[] = [];
    for await (const r of readJsonLines<CleanRow>(p)) rows.push(r);
    return rows;
  };
  const [before, after] = [await read(beforePath), await read(afterPath)];
  if (before.length === 0 || after.length === 0) return [];
  const kinds = new Map((state.profile?.columns ?? []).map((c) => [c.name, c.kind]));
  const config = getConfig();
  return plan.features.flatMap((feature) => {
    const kind = kinds.get(feature);
    const numeric = kind !== undefined && featureFamily(kind) === "numeric";
    const a = before.map((r) => r[feature]);
    const b = after.map((r) => r[feature]);
    const d = numeric ? numericDrift(a, b, config.report.driftBins) : categoricalDrift(a, b);
    return d.bins.map((x) => ({ feature, bin: x.bin, before: x.train, after: x.test }));
  });
}
