/**
 * Rules that keep imputation's cost bounded without changing what it measures (issue 15/16):
 * which columns KNN and iterative imputation cannot help (weakly correlated MCAR columns),
 * and the LLM imputer's call and token budget.
 */
import { pearson } from "../kernel.js";
import { isMissing, type Frame } from "./frame.js";

/**
 * The largest |Pearson r| (kernel.pearson) between numeric column j and any other numeric
 * column, on the rows where both are observed (pairs with fewer than 3 such rows or no spread
 * are skipped).
 * null when j is not numeric or no other numeric column could be compared.
 * @example maxAbsCorrelation({ rows: 3, columns: [x: [1,2,3], y: [2,4,7]] }, 0) // ≈ 0.993
 */
export function maxAbsCorrelation(frame: Frame, j: number): number | null {
  const a = frame.columns[j]!;
  if (a.type !== "numeric") return null;
  const x = new Float64Array(frame.rows);
  const y = new Float64Array(frame.rows);
  let best: number | null = null;
  frame.columns.forEach((b, k) => {
    if (k === j || b.type !== "numeric") return;
    let n = 0;
    for (let i = 0; i < frame.rows; i++) {
      const u = a.values[i]!;
      const v = b.values[i]!;
      if (Number.isNaN(u) || Number.isNaN(v)) continue;
      x[n] = u;
      y[n] = v;
      n++;
    }
    if (n < 3) return;
    const r = Math.abs(pearson(x.subarray(0, n), y.subarray(0, n)));
    if (Number.isNaN(r)) return; // no spread on one side
    best = best === null ? r : Math.max(best, r);
  });
  return best;
}

/**
 * Why KNN and iterative imputation are not tried for column j, or null when they are: an
 * MCAR numeric column whose every correlation with the other numeric columns is below
 * `threshold` has nothing for them to learn (its missingness is random and the others do not
 * predict its values; categorical neighbours are not looked at), so the simple policies are
 * scored alone.
 */
export function weakMcarReason(frame: Frame, j: number, mechanism: string | undefined, threshold: number): string | null {
  if (mechanism !== "MCAR" || threshold <= 0) return null;
  const r = maxAbsCorrelation(frame, j);
  if (r === null || r >= threshold) return null;
  return `MCAR and its largest absolute correlation with another numeric column is ${r.toFixed(3)} < ${threshold} (imputation.weakCorrelation): KNN and iterative have nothing to learn from the other columns, so only the simple policies were scored`;
}

/** The LLM imputer's spending limits and what it has spent (calls, prompt + completion tokens). */
export interface LlmBudget {
  maxCalls: number;
  maxTokens: number;
  calls: number;
  tokens: number;
}

/** Whether one more call fits the budget. */
export function budgetLeft(b: LlmBudget): boolean {
  return b.calls < b.maxCalls && b.tokens < b.maxTokens;
}

/** Cells of a column that are missing. */
export function gapsOf(frame: Frame, j: number): number[] {
  const col = frame.columns[j]!;
  const out: number[] = [];
  for (let i = 0; i < frame.rows; i++) if (isMissing(col, i)) out.push(i);
  return out;
}
