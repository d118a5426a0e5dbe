/**
 * What a reviewer can ask for, as data: the action schema (shared by the deterministic
 * parser and the LLM that interprets free text), which actions each review accepts, and
 * the help lines the review UI shows.
 */
import { z } from "zod";
import { ReviewPayload } from "../schemas.js";
import { IMPUTE_POLICIES } from "../stats/imputation/policies.js";

export const ReviewStep = ReviewPayload.shape.step;
export type ReviewStep = z.infer<typeof ReviewStep>;

const columns = z.array(z.string().trim().min(1)).min(1, "name at least one column");

/** One decision taken from a review answer. */
export const FeedbackAction = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("approve") }),
  /** review_prep: go back to the plan. */
  z.object({ kind: z.literal("revise") }),
  /** "auto" lets the tool pick (bare "balance"). */
  z.object({ kind: z.literal("balance"), strategy: z.enum(["oversample", "undersample", "none", "auto"]) }),
  z.object({ kind: z.literal("drop_features"), columns }),
  z.object({ kind: z.literal("add_features"), columns }),
  z.object({ kind: z.literal("keep_only_features"), columns }),
  z.object({ kind: z.literal("test_ratio"), value: z.number().gt(0, "test_ratio must be above 0").lt(1, "test_ratio must be below 1") }),
  /** review_plan: predict another column; task, labels and plan are derived again. */
  z.object({ kind: z.literal("target"), column: z.string().trim().min(1, "name the target column") }),
  /** Raw target value → label text. */
  z.object({ kind: z.literal("target_mapping"), mapping: z.record(z.string(), z.string().min(1)) }),
  z.object({ kind: z.literal("instruction"), text: z.string().trim().min(1, "the instruction must not be empty") }),
  /** LlamaFactory keys with YAML-typed scalar values. */
  z.object({
    kind: z.literal("config_overrides"),
    values: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  }),
  /** review_prep: the imputation policy of one column, over the scored choice. */
  z.object({ kind: z.literal("impute"), column: z.string().trim().min(1, "name the column"), policy: z.enum(IMPUTE_POLICIES) }),
  /** A pasted (partial) plan; the caller merges and validates it against the full Plan. */
  z.object({ kind: z.literal("plan_edit"), plan: z.record(z.string(), z.unknown()) }),
]);
export type FeedbackAction = z.infer<typeof FeedbackAction>;
export type FeedbackKind = FeedbackAction["kind"];

/** Every action kind, in the order help text lists them. */
export const FEEDBACK_KINDS: readonly FeedbackKind[] = [
  "approve",
  "revise",
  "balance",
  "drop_features",
  "add_features",
  "keep_only_features",
  "test_ratio",
  "target",
  "target_mapping",
  "instruction",
  "config_overrides",
  "impute",
  "plan_edit",
];

/** Which actions each review accepts (DESIGN §5). */
export const ACCEPTED: Record<ReviewStep, readonly FeedbackKind[]> = {
  review_plan: ["approve", "target", "drop_features", "add_features", "keep_only_features", "instruction", "target_mapping", "balance", "plan_edit"],
  review_prep: [
    "approve",
    "revise",
    "balance",
    "drop_features",
    "add_features",
    "keep_only_features",
    "instruction",
    "target_mapping",
    "test_ratio",
    "impute",
  ],
  review_balance: ["approve", "balance"],
  review_config: ["approve", "config_overrides"],
};

/** One help line per kind; balance reads differently at the balance review. */
function helpLine(kind: FeedbackKind, step: ReviewStep): string {
  switch (kind) {
    case "approve":
      return "approve                      (also: yes, y, ok, lgtm, continue)";
    case "revise":
      return "revise                       go back to the plan";
    case "balance":
      return step === "review_balance"
        ? "use oversample | use undersample | balance_strategy: none"
        : "balance | oversample | undersample | balance_strategy: none";
    case "drop_features":
      return "drop features: a, b";
    case "add_features":
      return "add features: c";
    case "keep_only_features":
      return "keep only features: a, b, c";
    case "test_ratio":
      return "test_ratio: 0.3              (between 0 and 1)";
    case "target":
      return "target: <column>             predict another column (task, labels and plan follow)";
    case "target_mapping":
      return "change target mapping: 0: No, 1: Yes";
    case "instruction":
      return "change instruction to: <sentence>";
    case "config_overrides":
      return "lora_rank: 32, num_train_epochs: 5   (any LlamaFactory key: value)";
    case "impute":
      return `impute <column>: ${IMPUTE_POLICIES.join(" | ")}`;
    case "plan_edit":
      return "paste an edited plan (JSON or YAML, several lines)";
  }
}

/** Lines listing the answers a review accepts, for help text and error messages. */
export function describeAcceptedFeedback(step: ReviewStep): string[] {
  const lines = ACCEPTED[step].map((kind) => helpLine(kind, step));
  if (ACCEPTED[step].length > 2) lines.push("several at once: one per line, or separated by ';'");
  return lines;
}

/** Steps (other than `step`) that accept `kind`, for "try it at …" hints. */
export function stepsAccepting(kind: FeedbackKind): ReviewStep[] {
  return ReviewStep.options.filter((s) => ACCEPTED[s].includes(kind));
}
