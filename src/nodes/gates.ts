/**
 * The gates of the reviews (issue 12): each review's blockers, read from state. A blocker
 * is a failed blocking check of verify or verify_split, a plan without features, or a
 * prep script that failed beyond what a script may retry. Who may pass one (a person at
 * the review, or also a scripted answer with --accept-failed-checks) is decided by
 * mayPass in review/protocol.ts. Pure functions of state, so the review shows them
 * before it asks.
 */
import { blockingFailures, describeCheck } from "../prep/checks.js";
import type { Blocker } from "../review/protocol.js";
import { getConfig, getDecider } from "../runtime.js";
import type { State, VerifyCheck } from "../state.js";
import { requireOptions, requirePlan } from "./common.js";

/** Failed blocking checks as one blocker (none when every blocking check passed). */
export function checkBlockers(checks: readonly VerifyCheck[] | null, suggestion: string): Blocker[] {
  const failed = blockingFailures(checks ?? []);
  if (failed.length === 0) return [];
  return [{ code: "failed_checks", message: `blocking checks failed: ${failed.map(describeCheck).join("; ")}`, passableBy: "person_or_flag", suggestion }];
}

/** True when the heuristic template writes this run's next prep script (the heuristic provider, or the one fallback round). */
export function usesTemplate(state: State): boolean {
  return state.prepTemplateFallback || getDecider(requireOptions(state)).provider === "heuristic";
}

/**
 * review_prep's blockers. After a success: the failed blocking checks of verify. After a
 * failure: no more rounds past codegen.maxRounds; and once the template has failed too,
 * only a person may start another round (a script's retry after a model's round gets the
 * template's round: apply).
 */
export function prepBlockers(state: State): Blocker[] {
  const execution = state.execution;
  if (!execution) return [];
  if (execution.ok)
    return checkBlockers(state.verification?.checks ?? null, "revise the plan here (e.g. drop features: <leaking column>) or approve it in a terminal (--resume without --yes), or resume with --yes --accept-failed-checks");
  const { maxRounds, maxTries } = getConfig().codegen;
  const error = execution.error?.message ?? "unknown error";
  if (state.prepRounds >= maxRounds)
    return [{
      code: "prep_rounds_exhausted",
      message: `prepare_data.js failed in all ${state.prepRounds} rounds of up to ${maxTries} tries this run allows (codegen.maxRounds): ${error}`,
      passableBy: "nobody",
      suggestion: "revise the plan or drop features at this review (a terminal: --resume without --yes), or raise codegen.maxRounds",
    }];
  if (usesTemplate(state))
    return [{
      code: "prep_failed",
      message: `prepare_data.js from the heuristic template failed ${state.codeTries} times: ${error}`,
      passableBy: "person",
      suggestion: "revise the plan or drop features at this review (a terminal: --resume without --yes)",
    }];
  return [];
}


/** review_plan's blocker: a plan without features trains nothing, whoever approves it. */
export function planBlockers(state: State): Blocker[] {
  if (requirePlan(state).features.length > 0) return [];
  return [{
    code: "no_features",
    message: "the plan keeps no feature column, so every record's input would be empty",
    passableBy: "nobody",
    suggestion: "add features: <columns> at this review (a terminal: --resume without --yes)",
  }];
}

/** review_balance's blockers: the failed blocking checks of the shipped train.json and test.json (verify_split). */
export function balanceBlockers(state: State): Blocker[] {
  return checkBlockers(state.splitChecks, "approve it in a terminal (--resume without --yes), resume with --yes --accept-failed-checks, or change the plan with --start-from review_prep");
}
