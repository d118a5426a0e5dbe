/**
 * Rules that keep imputation's cost bounded without changing what it measures (issue 15/16):
 * which columns KNN and iterative imputation cannot help (MCAR columns the others barely predict),
 * and the LLM imputer's call and token budget.
 */
import { pearson } from "../kernel.js";
import { correlationRatio, cramersV, type Association } from "./association.js";
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

/** Column j's strongest association with a column of the other family or a categorical one, and which. */
export interface StrongestAssociation {
  /** Bias-corrected Cramér's V (both categorical) or correlation ratio η (one numeric); see association.ts. */
  value: number;
  measure: "Cramér's V" | "η";
  with: string;
}

/**
 * The largest bias-corrected association (association.ts) between column j and any other
 * column that is not a numeric pair (those are maxAbsCorrelation's): Cramér's V against the
 * categorical columns when j is categorical, else the correlation ratio η with the category
 * on the categorical side. Null when nothing could be compared.
 * @example maxAssociation(frame with city and a channel that copies it, index of channel) // { value: 1, measure: "Cramér's V", with: "city" }
 */
export function maxAssociation(frame: Frame, j: number): StrongestAssociation | null {
  const a = frame.columns[j]!;
  let best: StrongestAssociation | null = null;
  frame.columns.forEach((b, k) => {
    if (k === j || (a.type === "numeric" && b.type === "numeric")) return;
    let found: Association | null;
    if (a.type === "categorical" && b.type === "categorical") found = cramersV(a.codes, b.codes);
    else if (a.type === "categorical" && b.type === "numeric") found = correlationRatio(a.codes, b.values);
    else if (a.type === "numeric" && b.type === "categorical") found = correlationRatio(b.codes, a.values);
    else found = null;
    if (found && (best === null || found.corrected > best.value))
      best = { value: found.corrected, measure: a.type === "categorical" && b.type === "categorical" ? "Cramér's V" : "η", with: b.name };
  });
  return best;
}

/** The thresholds below which an MCAR column is scored on the simple policies alone (imputation.weakCorrelation, weakAssociation). */
export interface WeakThresholds {
  correlation: number;
  association: number;
}

/**
 * Why KNN and iterative imputation are not tried for column j, or null when they are: an
 * MCAR column that every other column predicts only weakly has nothing for them to learn (its
 * missingness is random and the others do not go with its values), so the simple policies are
 * scored alone. Weakly: numeric pairs by |Pearson r| below `correlation`, pairs with a
 * categorical column by bias-corrected Cramér's V or η below `association`. Null also when
 * the column could be compared with nothing, or a threshold is 0 (never).
 */
export function weakMcarReason(frame: Frame, j: number, mechanism: string | undefined, thresholds: WeakThresholds): string | null {
  if (mechanism !== "MCAR" || thresholds.correlation <= 0 || thresholds.association <= 0) return null;
  const r = maxAbsCorrelation(frame, j);
  const assoc = maxAssociation(frame, j);
  if ((r === null && assoc === null) || (r !== null && r >= thresholds.correlation) || (assoc !== null && assoc.value >= thresholds.association)) return null;
  const parts = [
    ...(r === null ? [] : [`its largest absolute correlation with another numeric column is ${r.toFixed(3)} < ${thresholds.correlation} (imputation.weakCorrelation)`]),
    ...(assoc === null ? [] : [`its largest association with ${frame.columns[j]!.type === "numeric" ? "a categorical" : "another"} column is ${assoc.value.toFixed(3)} (bias-corrected ${assoc.measure}, with ${assoc.with}) < ${thresholds.association} (imputation.weakAssociation)`]),
  ];
  return `MCAR and ${parts.join(" and ")}: KNN and iterative have nothing to learn from the other columns, so only the simple policies were scored`;
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
