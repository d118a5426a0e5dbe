/** report.md: what was done to the data and why, and how good the result is, from state and its log. */
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../artifacts.js";
import { paths } from "../paths.js";
import type { State } from "../state.js";
import type { ClassificationMetrics, RegressionMetrics } from "../stats/metrics.js";
import { planSummary } from "./summaries.js";

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
type Metrics = ClassificationMetrics | RegressionMetrics;

/** "0.8204 [0.7951, 0.8452]" when an interval is known. */
function withInterval(value: number, ci: { low: number; high: number } | undefined): string {
  if (!ci || Number.isNaN(ci.low)) return fmt(value);
  return `${value.toFixed(4)} [${ci.low.toFixed(4)}, ${ci.high.toFixed(4)}]`;
}

/**
 * Baseline and LLM side by side, one metric a line, with bootstrap intervals where
 * evaluate computed them; then per-class precision / recall for classification.
 */
export function metricsTable(baseline: Metrics, llm: Metrics | null): string {
  const rows: [string, string, string][] = [];
  const cell = (m: Metrics | null, f: (m: Metrics) => string | null): string => (m ? (f(m) ?? "—") : "—");
  if ("accuracy" in baseline) {
    const c = (m: Metrics | null, f: (m: ClassificationMetrics) => string | null) => cell(m, (x) => ("accuracy" in x ? f(x) : null));
    rows.push(["accuracy", c(baseline, (m) => withInterval(m.accuracy, m.ci?.accuracy)), c(llm, (m) => withInterval(m.accuracy, m.ci?.accuracy))]);
    rows.push(["macroF1", c(baseline, (m) => withInterval(m.macroF1, m.ci?.macroF1)), c(llm, (m) => withInterval(m.macroF1, m.ci?.macroF1))]);
    rows.push(["rocAuc", c(baseline, (m) => (typeof m.rocAuc === "number" ? fmt(m.rocAuc) : null)), c(llm, (m) => (typeof m.rocAuc === "number" ? fmt(m.rocAuc) : null))]);
    rows.push(["unmatched", "—", c(llm, (m) => String(m.unmatched))]);
    for (const [i, pc] of baseline.perClass.entries()) {
      const other = llm && "accuracy" in llm ? llm.perClass[i] : undefined;
      const pr = (x: { precision: number; recall: number } | undefined) => (x ? `P ${x.precision.toFixed(3)} R ${x.recall.toFixed(3)}` : "—");
      rows.push([`  ${pc.label}`, pr(pc), pr(other)]);
    }
  } else {
    const r = (m: Metrics | null, f: (m: RegressionMetrics) => string | null) => cell(m, (x) => ("rmse" in x ? f(x) : null));
    rows.push(["rmse", r(baseline, (m) => withInterval(m.rmse, m.ci?.rmse)), r(llm, (m) => withInterval(m.rmse, m.ci?.rmse))]);
    rows.push(["mae", r(baseline, (m) => withInterval(m.mae, m.ci?.mae)), r(llm, (m) => withInterval(m.mae, m.ci?.mae))]);
    rows.push(["r2", r(baseline, (m) => fmt(m.r2)), r(llm, (m) => fmt(m.r2))]);
  }
  rows.push(["n", String(baseline.n), llm ? String(llm.n) : "—"]);
  const level = baseline.ci?.level;
  const width = [Math.max(10, ...rows.map((x) => x[0].length)), Math.max(14, ...rows.map((x) => x[1].length)), Math.max(15, ...rows.map((x) => x[2].length))];
  const line = (a: string, b: string, c: string) => `${a.padEnd(width[0] ?? 10)}  ${b.padEnd(width[1] ?? 14)}  ${c}`;
  const lines = [line("metric", "baseline (RF)", "fine-tuned LLM"), ...rows.map(([a, b, c]) => line(a, b, c))];
  if (level !== undefined) lines.push(`[low, high]: ${Math.round(level * 100)}% bootstrap intervals over test rows; per class: precision (P), recall (R)`);
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
