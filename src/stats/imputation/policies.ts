/** The imputation policies a column can get, and which kinds of column each fits. */

/**
 * mean/median: numbers only; mode: categories only; knn and iterative: both;
 * llm: categories only, and only when a model is configured (llm-imputer.ts);
 * unknown: leave the cell empty (the row text says "unknown").
 */
export const IMPUTE_POLICIES = ["mean", "median", "mode", "knn", "iterative", "llm", "unknown"] as const;
export type ImputePolicy = (typeof IMPUTE_POLICIES)[number];

/** Policies that produce a value, scored on masked cells, per column kind. */
export const SCORED_POLICIES: Record<"numeric" | "categorical", readonly ImputePolicy[]> = {
  numeric: ["median", "mean", "knn", "iterative"],
  categorical: ["mode", "knn", "iterative"],
};

/**
 * Whether a policy can fill a column of this kind.
 * @example policyFits("mean", "categorical") // false
 */
export function policyFits(policy: ImputePolicy, kind: "numeric" | "categorical" | "other"): boolean {
  if (policy === "unknown") return true;
  if (kind === "other") return false;
  if (policy === "llm") return kind === "categorical";
  return policy === "knn" || policy === "iterative" || (kind === "numeric" ? policy !== "mode" : policy === "mode");
}
