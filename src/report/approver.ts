/**
 * The named approver of a review answer. Review log entries keep `by: "user"` (who kind of
 * answer it was) and end their decision with " — approver: NAME", so the log, the report's
 * review table and the model card all name the same person.
 */

const MARK = " — approver: ";

/** The decision text with its approver. @example withApprover('"approve"', "A Name") // '"approve" — approver: A Name' */
export function withApprover(decision: string, approver: string | null | undefined): string {
  return approver ? `${decision}${MARK}${approver}` : decision;
}

/** The decision split from its approver (null when it names none). */
export function splitApprover(decision: string): { decision: string; approver: string | null } {
  const at = decision.lastIndexOf(MARK);
  return at < 0 ? { decision, approver: null } : { decision: decision.slice(0, at), approver: decision.slice(at + MARK.length) };
}
