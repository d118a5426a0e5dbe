/**
 * Deterministic reading of typed review answers (DESIGN §5). Keywords are
 * case-insensitive; column names, labels and instructions keep their case. Several
 * instructions may come on separate lines or separated by ";". Free text that matches
 * no form is an error listing the forms the step accepts (an LLM may interpret it
 * instead, through `checkActions`).
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { Plan } from "../schemas.js";
import {
  ACCEPTED,
  FeedbackAction,
  type FeedbackKind,
  type ReviewStep,
  describeAcceptedFeedback,
  stepsAccepting,
} from "./actions.js";
import { IMPUTE_POLICIES } from "../stats/imputation/policies.js";
import { splitOnce, splitOutsideQuotes, splitPairs, unquote } from "./split.js";

export { describeAcceptedFeedback, FeedbackAction, type ReviewStep } from "./actions.js";

export type ParseResult = { ok: true; actions: FeedbackAction[] } | { ok: false; error: string };

/** A segment is an action, a recognised form with a bad value, or not understood (null). */
type Reading = { action: FeedbackAction } | { problem: string } | null;

type Scalar = string | number | boolean;

const PLAN_KEYS = new Set(Object.keys(Plan.shape));
const APPROVE = /^(?:approved?|yes|y|ok|okay|lgtm|continue)[.!]*$/i;
const REVISE = /^revise(?:\s+(?:the\s+)?plan)?$/i;
const FEATURES = /^(drop|remove|add|keep\s+only)\s+(?:the\s+)?(?:features?|columns?)\s*:(.*)$/is;
const TEST_RATIO = /^test[\s_-]?ratio\s*[:=]?\s*(\S+)$/i;
const MAPPING = /^(?:(?:change|set)\s+)?(?:the\s+)?(?:target|label)s?\s+mapping(?:\s+to)?\s*:(.*)$/is;
const INSTRUCTION = /^(?:(?:change|set)\s+(?:the\s+)?instruction\s+to|instruction)\s*:(.*)$/is;
/** "target: Price", "set target to: Price", "change the target column to Price". */
const TARGET = /^(?:(?:change|set)\s+(?:the\s+)?)?target(?:\s+column)?(?:\s*[:=]|\s+to\s*:?)\s*(.*)$/is;
const IMPUTE = /^impute\s+(.+?)\s*:\s*([A-Za-z-]+)$/is;
const CONFIG_PAIR = /^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*[:=](.*)$/s;
/** Keys a person may try at the config review that belong to another step. */
const NOT_CONFIG: Record<string, string> = {
  test_ratio: "the test split is chosen at review_prep (or rerun with --start-from split --test-ratio)",
  balance_strategy: "balancing is chosen at review_prep or review_balance",
  instruction: "the instruction is chosen at review_plan",
};

function readBalance(segment: string): Reading {
  const s = segment.trim();
  if (/^balance$/i.test(s)) return { action: { kind: "balance", strategy: "auto" } };
  const use = /^(?:use\s+)?(oversample|undersample)(?:ing)?(?:\s+instead)?$/i.exec(s);
  if (use?.[1]) return { action: { kind: "balance", strategy: use[1].toLowerCase() === "oversample" ? "oversample" : "undersample" } };
  if (/^(?:use\s+none|no\s+balancing|don'?t\s+balance)(?:\s+instead)?$/i.test(s)) return { action: { kind: "balance", strategy: "none" } };
  const set = /^balanc(?:e|ing)(?:[\s_-]?strategy)?\s*[:=]\s*(.*)$/i.exec(s);
  if (!set) return null;
  const value = unquote(set[1] ?? "").toLowerCase();
  const strategy = z.enum(["oversample", "undersample", "none", "auto"]).safeParse(value);
  if (!strategy.success) return { problem: `unknown balance strategy "${value}": use none, oversample, undersample or auto` };
  return { action: { kind: "balance", strategy: strategy.data } };
}

function readColumns(verb: string, body: string): Reading {
  const columns = [...new Set(splitOutsideQuotes(body, ",").map(unquote).filter((c) => c.length > 0))];
  const v = verb.toLowerCase().replace(/\s+/g, " ");
  if (columns.length === 0) return { problem: `"${v} features:" needs at least one column name` };
  const kind = v === "add" ? "add_features" : v === "keep only" ? "keep_only_features" : "drop_features";
  return { action: { kind, columns } };
}

function readTestRatio(raw: string): Reading {
  const percent = raw.endsWith("%");
  const value = Number(percent ? raw.slice(0, -1) : raw) / (percent ? 100 : 1);
  if (raw === "" || !Number.isFinite(value)) return { problem: `test_ratio must be a number such as 0.2, not "${raw}"` };
  if (value <= 0 || value >= 1) return { problem: `test_ratio must be between 0 and 1 (exclusive), got ${value}` };
  return { action: { kind: "test_ratio", value } };
}

function readMapping(body: string): Reading {
  const separators = ["->", "→", "=", ":"];
  const startsPair = (piece: string): boolean => splitOnce(piece, separators) !== null;
  const mapping: Record<string, string> = {};
  for (const pair of splitPairs(body, startsPair)) {
    if (pair.trim() === "") continue;
    const parts = splitOnce(pair, separators);
    const from = parts ? unquote(parts[0]) : "";
    const to = parts ? unquote(parts[1]) : "";
    if (!parts || from === "" || to === "") return { problem: `"${pair.trim()}" is not "value: label"` };
    if (from in mapping) return { problem: `target value "${from}" is mapped twice` };
    mapping[from] = to;
  }
  if (Object.keys(mapping).length === 0) return { problem: "the target mapping is empty: write it as 0: No, 1: Yes" };
  return { action: { kind: "target_mapping", mapping } };
}

/** A YAML-typed scalar: 2e-5 → number, true → boolean, quoted text stays text. */
function yamlScalar(key: string, raw: string): Scalar | { problem: string } {
  const text = raw.trim();
  if (text === "") return { problem: `"${key}" has no value` };
  let value: unknown;
  try {
    value = parseYaml(text, { logLevel: "silent" });
  } catch {
    return { problem: `cannot read the value of "${key}" (${text}): put it in quotes` };
  }
  if (typeof value === "number" && !Number.isFinite(value)) return { problem: `"${key}" must be a finite number` };
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return { problem: `"${key}" needs a single value (a number, true/false or text), not ${value === null ? "null" : "a list or mapping"}` };
}

function readImpute(columnText: string, policyText: string): Reading {
  const column = unquote(columnText);
  const policy = z.enum(IMPUTE_POLICIES).safeParse(policyText.toLowerCase());
  if (column === "") return { problem: "name the column to impute" };
  if (!policy.success) return { problem: `unknown imputation policy "${policyText}": use ${IMPUTE_POLICIES.join(", ")}` };
  return { action: { kind: "impute", column, policy: policy.data } };
}

function readConfigPairs(segment: string): Reading {
  if (!CONFIG_PAIR.test(segment)) return null;
  const values: Record<string, Scalar> = {};
  for (const pair of splitPairs(segment, (piece) => CONFIG_PAIR.test(piece))) {
    const match = CONFIG_PAIR.exec(pair);
    const key = match?.[1];
    if (!match || !key) return { problem: `"${pair.trim()}" is not "key: value"` };
    const value = yamlScalar(key, match[2] ?? "");
    if (typeof value === "object") return value;
    values[key] = value;
  }
  return { action: { kind: "config_overrides", values } };
}

/** Reads one instruction of the answer, whatever the step. */
function readSegment(segment: string): Reading {
  if (APPROVE.test(segment)) return { action: { kind: "approve" } };
  if (REVISE.test(segment)) return { action: { kind: "revise" } };
  const balance = readBalance(segment);
  if (balance) return balance;
  const features = FEATURES.exec(segment);
  if (features) return readColumns(features[1] ?? "drop", features[2] ?? "");
  const ratio = TEST_RATIO.exec(segment);
  if (ratio) return readTestRatio(ratio[1] ?? "");
  const mapping = MAPPING.exec(segment);
  if (mapping) return readMapping(mapping[1] ?? "");
  const target = TARGET.exec(segment);
  if (target) {
    const column = unquote(target[1] ?? "");
    return column === "" ? { problem: "name the column to predict: target: <column>" } : { action: { kind: "target", column } };
  }
  const impute = IMPUTE.exec(segment);
  if (impute) return readImpute(impute[1] ?? "", impute[2] ?? "");
  const instruction = INSTRUCTION.exec(segment);
  if (instruction) {
    const text = unquote(instruction[1] ?? "");
    return text === "" ? { problem: "the new instruction is empty" } : { action: { kind: "instruction", text } };
  }
  return readConfigPairs(segment);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A multi-line (or brace-opened) answer that parses as a JSON or YAML mapping. */
function pastedMapping(text: string): Record<string, unknown> | null {
  if (!text.includes("\n") && !text.startsWith("{")) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = parseYaml(text, { logLevel: "silent" });
    } catch {
      return null;
    }
  }
  return isRecord(value) ? value : null;
}

/** A pasted plan: every key a plan field, validated field by field. */
function readPastedPlan(text: string, mapping: Record<string, unknown>): Reading {
  const keys = Object.keys(mapping);
  const unknown = keys.filter((k) => !PLAN_KEYS.has(k));
  const known = keys.length - unknown.length;
  if (known === 0) return null;
  if (unknown.length > 0) {
    // One plan-like key among feedback lines ("instruction: …") is not a paste.
    if (!text.startsWith("{") && known < 2) return null;
    return { problem: `the pasted plan has fields a plan does not have: ${unknown.join(", ")} (plan fields: ${[...PLAN_KEYS].join(", ")})` };
  }
  const result = Plan.partial().safeParse(mapping);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".") || "plan"}: ${i.message}`);
    return { problem: `the pasted plan is not valid: ${issues.join("; ")}` };
  }
  return { action: { kind: "plan_edit", plan: result.data } };
}

/** Problems for keys typed at the config review that belong to another step. */
function misplacedConfigKeys(values: Record<string, Scalar>): string[] {
  return Object.keys(values).flatMap((key) => {
    const why = NOT_CONFIG[key.toLowerCase().replace(/[\s-]/g, "_")];
    return why ? [`"${key}" is not a fine-tuning setting: ${why}`] : [];
  });
}

/** `{"lora_rank": 32, ...}` at the config review: the same overrides as typed pairs. */
function readPastedConfig(mapping: Record<string, unknown>, step: ReviewStep): ParseResult {
  const values: Record<string, Scalar> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(mapping)) {
    if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) values[key] = value;
    else problems.push(`"${key}" needs a single value (a number, true/false or text)`);
  }
  problems.push(...misplacedConfigKeys(values));
  if (problems.length > 0) return failure(step, problems);
  return checkActions([{ kind: "config_overrides", values }], step);
}

function describeKind(kind: FeedbackKind): string {
  return kind.replace(/_/g, " ");
}

function failure(step: ReviewStep, problems: string[]): ParseResult {
  const accepted = describeAcceptedFeedback(step).map((line) => `  ${line}`);
  return { ok: false, error: [...problems, `Accepted at ${step}:`, ...accepted].join("\n") };
}

/** Checks actions (parsed here or proposed by an LLM) against what `step` accepts. */
export function checkActions(actions: unknown, step: ReviewStep): ParseResult {
  const parsed = z.array(FeedbackAction).min(1, "no action").safeParse(actions);
  if (!parsed.success) return failure(step, parsed.error.issues.map((i) => `${i.path.join(".") || "actions"}: ${i.message}`));
  const problems: string[] = [];
  for (const action of parsed.data) {
    if (!ACCEPTED[step].includes(action.kind)) problems.push(notAcceptedHere(action.kind, step, null));
  }
  if (parsed.data.length > 1 && parsed.data.some((a) => a.kind === "approve"))
    problems.push("approve cannot be combined with changes: send the changes, then approve the next review");
  return problems.length > 0 ? failure(step, problems) : { ok: true, actions: mergeConfig(parsed.data) };
}

function notAcceptedHere(kind: FeedbackKind, step: ReviewStep, segment: string | null): string {
  const elsewhere = stepsAccepting(kind).filter((s) => s !== step);
  const where = elsewhere.length > 0 ? ` (it is accepted at ${elsewhere.join(", ")})` : "";
  const what = segment === null ? describeKind(kind) : `"${segment}" (${describeKind(kind)})`;
  return `not accepted at ${step}: ${what}${where}`;
}

/** All config overrides of one answer become one action; later keys win. */
function mergeConfig(actions: FeedbackAction[]): FeedbackAction[] {
  const merged: FeedbackAction[] = [];
  let config: Record<string, Scalar> | null = null;
  for (const action of actions) {
    if (action.kind !== "config_overrides") merged.push(action);
    else if (config === null) {
      config = { ...action.values };
      merged.push({ kind: "config_overrides", values: config });
    } else Object.assign(config, action.values);
  }
  return merged;
}

/**
 * Reads a typed review answer into actions the step accepts.
 * @example parseFeedback("drop features: Age; test_ratio: 0.3", "review_prep")
 * // { ok: true, actions: [{ kind: "drop_features", columns: ["Age"] }, { kind: "test_ratio", value: 0.3 }] }
 */
export function parseFeedback(text: string, step: ReviewStep): ParseResult {
  const answer = text.trim();
  if (answer === "") return failure(step, ["the answer is empty"]);

  const mapping = pastedMapping(answer);
  if (mapping) {
    const pasted = readPastedPlan(answer, mapping);
    if (pasted && "problem" in pasted) return failure(step, [pasted.problem]);
    if (pasted) {
      if (step !== "review_plan")
        return failure(step, [`a pasted plan is accepted only at review_plan${step === "review_prep" ? ": type revise to go back to the plan" : ""}`]);
      return { ok: true, actions: [pasted.action] };
    }
    if (step === "review_config" && answer.startsWith("{")) return readPastedConfig(mapping, step);
  }

  const segments = answer
    .split(/\r?\n/)
    .flatMap((line) => splitOutsideQuotes(line, ";"))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const actions: FeedbackAction[] = [];
  const problems: string[] = [];
  for (const segment of segments) {
    const reading = readSegment(segment);
    if (reading === null) problems.push(`not understood: "${segment}"`);
    else if ("problem" in reading) problems.push(`${reading.problem} (in "${segment}")`);
    else if (!ACCEPTED[step].includes(reading.action.kind)) problems.push(notAcceptedHere(reading.action.kind, step, segment));
    else if (reading.action.kind === "config_overrides") {
      const misplaced = misplacedConfigKeys(reading.action.values);
      problems.push(...misplaced);
      if (misplaced.length === 0) actions.push(reading.action);
    } else actions.push(reading.action);
  }
  if (problems.length > 0) return failure(step, problems);
  return checkActions(actions, step);
}
