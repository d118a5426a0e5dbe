/**
 * Prompt sizes (`npm run bench llm`): estimated tokens (characters / 4) of every LLM
 * call for a 20-column and a 2,000-column synthetic table with 20 sample rows each.
 * Target: ≤ config llm.maxPromptTokens (8,000) for every call at any width.
 */
import { loadConfig } from "../src/config.js";
import {
  balanceValues,
  codegenValues,
  exploreValues,
  feedbackValues,
  fitPrompt,
  imputeValues,
  planValues,
  promptLimits,
  verifyValues,
} from "../src/llm/index.js";
import { TableProfile, type ColumnProfile, type Plan, type TargetChoice } from "../src/schemas.js";

/** A profile of `width` columns (numeric, categorical, text, identifier, and a binary target last). */
export function syntheticProfile(width: number, sampleRows = 20): TableProfile {
  const columns: ColumnProfile[] = [];
  for (let i = 0; i < width; i++) {
    const last = i === width - 1;
    const kind = last ? "categorical" : i === 0 ? "identifier" : i % 7 === 3 ? "categorical" : i % 11 === 5 ? "text" : "numeric";
    const name = last ? "outcome_status" : `${kind}_measurement_${String(i).padStart(4, "0")}_long_descriptive_name`;
    columns.push({
      name,
      index: i,
      kind,
      missing: i % 5 === 0 ? 120 : 0,
      missingRate: i % 5 === 0 ? 0.012 : 0,
      distinct: last ? 2 : kind === "categorical" ? 6 : 9_000,
      topValues: last
        ? [{ value: "Yes", count: 3000 }, { value: "No", count: 7000 }]
        : Array.from({ length: 5 }, (_, k) => ({ value: kind === "text" ? `a rather long free text value number ${k} of this column` : `v${k}`, count: 100 - k })),
      numeric: kind === "numeric" ? { min: -1234.5678, max: 98765.4321, mean: 512.3456, median: 498.1, std: 77.77, q1: 300.25, q3: 700.75, outliers: 12 } : null,
    });
  }
  const sample = Array.from({ length: sampleRows }, (_, r) =>
    Object.fromEntries(columns.map((c, i) => [c.name, c.kind === "numeric" ? String(1000.123456 + r * i) : c.kind === "text" ? `free text in row ${r}, with a comma` : `v${(r + i) % 6}`])),
  );
  return TableProfile.parse({ file: "synthetic.csv", sha256: "0".repeat(64), rows: 10_000, columns, duplicateRows: 0, constantColumns: [], sample });
}

/** A target choice and a plan for a synthetic profile: 30 features kept, the rest dropped. */
export function syntheticDecisions(profile: TableProfile): { target: TargetChoice; plan: Plan } {
  const target: TargetChoice = { column: "outcome_status", task: "binary", labels: { Yes: "Yes", No: "No" }, reasons: ["The last column is a two-valued status."] };
  const others = profile.columns.filter((c) => c.name !== target.column).map((c) => c.name);
  const plan: Plan = {
    instruction: "Predict the outcome status. Answer Yes or No.",
    target: target.column,
    task: "binary",
    labels: target.labels,
    features: others.slice(1, 31),
    dropped: [others[0] ?? "", ...others.slice(31)].map((column, i) => ({ column, reason: i === 0 ? "identifier" : "not among the 30 features selected" })),
    rowFormat: "list",
    cleaning: ["Parse the measurements as numbers.", "Drop rows without an outcome."],
    balancing: { strategy: "none", advice: "Classes are 30% / 70%; no balancing needed." },
    imputation: ["Missing measurements stay unknown in the text."],
  };
  return { target, plan };
}

/** Every call's rendered prompt for a profile: name → estimated tokens (and values shortened). */
export function promptSizes(profile: TableProfile): { call: string; tokens: number; shortened: string[] }[] {
  const config = loadConfig();
  const limits = promptLimits(config);
  const { target, plan } = syntheticDecisions(profile);
  const records = profile.sample.map((row) => ({
    instruction: plan.instruction,
    input: plan.features.map((f) => `${f}: ${row[f] ?? "unknown"}`).join("\n"),
    output: "Yes",
  }));
  const longCode = "function clean(row, ctx) {\n" + "  // a long failed attempt\n".repeat(2000) + "}\n";
  const calls: [string, string, Record<string, string>][] = [
    ["explore", "explore", exploreValues(profile, null, limits)],
    ["plan (first)", "plan", planValues({ profile, target, previousPlan: null, feedback: null }, limits)],
    ["plan (revision)", "plan", planValues({ profile, target, previousPlan: plan, feedback: "drop the id column", notes: ["duplicate rows: 0"] }, limits)],
    ["codegen (first)", "codegen", codegenValues({ plan, profile, ctx: { labels: plan.labels, features: plan.features }, previousCode: null, previousError: null }, limits)],
    ["codegen (retry)", "codegen", codegenValues({ plan, profile, ctx: { labels: plan.labels, features: plan.features }, previousCode: longCode, previousError: "TypeError: x is undefined\n".repeat(200) }, limits)],
    ["verify", "verify", verifyValues({ plan, checks: ["ok: alpaca shape", "ok: every output is a label"], records }, limits)],
    ["balance (retry)", "balance", balanceValues({ plan, profile, ctx: { target: plan.target, strategy: "oversample", seed: 42, counts: { Yes: 3000, No: 7000 } }, previousCode: longCode, previousError: "RangeError: x\n".repeat(200) }, limits)],
    ["impute", "impute", imputeValues({ column: plan.features[0] ?? "", vocabulary: ["a", "b", "c"], examples: profile.sample.map((row) => ({ ...row })), rows: profile.sample.map((row) => ({ ...row })) }, limits)],
    ["feedback", "feedback", feedbackValues({ step: "review_prep", answer: "remove the ID-like columns and predict only for adults", columns: profile.columns.map((c) => c.name), priority: plan.features }, limits)],
  ];
  return calls.map(([call, prompt, values]) => {
    const fitted = fitPrompt(prompt, values, Number.MAX_SAFE_INTEGER);
    return { call, tokens: fitted.tokens, shortened: fitted.shortened };
  });
}

export async function bench(): Promise<void> {
  const max = loadConfig().llm.maxPromptTokens;
  for (const width of [20, 2000]) {
    const started = performance.now();
    const sizes = promptSizes(syntheticProfile(width));
    const ms = performance.now() - started;
    process.stdout.write(`${width} columns, 20 sample rows (all prompts built in ${ms.toFixed(0)} ms):\n`);
    for (const s of sizes) process.stdout.write(`  ${s.call.padEnd(18)} ${String(s.tokens).padStart(6)} tokens  ${s.tokens <= max ? "ok" : `OVER ${max}`}\n`);
  }
}
