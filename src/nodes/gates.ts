/**
 * The gates of the reviews (issue 12): what an answer moving the run past a review must
 * be allowed to pass, and who gave the answer. A blocker is a failed blocking check of
 * verify or verify_split, a plan without features, or a prep script that failed beyond
 * what a script may retry. A person typing at the review may pass most of them; a
 * scripted answer (--yes, an --answers line) only failed checks, and only with
 * --accept-failed-checks. Pure functions of state, so the review shows them before it asks.
 */
import { z } from "zod";
import { getConfig, getDecider } from "../runtime.js";
import { ReviewAnswer } from "../schemas.js";
import type { State, VerifyCheck } from "../state.js";
import { requireOptions, requirePlan } from "./common.js";
import { blockingFailures, describeCheck } from "./verify.js";

/**
 * A resume value nobody typed at the review: --yes's approval, or a line of an --answers
 * file (written before the run's findings were known).
 */
export const ScriptedAnswer = z.object({
  text: ReviewAnswer,
  by: z.enum(["--yes", "--answers"]),
  /** --accept-failed-checks was given: failed blocking checks may be approved past. */
  acceptFailedChecks: z.boolean(),
});
export type ScriptedAnswer = z.infer<typeof ScriptedAnswer>;

/** The resume value of every review: the text a person typed there, or a scripted answer. */
export const ReviewResume = z.union([ReviewAnswer, ScriptedAnswer]);
export type ReviewResume = z.infer<typeof ReviewResume>;

/** Who gave an answer: a person at the review, or a script. */
export type AnswerOrigin = { kind: "person" } | ({ kind: "scripted" } & Omit<ScriptedAnswer, "text">);

/** Something an answer that moves the run past this review must be allowed to pass. */
export interface Blocker {
  code: "failed_checks" | "no_features" | "prep_failed" | "prep_rounds_exhausted";
  /** One line: what is wrong. */
  message: string;
  /** Who may still go past it: nobody; a person typing at the review; or also a scripted answer with --accept-failed-checks. */
  passableBy: "nobody" | "person" | "person_or_flag";
  /** What the user can do instead. */
  suggestion: string;
}

/** Whether an answer from `origin` may move the run past `blocker`. */
export function mayPass(blocker: Blocker, origin: AnswerOrigin): boolean {
  if (blocker.passableBy === "nobody") return false;
  if (origin.kind === "person") return true;
  return blocker.passableBy === "person_or_flag" && origin.acceptFailedChecks;
}

/** The error kept at a review whose answer a blocker refused; the same blocker always gives the same text. */
export const refusalText = (blocker: Blocker) => `not approved: ${blocker.message}`;

/** Who gave a resume value: a string was typed by a person at the review. */
export const originOf = (resume: ReviewResume): AnswerOrigin =>
  typeof resume === "string" ? { kind: "person" } : { kind: "scripted", by: resume.by, acceptFailedChecks: resume.acceptFailedChecks };

/** For the log: "a person at the review", "--yes", "--answers with --accept-failed-checks". */
export const describeOrigin = (origin: AnswerOrigin) =>
  origin.kind === "person" ? "a person at the review" : origin.acceptFailedChecks ? `${origin.by} with --accept-failed-checks` : origin.by;

/** The blockers as rows under the summary. */
export function blockerLines(blockers: readonly Blocker[]): string[] {
  const who = { nobody: "nobody can approve past this", person: "only a person at this review can approve past this", person_or_flag: "only a person at this review, or --accept-failed-checks, can approve past this" };
  return blockers.flatMap((b) => [`${"BLOCKING:".padEnd(14)} ${b.message}`, `${"".padEnd(14)} ${who[b.passableBy]}; ${b.suggestion}`]);
}

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
