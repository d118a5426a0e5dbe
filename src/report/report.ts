/** report.md: what was done to the data and why, and how good the result is, from state and its log. */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../artifacts.js";
import { paths } from "../paths.js";
import type { State } from "../state.js";
import type { ClassificationMetrics, RegressionMetrics } from "../stats/metrics.js";
import { planSummary } from "./summaries.js";

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));

/** Baseline and LLM side by side, one metric a line. */
export function metricsTable(baseline: ClassificationMetrics | RegressionMetrics, llm: ClassificationMetrics | RegressionMetrics | null): string {
  const keys = "accuracy" in baseline ? (["accuracy", "macroF1", "n"] as const) : (["rmse", "mae", "r2", "n"] as const);
  const value = (m: ClassificationMetrics | RegressionMetrics | null, key: string) => {
    if (!m) return "—";
    const v = (m as unknown as Record<string, unknown>)[key];
    return typeof v === "number" ? fmt(v) : "—";
  };
  const lines = [`${"metric".padEnd(10)} ${"baseline (RF)".padStart(14)} ${"fine-tuned LLM".padStart(15)}`];
  for (const key of keys) lines.push(`${key.padEnd(10)} ${value(baseline, key).padStart(14)} ${value(llm, key).padStart(15)}`);
  return lines.join("\n");
}

export function writeReport(state: State): void {
  const options = state.options;
  if (!options || !state.prepPlan || !state.profile) return;
  const e = state.evaluation;
  const sections = [
    `# tabtune report — ${options.csv}`,
    "",
    `Run \`${state.runId}\`, run directory \`${state.runDir ?? "—"}\`.`,
    "",
    "## Data",
    `${state.profile.rows} rows × ${state.profile.columns.length} columns, sha256 \`${state.profile.sha256.slice(0, 16)}…\`; ${state.profile.duplicateRows} duplicate rows; constant columns: ${state.profile.constantColumns.join(", ") || "none"}.`,
    "",
    "| column | kind | missing | distinct |",
    "|---|---|---|---|",
    ...state.profile.columns.map((c) => `| ${c.name} | ${c.kind} | ${c.missing} | ${c.distinct} |`),
    "",
    "## Target",
    ...(state.target?.reasons ?? []).map((r) => `- ${r}`),
    "",
    "## Approved plan",
    "```",
    planSummary(state.prepPlan, state),
    "```",
    "",
    `Prep code: \`${state.script?.path ?? "—"}\` (sha256 \`${state.script?.sha256.slice(0, 16) ?? "—"}…\`).`,
    "",
    "## Verification",
    ...(state.verification?.checks ?? []).map((c) => `- ${c.ok ? "ok" : "FAILED"} ${c.name}: ${c.detail}`),
    "",
    "## Split, imputation, balancing",
    state.splitResult ? `- ${state.splitResult.train.rows} training / ${state.splitResult.test.rows} test rows (${state.splitResult.source === "ratio" ? `test ratio ${state.splitResult.testRatio}` : "given test CSV"}, seed ${options.seed})` : "- not split",
    ...(state.imputation?.columns ?? []).map((c) => `- ${c.column}: ${c.policy} ${c.value} (filled ${c.filledTrain} train, ${c.filledTest} test)`),
    state.balanceResult ? `- balancing ${state.balanceResult.strategy}: ${JSON.stringify(state.balanceResult.before)} → ${JSON.stringify(state.balanceResult.after)}` : "",
    "",
    "## Results",
    e ? "```\n" + metricsTable(e.baseline, e.llm) + "\n```" : "not evaluated",
    "",
    "## Review decisions and log",
    "| at | step | by | decision |",
    "|---|---|---|---|",
    ...state.log.map((l) => `| ${l.at} | ${l.step} | ${l.by} | ${l.decision.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`),
    "",
  ];
  const text = sections.join("\n");
  const path = paths.report(options.output);
  writeFileAtomic(path, text);
  if (state.runDir) copyFileSync(path, join(state.runDir, "report.md"));
}
