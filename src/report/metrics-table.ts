/** Baseline and LLM metrics side by side as aligned text (the CLI's summary and the report). */
import type { ClassificationMetrics, RegressionMetrics } from "../stats/metrics.js";

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
 * `baselineName` heads the baseline's column: the chosen model (results.json's
 * baselineChoice.model), or "baseline" when the caller does not know it.
 */
export function metricsTable(baseline: Metrics, llm: Metrics | null, baselineName = "baseline"): string {
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
  const width = [Math.max(10, ...rows.map((x) => x[0].length)), Math.max(14, baselineName.length, ...rows.map((x) => x[1].length)), Math.max(15, ...rows.map((x) => x[2].length))];
  const line = (a: string, b: string, c: string) => `${a.padEnd(width[0] ?? 10)}  ${b.padEnd(width[1] ?? 14)}  ${c}`;
  const lines = [line("metric", baselineName, "fine-tuned LLM"), ...rows.map(([a, b, c]) => line(a, b, c))];
  if (level !== undefined) lines.push(`[low, high]: ${Math.round(level * 100)}% bootstrap intervals over test rows; per class: precision (P), recall (R)`);
  return lines.join("\n");
}
