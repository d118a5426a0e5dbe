/**
 * Applies review edits (typed feedback or a pasted plan) to a plan. Every edit is
 * checked against the table first, so a typo gets a message instead of a silent no-op.
 */
import type { Config } from "../config.js";
import { TabtuneError } from "../errors.js";
import type { FeedbackAction } from "../feedback/parse.js";
import { Plan, type TableProfile, type TargetChoice } from "../schemas.js";
import { closestName } from "../table/alignment.js";
import { detectTarget } from "../table/target.js";

/**
 * The target typed at review (`target: <column>`), checked as --target is: it exists (else
 * the closest names), varies, is not an identifier and has few enough classes.
 * @throws TabtuneError naming the column and what to type instead.
 */
export function reviewTarget(column: string, profile: TableProfile, cfg: Config["profile"], previous: string): TargetChoice {
  const names = profile.columns.map((c) => c.name);
  if (!names.includes(column)) {
    const near = closestName(column, names);
    throw new TabtuneError("unknown_target", `target: "${column}" is not a column of ${profile.file}`, {
      suggestion: near ? `did you mean "${near}"? (type target: ${near})` : `type one of: ${names.slice(0, 12).join(", ")}${names.length > 12 ? ", …" : ""}`,
    });
  }
  let choice: TargetChoice;
  try {
    choice = detectTarget(profile, cfg, column);
  } catch (error) {
    if (error instanceof TabtuneError)
      throw new TabtuneError(error.code, error.message.replace(/^--target /, "target: "), { suggestion: error.suggestion?.replace(/--target/g, "target:") ?? "choose another column" });
    throw error;
  }
  const reasons = choice.reasons.filter((r) => !r.includes("chosen with --target"));
  return { ...choice, reasons: [`"${column}" chosen at review_plan (instead of "${previous}")`, ...reasons] };
}

/** The plan's target swapped: the new target leaves the features, the old one is listed as dropped until re-planned. */
function withTarget(plan: Plan, target: TargetChoice): Plan {
  const dropped = plan.dropped.filter((d) => d.column !== target.column && d.column !== plan.target);
  if (plan.target !== target.column) dropped.push({ column: plan.target, reason: "the previous target" });
  return {
    ...plan,
    target: target.column,
    task: target.task,
    labels: target.labels,
    features: plan.features.filter((f) => f !== target.column),
    dropped,
  };
}

function unknownColumns(columns: string[], profile: TableProfile): string[] {
  const names = new Set(profile.columns.map((c) => c.name));
  return columns.filter((c) => !names.has(c));
}

function checkColumns(columns: string[], profile: TableProfile, plan: Plan): void {
  const unknown = unknownColumns(columns, profile);
  if (unknown.length > 0) {
    const hint = unknown
      .map((u) => profile.columns.find((c) => c.name.toLowerCase() === u.toLowerCase())?.name)
      .filter((x): x is string => Boolean(x));
    throw new TabtuneError("unknown_column", `not a column of ${profile.file}: ${unknown.join(", ")}`, {
      suggestion: hint.length > 0 ? `did you mean ${hint.join(", ")}? (names are case-sensitive)` : "type the names exactly as in the header",
    });
  }
  if (columns.includes(plan.target))
    throw new TabtuneError("target_as_feature", `"${plan.target}" is the target and cannot be a feature`, {
      suggestion: "choose feature columns only",
    });
}

/** Returns the edited plan; throws a TabtuneError naming the bad column or field. */
export function applyPlanEdits(plan: Plan, edits: FeedbackAction[], profile: TableProfile, cfg: Config["profile"]): Plan {
  let next: Plan = structuredClone(plan);
  for (const edit of edits) {
    switch (edit.kind) {
      case "target":
        next = withTarget(next, reviewTarget(edit.column, profile, cfg, next.target));
        break;
      case "drop_features": {
        checkColumns(edit.columns, profile, next);
        const drop = new Set(edit.columns);
        next.features = next.features.filter((f) => !drop.has(f));
        for (const column of edit.columns)
          if (!next.dropped.some((d) => d.column === column)) next.dropped.push({ column, reason: "dropped at review" });
        break;
      }
      case "add_features": {
        checkColumns(edit.columns, profile, next);
        for (const column of edit.columns) if (!next.features.includes(column)) next.features.push(column);
        next.dropped = next.dropped.filter((d) => !edit.columns.includes(d.column));
        break;
      }
      case "keep_only_features": {
        checkColumns(edit.columns, profile, next);
        const keep = edit.columns;
        for (const column of next.features)
          if (!keep.includes(column)) next.dropped.push({ column, reason: "not in the kept list at review" });
        next.dropped = next.dropped.filter((d) => !keep.includes(d.column));
        next.features = [...keep];
        break;
      }
      case "instruction":
        next.instruction = edit.text;
        break;
      case "target_mapping": {
        if (next.task === "regression")
          throw new TabtuneError("mapping_regression", "a regression target has no label mapping", { suggestion: "change the instruction instead" });
        const missing = Object.keys(edit.mapping).filter((k) => !(k in next.labels));
        if (missing.length > 0)
          throw new TabtuneError("mapping_unknown_value", `not a value of "${next.target}": ${missing.join(", ")}`, {
            suggestion: `its values are ${Object.keys(next.labels).join(", ")}`,
          });
        next.labels = { ...next.labels, ...edit.mapping };
        const texts = Object.values(next.labels);
        if (new Set(texts).size !== texts.length)
          throw new TabtuneError("mapping_not_unique", "two target values would get the same label", { suggestion: "give each value its own label" });
        break;
      }
      case "balance":
        next.balancing = { ...next.balancing, strategy: edit.strategy === "auto" ? "oversample" : edit.strategy };
        break;
      case "plan_edit": {
        const merged = Plan.safeParse({ ...next, ...edit.plan });
        if (!merged.success) {
          const issue = merged.error.issues[0];
          throw new TabtuneError("plan_invalid", `edited plan: ${issue?.path.join(".") ?? "?"}: ${issue?.message ?? "invalid"}`, {
            suggestion: "fix that field and paste the plan again",
          });
        }
        if (merged.data.target !== next.target)
          throw new TabtuneError("plan_target_changed", "the edited plan changes the target", {
            suggestion: `type target: ${merged.data.target} to change the target (task, labels and plan follow)`,
          });
        checkColumns(merged.data.features, profile, merged.data);
        next = merged.data;
        break;
      }
      default:
        // approve, revise, test_ratio, config_overrides do not change the plan.
        break;
    }
  }
  if (next.features.length === 0)
    throw new TabtuneError("no_features", "the plan keeps no feature column", { suggestion: "keep at least one feature" });
  return next;
}
