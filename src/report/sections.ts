/**
 * The report's sections, built from state, its pipeline log and the artifacts on disk:
 * every number shown is one a step logged or a file holds.
 */
import { severityOf } from "../prep/checks.js";
import { resolve } from "node:path";
import { z } from "zod";
import type { State } from "../state.js";
import { imputationLine } from "../stats/imputation/report.js";
import type { Block, Section } from "./document.js";
import type { RunLineage } from "./lineage.js";
import type { Plot } from "./plots.js";
import type { RocPoint } from "./roc.js";
import { splitApprover } from "./approver.js";
import { perClassBlock } from "./assessment-sections.js";
import { baselineBlocks, type BaselineChoice } from "./baseline-section.js";
import { describeSnapshot, type SnapshotRow } from "./snapshot.js";
import { configSummary, planSummary } from "./summaries.js";

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
const counts = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(", ") || "—";

export interface KeyNumber {
  name: string;
  value: number;
  /** The log entry ("log: split.train") or artifact the value comes from. */
  source: string;
}

/** The report's headline numbers, each with where it comes from (the numbers test re-derives them). */
export function keyNumbers(state: State): KeyNumber[] {
  const out: KeyNumber[] = [];
  const add = (name: string, value: number | undefined | null, source: string) => {
    if (typeof value === "number") out.push({ name, value, source });
  };
  add("raw rows", state.profile?.rows, "log: explore.rows");
  add("prepared records", state.execution?.rowsOut, "log: execute.rowsOut");
  add("split train rows", state.splitResult?.train.rows, "log: split.train");
  add("split test rows", state.splitResult?.test.rows, "log: split.test");
  const b = state.balanceResult;
  add("train records", b?.trainJson.rows, "log: balance.trainRecords; data/train.json");
  add("test records", b?.testJson.rows, "log: balance.testRecords; data/test.json");
  const labels = state.prepPlan?.labels ?? {};
  for (const [label, n] of Object.entries(b?.after ?? {})) add(`train class ${labels[label] ?? label}`, n, `log: balance.after:${label}; data/train.json outputs`);
  const e = state.evaluation;
  if (e) {
    const m = e.baseline;
    if ("accuracy" in m) {
      add("baseline accuracy", m.accuracy, "log: evaluate.accuracy; evaluation/results.json");
      add("baseline macro-F1", m.macroF1, "log: evaluate.macroF1; evaluation/results.json");
    } else {
      add("baseline RMSE", m.rmse, "log: evaluate.rmse; evaluation/results.json");
      add("baseline R2", m.r2, "log: evaluate.r2; evaluation/results.json");
    }
    if (e.llm && "accuracy" in e.llm) {
      add("LLM accuracy", e.llm.accuracy, "log: evaluate.llmAccuracy; evaluation/results.json");
      add("LLM macro-F1", e.llm.macroF1, "log: evaluate.llmMacroF1; evaluation/results.json");
    } else if (e.llm && "rmse" in e.llm) add("LLM RMSE", e.llm.rmse, "log: evaluate.llmRmse; evaluation/results.json");
  }
  return out;
}

/** Plots by section, made by the caller (async rendering). */
export interface ReportPlots {
  missingness: Plot | null;
  classes: Plot | null;
  ranking: Plot | null;
  confusion: Plot | null;
  roc: Plot | null;
  metrics: Plot | null;
  loss: Plot | null;
}

const plotOr = (plot: Plot | null, note: string): Block => (plot ? { plot } : { note });

/** The report's sections in order; `choice` is results.json's baseline choice (null: none, or no results). */
export function buildSections(state: State, snapshot: { rows: SnapshotRow[]; finalRows: number | null }, lineage: RunLineage | null, plots: ReportPlots, choice: BaselineChoice | null): Section[] {
  const profile = state.profile;
  const plan = state.prepPlan;
  const options = state.options;
  if (!profile || !plan || !options) return [];
  const sections: Section[] = [];
  sections.push({
    title: "Key numbers",
    blocks: [
      { p: `Run thread ${state.runId}; run directory ${state.runDir ?? "—"}; source ${options.csv}.` },
      { table: { head: ["quantity", "value", "source"], rows: keyNumbers(state).map((k) => [k.name, fmt(k.value), k.source]) } },
    ],
  });
  const findings = profile.findings ?? [];
  sections.push({
    title: "Data and quality findings",
    blocks: [
      { p: `${profile.rows} rows × ${profile.columns.length} columns, sha256 ${profile.sha256}; ${profile.duplicateRows} duplicate rows; constant columns: ${profile.constantColumns.join(", ") || "none"}.` },
      findings.length === 0 ? { p: "No quality problems found." } : { table: { head: ["severity", "check", "rows", "finding", "suggestion"], rows: findings.map((f) => [f.severity, f.check, String(f.affectedRows), f.message, f.suggestion]) } },
      plotOr(plots.missingness, "no missingness plot"),
    ],
  });
  sections.push({
    title: "Quality snapshot: raw table and final training rows",
    blocks: [
      { p: `Raw: ${profile.rows} rows of ${options.csv}. Final: ${snapshot.finalRows ?? "—"} training rows (after cleaning, imputation and balancing) of ${state.balanceResult?.trainRows.path ?? "—"}.` },
      {
        table: {
          head: ["column", "kind", "missing (raw)", "missing (final)", "distribution (raw)", "distribution (final)"],
          rows: snapshot.rows.map((r) => [r.column, profile.columns.find((c) => c.name === r.column)?.kind ?? "", pct(r.raw?.missingRate), r.final ? pct(r.final.missingRate) : "dropped", describeSnapshot(r.raw), describeSnapshot(r.final)]),
        },
      },
    ],
  });
  const target = state.target;
  sections.push({
    title: "Target and task",
    blocks: [
      { p: `Target ${plan.target}, task ${plan.task}.${plan.task === "regression" ? "" : ` Labels: ${Object.entries(plan.labels).map(([raw, text]) => (raw === text ? raw : `${raw} → ${text}`)).join(", ")}.`}` },
      { list: target?.reasons ?? [] },
      ...(Object.keys(state.targetCounts).length > 0 ? [{ p: `Rows per raw target value: ${counts(state.targetCounts)}.` }] : []),
    ],
  });
  sections.push({
    title: "Features kept and dropped",
    blocks: [
      { p: `Kept (${plan.features.length}): ${plan.features.join(", ")}.` },
      plan.dropped.length === 0 ? { p: "Dropped: none." } : { table: { head: ["dropped column", "reason"], rows: plan.dropped.map((d) => [d.column, d.reason]) } },
      state.selectedFeatures ? { p: `select_features kept ${state.selectedFeatures.length} columns.` } : { note: "select_features did not run (the table is narrower than config featureSelection.minColumns): no feature ranking plot." },
      ...(state.featureRankings ? [{ link: { label: "Feature rankings", path: resolve(state.featureRankings.path) } }] : []),
      ...(plots.ranking ? [{ plot: plots.ranking }] : []),
    ],
  });
  sections.push({
    title: "Approved plan and generated code",
    blocks: [
      { pre: planSummary(plan, state) },
      ...(state.script ? [{ link: { label: `Prep code (sha256 ${state.script.sha256})`, path: resolve(state.script.path) } }] : []),
    ],
  });
  const v = state.verification;
  sections.push({
    title: "Verification",
    blocks: v
      ? [
          {
            table: {
              head: ["records", "check", "severity", "result", "detail"],
              rows: [
                ...v.checks.map((c) => ["all_data.json (before split)", c.name, severityOf(c), c.ok ? "ok" : "FAILED", c.detail]),
                ...(state.splitChecks ?? []).map((c) => ["train.json / test.json (shipped)", c.name, severityOf(c), c.ok ? "ok" : "FAILED", c.detail]),
              ],
            },
          },
          ...(v.critique.length > 0 ? [{ list: v.critique.map((c) => `critique: ${c}`) }] : []),
        ]
      : [{ note: "not verified" }],
  });
  const reviews = state.log.filter((l) => l.by === "user" || l.step.startsWith("review_"));
  sections.push({
    title: "Review decisions",
    blocks: [
      reviews.length === 0
        ? { note: "no review answers" }
        : { table: { head: ["at", "review", "by", "approver", "answer and decision"], rows: reviews.map((l) => [l.at, l.step, l.by, splitApprover(l.decision).approver ?? "—", splitApprover(l.decision).decision]) } },
    ],
  });
  const s = state.splitResult;
  if (s) {
    const labels = [...new Set([...Object.keys(s.trainClassCounts), ...Object.keys(s.testClassCounts)])];
    sections.push({
      title: "Split and class counts",
      blocks: [
        { p: `${s.train.rows} training / ${s.test.rows} test rows (${s.source === "ratio" ? `test ratio ${s.testRatio}` : `given test CSV, ${s.testDropped} rows dropped by clean`}, seed ${options.seed}).` },
        ...(labels.length > 0 ? [{ table: { head: ["class", "train", "test"], rows: labels.map((l) => [l, String(s.trainClassCounts[l] ?? 0), String(s.testClassCounts[l] ?? 0)]) } }] : []),
      ],
    });
  }
  const imp = state.imputation;
  if (imp) {
    const mcar = imp.littleMcar;
    sections.push({
      title: "Imputation",
      blocks: [
        { p: mcar ? `Little's MCAR test: χ² ${mcar.statistic.toFixed(2)}, df ${mcar.df}, p ${mcar.pValue.toPrecision(3)} (${mcar.rows} rows, ${mcar.columns.join(", ")}).` : "Little's MCAR test not computed." },
        imp.columns.length === 0
          ? { p: "No missing feature values." }
          : {
              table: {
                head: ["column", "mechanism", "evidence", "policy", "chosen by", "masked-cell error per policy", "MNAR sensitivity band", "filled train + test"],
                rows: imp.columns.map((c) => [
                  c.column,
                  c.mechanism,
                  c.mechanismReason,
                  `${c.policy} (${String(c.value)})`,
                  c.chosenBy,
                  Object.entries(c.maskedError).map(([p, e]) => `${p} ${e === null ? "–" : e.toFixed(3)}`).join(", ") || "—",
                  c.sensitivity ? `${c.sensitivity.metric} ${Math.min(...c.sensitivity.values).toFixed(3)}–${Math.max(...c.sensitivity.values).toFixed(3)} over δ ${c.sensitivity.deltas.join(", ")}` : "—",
                  `${c.filledTrain} + ${c.filledTest}`,
                ]),
              },
            },
        { list: imp.columns.map(imputationLine) },
        { link: { label: "Policies (every fitted parameter)", path: resolve(imp.policies.path) } },
      ],
    });
  }
  const b = state.balanceResult;
  if (b) {
    sections.push({
      title: "Balancing",
      blocks: [
        { p: `Strategy ${b.strategy}: before ${counts(b.before)}; after ${counts(b.after)}. The test rows are never resampled.` },
        ...(b.script ? [{ link: { label: `Balancing script (written by ${b.writer ?? "heuristic"})`, path: resolve(b.script.path) } }] : []),
        plotOr(plots.classes, "regression: no classes to balance"),
      ],
    });
  }
  if (state.configFiles) {
    sections.push({
      title: "Training configuration",
      blocks: [
        { pre: configSummary(state) },
        { link: { label: "train.yaml", path: resolve(state.configFiles.trainYaml) } },
        { p: state.trainRun?.ran ? `Fine-tune ran (log ${state.trainRun.logFile ?? "—"}).` : "Fine-tune not run in this run (commands printed)." },
        plotOr(plots.loss, "no training loss: no fine-tune ran in this run"),
      ],
    });
  }
  const e = state.evaluation;
  sections.push({
    title: "Results: baseline and fine-tuned LLM",
    blocks: e
      ? [
          ...baselineBlocks(e, choice),
          ...[perClassBlock(e.baseline, e.llm, choice?.model)].filter((b): b is Block => b !== null),
          { p: e.llm ? `LLM predictions from ${e.llmSource ?? "?"}.` : "No LLM predictions in this run: only the baseline is scored." },
          { link: { label: "results.json", path: resolve(e.results.path) } },
          ...(plots.metrics ? [{ plot: plots.metrics }] : []),
          ...(plots.confusion ? [{ plot: plots.confusion }] : []),
          plotOr(plots.roc, plan.task === "binary" ? "no ROC curve (the baseline gave no scores)" : "ROC curve: binary tasks only"),
        ]
      : [{ note: "not evaluated" }],
  });
  if (lineage) {
    sections.push({
      title: "Lineage",
      blocks: [
        { p: "Every file of this run with its SHA-256 (first 16 hex digits; the full hashes are in lineage.json). Check them with: tabtune lineage <output> --verify" },
        { table: { head: ["artifact", "sha256", "rows", "step", "from"], rows: lineage.artifacts.map((a) => [a.path, a.sha256.slice(0, 16), a.rows === null ? "—" : String(a.rows), a.step, a.from.join(", ") || "(input)"]) } },
      ],
    });
  }
  sections.push({
    title: "Pipeline log",
    blocks: [
      {
        table: {
          head: ["at", "step", "by", "ms", "decision", "numbers", "artifacts"],
          rows: state.log.map((l) => [l.at, l.step, l.by, String(l.durationMs), l.decision, Object.entries(l.numbers).map(([k, n]) => `${k} ${fmt(n)}`).join(", "), l.artifacts.join(", ")]),
        },
      },
    ],
  });
  return sections;
}

const pct = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);

/** results.json's baseline ROC points, when evaluate stored them (binary tasks). */
const ResultsRoc = z.object({ baseline: z.object({ roc: z.array(z.object({ fpr: z.number(), tpr: z.number() })).optional() }) });

/** The baseline ROC points of results.json's parsed content, or null (none stored). */
export function rocOf(results: unknown): RocPoint[] | null {
  const parsed = ResultsRoc.safeParse(results);
  return parsed.success && parsed.data.baseline.roc && parsed.data.baseline.roc.length > 0 ? parsed.data.baseline.roc : null;
}
