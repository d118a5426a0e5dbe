/**
 * The four review checkpoints. Each builds its payload, calls interrupt() once (nothing
 * with a side effect happens before it: the node re-runs from the start on resume), then
 * parses the typed answer. A valid answer becomes state edits; an invalid one is kept as
 * `lastReview.error` and the router sends the run back to the same review. Free text is
 * read by the model, shown back, and applied on approve (see reviewNode).
 *
 * Gates (gates.ts, review/protocol.ts): an answer that moves the run past a review's
 * blocker is refused unless its origin may pass it; the resume value says who answered
 * (ReviewResume), and an accepted failed check is logged, by "user".
 */
import { interrupt } from "@langchain/langgraph";
import { TabtuneError } from "../errors.js";
import { describeAcceptedFeedback, parseFeedback, type FeedbackAction, type ReviewStep } from "../feedback/parse.js";
import { overrideContext, validateOverrides } from "../finetune/keys.js";
import { describeActions } from "../feedback/describe.js";
import { answeredBy, feedbackValues, promptLimits } from "../llm/index.js";
import { logEntry } from "../log.js";
import { applyPlanEdits } from "../planning/plan-edits.js";
import { featureFamily } from "../table/kinds.js";
import { closeCallLine, describeCandidates, rankTargets } from "../table/target.js";
import { withApprover } from "../report/approver.js";
import {
  blockerLines, describeOrigin, mayPass, originOf, refusalText, ReviewResume, type AnswerOrigin, type Blocker, type ReviewPayloadWithError,
} from "../review/protocol.js";
import { balanceSummary, configSummary, planSummary, prepSummary } from "../report/summaries.js";
import type { ReviewPayload } from "../schemas.js";
import { getConfig, getDecider } from "../runtime.js";
import type { LogEntry, State, Update } from "../state.js";
import { policyFits, type ImputePolicy } from "../stats/imputation/policies.js";
import { modelCallLog, requireOptions, requirePlan, requireProfile } from "./common.js";
import { balanceBlockers, planBlockers, prepBlockers, usesTemplate } from "./gates.js";

/** Review answers that change the plan (and so send the run back to plan). */
const PLAN_EDITS = new Set<FeedbackAction["kind"]>(["target", "drop_features", "add_features", "keep_only_features", "instruction", "target_mapping", "plan_edit", "revise"]);

interface ReviewSpec {
  step: ReviewStep;
  title: string;
  summary: (state: State) => string;
  options: (state: State) => string[];
  /** What an answer that moves the run on from this review must be allowed to pass. */
  blockers: (state: State) => Blocker[];
  /** Whether these actions move the run on (rather than back to plan, balance or the same review). */
  movesOn: (actions: FeedbackAction[], state: State) => boolean;
  /** Turns valid actions into state edits; throws a TabtuneError for a semantic problem. */
  apply: (actions: FeedbackAction[], state: State, origin: AnswerOrigin) => Update;
}

/** The line shown above the summary while an interpretation of free text waits for approve. */
export function confirmationLine(actions: readonly FeedbackAction[]): string {
  return `I understood: ${describeActions(actions)}  (type approve to apply, or rephrase)`;
}

/**
 * A review: payload → interrupt() → the answer as actions. A typed answer is parsed
 * deterministically. Free text that matches no form is read by the model (not the
 * heuristic provider) after the interrupt returns, once per answer; its actions are
 * checked, stored with `awaitingConfirmation`, and shown back at the same review, where
 * approve applies them and any other answer replaces them.
 */
function reviewNode(spec: ReviewSpec) {
  return async (state: State): Promise<Update> => {
    const previous = state.lastReview?.step === spec.step ? state.lastReview : null;
    const pending = previous?.awaitingConfirmation ? previous : null;
    const blockers = spec.blockers(state);
    const summary = [spec.summary(state), ...blockerLines(blockers)].join("\n");
    const payload: ReviewPayloadWithError = {
      step: spec.step,
      title: spec.title,
      summary: pending ? `${confirmationLine(pending.actions)}\n\n${summary}` : summary,
      options: spec.options(state),
      help: describeAcceptedFeedback(spec.step).join("\n"),
      error: previous?.error ?? null,
      blockers,
      refusedBy: blockers.find((b) => previous?.error === refusalText(b))?.code ?? null,
    };
    const resume: ReviewResume = interrupt(payload, { responseSchema: ReviewResume });
    const answer = typeof resume === "string" ? resume : resume.text;
    const origin = originOf(resume);
    const by = origin.kind === "person" ? "" : ` (${origin.by})`;
    const started = Date.now();
    // Every answer is signed with the run's --approver (default git user.name, else the OS user).
    const approver = state.options?.approver ?? null;
    const rejected = (error: string, calls: LogEntry[] = []): Update => ({
      lastReview: { step: spec.step, answer, actions: [], error },
      log: [...calls, logEntry(spec.step, withApprover(`answer not accepted: ${error}`, approver), started, { by: "user" })],
    });
    const accept = (actions: FeedbackAction[], decision: string): Update => {
      const passed = spec.movesOn(actions, state) ? blockers : [];
      const refusal = passed.find((b) => !mayPass(b, origin));
      if (refusal) return rejected(refusalText(refusal));
      let edits: Update;
      try {
        edits = spec.apply(actions, state, origin);
      } catch (error) {
        if (error instanceof TabtuneError) return rejected(describeTabtuneError(error));
        throw error;
      }
      const accepted = passed.filter((b) => b.code === "failed_checks");
      return {
        ...edits,
        lastReview: { step: spec.step, answer, actions, error: null },
        log: [
          logEntry(spec.step, withApprover(`${decision}${by}`, approver), started, { by: "user" }),
          ...accepted.map((b) => logEntry(spec.step, withApprover(`failed checks accepted by ${describeOrigin(origin)}: ${b.message}`, approver), started, { by: "user" })),
        ],
      };
    };
    const parsed = parseFeedback(answer, spec.step);
    if (pending && parsed.ok && isApprove(parsed.actions))
      return accept(pending.actions, `"${pending.answer}" applied as: ${describeActions(pending.actions)}`);
    if (parsed.ok) return accept(parsed.actions, `"${answer}"`);
    const decider = getDecider(requireOptions(state));
    if (decider.provider === "heuristic") return rejected(parsed.error);
    return interpretFreeText(spec, state, { answer, origin }, parsed.error, started, rejected);
  };
}

const describeTabtuneError = (error: TabtuneError) => (error.suggestion ? `${error.message} — ${error.suggestion}` : error.message);

/** Why the step would refuse these actions (spec.apply is pure: nothing is applied here), or null. */
function applyProblem(spec: ReviewSpec, actions: FeedbackAction[], state: State, origin: AnswerOrigin): string | null {
  try {
    spec.apply(actions, state, origin);
    return null;
  } catch (error) {
    if (error instanceof TabtuneError) return describeTabtuneError(error);
    throw error;
  }
}

/**
 * Free text read by the model into actions the step accepts and would apply (a reading
 * it would refuse is re-asked with the reason), kept for confirmation.
 */
async function interpretFreeText(
  spec: ReviewSpec,
  state: State,
  { answer, origin }: { answer: string; origin: AnswerOrigin },
  parseError: string,
  started: number,
  rejected: (error: string, calls?: LogEntry[]) => Update,
): Promise<Update> {
  const options = requireOptions(state);
  const columns = state.profile?.columns.map((c) => c.name) ?? [];
  const { value, source } = await getDecider(options).interpretFeedback({
    step: spec.step,
    values: feedbackValues({ step: spec.step, answer, columns, priority: state.prepPlan?.features ?? [] }, promptLimits(getConfig())),
    fallback: () => ({ actions: [], unclear: null }),
    check: (reading) => (reading.actions.length === 0 ? null : applyProblem(spec, reading.actions, state, origin)),
  });
  const calls = modelCallLog(spec.step, source);
  if (source.fellBack) return rejected(`${parseError} (the model could not interpret it: ${source.error ?? "unknown reason"})`, calls);
  if (value.actions.length === 0) return rejected(`not understood: ${value.unclear ?? "no action found"} — rephrase, or use one of the typed forms`, calls);
  return {
    lastReview: { step: spec.step, answer, actions: value.actions, error: null, awaitingConfirmation: true },
    log: [...calls, logEntry(spec.step, `"${answer}" interpreted as: ${describeActions(value.actions)}; shown back for approval`, started, { by: answeredBy(source) })],
  };
}

const isApprove = (actions: FeedbackAction[]) => actions.every((a) => a.kind === "approve");

/** The top three target candidates with their reasons, and a close-call line, for the plan review. */
export function targetCandidateLines(state: State): string[] {
  const profile = state.profile;
  if (!profile) return [];
  const cfg = getConfig().profile;
  const candidates = rankTargets(profile, cfg).slice(0, 3);
  if (candidates.length === 0) return [];
  const close = closeCallLine(candidates, cfg.targetCloseMargin);
  return ["target candidates (type target: <column> to predict another):", ...describeCandidates(candidates).map((l) => `  ${l}`), ...(close ? [`  ${close}`] : [])];
}

export const reviewPlan = reviewNode({
  step: "review_plan",
  title: "Review the data preparation plan",
  summary: (state) => [planSummary(requirePlan(state), state), ...targetCandidateLines(state)].join("\n"),
  options: () => ["approve", "target: <column>", "drop features: a, b", "keep only features: a, b", "change instruction to: …", "paste an edited plan (JSON or YAML)"],
  blockers: planBlockers,
  movesOn: isApprove,
  apply: (actions, state) => {
    if (isApprove(actions)) return {};
    // Validate now so a typo is shown at this review, not after a re-plan.
    applyPlanEdits(requirePlan(state), actions, requireProfile(state), getConfig().profile);
    return { pendingEdits: actions };
  },
});

export const reviewPrep = reviewNode({
  step: "review_prep",
  title: "Review the prepared data",
  summary: prepSummary,
  options: (state) =>
    state.execution?.ok
      ? ["approve", "revise", "drop features: a, b", "oversample | undersample", "test_ratio: 0.3", "impute <column>: knn"]
      : ["approve (retry code generation)", "revise (back to the plan)", "drop features: a, b"],
  blockers: prepBlockers,
  // Anything but a plan edit goes on: to split, or after a failure to another round of codegen.
  movesOn: (actions) => !actions.some((a) => PLAN_EDITS.has(a.kind)),
  apply: (actions, state, origin) => {
    const planEdits = actions.filter((a) => PLAN_EDITS.has(a.kind));
    if (!state.execution?.ok && !isApprove(actions) && planEdits.length === 0)
      throw new TabtuneError("prep_failed", "the prep code failed, so there is nothing to balance or split", {
        suggestion: "type approve to retry code generation, or revise / drop features to change the plan",
      });
    const update: Update = {};
    const edits = planEdits.filter((a) => a.kind !== "revise");
    if (edits.length > 0) applyPlanEdits(requirePlan(state), edits, requireProfile(state), getConfig().profile);
    if (planEdits.length > 0) update.pendingEdits = edits;
    if (!state.execution?.ok && isApprove(actions)) {
      update.codeTries = 0; // a new round of tries
      // A script retrying after the coder model's round gets the template's round instead (once: a second failure is a blocker).
      if (origin.kind === "scripted" && !usesTemplate(state)) update.prepTemplateFallback = true;
    }
    let overrides: Record<string, ImputePolicy> | null = null;
    for (const action of actions) {
      if (action.kind === "balance") update.balanceStrategy = action.strategy === "auto" ? "oversample" : action.strategy;
      if (action.kind === "test_ratio" && state.options) {
        if (state.options.testCsv)
          throw new TabtuneError("test_ratio_with_test_csv", "this run uses --test-csv, so there is no ratio to change", { suggestion: "approve, or start a run without --test-csv" });
        update.options = { ...state.options, testRatio: action.value };
      }
      if (action.kind === "impute") overrides = { ...(overrides ?? state.imputeOverrides), ...checkImputeOverride(action, state) };
    }
    if (overrides) update.imputeOverrides = overrides;
    return update;
  },
});

/** An override names a kept feature and a policy that fits its kind (mean of a category is refused). */
function checkImputeOverride(action: Extract<FeedbackAction, { kind: "impute" }>, state: State): Record<string, ImputePolicy> {
  const plan = requirePlan(state);
  const column = plan.features.find((f) => f === action.column) ?? plan.features.find((f) => f.toLowerCase() === action.column.toLowerCase());
  if (!column)
    throw new TabtuneError("impute_unknown_column", `"${action.column}" is not a kept feature`, { suggestion: `impute one of: ${plan.features.join(", ")}` });
  const kind = requireProfile(state).columns.find((c) => c.name === column)?.kind;
  const family = kind === undefined ? "other" : featureFamily(kind);
  if (action.policy === "llm" && requireOptions(state).provider === "heuristic")
    throw new TabtuneError("impute_needs_model", `llm imputation of ${column} needs a model, and this run uses the heuristic provider`, {
      suggestion: "use mode, knn, iterative or unknown, or run with --agent-api-base (or --provider bedrock) and --agent-model",
    });
  if (!policyFits(action.policy, family === "numeric" || family === "categorical" ? family : "other"))
    throw new TabtuneError("impute_policy_mismatch", `${action.policy} does not fit ${column} (${kind ?? "unknown kind"})`, {
      suggestion: family === "numeric" ? "use mean, median, knn, iterative or unknown" : family === "categorical" ? "use mode, knn, iterative, llm or unknown" : "text and date columns can only be left as unknown",
    });
  return { [column]: action.policy };
}

export const reviewBalance = reviewNode({
  step: "review_balance",
  title: "Review the balanced training set",
  summary: balanceSummary,
  options: () => ["approve", "use undersample instead", "use oversample", "balance_strategy: none"],
  blockers: balanceBlockers,
  // Another strategy balances again; anything else goes on to the configs.
  movesOn: (actions) => !actions.some((a) => a.kind === "balance"),
  apply: (actions) => {
    const chosen = actions.find((a): a is Extract<FeedbackAction, { kind: "balance" }> => a.kind === "balance");
    return chosen ? { balanceStrategy: chosen.strategy === "auto" ? "oversample" : chosen.strategy } : {};
  },
});

export const reviewConfig = reviewNode({
  step: "review_config",
  title: "Review the LlamaFactory configuration",
  summary: configSummary,
  options: () => ["approve", "lora_rank: 32, num_train_epochs: 5 (any LlamaFactory key)"],
  blockers: () => [],
  movesOn: isApprove,
  apply: (actions, state) => {
    const overrides = Object.assign({}, ...actions.map((a) => (a.kind === "config_overrides" ? a.values : {})));
    if (Object.keys(overrides).length === 0) return {};
    // Together with the earlier answers and the run's --deepspeed/--quantization-bit: LlamaFactory's parser rules see them all.
    const valid = validateOverrides({ ...state.configOverrides, ...overrides }, overrideContext(state.options));
    if (!valid.ok) throw new TabtuneError("config_override_invalid", valid.error);
    return { configOverrides: { ...state.configOverrides, ...overrides } };
  },
});

/** Routing helpers: where a review's valid answer leads. */
export function reviewOutcome(state: State, step: ReviewStep): "again" | "approve" | "edit" {
  const review = state.lastReview;
  if (!review || review.step !== step || review.error !== null || review.awaitingConfirmation) return "again";
  if (isApprove(review.actions)) return "approve";
  return "edit";
}

export function reviewChangesPlan(state: State): boolean {
  return (state.lastReview?.actions ?? []).some((a) => PLAN_EDITS.has(a.kind));
}
