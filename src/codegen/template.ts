/**
 * The heuristic provider's prepare_data.js: generated from the plan, so the code a
 * user approves says exactly which columns it reads and how.
 */
import type { Plan, TableProfile } from "../schemas.js";

const js = (value: unknown) => JSON.stringify(value);

export function prepCodeFromPlan(plan: Plan, profile: TableProfile, header: { planVersion: number; attempt: number }): string {
  const numeric = profile.columns
    .filter((c) => plan.features.includes(c.name) && (c.kind === "numeric" || c.kind === "integer"))
    .map((c) => c.name);
  return `// scripts/prepare_data.js — written by tabtune (heuristic provider)
// plan version ${header.planVersion}, attempt ${header.attempt}
// clean(row, ctx):  one CSV row (trimmed strings, null = missing) → a typed row, or null to drop it.
// render(row, ctx): a cleaned row → an Alpaca record { instruction, input, output }.
// Runs inside an isolated V8 sandbox: no require, files, network or process.

const TARGET = ${js(plan.target)};
const TASK = ${js(plan.task)};
const FEATURES = ${js(plan.features)};
const NUMERIC = new Set(${js(numeric)});
const LABELS = ${js(plan.labels)};
const INSTRUCTION = ${js(plan.instruction)};
const ROW_FORMAT = ${js(plan.rowFormat)};

function toNumber(text) {
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function clean(row, ctx) {
  const rawTarget = row[TARGET];
  if (rawTarget === null || rawTarget === undefined) return null; // no target: nothing to learn from
  let target;
  if (TASK === "regression") {
    target = toNumber(rawTarget);
    if (target === null) throw new Error("target " + JSON.stringify(TARGET) + " is not a number: " + JSON.stringify(rawTarget));
  } else {
    if (!Object.prototype.hasOwnProperty.call(LABELS, rawTarget))
      throw new Error("target value " + JSON.stringify(rawTarget) + " is not in the label mapping " + JSON.stringify(Object.keys(LABELS)));
    target = rawTarget;
  }
  const out = {};
  for (const column of FEATURES) {
    const value = row[column];
    if (value === null || value === undefined) out[column] = null;
    else out[column] = NUMERIC.has(column) ? toNumber(value) : value;
  }
  out[TARGET] = target;
  return out;
}

function render(row, ctx) {
  const parts = [];
  for (const column of FEATURES) {
    const value = row[column];
    const text = value === null || value === undefined ? "unknown" : String(value);
    parts.push(ROW_FORMAT === "sentences" ? "The " + column + " is " + text + "." : column + ": " + text);
  }
  const output = TASK === "regression" ? String(row[TARGET]) : LABELS[row[TARGET]];
  return { instruction: INSTRUCTION, input: parts.join(ROW_FORMAT === "sentences" ? " " : "\\n"), output };
}
`;
}
