/** imputation/report.md: every column's mechanism, policy, masked-cell errors and sensitivity band. */
import type { ImputationResult, ImputedColumn } from "../../state.js";
import type { LlmImputerSummary } from "./llm-imputer.js";
import { formatP } from "./mechanism.js";
import { SCORED_POLICIES } from "./policies.js";
import type { DownstreamSummary } from "./scoring.js";

export interface ReportInput {
  trainRows: number;
  testRows: number;
  analysisRows: number;
  /** Candidate scoring's bounds: rows scored, ε of the early stop, fractions the expensive engines were scored on. */
  scoring?: { rows: number; epsilon: number; expensiveFractions: number; weakCorrelation: number; weakAssociation: number; iterative?: { rounds: number; trees: number; finalRounds: number; finalTrees: number } };
  fractions: number[];
  weights: { maskedError: number; downstream: number };
  columns: (ImputedColumn & { kind: "numeric" | "categorical" | "other"; missingTrain: number; missingTest: number; policyReason?: string })[];
  littleMcar: ImputationResult["littleMcar"];
  downstream: DownstreamSummary | null;
  deltas: number[];
  /** The LLM imputer, when a model is configured (no section without one). */
  llm?: LlmImputerSummary | null;
}

const num = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || Number.isNaN(v) ? "–" : v.toFixed(digits));

/** One line per column for review summaries: mechanism → policy (masked error). */
export function imputationLine(c: ImputedColumn): string {
  const err = c.maskedError[c.policy];
  const sens = c.sensitivity ? `; MNAR band ${c.sensitivity.metric} ${num(Math.min(...c.sensitivity.values))}–${num(Math.max(...c.sensitivity.values))}` : "";
  return `${c.column}: ${c.mechanism} → ${c.policy}${c.chosenBy === "user" ? " (your choice)" : ""}${err !== undefined && err !== null ? ` (masked error ${num(err)})` : ""}, filled ${c.filledTrain} train + ${c.filledTest} test${sens}`;
}

/** The LLM imputer's probe scores beside the candidates' errors on the same cells. */
function llmSection(llm: LlmImputerSummary): string[] {
  const policies = SCORED_POLICIES.categorical;
  return [
    "## LLM imputer",
    "",
    `${llm.model}, ${llm.calls} call${llm.calls === 1 ? "" : "s"}${llm.fellBack > 0 ? `, ${llm.fellBack} answered by the mode because the model could not` : ""}. Per categorical column it was asked for a seeded share of the cells hidden above, each row shown as the candidates saw it, and must answer a training value; the columns after it are the candidates' errors (1 − accuracy) on exactly those cells. It is chosen only when its error beats the scored choice's there; it gets no downstream check. Not measured: no hidden cell to ask, or an answer came from the fallback.`,
    "",
    `Budget: ${llm.budget.calls} of ${llm.budget.maxCalls} calls and ${llm.budget.tokens} of ${llm.budget.maxTokens} tokens spent (imputation.llm.maxCalls / maxTokens); once spent nothing more is asked, a column not fully probed is not measured, and the cells of a chosen column left unasked take the scored choice's fill.`,
    ...Object.entries(llm.filled).map(([column, f]) => `- ${column}: ${f.asked} cells answered by the model${f.byFallback > 0 ? `, ${f.byFallback} filled by the scored choice (${f.fallback}) because the budget ran out` : ""}.`),
    "",
    `| column | cells | llm | ${policies.join(" | ")} |`,
    "|---|---|---|" + policies.map(() => "---").join("|") + "|",
    ...Object.entries(llm.scored).map(([column, s]) =>
      s ? `| ${column} | ${s.cells} | ${num(s.llm)} | ${policies.map((p) => num(s.sameCells[p])).join(" | ")} |` : `| ${column} | – | not measured | ${policies.map(() => "").join(" | ")} |`,
    ),
    "",
  ];
}

export function imputationReport(r: ReportInput): string {
  const lines = [
    "# Imputation",
    "",
    `Fitted on the ${r.trainRows} training rows only; the same fitted imputers fill the ${r.testRows} test rows.`,
    `Mechanisms use ${r.analysisRows === r.trainRows ? "all" : `a seeded sample of ${r.analysisRows} of the`} training rows${r.scoring ? `, candidate scores ${r.scoring.rows === r.analysisRows ? "the same rows" : `a seeded sample of ${r.scoring.rows} of them (imputation.scoringRows)`}` : ""}; identifiers and the target are never imputed.`,
    "",
    "## Little's MCAR test (numeric feature columns)",
    "",
    r.littleMcar
      ? `χ² = ${r.littleMcar.statistic.toFixed(2)}, df = ${r.littleMcar.df}, p = ${formatP(r.littleMcar.pValue)} over ${r.littleMcar.patterns} missingness patterns, ${r.littleMcar.rows} rows (${r.littleMcar.columns.join(", ")}). ${r.littleMcar.pValue < 0.05 ? "The table as a whole is not MCAR." : "No evidence against MCAR for the table as a whole."}`
      : "Not computed: no numeric feature column has gaps, or every row with an observed number has the same missingness pattern (nothing to compare).",
    "",
    "## Columns",
    "",
    "MAR: the other columns predict the missingness (cross-validated forest AUC). MCAR: they do not, and Little's statistic for the column does not reject. MNAR is a *suspicion* when Little's statistic rejects MCAR but the observed columns explain the missingness poorly — observed data cannot prove MNAR.",
    "",
    "| column | missing train / test | mechanism | evidence | policy | chosen by | filled train / test | why this policy |",
    "|---|---|---|---|---|---|---|---|",
    ...r.columns.map(
      (c) => `| ${c.column} | ${c.missingTrain} / ${c.missingTest} | ${c.mechanism} | ${c.mechanismReason} | ${c.policy} (${c.value}) | ${c.chosenBy} | ${c.policy === "unknown" ? "0 / 0 (left empty → unknown)" : `${c.filledTrain} / ${c.filledTest}`} | ${c.policyReason ?? ""} |`,
    ),
    "",
    "## Masked-cell error per candidate",
    "",
    `Observed training cells hidden at ${r.fractions.map((f) => `${Math.round(f * 100)}%`).join(", ")} (seeded), imputed, and compared: standardized RMSE for numbers (lower is better; mean imputation ≈ 1), 1 − accuracy for categories. Score = ${r.weights.maskedError} × error + ${r.weights.downstream} × downstream loss.${r.scoring ? ` The fractions are scored in turn: a column whose best simple policy is within ε = ${r.scoring.epsilon} of its best error so far is settled on the simple policies, and MCAR columns that no other column predicts (every absolute correlation with another numeric column below ${r.scoring.weakCorrelation}, every bias-corrected Cramér's V or correlation ratio η of a pair with a categorical column below ${r.scoring.weakAssociation}) are scored on them alone; KNN and iterative were scored on ${r.scoring.expensiveFractions} of ${r.fractions.length} fractions (– : not scored).${r.scoring.iterative ? ` Iterative is scored (and the MNAR band computed) with ${r.scoring.iterative.rounds} rounds of ${r.scoring.iterative.trees}-tree forests (imputation.scoringIterative); the fitted imputer has ${r.scoring.iterative.finalRounds} rounds of ${r.scoring.iterative.finalTrees}.` : ""}` : ""}`,
    "",
    "| column | " + [...new Set([...SCORED_POLICIES.numeric, ...SCORED_POLICIES.categorical])].join(" | ") + " |",
    "|---|" + [...new Set([...SCORED_POLICIES.numeric, ...SCORED_POLICIES.categorical])].map(() => "---").join("|") + "|",
    ...r.columns
      .filter((c) => c.kind !== "other")
      .map((c) => `| ${c.column} (${c.kind === "numeric" ? "RMSE" : "1 − acc"}) | ${[...new Set([...SCORED_POLICIES.numeric, ...SCORED_POLICIES.categorical])].map((p) => (p in c.maskedError ? `${num(c.maskedError[p])}${p === c.policy ? " ✓" : ""}` : "")).join(" | ")} |`),
    "",
  ];
  if (r.llm) lines.push(...llmSection(r.llm));
  if (r.downstream) {
    lines.push(
      "## Downstream check",
      "",
      `The baseline forest trained on ${r.downstream.fitRows} training rows with every scored column filled by one policy, measured on ${r.downstream.validationRows} held-out training rows (never the test rows): ${r.downstream.metric}.`,
      "",
      "| policy | " + r.downstream.metric + " |",
      "|---|---|",
      ...Object.entries(r.downstream.byPolicy).map(([p, v]) => `| ${p === "median" ? "median / mode" : p === "mean" ? "mean / mode" : p === "unknown" ? "unknown (left empty)" : p} | ${num(v)} |`),
      "",
    );
  }
  const sensitive = r.columns.filter((c) => c.sensitivity);
  lines.push("## MNAR sensitivity", "");
  if (sensitive.length === 0) lines.push("No numeric column is suspected MNAR, so no sensitivity band was computed.", "");
  else {
    lines.push(
      `Filled values of each suspected-MNAR column shifted by δ × its training sd; the baseline's ${sensitive[0]?.sensitivity?.metric} on the held-out training rows for each δ. A wide band means the conclusions depend on what the missing values really are.`,
      "",
      "| column | " + r.deltas.map((d) => `δ = ${d}`).join(" | ") + " | band |",
      "|---|" + r.deltas.map(() => "---").join("|") + "|---|",
      ...sensitive.map((c) => `| ${c.column} | ${c.sensitivity!.values.map((v) => num(v)).join(" | ")} | ${num(Math.max(...c.sensitivity!.values) - Math.min(...c.sensitivity!.values))} |`),
      "",
    );
  }
  return lines.join("\n");
}
