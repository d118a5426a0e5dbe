/**
 * The heuristic provider's prepare_data.js: generated from the plan, so the code a
 * user approves says exactly which columns it reads and how. Each column is its own
 * line of straight code (no loops over column lists), which is also what makes the
 * template fast in the sandbox: fixed object shapes and constant property names.
 */
import type { Plan, TableProfile } from "../schemas.js";
import { featureFamily } from "../table/kinds.js";

const js = (value: unknown) => JSON.stringify(value);

/** An object-literal key for a column; `__proto__` must be computed to stay an own property. */
const key = (name: string) => (name === "__proto__" ? `[${js(name)}]` : js(name));

export function prepCodeFromPlan(plan: Plan, profile: Pick<TableProfile, "columns">, header: { planVersion: number; attempt: number }): string {
  const numeric = new Set(
    profile.columns.filter((c) => plan.features.includes(c.name) && featureFamily(c.kind) === "numeric").map((c) => c.name),
  );
  const sentences = plan.rowFormat === "sentences";
  const cleanLines = plan.features.map((name) => `    ${key(name)}: ${numeric.has(name) ? "number" : "text"}(row[${js(name)}]),`);
  const renderParts = plan.features.map((name, i) => {
    const before = (i === 0 ? "" : sentences ? ". " : "\n") + (sentences ? `The ${name} is ` : `${name}: `);
    return `    ${js(before)} + show(row[${js(name)}])`;
  });
  if (sentences) renderParts.push(`    "."`);
  const target =
    plan.task === "regression"
      ? `  const target = number(raw);
  if (target === null) throw new Error("target " + JSON.stringify(TARGET) + " is not a number: " + JSON.stringify(raw));`
      : `  if (!Object.prototype.hasOwnProperty.call(LABELS, raw))
    throw new Error("target value " + JSON.stringify(raw) + " is not in the label mapping " + JSON.stringify(Object.keys(LABELS)));
  const target = raw;`;
  const output = plan.task === "regression" ? "String(row[TARGET])" : "LABELS[row[TARGET]]";
  return `// scripts/prepare_data.js — written by tabtune (heuristic provider)
// plan version ${header.planVersion}, attempt ${header.attempt}
// clean(row, ctx):  one CSV row (trimmed strings, null = missing) → a typed row, or null to drop it.
// render(row, ctx): a cleaned row → an Alpaca record { instruction, input, output }.
// Runs inside an isolated V8 sandbox: no require, files, network or process.

const TARGET = ${js(plan.target)};
const TASK = ${js(plan.task)};
const LABELS = ${js(plan.labels)};
const INSTRUCTION = ${js(plan.instruction)};

/** A cell as a finite number, or null when missing or not a number. */
function number(cell) {
  if (cell === null || cell === undefined) return null;
  const value = Number(cell);
  return Number.isFinite(value) ? value : null;
}

/** A cell as text, or null when missing. */
function text(cell) {
  return cell === null || cell === undefined ? null : cell;
}

/** A cleaned value as the model reads it; missing values read "unknown". */
function show(value) {
  return value === null || value === undefined ? "unknown" : String(value);
}

function clean(row, ctx) {
  const raw = row[TARGET];
  if (raw === null || raw === undefined) return null; // no target: nothing to learn from
${target}
  return {
${cleanLines.join("\n")}
    ${key(plan.target)}: target,
  };
}

function render(row, ctx) {
  const input =
${renderParts.join(" +\n")};
  return { instruction: INSTRUCTION, input: input, output: ${output} };
}
`;
}
