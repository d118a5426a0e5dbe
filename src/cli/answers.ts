/**
 * Where review answers come from: an answers file, --yes, a person at a terminal, or
 * nobody (the run pauses with exit code 2 and prints how to resume). Scripted answers
 * (file, --yes) go to the graph marked as such, so its gates can tell them from a person
 * (nodes/review.ts); --yes stops the run (exit 1) at a blocker it may not pass.
 */
import { readFileSync } from "node:fs";
import { editor, input } from "@inquirer/prompts";
import { TabtuneError } from "../errors.js";
import { parseFeedback, type ReviewStep } from "../feedback/parse.js";
import { mayPass, type AnswerOrigin, type Blocker, type ReviewPayloadWithError, type ReviewResume } from "../review/protocol.js";

/** `text` is the resume value: what a person typed, or a scripted answer marked as one. */
export type Answer = { kind: "answer"; text: ReviewResume } | { kind: "pause" };

export interface AnswerSource {
  next(payload: ReviewPayloadWithError): Promise<Answer>;
}

/**
 * Reads an answers file: a JSON array of strings, or one answer per line (blank lines
 * and lines starting with # are skipped). A JSON array allows multi-line answers.
 */
export function readAnswersFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new TabtuneError("answers_missing", `--answers ${path} cannot be read`, { suggestion: "check the path" });
  }
  if (text.trimStart().startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new TabtuneError("answers_invalid", `--answers ${path} starts with [ but is not valid JSON`, { cause, suggestion: "write a JSON array of strings, or one answer per line" });
    }
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string"))
      throw new TabtuneError("answers_invalid", `--answers ${path} must be an array of strings`, { suggestion: 'e.g. ["approve", "drop features: Age"]' });
    return parsed;
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** The error that stops a scripted run at a blocker: the blocker's code, message and suggestion. */
function stoppedAt(payload: ReviewPayloadWithError, blocker: Blocker): TabtuneError {
  return new TabtuneError(blocker.code, `${payload.step}: ${blocker.message}`, { suggestion: blocker.suggestion });
}

/**
 * Scripted answers first, then --yes, then a person; with none of them the run pauses.
 * With `freeText` (a model is configured) answers that match no typed form are passed
 * on for the model to interpret at the review; otherwise they are refused here. With
 * `acceptFailedChecks` (--accept-failed-checks) scripted answers may pass failed checks.
 */
export function answerSource(args: { answers: string[]; yes: boolean; interactive: boolean; freeText?: boolean; acceptFailedChecks?: boolean }): AnswerSource {
  const freeText = args.freeText ?? false;
  const acceptFailedChecks = args.acceptFailedChecks ?? false;
  const queue = [...args.answers];
  return {
    async next(payload) {
      const blockers = payload.blockers ?? [];
      const scripted = queue.length > 0 || args.yes;
      // A --yes approval a gate refused may pass now (resumed with --accept-failed-checks): the check below decides.
      const gateRefusedYes = queue.length === 0 && (payload.refusedBy ?? null) !== null;
      if (payload.error && scripted && !args.interactive && !gateRefusedYes) {
        const refusedBy = blockers.find((b) => b.code === payload.refusedBy);
        if (refusedBy) throw stoppedAt(payload, refusedBy);
        throw new TabtuneError("answer_rejected", `${payload.step}: ${payload.error}`, { suggestion: "fix that answer in the --answers file" });
      }
      const fromFile = queue.shift();
      if (fromFile !== undefined) {
        const parsed = parseFeedback(fromFile, payload.step as ReviewStep);
        if (!parsed.ok && !freeText)
          throw new TabtuneError("answer_invalid", `${payload.step}: answer "${fromFile}" not understood: ${parsed.error}`, { suggestion: "fix that line of the --answers file" });
        process.stderr.write(`${payload.step}: answered from file: ${fromFile}\n`);
        return { kind: "answer", text: { text: fromFile, by: "--answers", acceptFailedChecks } };
      }
      if (args.yes) {
        const origin: AnswerOrigin = { kind: "scripted", by: "--yes", acceptFailedChecks };
        const blocker = blockers.find((b) => !mayPass(b, origin));
        if (blocker) throw stoppedAt(payload, blocker);
        const accepted = blockers.length > 0 ? " past failed checks (--accept-failed-checks)" : "";
        process.stderr.write(`${payload.step}: approved (--yes)${accepted}\n`);
        return { kind: "answer", text: { text: "approve", by: "--yes", acceptFailedChecks } };
      }
      if (!args.interactive) return { kind: "pause" };
      return { kind: "answer", text: await ask(payload, freeText) };
    },
  };
}

async function ask(payload: ReviewPayloadWithError, freeText: boolean): Promise<string> {
  for (;;) {
    const typed = await input({ message: `${payload.step} — approve, type feedback, "edit" to paste a plan/config, "help":` });
    let text = typed.trim();
    if (text === "help" || text === "?") {
      process.stdout.write(`${payload.help}\n`);
      continue;
    }
    if (text === "edit") text = (await editor({ message: "Paste an edited plan (JSON or YAML) or several lines of feedback" })).trim();
    if (text === "") continue;
    const parsed = parseFeedback(text, payload.step as ReviewStep);
    if (parsed.ok || freeText) return text;
    process.stdout.write(`  ! ${parsed.error}\n`);
  }
}
