/**
 * The audit trail of a run, written at the end of evaluate (so also on --start-from):
 * report.md, a self-contained report.html (inline CSS and SVG plots), MODEL_CARD.md,
 * lineage.json and log.json (the pipeline log), in the run's own folder. What a reader
 * sees names no machine path: paths are relative to the output folder (display-paths.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { logEntry } from "../log.js";
import { getConfig } from "../runtime.js";
import type { LogEntry } from "../state.js";
import { featureFamily } from "../table/kinds.js";
import { featureDrift, type Assessment } from "./assess.js";
import { readColumns, type ColumnSpec, type Columns } from "./row-columns.js";
import { distributionPlot, driftPlot, calibrationPlot, importancePlot, precisionRecallPlot, subgroupPlot } from "./assessment-plots.js";
import { assessmentSections, planAppliedSection, signOffSection, type AssessmentPlots } from "./assessment-sections.js";
import { baselineChoiceOf, type BaselineChoice } from "./baseline-section.js";
import { pathScrubber, scrubSections } from "./display-paths.js";
import { modelCard } from "./model-card.js";
import { collectVersions } from "./versions.js";
import { writeFileAtomic } from "../artifacts.js";
import { HTML_REPORT, LOG_FILE, MODEL_CARD, paths } from "../paths.js";
import type { State } from "../state.js";
import { renderHtml, renderMarkdown, type Section } from "./document.js";
import { writeLineage } from "./lineage.js";
import { classPlot, confusionPlot, lossPlot, metricsPlot, missingnessPlot, rankingPlot, rocPlot, type Plot } from "./plots.js";
import { buildSections, rocOf, type ReportPlots } from "./sections.js";
import type { RocPoint } from "./roc.js";
import { rawSnapshot, rowsSnapshot, snapshotRows, type ColumnSnapshot } from "./snapshot.js";

export { metricsTable } from "./metrics-table.js";

/**
 * What the report computes over every training row, when the caller already has it (evaluate
 * collects it while the rows pass through): the final training rows' snapshot and the
 * before/after distributions. Absent, writeReport streams the files itself.
 */
export interface ReportRowStats {
  final: { rows: number; columns: Map<string, ColumnSnapshot> } | null;
  beforeAfter: BeforeAfterRow[];
}

/**
 * Writes report.md, report.html, MODEL_CARD.md, lineage.json and log.json; nothing before
 * explore and plan finished. `assessment` is evaluate's (also in results.json). log.json
 * ends with a `report` entry timing this writing, which is returned (null when nothing was written).
 */
export async function writeReport(state: State, assessment: Assessment | null = null, rowStats: ReportRowStats | null = null): Promise<LogEntry | null> {
  const started = Date.now();
  const options = state.options;
  if (!options || !state.prepPlan || !state.profile) return null;
  const lineage = await writeLineage(state);
  const finalRowsPath = state.balanceResult?.trainRows.path;
  const final = rowStats ? rowStats.final : finalRowsPath && existsSync(finalRowsPath) ? await rowsSnapshot(finalRowsPath) : null;
  const rows = snapshotRows(rawSnapshot(state.profile), final?.columns ?? new Map());
  const e = state.evaluation;
  const confusion = e && "confusion" in e.baseline ? e.baseline.confusion : null;
  const { roc, choice } = readResults(e?.results.path);
  const b = state.balanceResult;
  const maybe = (p: Promise<Plot> | null): Promise<Plot | null> => p ?? Promise.resolve(null);
  const plots: ReportPlots = {
    missingness: await missingnessPlot(rows),
    classes: b && Object.keys(b.before).length > 0 ? await classPlot(b.before, b.after) : null,
    ranking: await maybe(state.featureRankings ? rankingPlot(state.featureRankings.path) : null),
    confusion: confusion ? await confusionPlot(confusion, "baseline") : null,
    roc: roc && e && "rocAuc" in e.baseline ? await rocPlot(roc, e.baseline.rocAuc ?? null) : null,
    metrics: e ? await metricsPlot(e.baseline, e.llm, choice?.model) : null,
    loss: await maybe(lossPlot(state.trainRun?.logFile)),
  };
  const a = assessment;
  const aPlots: AssessmentPlots = {
    importance: a?.featureImportance ? await importancePlot(a.featureImportance) : null,
    calibration: a?.calibration ? await calibrationPlot(a.calibration) : null,
    precisionRecall: a?.precisionRecall ? await precisionRecallPlot(a.precisionRecall) : null,
    subgroups: await Promise.all((a?.subgroups ?? []).map((g) => subgroupPlot(g) ?? Promise.resolve(null))).then((ps) => ps.filter((p): p is Plot => p !== null)),
    drift: a ? await maybe(driftPlot(a.drift, a.driftPsiThreshold)) : null,
    distributions: await maybe(distributionPlot(rowStats ? rowStats.beforeAfter : await beforeAfter(state))),
  };
  const config = getConfig();
  const versions = collectVersions(options, config);
  const base = buildSections(state, { rows, finalRows: final?.rows ?? null }, lineage, plots, choice);
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
  const dir = state.runDir;
  if (!dir) return null;
  const at2 = resolve(dir);
  writeFileAtomic(paths.report(dir), renderMarkdown(title, shown, at2));
  writeFileAtomic(join(dir, HTML_REPORT), renderHtml(title, shown, at2));
  writeFileAtomic(join(dir, MODEL_CARD), scrub(modelCard(state, a, versions, config.report.subgroupMinRows, choice)));
  const entry = logEntry("report", "report.md, report.html, MODEL_CARD.md and lineage.json written", started, { artifacts: [paths.report(dir), join(dir, HTML_REPORT), join(dir, MODEL_CARD)] });
  writeFileAtomic(join(dir, LOG_FILE), JSON.stringify({ runId: state.runId, runDir: state.runDir, log: [...state.log, entry] }, null, 2) + "\n");
  return entry;
}

/**
 * What the report shows of results.json, from one read and one parse (its ROC points make it
 * tens of MB at 1M rows): the baseline ROC points and the baseline choice; null each when absent.
 */
function readResults(path: string | undefined): { roc: RocPoint[] | null; choice: BaselineChoice | null } {
  if (!path || !existsSync(path)) return { roc: null, choice: null };
  const results: unknown = JSON.parse(readFileSync(path, "utf8"));
  return { roc: rocOf(results), choice: baselineChoiceOf(results) };
}

/** One feature bin's share in the training rows split wrote ("before") and in the final training rows ("after"). */
export interface BeforeAfterRow {
  feature: string;
  bin: string;
  before: number;
  after: number;
}

/** The columns `beforeAfterFrom` needs: each plan feature as numbers when explore profiled it numeric, else as categories. */
export function beforeAfterSpec(state: State): ColumnSpec {
  const kinds = new Map((state.profile?.columns ?? []).map((c) => [c.name, c.kind]));
  const features = state.prepPlan?.features ?? [];
  const numeric = (f: string) => {
    const kind = kinds.get(f);
    return kind !== undefined && featureFamily(kind) === "numeric";
  };
  return { numeric: features.filter(numeric), categorical: features.filter((f) => !numeric(f)) };
}

/** The before/after distributions from typed columns of both row sets (collected with `beforeAfterSpec`). */
export function beforeAfterFrom(state: State, before: Columns, after: Columns): BeforeAfterRow[] {
  if (before.rows === 0 || after.rows === 0) return [];
  const spec = beforeAfterSpec(state);
  const bins = getConfig().report.driftBins;
  const kinds = [...spec.numeric.map((name) => ({ name, kind: "numeric" as const })), ...spec.categorical.map((name) => ({ name, kind: "categorical" as const }))];
  const order = new Map((state.prepPlan?.features ?? []).map((f, i) => [f, i]));
  kinds.sort((x, y) => (order.get(x.name) ?? 0) - (order.get(y.name) ?? 0));
  return kinds.flatMap((f) => featureDrift(f, before, after, bins).bins.map((x) => ({ feature: f.name, bin: x.bin, before: x.train, after: x.test })));
}

/**
 * Per feature, the share of rows per bin in the training rows split wrote (before
 * imputation and balancing) and in the final training rows, on the "before" rows' bins;
 * both files streamed into typed columns.
 */
async function beforeAfter(state: State): Promise<BeforeAfterRow[]> {
  const plan = state.prepPlan;
  const beforePath = state.splitResult?.train.path;
  const afterPath = state.balanceResult?.trainRows.path;
  if (!plan || !beforePath || !afterPath || !existsSync(beforePath) || !existsSync(afterPath)) return [];
  const spec = beforeAfterSpec(state);
  return beforeAfterFrom(state, await readColumns(beforePath, spec), await readColumns(afterPath, spec));
}
