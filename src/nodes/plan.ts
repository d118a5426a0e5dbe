/** plan: the heuristic plan on first entry; afterwards the current plan with the review's edits applied. */
import { TabtuneError } from "../errors.js";
import { logEntry, stage } from "../log.js";
import { applyPlanEdits } from "../planning/plan-edits.js";
import { heuristicPlan, imputationHints } from "../planning/heuristic-plan.js";
import type { FeedbackAction } from "../feedback/parse.js";
import type { Plan, TableProfile } from "../schemas.js";
import { getConfig } from "../runtime.js";
import type { State, Update } from "../state.js";
import { requireProfile } from "./common.js";

/** Imputation hints follow the kept features, unless the user pasted their own. */
function withDerivedHints(next: Plan, edits: FeedbackAction[], profile: TableProfile): Plan {
  const pasted = edits.some((e) => e.kind === "plan_edit" && "imputation" in e.plan);
  return pasted ? next : { ...next, imputation: imputationHints(profile, next.features) };
}

export async function plan(state: State): Promise<Update> {
  const started = Date.now();
  const config = getConfig();
  const profile = requireProfile(state);
  if (!state.target) throw new Error("plan needs a target");
  if (state.planVersion >= config.codegen.maxReplans)
    throw new TabtuneError("too_many_replans", `the plan was revised ${state.planVersion} times`, {
      suggestion: "approve a plan, or raise codegen.maxReplans in config/default.yaml",
    });
  const edits = state.pendingEdits;
  // A plan exists after the first pass: later passes apply the review's edits to it (none for a bare "revise").
  const next = state.prepPlan
    ? withDerivedHints(applyPlanEdits(state.prepPlan, edits, profile), edits, profile)
    : heuristicPlan({ profile, target: state.target, targetCounts: state.targetCounts, selectedFeatures: state.selectedFeatures, config });
  const version = state.planVersion + 1;
  stage("plan", `v${version}: ${next.features.length} features, ${next.dropped.length} dropped${edits.length ? ` (${edits.length} review edits)` : ""}`);
  return {
    prepPlan: next,
    planVersion: version,
    pendingEdits: [],
    codeTries: 0,
    balanceStrategy: next.balancing.strategy,
    log: [
      logEntry("plan", edits.length ? `revised with ${edits.map((e) => e.kind).join(", ")}` : "heuristic plan", started, {
        numbers: { version, features: next.features.length, dropped: next.dropped.length },
      }),
    ],
  };
}
