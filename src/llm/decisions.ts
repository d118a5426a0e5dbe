/**
 * The decisions an LLM makes, as data: which prompt each renders, which model answers it
 * (agent or coder), how its answer is read and validated, and what the call record of a
 * decision holds. The answer schemas here are those of the decisions that have no
 * schema elsewhere (the critique, the feedback answer).
 */
import { z } from "zod";
import { checkActions } from "../feedback/parse.js";
import type { FeedbackAction, ReviewStep } from "../feedback/actions.js";
import type { Provider } from "../options.js";
import { Plan, TargetChoice } from "../schemas.js";
import { extractCode, extractJson } from "./answer-text.js";
import type { FaultKind } from "./provider-errors.js";

/** One decision kind per prompt file. */
export type Decision = "explore" | "plan" | "codegen" | "verify" | "feedback" | "balance" | "impute";

/** The LLM's review of a prepared dataset (prompts/verify.md). */
export const Critique = z.object({
  verdict: z.enum(["ok", "problems"]),
  issues: z.array(z.string()),
  summary: z.string().min(1, "summary must not be empty"),
});
export type Critique = z.infer<typeof Critique>;

/** A free-text review answer read as actions; `unclear` says what could not be read. */
export interface FeedbackInterpretation {
  actions: FeedbackAction[];
  unclear: string | null;
}

const FeedbackAnswer = z.object({ actions: z.array(z.unknown()), unclear: z.string().optional() });

/** What the module did for one decision; goes to the pipeline log. Holds no secret. */
export interface CallRecord {
  decision: Decision;
  /** Who answered: the provider asked, or "heuristic" when it was not asked. */
  provider: Provider;
  /** The model asked ("heuristic" for the heuristic provider). */
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** True when a count is ceil(characters / 4) because the provider reported no usage. */
  tokensEstimated: boolean;
  durationMs: number;
  /** Requests sent (retries and re-asks included). */
  attempts: number;
  /** Requests that repeated the question with the validation error. */
  reasks: number;
  /** True when the heuristic answered because the provider could not. */
  fellBack: boolean;
  /** Why it fell back, scrubbed of secrets. */
  error?: string;
  /** The provider trouble that made it fall back (none when the answer did not fit, or no model was named). */
  fault?: FaultKind;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** How one decision is asked and read. */
export interface DecisionSpec<T> {
  decision: Decision;
  /** prompts/<prompt>.md */
  prompt: string;
  /** Which model answers: the agent (reasoning) or the coder (code). */
  role: "agent" | "coder";
  /** The output format restated in a re-ask. */
  expected: string;
  read(text: string): Parsed<T>;
}

/** Zod issues as one line a model (and a person) can act on. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 8)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
}

function jsonSpec<T>(decision: Decision, prompt: string, schema: z.ZodType<T>, expected: string): DecisionSpec<T> {
  return {
    decision,
    prompt,
    role: "agent",
    expected,
    read(text) {
      const json = extractJson(text);
      if (!json.ok) return json;
      const parsed = schema.safeParse(json.value);
      return parsed.success ? { ok: true, value: parsed.data } : { ok: false, error: `the JSON does not fit the schema: ${describeIssues(parsed.error)}` };
    },
  };
}

export const EXPLORE = jsonSpec(
  "explore",
  "explore",
  TargetChoice,
  'One JSON object and nothing else: {"column": string, "task": "binary" | "multiclass" | "regression", "labels": {string: string}, "reasons": [string]}',
);

export const PLAN = jsonSpec(
  "plan",
  "plan",
  Plan,
  "One JSON object with exactly the fields instruction, target, task, labels, features, dropped, rowFormat, cleaning, balancing, imputation, and nothing else.",
);

export const VERIFY = jsonSpec(
  "verify",
  "verify",
  Critique,
  'One JSON object and nothing else: {"verdict": "ok" | "problems", "issues": [string], "summary": string}',
);

export const CODEGEN: DecisionSpec<string> = {
  decision: "codegen",
  prompt: "codegen",
  role: "coder",
  expected: "The JavaScript source of prepare_data.js only, defining function clean(row, ctx) and function render(row, ctx).",
  read(text) {
    const code = extractCode(text);
    const missing = ["clean", "render"].filter((f) => !new RegExp(`\\bfunction\\s+${f}\\s*\\(|\\b(const|let|var)\\s+${f}\\s*=`).test(code));
    return missing.length === 0 ? { ok: true, value: code } : { ok: false, error: `the code defines no top-level ${missing.join(" or ")} function` };
  },
};

export const BALANCE: DecisionSpec<string> = {
  decision: "balance",
  prompt: "balance",
  role: "coder",
  expected: "The JavaScript source of balance_data.js only, defining function balance(records, ctx) that returns an array of row indices.",
  read(text) {
    const code = extractCode(text);
    return /\bfunction\s+balance\s*\(|\b(const|let|var)\s+balance\s*=/.test(code)
      ? { ok: true, value: code }
      : { ok: false, error: "the code defines no top-level balance function" };
  },
};

/** The LLM imputer's answer (prompts/impute.md): one value per row asked, null when it cannot tell. */
export const ImputeAnswer = z.object({ values: z.array(z.string().nullable()) });
export type ImputeAnswer = z.infer<typeof ImputeAnswer>;

export const IMPUTE = jsonSpec(
  "impute",
  "impute",
  ImputeAnswer,
  'One JSON object and nothing else: {"values": [string | null, ...]}, one entry per row, in order, each one of the allowed values or null.',
);

/** Feedback answers are checked against what the review step accepts. */
export function feedbackSpec(step: ReviewStep): DecisionSpec<FeedbackInterpretation> {
  return {
    decision: "feedback",
    prompt: "feedback",
    role: "agent",
    expected: `One JSON object and nothing else: {"actions": [action, ...]}, using only kinds ${step} accepts; or {"actions": [], "unclear": "<one sentence>"}.`,
    read(text) {
      const json = extractJson(text);
      if (!json.ok) return json;
      const shape = FeedbackAnswer.safeParse(json.value);
      if (!shape.success) return { ok: false, error: `the JSON does not fit the schema: ${describeIssues(shape.error)}` };
      if (shape.data.actions.length === 0) {
        const unclear = shape.data.unclear?.trim();
        return unclear ? { ok: true, value: { actions: [], unclear } } : { ok: false, error: 'no action, and no "unclear" sentence saying why' };
      }
      const checked = checkActions(shape.data.actions, step);
      return checked.ok ? { ok: true, value: { actions: checked.actions, unclear: null } } : { ok: false, error: checked.error };
    },
  };
}
