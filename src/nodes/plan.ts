/**
 * plan: on first entry the decider's plan (the heuristic plan as its fallback), checked
 * against the table; afterwards the current plan with the review's edits applied
 * deterministically (free text was turned into those edits at the review).
 */
import type { Config } from "../config.js";
import { TabtuneError } from "../errors.js";
import type { FeedbackAction } from "../feedback/parse.js";
import { answeredBy, planValues, promptLimits, type CallRecord } from "../llm/index.js";
import { logEntry, stage } from "../log.js";
import { applyPlanEdits } from "../planning/plan-edits.js";
import { heuristicPlan, imputationHints } from "../planning/heuristic-plan.js";
import type { Plan, TableProfile, TargetChoice } from "../schemas.js";
import { getConfig, getDecider } from "../runtime.js";
import type { LogEntry, State, Update } from "../state.js";
import { modelCallLog, requireOptions, requireProfile } from "./common.js";

/** Imputation hints follow the kept features, unless the user pasted their own. */
function withDerivedHints(next: Plan, edits: FeedbackAction[], profile: TableProfile): Plan {
  const pasted = edits.some((e) => e.kind === "plan_edit" && "imputation" in e.plan);
  return pasted ? next : { ...next, imputation: imputationHints(profile, next.features) };
}

/** A model's plan against the table and the chosen target: a message to re-ask with, or null. */
export function checkPlan(plan: Plan, profile: TableProfile, target: TargetChoice): string | null {
  const names = new Set(profile.columns.map((c) => c.name));
  if (plan.target !== target.column) return `target must be "${target.column}" (chosen at explore), not "${plan.target}"`;
  if (plan.task !== target.task) return `task must be "${target.task}", not "${plan.task}"`;
  const unknown = [...plan.features, ...plan.dropped.map((d) => d.column)].filter((c) => !names.has(c));
  if (unknown.length > 0) return `not columns of the table: ${unknown.join(", ")}; write names exactly as in the profile`;
  if (plan.features.includes(plan.target)) return `"${plan.target}" is the target and cannot be a feature`;
  if (plan.features.length === 0) return "features must name at least one column";
  const missing = Object.keys(target.labels).filter((value) => !(value in plan.labels));
  if (missing.length > 0) return `labels must map every target value; missing: ${missing.join(", ")}`;
  return null;
}

/** Columns the model neither kept nor dropped are listed as dropped, so the plan accounts for every column. */
export function withUnmentionedDropped(plan: Plan, profile: TableProfile): Plan {
  const mentioned = new Set([plan.target, ...plan.features, ...plan.dropped.map((d) => d.column)]);
  const unmentioned = profile.columns.filter((c) => !mentioned.has(c.name)).map((c) => ({ column: c.name, reason: "not mentioned by the model's plan" }));
  return unmentioned.length === 0 ? plan : { ...plan, dropped: [...plan.dropped, ...unmentioned] };
}

/** Notes the planner should weigh: high-severity findings and select_features' choice. */
function planNotes(state: State): string[] {
  const findings = (state.profile?.findings ?? []).filter((f) => f.severity === "high").map((f) => `${f.check}: ${f.message}`);
  const selected = state.selectedFeatures ? [`select_features kept only: ${state.selectedFeatures.join(", ")}`] : [];
  return [...findings, ...selected];
}

/** The first plan: the decider's, checked, with the heuristic plan as the fallback. */
async function firstPlan(state: State, profile: TableProfile, target: TargetChoice, config: Config): Promise<{ plan: Plan; call: CallRecord }> {
  const fallback = () => heuristicPlan({ profile, target, targetCounts: state.targetCounts, selectedFeatures: state.selectedFeatures, config });
  const { value, source } = await getDecider(requireOptions(state)).writePlan({
    values: planValues({ profile, target, previousPlan: null, feedback: null, notes: planNotes(state) }, promptLimits(config)),
    fallback,
    check: (plan) => checkPlan(plan, profile, target),
  });
  const byModel = source.provider !== "heuristic" && !source.fellBack;
  return { plan: byModel ? withUnmentionedDropped(value, profile) : value, call: source };
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
  let next: Plan;
  let calls: LogEntry[] = [];
  let by = "heuristic";
  if (state.prepPlan) {
    // A plan exists after the first pass: later passes apply the review's edits to it (none for a bare "revise").
    next = withDerivedHints(applyPlanEdits(state.prepPlan, edits, profile), edits, profile);
  } else {
    const first = await firstPlan(state, profile, state.target, config);
    next = first.plan;
    calls = modelCallLog("plan", first.call);
    if (calls.length > 0) by = answeredBy(first.call);
  }
  const version = state.planVersion + 1;
  stage("plan", `v${version}: ${next.features.length} features, ${next.dropped.length} dropped${edits.length ? ` (${edits.length} review edits)` : ""}`);
  const what = edits.length ? `revised with ${edits.map((e) => e.kind).join(", ")}` : by === "heuristic" ? "heuristic plan" : `plan by ${by}`;
  return {
    prepPlan: next,
    planVersion: version,
    pendingEdits: [],
    codeTries: 0,
    balanceStrategy: next.balancing.strategy,
    log: [
      ...calls,
      logEntry("plan", what, started, {
        ...(edits.length === 0 ? { by } : {}),
        numbers: { version, features: next.features.length, dropped: next.dropped.length },
      }),
    ],
  };
}
