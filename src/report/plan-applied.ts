/**
 * Where what was applied differs from what the approved plan said: imputation (the plan
 * names a policy per column as a hint; impute scores the candidates and may choose
 * another), balancing (the plan's strategy against the one the review chose), and columns
 * (the plan's dropped list against the columns that did not reach the model).
 */
import type { State } from "../state.js";

export interface PlanDifference {
  what: "imputation" | "balancing" | "columns";
  subject: string;
  planned: string;
  applied: string;
  why: string;
}

/** The policy word a plan's imputation line names ("Income: 381 missing (8.6%) → median of …" → "median"). */
function hintedPolicy(lines: string[], column: string): string | null {
  const line = lines.find((l) => l.startsWith(`${column}:`));
  const m = line ? /→\s*([\w-]+)/.exec(line) : null;
  return m?.[1]?.toLowerCase() ?? null;
}

export function planDifferences(state: State): PlanDifference[] {
  const plan = state.prepPlan;
  if (!plan) return [];
  const out: PlanDifference[] = [];
  for (const c of state.imputation?.columns ?? []) {
    const hint = hintedPolicy(plan.imputation, c.column);
    if (hint === null || hint === c.policy) continue;
    const scored = Object.entries(c.maskedError).filter((e): e is [string, number] => e[1] !== null).sort((a, b) => a[1] - b[1]);
    const why =
      c.chosenBy === "user"
        ? `chosen at review_prep (impute ${c.column}: ${c.policy})`
        : c.chosenBy === "rule"
          ? "the only policy that fits this column"
          : `lowest weighted score of masked-cell error and downstream check (masked-cell error: ${scored.map(([p, e]) => `${p} ${e.toFixed(3)}`).join(", ") || "none scored"}); the plan's policy is a hint, the scored choice overrides it`;
    out.push({ what: "imputation", subject: c.column, planned: hint, applied: c.policy, why });
  }
  const b = state.balanceResult;
  if (b && b.strategy !== plan.balancing.strategy)
    out.push({ what: "balancing", subject: plan.target, planned: plan.balancing.strategy, applied: b.strategy, why: "chosen at review_prep or review_balance (the review log names the answer)" });
  const profile = state.profile;
  if (profile) {
    const dropped = new Set(plan.dropped.map((d) => d.column));
    const unused = profile.columns.map((c) => c.name).filter((n) => n !== plan.target && !plan.features.includes(n) && !dropped.has(n));
    for (const name of unused)
      out.push({ what: "columns", subject: name, planned: "not listed", applied: "not used", why: state.selectedFeatures && !state.selectedFeatures.includes(name) ? "left out by select_features (feature ranking)" : "not among the plan's features" });
  }
  return out;
}

/** One line per difference, for the review summaries. */
export function differenceLines(diffs: PlanDifference[]): string[] {
  return diffs.map((d) => `${d.subject}: plan ${d.planned} → applied ${d.applied} (${d.why})`);
}
