/**
 * The heuristic provider's plan: which columns become text, how, and why the others
 * are dropped. Deterministic, so the same table always gets the same plan.
 */
import type { Config } from "../config.js";
import type { ColumnProfile, Plan, TableProfile, TargetChoice } from "../schemas.js";
import { featureFamily } from "../table/kinds.js";

/** Why a column should not be written into the model's input, or null to keep it. */
function dropReason(column: ColumnProfile, rows: number): string | null {
  if (column.kind === "identifier") return "identifier: unique per row, carries no signal and would let the model memorise rows";
  if (column.distinct <= 1) return "constant: a single value in every row";
  if (column.missingRate >= 0.95) return `almost empty: ${(column.missingRate * 100).toFixed(1)}% missing`;
  if (column.kind === "text" && column.distinct > 0.9 * rows) return "free text unique per row: too long and specific to help";
  return null;
}

export function instructionFor(target: TargetChoice): string {
  if (target.task === "regression") return `Predict the value of "${target.column}" for the record below. Answer with a number only.`;
  const labels = Object.values(target.labels);
  return `Predict the "${target.column}" of the record below. Answer with exactly one of: ${labels.join(", ")}.`;
}

export function heuristicPlan(args: {
  profile: TableProfile;
  target: TargetChoice;
  targetCounts: Record<string, number>;
  selectedFeatures: string[] | null;
  config: Config;
}): Plan {
  const { profile, target, targetCounts, selectedFeatures, config } = args;
  const features: string[] = [];
  const dropped: Plan["dropped"] = [];
  // A high-severity leak (quality.ts) is dropped whatever select_features thought of it.
  const leaks = new Map(
    (profile.findings ?? []).filter((f) => f.check === "target_leakage" && f.severity === "high").flatMap((f) => f.columns.map((c) => [c, f.message] as const)),
  );
  for (const column of profile.columns) {
    if (column.name === target.column) continue;
    const leak = leaks.get(column.name);
    const reason = leak !== undefined ? `target leakage: ${leak}` : dropReason(column, profile.rows);
    if (reason) dropped.push({ column: column.name, reason });
    else if (selectedFeatures && !selectedFeatures.includes(column.name))
      dropped.push({ column: column.name, reason: "not among the top features ranked by select_features" });
    else features.push(column.name);
  }

  const cleaning = [
    "trim whitespace; treat the configured missing tokens as missing",
    "parse numeric columns as numbers (a non-numeric cell becomes missing)",
    `drop rows whose target "${target.column}" is missing`,
  ];
  if (target.task !== "regression") cleaning.push("a target value outside the label mapping is an error, never skipped");
  if (profile.duplicateRows > 0) cleaning.push(`${profile.duplicateRows} duplicate rows are kept (they are real observations); review if they are not`);

  const imputation = imputationHints(profile, features);

  return {
    instruction: instructionFor(target),
    target: target.column,
    task: target.task,
    labels: target.labels,
    features,
    dropped,
    rowFormat: "sentences",
    cleaning,
    balancing: { strategy: "none", advice: balanceAdvice(target, targetCounts, config) },
    imputation,
  };
}

/**
 * One line per kept feature with missing values: how many, and what will fill them (numbers the
 * training median, categories the training mode; text and dates are not imputed and stay unknown).
 */
export function imputationHints(profile: TableProfile, features: string[]): string[] {
  return profile.columns
    .filter((c) => features.includes(c.name) && c.missing > 0)
    .map((c) => `${c.name}: ${c.missing} missing (${(c.missingRate * 100).toFixed(1)}%) → ${imputationHint(c)}`);
}

function imputationHint(column: ColumnProfile): string {
  const family = featureFamily(column.kind);
  if (family === "numeric") return "median of the training rows";
  if (family === "categorical") return "mode of the training rows";
  const what = family === "datetime" ? "dates stay" : family === "text" ? "text stays" : "identifiers stay";
  return `unknown (${what} missing: only numbers and categories are imputed)`;
}

function balanceAdvice(target: TargetChoice, counts: Record<string, number>, config: Config): string {
  if (target.task === "regression") return "regression target: no class balancing";
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const largest = entries[0];
  const smallest = entries[entries.length - 1];
  if (!largest || !smallest) return "no class counts";
  const ratio = smallest[1] / largest[1];
  const shares = entries.map(([label, n]) => `${label} ${n}`).join(", ");
  if (ratio < config.balance.adviseBelowRatio)
    return `imbalanced (${shares}; smallest/largest ${ratio.toFixed(2)}): consider "oversample" at review_prep`;
  return `balanced enough (${shares}); no balancing needed`;
}
