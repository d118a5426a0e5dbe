/**
 * The report's sections for a reviewer who signs it: who approved and with what versions,
 * plan versus applied, per-class metrics, feature importance, calibration and thresholds,
 * performance by subgroup, train/test drift and distributions before and after treatment.
 */
import type { State } from "../state.js";
import type { ClassificationMetrics, RegressionMetrics } from "../stats/metrics.js";
import { splitApprover } from "./approver.js";
import type { Assessment } from "./assess.js";
import type { Block, Section } from "./document.js";
import { planDifferences } from "./plan-applied.js";
import { baselineLabel, type Plot } from "./plots.js";
import { versionRows, type Versions } from "./versions.js";

export interface AssessmentPlots {
  importance: Plot | null;
  calibration: Plot | null;
  precisionRecall: Plot | null;
  subgroups: Plot[];
  drift: Plot | null;
  distributions: Plot | null;
}

const f3 = (x: number) => (Number.isNaN(x) ? "—" : x.toFixed(3));
const ci = (c: { low: number; high: number }) => (Number.isNaN(c.low) ? "—" : `[${f3(c.low)}, ${f3(c.high)}]`);

/** The names that signed review answers, in order of first answer. */
export function approvers(state: State): string[] {
  const names = state.log.filter((l) => l.by === "user").map((l) => splitApprover(l.decision).approver);
  return [...new Set(names.filter((n): n is string => n !== null))];
}

export function signOffSection(state: State, versions: Versions): Section {
  const names = approvers(state);
  const use = state.options?.intendedUse;
  return {
    title: "Sign-off: approver, intended use and versions",
    blocks: [
      { p: `Review answers approved by: ${names.length > 0 ? names.join(", ") : "no named approver (run with --approver NAME)"}.` },
      { p: `Intended use: ${use ?? "not stated (run with --intended-use TEXT)"}. Task as instructed: ${state.prepPlan?.instruction ?? "—"}` },
      { table: { head: ["component", "version"], rows: versionRows(versions) } },
    ],
  };
}

export function planAppliedSection(state: State): Section {
  const diffs = planDifferences(state);
  return {
    title: "Plan versus applied",
    blocks: [
      diffs.length === 0
        ? { p: "Everything applied is what the approved plan said (imputation policies, balancing, columns)." }
        : { table: { head: ["what", "column", "plan said", "applied", "why"], rows: diffs.map((d) => [d.what, d.subject, d.planned, d.applied, d.why]) } },
    ],
  };
}

/** Precision, recall, F1 and support per class, one row per class and model; `baselineModel` names the chosen baseline. */
export function perClassBlock(baseline: ClassificationMetrics | RegressionMetrics, llm: ClassificationMetrics | RegressionMetrics | null, baselineModel?: string): Block | null {
  if (!("perClass" in baseline)) return null;
  const name = baselineLabel(baselineModel);
  const rows = baseline.perClass.map((c) => [name, c.label, f3(c.precision), f3(c.recall), f3(c.f1), String(c.support)]);
  if (llm && "perClass" in llm) rows.push(...llm.perClass.map((c) => ["fine-tuned LLM", c.label, f3(c.precision), f3(c.recall), f3(c.f1), String(c.support)]));
  return { table: { head: ["model", "class", "precision", "recall", "F1", "support (test rows)"], rows } };
}

export function assessmentSections(state: State, a: Assessment | null, plots: AssessmentPlots): Section[] {
  if (!a) return [{ title: "Model assessment", blocks: [{ note: "not evaluated in this run" }] }];
  const out: Section[] = [];
  out.push({
    title: "Feature importance",
    blocks: a.featureImportance
      ? [
          { p: "Mean decrease in impurity of the baseline random forest, normalised to sum to 1 (it favours features with many distinct values; read it as a ranking, not an effect size)." },
          { table: { head: ["feature", "importance"], rows: a.featureImportance.map((f) => [f.name, `${(f.importance * 100).toFixed(1)}%`]) } },
          ...(plots.importance ? [{ plot: plots.importance }] : []),
          ...(a.baselineExcluded.length > 0 ? [{ list: a.baselineExcluded.map((e) => `left out of the baseline: ${e.name} — ${e.reason}`) }] : []),
        ]
      : [{ note: "no feature importance (no baseline)" }],
  });
  const task = state.prepPlan?.task;
  out.push({
    title: "Calibration and thresholds",
    blocks:
      a.calibration && a.thresholds
        ? [
            { p: `Brier score ${a.calibration.brier.toFixed(4)} (mean squared error of the baseline's probability of "${a.calibration.positiveLabel}"; 0 is perfect, a constant 0.5 scores 0.25).${a.precisionRecall ? ` Average precision ${a.precisionRecall.averagePrecision.toFixed(4)}; prevalence ${(a.precisionRecall.prevalence * 100).toFixed(1)}%.` : ""}` },
            ...(plots.calibration ? [{ plot: plots.calibration }] : []),
            ...(plots.precisionRecall ? [{ plot: plots.precisionRecall }] : []),
            { p: `Threshold table: a test row is called "${a.calibration.positiveLabel}" when its score is at or above the threshold.` },
            { table: { head: ["threshold", "TP", "FP", "FN", "TN", "precision", "recall", "specificity", "F1"], rows: a.thresholds.map((t) => [t.threshold.toFixed(2), String(t.tp), String(t.fp), String(t.fn), String(t.tn), f3(t.precision), f3(t.recall), f3(t.specificity), f3(t.f1)]) } },
            { table: { head: ["probability bin", "rows", "mean predicted", "observed share"], rows: a.calibration.bins.map((b) => [`${b.low.toFixed(1)}–${b.high.toFixed(1)}`, String(b.count), f3(b.meanPredicted), f3(b.fractionPositive)]) } },
          ]
        : [{ note: task === "binary" ? "no calibration: the baseline gave no scores" : `calibration, precision-recall and thresholds: binary tasks only (this is ${task ?? "unknown"})` }],
  });
  const subgroupBlocks: Block[] = [];
  if (a.subgroups.length === 0) subgroupBlocks.push({ note: "no subgroups asked for (run with --subgroups column,column)" });
  for (const [i, s] of a.subgroups.entries()) {
    if (!s.rows) {
      subgroupBlocks.push({ note: `${s.column}: ${s.note ?? "not computed"}` });
      continue;
    }
    const names = s.rows[0]?.metrics.map((m) => m.name) ?? [];
    subgroupBlocks.push({ p: `By ${s.column}: groups with fewer than ${a.subgroupMinRows} test rows are flagged small (config report.subgroupMinRows).` });
    subgroupBlocks.push({
      table: {
        head: [s.column, "test rows", ...names.flatMap((n) => [n, "interval"]), "flag"],
        rows: s.rows.map((r) => [r.group, String(r.n), ...r.metrics.flatMap((m) => [f3(m.value), ci(m.ci)]), r.small ? "SMALL: do not rely on it" : ""]),
      },
    });
    const plot = plots.subgroups[i];
    if (plot) subgroupBlocks.push({ plot });
  }
  out.push({ title: "Performance by subgroup", blocks: subgroupBlocks });
  const flagged = a.drift.filter((d) => d.flagged);
  out.push({
    title: "Train/test drift",
    blocks:
      a.drift.length === 0
        ? [{ note: "no drift computed (no split rows)" }]
        : [
            { p: `Population stability index of the test rows against the training rows per feature (numbers on training-quantile bins, categories per value, missing as a bin of its own); flagged above ${a.driftPsiThreshold} (config report.driftPsiThreshold). ${flagged.length === 0 ? "No feature is flagged." : `Flagged: ${flagged.map((d) => d.feature).join(", ")}.`}` },
            { table: { head: ["feature", "kind", "PSI", "KS statistic", "flag"], rows: a.drift.map((d) => [d.feature, d.kind, d.psi.toFixed(4), d.ks === null ? "—" : d.ks.toFixed(4), d.flagged ? "DRIFT" : ""]) } },
            ...(plots.drift ? [{ plot: plots.drift }] : []),
          ],
  });
  out.push({
    title: "Distributions before and after treatment",
    blocks: [
      { p: "Share of training rows per bin (training-quantile bins for numbers, values for categories, missing as a bin) in the rows split wrote (before imputation and balancing) and in the final training rows. The missingness plot is in “Data and quality findings”." },
      plots.distributions ? { plot: plots.distributions } : { note: "no distribution plot (no split or final training rows)" },
    ],
  });
  return out;
}
