/**
 * The LLM coder: the decider's coder model writes prepare_data.js from the plan, the
 * columns it uses and the ctx; a retry also gets the failed try's code, error and row.
 * When the model cannot answer, the heuristic template answers (see heuristicCoder).
 */
import { codeWriter, codegenValues, type CallRecord, type Decider, type PromptLimits } from "../llm/index.js";
import type { CodeFeedback } from "../state.js";
import { heuristicCoder, type PrepCoder, type PrepCoderInput } from "./coder.js";

/** A PrepCoder that also keeps the CallRecord of its latest write, for the pipeline log. */
export interface LlmCoder extends PrepCoder {
  readonly lastCall: CallRecord | null;
}

/** The failed try's error, with its line and row, as the coder reads it. */
export function describeCodeFeedback(feedback: CodeFeedback): string {
  const where = feedback.error.line !== null ? ` (CSV line ${feedback.error.line})` : "";
  const row = feedback.error.row ? `\nFailing row: ${JSON.stringify(feedback.error.row)}` : "";
  return `Attempt ${feedback.attempt} failed${where}: ${feedback.error.message}${row}`;
}

export function llmCoder(decider: Decider, limits: PromptLimits): LlmCoder {
  let lastCall: CallRecord | null = null;
  return {
    get name() {
      return lastCall ? codeWriter(lastCall) : "heuristic";
    },
    get lastCall() {
      return lastCall;
    },
    async write(input: PrepCoderInput) {
      // The fallback is synchronous, so the template is written up front (it is cheap).
      const template = await heuristicCoder.write(input);
      const { value, source } = await decider.writeCode({
        values: codegenValues(
          {
            plan: input.plan,
            profile: input.profile,
            ctx: input.ctx,
            previousCode: input.feedback?.code ?? null,
            previousError: input.feedback ? describeCodeFeedback(input.feedback) : null,
          },
          limits,
        ),
        fallback: () => template,
      });
      lastCall = source;
      return value;
    },
  };
}
