/**
 * MODEL_CARD.md in the run folder: what the model is for, what it was trained on, how well
 * the baseline does (with intervals and by subgroup), what was done to the data, what is
 * not known, and what it was made with. Built from the same state and assessment as the report.
 */
import type { State } from "../state.js";
import type { Assessment } from "./assess.js";
import { approvers } from "./assessment-sections.js";
import type { BaselineChoice } from "./baseline-section.js";
import { planDifferences } from "./plan-applied.js";
import { versionRows, type Versions } from "./versions.js";

const f4 = (x: number) => (Number.isNaN(x) ? "—" : x.toFixed(4));
const table = (head: string[], rows: string[][]) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`)];

/** MODEL_CARD.md's text ("" before a plan); `choice` is results.json's baseline choice, null when there is none. */
export function modelCard(state: State, a: Assessment | null, versions: Versions, smallTestRows: number, choice: BaselineChoice | null): string {
  const plan = state.prepPlan;
  const o = state.options;
  if (!plan || !o) return "";
  const e = state.evaluation;
  const lines: string[] = [`# Model card — ${plan.target} (${plan.task})`, ""];
  lines.push("## Intended use", "", `- Stated use: ${o.intendedUse ?? "not stated (run with --intended-use TEXT)"}`, `- Instruction the model answers: ${plan.instruction}`, `- Approved by: ${approvers(state).join(", ") || "no named approver"}`, "");
  lines.push("## Data", "");
  lines.push(`- Source: ${o.csv.split(/[\\/]/).pop() ?? o.csv} (${state.profile?.rows ?? "?"} rows, sha256 ${state.profile?.sha256 ?? "?"})`);
  const s = state.splitResult;
  if (s) lines.push(`- Split: ${s.train.rows} training / ${s.test.rows} test rows (${s.source === "ratio" ? `test ratio ${s.testRatio}` : "given test CSV"}, seed ${o.seed})`);
  if (state.balanceResult) lines.push(`- Final training rows: ${state.balanceResult.trainRows.rows ?? "?"} (balancing ${state.balanceResult.strategy})`);
  lines.push("", "## Features", "", `Kept (${plan.features.length}): ${plan.features.join(", ")}.`, `Dropped: ${plan.dropped.map((d) => `${d.column} (${d.reason})`).join("; ") || "none"}.`, "");
  lines.push("## Metrics (test rows)", "");
  if (e) {
    const m = e.baseline;
    const level = m.ci?.level ?? 0.95;
    const folds = choice?.folds;
    const scoredFolds = choice?.scoredFolds ?? folds;
    const how =
      folds === undefined
        ? "on a validation fold of the training rows"
        : folds === 1
          ? "on the few training rows it was fitted on"
          : `in ${folds}-fold cross-validation on the training rows${scoredFolds !== undefined && scoredFolds < folds ? ` (the first ${scoredFolds} scored)` : ""}`;
    const model = choice ? `${choice.model.replace("_", " ")} (the stronger of forest and linear model ${how})` : "random forest";
    lines.push(`Baseline: ${model}; ${Math.round(level * 100)}% bootstrap intervals over the test rows.`, "");
    if ("accuracy" in m) {
      lines.push(...table(["metric", "baseline", "interval"], [["accuracy", f4(m.accuracy), m.ci ? `[${f4(m.ci.accuracy.low)}, ${f4(m.ci.accuracy.high)}]` : "—"], ["macro-F1", f4(m.macroF1), m.ci ? `[${f4(m.ci.macroF1.low)}, ${f4(m.ci.macroF1.high)}]` : "—"], ["ROC-AUC", typeof m.rocAuc === "number" ? f4(m.rocAuc) : "—", "—"], ...(a?.calibration ? [["Brier score", f4(a.calibration.brier), "—"]] : [])]));
      lines.push("", ...table(["class", "precision", "recall", "F1", "support"], m.perClass.map((c) => [c.label, f4(c.precision), f4(c.recall), f4(c.f1), String(c.support)])));
    } else lines.push(...table(["metric", "baseline", "interval"], [["RMSE", f4(m.rmse), m.ci ? `[${f4(m.ci.rmse.low)}, ${f4(m.ci.rmse.high)}]` : "—"], ["MAE", f4(m.mae), m.ci ? `[${f4(m.ci.mae.low)}, ${f4(m.ci.mae.high)}]` : "—"], ["R²", f4(m.r2), "—"]]));
    lines.push("", e.llm ? `Fine-tuned LLM scored from ${e.llmSource ?? "?"}: see report.md.` : "Fine-tuned LLM: not scored in this run.");
  } else lines.push("Not evaluated.");
  lines.push("", "## Subgroup results", "");
  if (!a || a.subgroups.length === 0) lines.push("None asked for (--subgroups).");
  for (const g of a?.subgroups ?? []) {
    if (!g.rows) {
      lines.push(`- ${g.column}: ${g.note ?? "not computed"}`);
      continue;
    }
    lines.push(`By ${g.column}:`, "", ...table([g.column, "n", ...(g.rows[0]?.metrics.map((m) => m.name) ?? []), "flag"], g.rows.map((r) => [r.group, String(r.n), ...r.metrics.map((m) => `${f4(m.value)} [${f4(m.ci.low)}, ${f4(m.ci.high)}]`), r.small ? "small" : ""])), "");
  }
  lines.push("", "## Limitations", "");
  const lim: string[] = [];
  for (const c of state.imputation?.columns ?? []) lim.push(`${c.column}: ${c.filledTrain} training and ${c.filledTest} test values imputed (${c.policy}; mechanism ${c.mechanism}).`);
  const b = state.balanceResult;
  if (b && b.strategy !== "none") lim.push(`Training rows were ${b.strategy}d (${Object.entries(b.before).map(([k, v]) => `${k} ${v}`).join(", ")} → ${Object.entries(b.after).map(([k, v]) => `${k} ${v}`).join(", ")}); the test rows were not.`);
  for (const d of plan.dropped) lim.push(`${d.column} was dropped: ${d.reason}.`);
  for (const d of planDifferences(state)) lim.push(`${d.subject}: the plan said ${d.planned}, ${d.applied} was applied (${d.why}).`);
  const testRows = s?.test.rows ?? 0;
  if (testRows < smallTestRows) lim.push(`Only ${testRows} test rows: intervals are wide.`);
  for (const g of a?.subgroups ?? []) for (const r of g.rows ?? []) if (r.small) lim.push(`Subgroup ${g.column} = ${r.group} has only ${r.n} test rows.`);
  for (const d of a?.drift ?? []) if (d.flagged) lim.push(`${d.feature} drifts between training and test rows (PSI ${d.psi.toFixed(3)}).`);
  if (!state.trainRun?.ran && !e?.llm) lim.push("The fine-tuned LLM was not trained or not scored in this run: its quality is untested; only the baseline's numbers are known.");
  lines.push(...(lim.length > 0 ? lim.map((l) => `- ${l}`) : ["- none recorded"]));
  lines.push("", "## Versions", "", ...table(["component", "version"], versionRows(versions)), "");
  return lines.join("\n");
}
