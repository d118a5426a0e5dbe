/**
 * The values of each prompt in `prompts/`, built from what the nodes hold (profile,
 * target choice, plan, records), each within a share of the prompt's token budget; and
 * `fitPrompt`, which renders a prompt and shortens its longest values until it fits.
 */
import type { Config } from "../config.js";
import { describeAcceptedFeedback, type ReviewStep } from "../feedback/actions.js";
import { renderPrompt } from "../prompts.js";
import type { Plan, TableProfile, TargetChoice } from "../schemas.js";
import { clip, columnLine, estimateTokens, nameList, planText, profileText, rankColumns, sampleRowsText } from "./profile-text.js";

/** The prompt bounds of config llm. */
export interface PromptLimits {
  maxPromptTokens: number;
  sampleRows: number;
  wideFrom: number;
}

export function promptLimits(config: Pick<Config, "llm">): PromptLimits {
  return { maxPromptTokens: config.llm.maxPromptTokens, sampleRows: config.llm.promptSampleRows, wideFrom: config.llm.wideTableColumns };
}

/** Characters for a value taking `share` of the prompt (templates take about 1,000 tokens). */
const chars = (limits: PromptLimits, share: number) => Math.floor((limits.maxPromptTokens - 1200) * 4 * share);

/** Sample-row columns: all of a narrow table; the focus, then the most telling ones, of a wide one. */
function sampleColumns(profile: TableProfile, focus: readonly string[], limits: PromptLimits): string[] | undefined {
  if (profile.columns.length < limits.wideFrom) return undefined;
  return rankColumns(profile, focus)
    .slice(0, 25)
    .sort((a, b) => a.index - b.index)
    .map((c) => c.name);
}

/** Values of prompts/explore.md. */
export function exploreValues(profile: TableProfile, targetHint: string | null, limits: PromptLimits): Record<string, string> {
  const focus = targetHint ? [targetHint] : [];
  return {
    target_hint: targetHint ? `The user named the target: ${JSON.stringify(targetHint)}.` : "The user did not name a target.",
    profile: profileText(profile, { focus, wideFrom: limits.wideFrom, maxChars: chars(limits, 0.6) }),
    sample_rows: sampleRowsText(profile.sample, { columns: sampleColumns(profile, focus, limits), maxRows: limits.sampleRows, maxChars: chars(limits, 0.35) }),
  };
}

export interface PlanInput {
  profile: TableProfile;
  target: TargetChoice;
  previousPlan: Plan | null;
  feedback: string | null;
  /** Facts the planner should weigh (quality findings, selected features), one per line. */
  notes?: readonly string[];
}

/** Values of prompts/plan.md. */
export function planValues(input: PlanInput, limits: PromptLimits): Record<string, string> {
  const focus = [input.target.column, ...(input.previousPlan?.features ?? [])];
  const notes = (input.notes ?? []).map((n) => `- ${clip(n, 300)}`);
  const profile = profileText(input.profile, { focus, wideFrom: limits.wideFrom, maxChars: chars(limits, notes.length > 0 ? 0.4 : 0.45) });
  return {
    target_choice: clip(JSON.stringify(input.target, null, 1), chars(limits, 0.08)),
    profile: notes.length > 0 ? `${profile}\nNotes:\n${clip(notes.join("\n"), chars(limits, 0.05))}` : profile,
    sample_rows: sampleRowsText(input.profile.sample, {
      columns: sampleColumns(input.profile, focus, limits),
      maxRows: limits.sampleRows,
      maxChars: chars(limits, 0.2),
    }),
    previous_plan: input.previousPlan ? clip(planText(input.previousPlan), chars(limits, 0.2)) : "(none: this is the first plan)",
    feedback: input.feedback ? clip(input.feedback, chars(limits, 0.05)) : "(none)",
  };
}

export interface CodegenInput {
  plan: Plan;
  profile: TableProfile;
  /** The read-only `ctx` the sandbox passes to clean and render. */
  ctx: unknown;
  previousCode: string | null;
  previousError: string | null;
}

/** Values of prompts/codegen.md: only the plan's columns are described. */
export function codegenValues(input: CodegenInput, limits: PromptLimits): Record<string, string> {
  return {
    plan: clip(planText(input.plan, 10), chars(limits, 0.2)),
    ...codeWriterValues(input, limits, { sampleRows: 10, sampleShare: 0.15, noteUnused: true }),
  };
}

/**
 * What every code-writing prompt shows (codegen, balance): the columns the code reads, a
 * few rows of them, the ctx it gets, and the failed try of this round.
 */
function codeWriterValues(
  input: CodegenInput,
  limits: PromptLimits,
  shape: { sampleRows: number; sampleShare: number; noteUnused: boolean },
): Record<"columns" | "sample_rows" | "ctx" | "previous_code" | "previous_error", string> {
  const used = [...input.plan.features, input.plan.target];
  const byName = new Map(input.profile.columns.map((c) => [c.name, c]));
  const lines = used.map((name) => byName.get(name)).filter((c) => c !== undefined).map(columnLine);
  const others = input.profile.columns.length - lines.length;
  const note = shape.noteUnused && others > 0 ? [`(${others} other columns are not used)`] : [];
  return {
    columns: clip([...lines, ...note].join("\n"), chars(limits, 0.2)),
    sample_rows: sampleRowsText(input.profile.sample, { columns: used, maxRows: Math.min(limits.sampleRows, shape.sampleRows), maxChars: chars(limits, shape.sampleShare) }),
    ctx: clip(JSON.stringify(input.ctx ?? {}, null, 1), chars(limits, 0.1)),
    previous_code: input.previousCode ? clip(input.previousCode, chars(limits, 0.25)) : "",
    previous_error: input.previousError ? clip(input.previousError, chars(limits, 0.05)) : "",
  };
}

/** What balance_data.js is written from: the same inputs as prepare_data.js. */
export type BalanceInput = CodegenInput;

/** Values of prompts/balance.md: the columns and a few rows the records hold, the ctx, and the failed try. */
export function balanceValues(input: BalanceInput, limits: PromptLimits): Record<string, string> {
  return codeWriterValues(input, limits, { sampleRows: 5, sampleShare: 0.1, noteUnused: false });
}

export interface ImputeInput {
  column: string;
  /** The values the answer may use (the column's training levels). */
  vocabulary: readonly string[];
  /** Observed training rows: the other features and the column's value. */
  examples: readonly Record<string, unknown>[];
  /** The rows to fill: their other features only. */
  rows: readonly Record<string, unknown>[];
}

/** Values of prompts/impute.md: the allowed values, a few solved examples, the rows to fill. */
export function imputeValues(input: ImputeInput, limits: PromptLimits): Record<string, string> {
  const line = (row: Record<string, unknown>, i: number) => `#${i + 1} ${clip(JSON.stringify(row), 600)}`;
  return {
    column: JSON.stringify(input.column),
    vocabulary: clip(JSON.stringify(input.vocabulary), chars(limits, 0.1)),
    examples: clip(input.examples.slice(0, limits.sampleRows).map(line).join("\n") || "(none)", chars(limits, 0.3)),
    rows: clip(input.rows.map(line).join("\n"), chars(limits, 0.4)),
    count: String(input.rows.length),
  };
}

export interface VerifyInput {
  plan: Plan;
  /** One line per automatic check, e.g. "ok: every output is a label". */
  checks: readonly string[];
  records: readonly { instruction: string; input: string; output: string }[];
}

/** Values of prompts/verify.md. */
export function verifyValues(input: VerifyInput, limits: PromptLimits): Record<string, string> {
  const budget = chars(limits, 0.5);
  const each = Math.max(200, Math.floor(budget / Math.max(1, Math.min(input.records.length, limits.sampleRows))) - 40);
  const records = input.records
    .slice(0, limits.sampleRows)
    .map((r, i) => `#${i + 1} ${JSON.stringify({ instruction: clip(r.instruction, 300), input: clip(r.input, each), output: clip(r.output, 100) })}`);
  return {
    plan: clip(planText(input.plan, 10), chars(limits, 0.25)),
    checks: clip(input.checks.join("\n") || "(no automatic checks)", chars(limits, 0.15)),
    records: clip(records.join("\n") || "(no records)", budget),
  };
}

export interface FeedbackInput {
  step: ReviewStep;
  answer: string;
  /** Every column of the table. */
  columns: readonly string[];
  /** Columns to list first (the plan's features); columns the answer names always come first. */
  priority?: readonly string[];
}

/** Values of prompts/feedback.md; the column list is cut to its budget, named columns first. */
export function feedbackValues(input: FeedbackInput, limits: PromptLimits): Record<string, string> {
  const lower = input.answer.toLowerCase();
  const named = input.columns.filter((c) => c.length > 1 && lower.includes(c.toLowerCase()));
  const ordered = [...new Set([...named, ...(input.priority ?? []), ...input.columns])];
  return {
    step: input.step,
    accepted_forms: describeAcceptedFeedback(input.step).join("\n"),
    columns: nameList(ordered, chars(limits, 0.6)),
    answer: clip(input.answer, chars(limits, 0.2)),
  };
}

export interface FittedPrompt {
  text: string;
  tokens: number;
  /** Values that had to be shortened to fit. */
  shortened: string[];
}

/**
 * Renders `prompts/<name>.md` and, while it is over `maxTokens` (estimated), shortens
 * the longest value by the excess. A guard: the builders above already keep within it.
 */
export function fitPrompt(name: string, values: Record<string, string>, maxTokens: number): FittedPrompt {
  const current = { ...values };
  const shortened = new Set<string>();
  let text = renderPrompt(name, current);
  for (let i = 0; i < 20 && estimateTokens(text) > maxTokens; i++) {
    const [key, value] = Object.entries(current).sort((a, b) => b[1].length - a[1].length)[0] ?? [];
    if (key === undefined || value === undefined || value.length <= 200) break;
    const excess = text.length - maxTokens * 4;
    current[key] = clip(value, Math.max(200, value.length - excess - 100));
    shortened.add(key);
    text = renderPrompt(name, current);
  }
  return { text, tokens: estimateTokens(text), shortened: [...shortened] };
}
