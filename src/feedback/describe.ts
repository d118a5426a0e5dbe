/**
 * Review actions written back as the typed forms a person could have entered, so an
 * interpretation of free text can be shown before it is applied.
 *
 * @example
 *   describeActions([{ kind: "drop_features", columns: ["id"] }, { kind: "test_ratio", value: 0.3 }])
 *   // "drop features: id; test_ratio: 0.3"
 */
import type { FeedbackAction } from "./actions.js";

const pairs = (record: Record<string, unknown>) =>
  Object.entries(record)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");

export function describeAction(action: FeedbackAction): string {
  switch (action.kind) {
    case "approve":
      return "approve";
    case "revise":
      return "revise (back to the plan)";
    case "balance":
      return `balance_strategy: ${action.strategy}`;
    case "drop_features":
      return `drop features: ${action.columns.join(", ")}`;
    case "add_features":
      return `add features: ${action.columns.join(", ")}`;
    case "keep_only_features":
      return `keep only features: ${action.columns.join(", ")}`;
    case "test_ratio":
      return `test_ratio: ${action.value}`;
    case "target":
      return `target: ${action.column}`;
    case "target_mapping":
      return `change target mapping: ${pairs(action.mapping)}`;
    case "instruction":
      return `change instruction to: ${action.text}`;
    case "config_overrides":
      return pairs(action.values);
    case "impute":
      return `impute ${action.column}: ${action.policy}`;
    case "plan_edit":
      return `edit the plan: ${JSON.stringify(action.plan)}`;
  }
}

export function describeActions(actions: readonly FeedbackAction[]): string {
  return actions.map(describeAction).join("; ");
}
