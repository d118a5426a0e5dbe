/** Small accessors every node uses: they turn a missing earlier step into a clear error. */
import { TabtuneError } from "../errors.js";
import { callLogEntry, type CallRecord } from "../llm/index.js";
import type { RunOptions } from "../options.js";
import type { Plan, TableProfile } from "../schemas.js";
import type { LogEntry, State } from "../state.js";

function missing(what: string): never {
  throw new TabtuneError("state_incomplete", `this run has no ${what} yet`, {
    suggestion: "start the run again without --start-from, or --resume it",
  });
}

export function requireOptions(state: State): RunOptions {
  return state.options ?? missing("options");
}
export function requireProfile(state: State): TableProfile {
  return state.profile ?? missing("profile (explore did not finish)");
}
export function requirePlan(state: State): Plan {
  return state.prepPlan ?? missing("plan");
}
export function requireRunDir(state: State): string {
  return state.runDir ?? missing("run directory (split did not run)");
}

/**
 * The pipeline log entry of one decider call; none when the heuristic provider answered
 * as asked (no model configured), so a heuristic run's log stays as it was.
 */
export function modelCallLog(step: string, record: CallRecord): LogEntry[] {
  return record.provider === "heuristic" && !record.fellBack ? [] : [callLogEntry(step, record)];
}
