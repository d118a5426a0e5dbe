/**
 * What a review sends and receives (issue 12): the payload shown at the interrupt, the
 * resume value (a person's text or a scripted answer), who gave it, and what an answer
 * moving the run past a blocker must be allowed to pass. The review nodes build these;
 * the CLI's answer sources read them.
 */
import { z } from "zod";
import { ReviewAnswer, type ReviewPayload } from "../schemas.js";

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

export interface ReviewPayloadWithError extends ReviewPayload {
  /** Why the previous answer at this review was not accepted. */
  error: string | null;
  /** What an answer moving past this review must be allowed to pass (absent in payloads stored before gates existed). */
  blockers?: Blocker[];
  /** The blocker whose refusal `error` is, or null when the error is about the answer itself. */
  refusedBy?: Blocker["code"] | null;
}
