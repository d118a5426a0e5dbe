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
import { applyPlanEdits, reviewTarget } from "../planning/plan-edits.js";
import { heuristicPlan, imputationHints } from "../planning/heuristic-plan.js";
import type { Plan, TableProfile, TargetChoice } from "../schemas.js";
import { getConfig, getDecider } from "../runtime.js";
import type { LogEntry, State, Update } from "../state.js";
import { modelCallLog, requireOptions, requireProfile, requireState } from "./common.js";

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

/** Rows per raw value of a class target, from the profile (it keeps every value of a column that may be a label). */
function countsFromProfile(profile: TableProfile, target: TargetChoice): Record<string, number> {
  if (target.task === "regression") return {};
  const column = profile.columns.find((c) => c.name === target.column);
  return Object.fromEntries((column?.topValues ?? []).map((t) => [t.value, t.count]));
}

/**
 * `target: <column>` at review_plan: the target, its counts and a new first plan for it;
 * the answer's other edits, and columns dropped at earlier reviews, are applied on top.
 * Leakage findings were computed for the old target, so they are left out (not re-run).
 */
async function retarget(state: State, column: string, edits: FeedbackAction[], profile: TableProfile, config: Config): Promise<{ update: Update; plan: Plan; calls: LogEntry[]; note: string }> {
  const previous = state.prepPlan?.target ?? state.target?.column ?? "";
  const target = reviewTarget(column, profile, config.profile, previous);
  const cleared: TableProfile = { ...profile, findings: profile.findings.filter((f) => f.check !== "target_leakage") };
  const targetCounts = countsFromProfile(profile, target);
  const first = await firstPlan({ ...state, target, targetCounts, profile: cleared }, cleared, target, config);
  const earlierDrops = (state.prepPlan?.dropped ?? []).filter((d) => d.reason.endsWith("at review") && d.column !== target.column).map((d) => d.column);
  const others = edits.filter((e) => e.kind !== "target");
  const carried: FeedbackAction[] = earlierDrops.length > 0 ? [{ kind: "drop_features", columns: earlierDrops }, ...others] : others;
  const plan = applyPlanEdits(first.plan, carried, cleared, config.profile);
  const left = profile.findings.length - cleared.findings.length;
  const note = `target "${previous}" → "${target.column}" (${target.task})${left > 0 ? `; ${left} leakage finding(s) of the old target set aside (not re-run)` : ""}`;
  return { update: { target, targetCounts, profile: cleared }, plan, calls: modelCallLog("plan", first.call), note };
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
  const target = requireState(state.target, "target", "plan");
  if (state.planVersion >= config.codegen.maxReplans)
    throw new TabtuneError("too_many_replans", `the plan was revised ${state.planVersion} times`, {
      suggestion: "approve a plan, or raise codegen.maxReplans in config/default.yaml",
    });
  const edits = state.pendingEdits;
  let next: Plan;
  let calls: LogEntry[] = [];
  let by = "heuristic";
  let retargeted: Update = {};
  let note = "";
  const newTarget = edits.filter((e): e is Extract<FeedbackAction, { kind: "target" }> => e.kind === "target").pop();
  if (newTarget) {
    const changed = await retarget(state, newTarget.column, edits, profile, config);
    next = withDerivedHints(changed.plan, edits, profile);
    calls = changed.calls;
    retargeted = changed.update;
    note = `; ${changed.note}`;
  } else if (state.prepPlan) {
    // A plan exists after the first pass: later passes apply the review's edits to it (none for a bare "revise").
    next = withDerivedHints(applyPlanEdits(state.prepPlan, edits, profile, config.profile), edits, profile);
  } else {
    const first = await firstPlan(state, profile, target, config);
    next = first.plan;
    calls = modelCallLog("plan", first.call);
    if (calls.length > 0) by = answeredBy(first.call);
  }
  const version = state.planVersion + 1;
  stage("plan", `v${version}: ${next.features.length} features, ${next.dropped.length} dropped${edits.length ? ` (${edits.length} review edits)` : ""}${note}`);
  const what = `${edits.length ? `revised with ${edits.map((e) => e.kind).join(", ")}` : by === "heuristic" ? "heuristic plan" : `plan by ${by}`}${note}`;
  return {
    ...retargeted,
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
