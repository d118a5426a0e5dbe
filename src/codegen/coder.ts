/**
 * Who writes `scripts/prepare_data.js`. The heuristic provider fills a template that
 * follows the plan exactly; an LLM coder (issue 4) implements the same interface and
 * gets the failed try's code, error and row in `feedback`.
 */
import type { Plan, TableProfile } from "../schemas.js";
import type { CodeFeedback } from "../state.js";
import type { SandboxContext } from "./sidecar.js";
import { prepCodeFromPlan } from "./template.js";

/** Everything a coder may use to write the prep script (DESIGN §3). */
export interface PrepCoderInput {
  plan: Plan;
  profile: TableProfile;
  /** The ctx the script will get at run time. */
  ctx: SandboxContext;
  planVersion: number;
  /** 1-based try within the current round. */
  attempt: number;
  /** The previous try of this round, when it failed; null on a round's first try. */
  feedback: CodeFeedback | null;
}

/** Writes the source of prepare_data.js: top-level `clean(row, ctx)` and `render(row, ctx)`. */
export interface PrepCoder {
  /** "heuristic", or the model's name, for the log and the header comment. */
  readonly name: string;
  write(input: PrepCoderInput): Promise<string>;
}

/**
 * The heuristic coder: the template follows the plan exactly, so an error it meets is
 * in the data or the plan, and a retry writes the same code. It ignores `feedback`
 * on purpose; review_prep shows the failure after the last try.
 */
export const heuristicCoder: PrepCoder = {
  name: "heuristic",
  async write(input) {
    return prepCodeFromPlan(input.plan, input.profile, { planVersion: input.planVersion, attempt: input.attempt });
  },
};
